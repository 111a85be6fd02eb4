// `harden export --format systemd --wrapper`: a drop-in whose ExecStart= runs the target
// through harden, which applies every layer itself. The unit must not take from harden what it
// needs to do that (root, capabilities, the syscalls of its own start).
#include "export/systemd_unit.hpp"

#include <linux/capability.h>
#include <sys/resource.h>

#include <algorithm>

namespace harden::systemd_unit {

namespace {

// Directives that take nothing harden's own start needs (it loads no module, reads no kernel
// log, sets no clock, uses no realtime scheduling, runs native code) and nothing the plan gives
// the target: each only where the plan already denies what it denies, so the unit scores as
// hardened on `systemd-analyze security` without weakening or duplicating harden's layers.
void protective_directives(const PlanData& plan, const SeccompModel* model, DropIn& unit) {
  auto add = [&](bool when, const std::string& line) {
    if (when) unit.line(line);
  };
  unit.comment(
      "what the plan already denies, said to systemd too (harden's start needs none of it)");
  add(!keeps(plan, CAP_SYS_MODULE), "ProtectKernelModules=yes");
  add(!keeps(plan, CAP_SYSLOG), "ProtectKernelLogs=yes");
  const bool rtprio = std::ranges::any_of(plan.limits, [](const ResourceLimit& l) {
    return l.resource == RLIMIT_RTPRIO && l.soft > 0;
  });
  add(!keeps(plan, CAP_SYS_NICE) && !rtprio, "RestrictRealtime=yes");
  // harden's own filter already kills every foreign ABI unless the policy lists it.
  add(model != nullptr && model->enabled &&
          model->architectures == std::vector<std::string>{"native"},
      "SystemCallArchitectures=native");
  // A UTS namespace of harden's own sets its hostname: systemd's filter would refuse that.
  add(!keeps(plan, CAP_SYS_ADMIN) && !plan.namespaces.uts, "ProtectHostname=yes");
  add(plan.exec.memory_deny_write_execute, "MemoryDenyWriteExecute=yes");
}

}  // namespace

std::string wrapper_unit(const Policy& policy, const PlanData& plan, const ExportOptions& options,
                         const SeccompModel* model, const std::vector<std::string>& command,
                         Diagnostics& /*diags*/) {
  DropIn unit;
  std::vector<std::string> argv;
  if (!options.compiled_wrapper.empty()) {
    argv = {options.compiled_wrapper, "--"};
  } else if (!options.plan_path.empty()) {
    argv = {options.harden_path, "--plan", options.plan_path, "--"};
  } else {
    argv = {options.harden_path, "--policy", options.policy_path, "--"};
  }
  argv.insert(argv.end(), command.begin(), command.end());
  for (const std::string& note : options.install_notes)
    unit.comment("install: " + note);
  unit.comment("harden applies every layer itself, as root, then execs the target: the unit");
  unit.comment("must not drop those privileges first (no User=, NoNewPrivileges=,");
  unit.comment("CapabilityBoundingSet= or SystemCallFilter= of its own).");
  unit.line("ExecStart=");
  unit.line("ExecStart=" + command_line(argv));
  if (!plan.filesystem.chroot.empty() && plan.exec.pass_notify_socket) {
    // A classic chroot cannot reach /run/systemd/notify; systemd binds it into the jail
    // ('-': fine when the manager has no such socket).
    unit.comment("sd_notify() from inside the chroot needs the notify socket in the jail:");
    unit.line("BindPaths=-/run/systemd/notify:" + plan.filesystem.chroot + "/run/systemd/notify");
  }
  // [cgroup] inside a service: the unit's cgroup is systemd's (see [cgroup] systemd).
  if (plan.cgroup.wanted()) {
    if (plan.cgroup.under_systemd == CgroupPlan::UnderSystemd::kNest) {
      unit.comment("[cgroup] systemd = \"nest\": harden makes its cgroup below the unit's");
      unit.line("Delegate=yes");
    } else {
      if (plan.cgroup.under_systemd == CgroupPlan::UnderSystemd::kFail) {
        unit.comment("NOTE: [cgroup] systemd = \"fail\" (the default) stops harden inside a unit;");
        unit.comment("set systemd = \"leave\" in the policy to use the limits below instead.");
      }
      unit.comment("the policy's [cgroup] limits, applied by systemd to the unit's cgroup");
      cgroup_directives(plan, unit);
    }
  }
  if (!plan.exec.pass_notify_socket) {
    unit.comment("[exec] pass_notify_socket = false: Type=notify cannot work");
    unit.line("NotifyAccess=none");
  }
  if (plan.exec.pass_notify_socket && (plan.namespaces.pid || exec_lock_total(plan.landlock))) {
    // harden stays as the target's supervisor, so the target is not the unit's main process
    // and NotifyAccess=main would drop its READY=1; signals still reach it through harden.
    unit.comment("harden stays as the target's supervisor (PID namespace or the total exec lock):");
    unit.comment("the target's sd_notify() comes from a child of the main process");
    unit.line("NotifyAccess=all");
  }
  protective_directives(plan, model, unit);
  // Otherwise harden execs the target in its own process, so the target is the unit's main
  // process: the default NotifyAccess=main accepts its READY=1, systemctl's signals reach it
  // directly, and the exit status systemd records is the target's.
  (void)policy;
  return unit.text("# harden export --format systemd --wrapper: policy '" + plan.policy_name +
                   "'\n# Install as /etc/systemd/system/UNIT.service.d/harden.conf, then run\n"
                   "# systemctl daemon-reload. Works for Type=simple, exec and notify.\n");
}

}  // namespace harden::systemd_unit
