// LSM layer: the AppArmor profile and SELinux context the target is executed under. The label
// is requested for the next execve (aa_change_onexec, setexeccon), so harden itself keeps
// running unconfined until it execs the target.
//
// Labels are written only through libapparmor and libselinux, and only while /proc is
// verified to be the kernel's procfs: runc's CVE-2025-52881 let a container's mounts redirect
// writes meant for /proc/self/attr/* to another file (e.g. a sysctl), and a chroot or mount
// namespace that the sandbox sets up later could do the same. That is why this step runs
// before the filesystem step.
#include <linux/magic.h>
#include <selinux/selinux.h>
#include <sys/apparmor.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "enforcer/layers.hpp"

namespace harden {

namespace {

std::string_view lsm_name(Lsm lsm) {
  return lsm == Lsm::apparmor ? "AppArmor" : "SELinux";
}

// The kernel's own list of active LSMs, when securityfs is mounted.
std::string active_lsm_list() {
  std::ifstream in("/sys/kernel/security/lsm");
  std::string list;
  if (!std::getline(in, list)) return {};
  return list;
}

// A task's attr/exec must be the kernel's procfs, not something mounted over it.
bool proc_attr_is_procfs() {
  struct statfs fs {};
  return ::statfs("/proc/thread-self/attr", &fs) == 0 &&
         static_cast<unsigned long>(fs.f_type) == PROC_SUPER_MAGIC;
}

void warn(const std::string& text) {
  const std::string line = "harden: warning: " + text + "\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

int RealSys::lsm_enabled(Lsm lsm, std::string& why) {
  const std::string listed = active_lsm_list();
  if (lsm == Lsm::apparmor) {
    errno = 0;
    if (aa_is_enabled() == 1) return 1;
    why = std::string("aa_is_enabled: ") + std::strerror(errno);
  } else {
    if (is_selinux_enabled() == 1) return 1;
    why = "is_selinux_enabled: 0";
  }
  why += listed.empty() ? "; /sys/kernel/security/lsm is not readable" : "; active LSMs: " + listed;
  return 0;
}

int RealSys::lsm_set_exec_label(Lsm lsm, const std::string& label) {
  if (!proc_attr_is_procfs()) {
    errno = EXDEV;
    return -1;
  }
  if (lsm == Lsm::apparmor) return aa_change_onexec(label.c_str());
  return setexeccon(label.c_str());
}

namespace enforce::lsm {

bool wanted(const PlanData& plan) {
  return !plan.lsm.apparmor_profile.empty() || !plan.lsm.selinux_context.empty();
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext&) {
  struct Request {
    Lsm lsm;
    const std::string& label;
    std::string_view key;
  };
  const Request requests[] = {{Lsm::apparmor, plan.lsm.apparmor_profile, "apparmor_profile"},
                              {Lsm::selinux, plan.lsm.selinux_context, "selinux_context"}};
  for (const Request& request : requests) {
    if (request.label.empty()) continue;
    const std::string asked = std::string(request.key) + " = \"" + request.label + "\"";
    std::string why;
    if (sys.lsm_enabled(request.lsm, why) != 1) {
      const std::string missing =
          std::string(lsm_name(request.lsm)) + " is not active on this kernel (" + why + ")";
      if (plan.lsm.optional) {
        warn(missing + "; running without " + asked + " because [lsm] optional = true");
        continue;
      }
      return step_failed(0, missing + ", but the policy asks for " + asked +
                                "; set [lsm] optional = true to run without it");
    }
    if (sys.lsm_set_exec_label(request.lsm, request.label) != 0) {
      const int error = errno;
      if (error == EXDEV) {
        return step_failed(0,
                           "/proc/thread-self/attr is not the kernel's procfs; refusing to "
                           "write the " +
                               std::string(lsm_name(request.lsm)) + " label");
      }
      return step_failed(
          error, std::string(request.lsm == Lsm::apparmor ? "aa_change_onexec" : "setexeccon") +
                     "(\"" + request.label + "\")");
    }
  }
  return {};
}

}  // namespace enforce::lsm

}  // namespace harden
