#include "enforcer/steps.hpp"

#include <linux/audit.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "enforcer/layers.hpp"
#include "enforcer/write_stderr.hpp"
#include "plan/plan_io.hpp"

namespace harden {

namespace {

using namespace enforce;

// THE ORDER. Each row says why it stands where it does.
constexpr std::array<Step, 25> kSteps{{
    {"verify-plan",
     "refuse a plan built for another architecture or schema, or holding an id the kernel "
     "reads as 'unchanged' ((id_t)-1), before anything changes",
     exit_code::kVerifyPlan, verify::wanted, verify::apply},
    {"host-guard",
     "before the first host step, and outside the launch's cgroup: a process that keeps the "
     "privileges to undo what the host steps add should the launch stop before execve (after "
     "the uid change or a user namespace, harden cannot)",
     exit_code::kHostGuard, host_guard::wanted, host_guard::apply},
    {"loginuid",
     "settled while harden holds CAP_AUDIT_CONTROL in the initial user namespace (the "
     "namespaces step may take it away) and before the fork, so the target cannot set an "
     "unset loginuid itself, and supervisor and target share the launch's fresh audit session",
     exit_code::kLoginuid, loginuid::wanted, loginuid::apply},
    {"audit",
     "host state while harden still holds the host's CAP_AUDIT_CONTROL (a user "
     "namespace would take it away), so the watches exist before the target's first "
     "syscall",
     exit_code::kAudit, audit::wanted, audit::apply},
    {"cgroup",
     "before the namespaces: the host pid names the cgroup, host root may still write "
     "cgroupfs (no user namespace yet), a cgroup namespace made next is rooted at it, and "
     "a supervisor forked later stays within its limits",
     exit_code::kCgroup, cgroup::wanted, cgroup::apply},
    {"nftables",
     "scope uid/cgroup: the table lives in the host's network namespace, so it is "
     "installed before any namespace is entered and before the first packet; after the "
     "cgroup step, since a socket cgroupv2 rule needs its cgroup to exist",
     exit_code::kNftables, nftables::wanted, nftables::apply},
    {"kill-reports",
     "before the namespaces: the kernel sends its seccomp audit records (which name a killed "
     "call) only to a listener in the initial user and network namespaces; opened only when "
     "a supervisor will stay to read them, and never fails the launch",
     exit_code::kKillReports, kill_reports::wanted, kill_reports::apply},
    {"namespaces",
     "user namespace first (rootless mode needs it for every other one), then the "
     "rest, before the fork so that the target is born into the PID namespace",
     exit_code::kNamespaces, namespaces::wanted, namespaces::apply},
    {"nftables-netns",
     "scope netns: the table lives in the sandbox's own network namespace, so right "
     "after the namespaces step creates it and before the target can send",
     exit_code::kNftablesNetns, nftables_netns::wanted, nftables_netns::apply},
    {"session",
     "the one fork point (supervisor, PID 1 of a PID namespace) before any privilege "
     "is dropped; new session so the target cannot inject keystrokes into the "
     "caller's tty (TIOCSTI)",
     exit_code::kSession, session::wanted, session::apply},
    {"keyring",
     "a fresh session keyring in the target's own process (after the fork) and before the uid "
     "change, while harden is still the caller: the caller's keyring stays readable to "
     "whoever possesses it, whatever its uid",
     exit_code::kKeyring, keyring::wanted, keyring::apply},
    {"lsm",
     "before the root changes: the exec label is written through /proc/thread-self/attr, "
     "which must still be the kernel's procfs (runc CVE-2025-52881); it applies at execve",
     exit_code::kLsm, lsm::wanted, lsm::apply},
    {"mounts",
     "the constructed root after the fork (a new /proc must be mounted from inside the "
     "PID namespace) and while mount privileges are still held",
     exit_code::kMounts, mounts::wanted, mounts::apply},
    {"filesystem",
     "chroot while CAP_SYS_CHROOT is still held, then chdir(\"/\") so no directory "
     "handle points outside the new root",
     exit_code::kFilesystem, filesystem::wanted, filesystem::apply},
    {"limits", "rlimits before the capability drop: raising a hard limit needs CAP_SYS_RESOURCE",
     exit_code::kLimits, limits::wanted, limits::apply},
    {"umask",
     "umask is inherited by the target and costs nothing; set it before anything "
     "could create a file",
     exit_code::kUmask, umask::wanted, umask::apply},
    {"credentials",
     "groups, then gid, then uid (each needs the privilege the next removes), "
     "with securebits so the kept capabilities survive the uid change",
     exit_code::kCredentials, credentials::wanted, credentials::apply},
    {"capabilities",
     "after the uid change: bounding set cut to the kept set, kept caps made "
     "ambient so they survive execve, securebits locked",
     exit_code::kCapabilities, capabilities::wanted, capabilities::apply},
    {"no-new-privs",
     "before seccomp, which a task without CAP_SYS_ADMIN may only load with "
     "no_new_privs; from here no execve can gain privileges",
     exit_code::kNoNewPrivs, no_new_privs::wanted, no_new_privs::apply},
    {"mdwe",
     "memory_deny_write_execute: before seccomp, whose filter need not allow prctl; from here "
     "no memory is writable and executable at once, and fork and execve keep it so",
     exit_code::kMemoryDenyWriteExecute, mdwe::wanted, mdwe::apply},
    {"landlock",
     "after the filesystem view is final (rules name what the target sees) and "
     "after no-new-privs, which landlock_restrict_self needs once CAP_SYS_ADMIN is "
     "gone; before seccomp, so the filter need not allow the landlock calls",
     exit_code::kLandlock, landlock::wanted, landlock::apply},
    {"fds",
     "close every fd but stdio and the declared ones, after every step that could "
     "still need one and before the working directory is resolved, so a leaked directory "
     "handle (/proc/self/fd/N) is gone by then",
     exit_code::kFds, fds::wanted, fds::apply},
    {"working-directory",
     "after the uid change, so the target user must really be able to reach it; opened "
     "inside the root without following magic links, then fchdir",
     exit_code::kWorkingDirectory, working_directory::wanted, working_directory::apply},
    {"signals",
     "ignored dispositions and the signal mask survive execve: a caller's ignored SIGINT or "
     "blocked SIGTERM would make the target deaf to them; reset after every fork (the "
     "supervisor blocks what it forwards before forking) and before seccomp, whose filter need "
     "not allow rt_sigaction",
     exit_code::kSignals, signals::wanted, signals::apply},
    {"seccomp",
     "last before execve: from here on only the policy's syscalls (plus execve "
     "itself, in @default) are possible",
     exit_code::kSeccomp, seccomp::wanted, seccomp::apply},
}};

// Writes straight to fd 2: no stdio buffers, works after the fds step, and needs only write().
void report(std::string_view text) {
  write_stderr(text);
}

}  // namespace

namespace enforce::verify {
bool wanted(const PlanData&) {
  return true;
}
StepResult apply(const PlanData& plan, Sys&, ExecContext&) {
  if (plan.audit_arch != native_audit_arch()) {
    return step_failed(ENOEXEC, "the plan was compiled for " + audit_arch_name(plan.audit_arch) +
                                    ", this is " + audit_arch_name(native_audit_arch()));
  }
  if (plan.schema_version != kPlanSchemaVersion) {
    return step_failed(ENOEXEC, "plan schema version " + std::to_string(plan.schema_version) +
                                    " is not supported by this harden");
  }
  if (std::string refusal = plan_contents_refusal(plan); !refusal.empty()) {
    return step_failed(EINVAL, std::move(refusal));
  }
  return {};
}
}  // namespace enforce::verify

std::span<const Step> enforcement_steps() {
  return kSteps;
}

int enforce_and_exec(const Plan& plan, ExecContext& ctx, Sys& sys) {
  const PlanData& data = plan.data();
  for (const Step& step : kSteps) {
    if (!step.wanted(data)) continue;
    StepResult result = step.apply(data, sys, ctx);
    if (!result) {
      std::string message =
          "harden: step '" + std::string(step.name) + "' failed: " + result.error().detail;
      if (result.error().error != 0)
        message += ": " + std::string(std::strerror(result.error().error));
      const int error = result.error().error;
      if (ctx.rootless && (error == EPERM || error == EACCES || error == EINVAL)) {
        // Host-level steps (other users' ids, host firewall, audit, ...) need root; in
        // rootless mode harden only holds privileges inside its own user namespace.
        message +=
            " [rootless mode: harden runs without root, and this step needs privileges "
            "over the host]";
      }
      message += " (policy " + data.policy_file + "); the target was not started\n";
      report(message);
      rollback::after_failure(sys, ctx);
      return step.exit_code;
    }
  }
  StepError error;
  const int code = exec::run(data, sys, ctx, error);
  // Piece by piece, allocating nothing: the filter is loaded and may not allow the calls a
  // memory allocator (or a sanitizer's) would make.
  report("harden: cannot execute '");
  report(ctx.argv_storage.empty() ? std::string_view() : std::string_view(ctx.argv_storage[0]));
  report("': ");
  report(error.detail);
  if (error.error) {
    report(": ");
    report(std::strerror(error.error));
  }
  report("\n");
  rollback::after_failure(sys, ctx);
  return code;
}

void enforce_exec_or_exit(const Plan& plan, ExecContext& ctx, Sys& sys) {
  const int code = enforce_and_exec(plan, ctx, sys);
  // exit_group itself, not _exit(): a sanitizer intercepts _exit to run its leak check, whose
  // calls the loaded filter would kill (losing the exit status).
  syscall(SYS_exit_group, code);
  _exit(code);  // not reached
}

}  // namespace harden
