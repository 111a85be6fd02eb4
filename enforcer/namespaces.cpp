// Namespaces layer: the user namespace first (rootless mode, or user = true) with a one-to-one
// map of the caller's uid and gid, then every other namespace in one unshare(), mount
// propagation made private, the hostname set and lo brought up. The PID namespace only takes
// effect for children: the session step's fork puts the target into it.
#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <string>

#include "enforcer/layers.hpp"

namespace harden::enforce::namespaces {

namespace {

std::string flag_names(int flags) {
  std::string names;
  const auto add = [&](int flag, const char* name) {
    if (flags & flag) names += (names.empty() ? "" : "|") + std::string(name);
  };
  add(CLONE_NEWNS, "CLONE_NEWNS");
  add(CLONE_NEWIPC, "CLONE_NEWIPC");
  add(CLONE_NEWUTS, "CLONE_NEWUTS");
  add(CLONE_NEWNET, "CLONE_NEWNET");
  add(CLONE_NEWCGROUP, "CLONE_NEWCGROUP");
  add(CLONE_NEWPID, "CLONE_NEWPID");
  return names;
}

StepResult enter_user_namespace(Sys& sys, ExecContext& ctx) {
  const uid_t uid = sys.geteuid();
  const gid_t gid = sys.getegid();
  if (sys.unshare(CLONE_NEWUSER) != 0) {
    return step_failed(errno, ctx.rootless ? "unshare(CLONE_NEWUSER) for rootless mode (are "
                                             "unprivileged user namespaces disabled?)"
                                           : "unshare(CLONE_NEWUSER)");
  }
  // An unprivileged process may map only its own ids, and only after giving up setgroups()
  // (otherwise it could drop a group that denies it access).
  if (sys.write_file("/proc/self/setgroups", "deny") != 0) {
    return step_failed(errno, "writing /proc/self/setgroups");
  }
  const std::string uid_map = std::to_string(uid) + " " + std::to_string(uid) + " 1\n";
  if (sys.write_file("/proc/self/uid_map", uid_map) != 0) {
    return step_failed(
        errno, "writing /proc/self/uid_map (" + uid_map.substr(0, uid_map.size() - 1) + ")");
  }
  const std::string gid_map = std::to_string(gid) + " " + std::to_string(gid) + " 1\n";
  if (sys.write_file("/proc/self/gid_map", gid_map) != 0) {
    return step_failed(
        errno, "writing /proc/self/gid_map (" + gid_map.substr(0, gid_map.size() - 1) + ")");
  }
  ctx.in_user_namespace = true;
  return {};
}

}  // namespace

int unshare_flags(const NamespacesPlan& ns) {
  return (ns.mount ? CLONE_NEWNS : 0) | (ns.ipc ? CLONE_NEWIPC : 0) | (ns.uts ? CLONE_NEWUTS : 0) |
         (ns.net ? CLONE_NEWNET : 0) | (ns.cgroup ? CLONE_NEWCGROUP : 0) |
         (ns.pid ? CLONE_NEWPID : 0);
}

bool wanted(const PlanData& plan) {
  return plan.namespaces.user || unshare_flags(plan.namespaces) != 0;
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  const NamespacesPlan& ns = plan.namespaces;
  if (ns.user || ctx.rootless) {
    if (StepResult entered = enter_user_namespace(sys, ctx); !entered) return entered;
  }
  const int flags = unshare_flags(ns);
  if (flags != 0 && sys.unshare(flags) != 0) {
    return step_failed(errno, "unshare(" + flag_names(flags) + ")");
  }
  // Private, not slave: no mount made here reaches the host, and none of the host's reaches
  // the target.
  if (ns.mount && sys.mount_propagation("/", MS_REC | MS_PRIVATE) != 0) {
    return step_failed(errno, "making every mount private (mount MS_REC|MS_PRIVATE on /)");
  }
  if (!ns.hostname.empty() && sys.sethostname(ns.hostname) != 0) {
    return step_failed(errno, "sethostname(" + ns.hostname + ")");
  }
  if (ns.loopback_up && sys.set_link_up("lo") != 0) {
    return step_failed(errno, "bringing up lo in the new network namespace");
  }
  return {};
}

}  // namespace harden::enforce::namespaces
