// LSM layer: the AppArmor profile and SELinux context the target is executed under. The label
// is requested for the next execve, so harden itself keeps running unconfined until it execs
// the target.
//
// The request is one write to the task's procfs attribute file, exactly what libapparmor's
// aa_change_onexec() and libselinux's setexeccon() do. We write it ourselves: those libraries
// cost every start of harden a dozen page faults and, for libselinux, a constructor that reads
// /proc/mounts, while the enforcer only ever needs this one write.
//
// The write happens only while /proc is verified to be the kernel's procfs: runc's
// CVE-2025-52881 let a container's mounts redirect writes meant for /proc/self/attr/* to
// another file (e.g. a sysctl), and a chroot or mount namespace that the sandbox sets up later
// could do the same. That is why this step runs before the filesystem step.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "enforcer/layers.hpp"
#include "enforcer/proc_text.hpp"
#include "enforcer/write_stderr.hpp"

namespace harden {

namespace {

std::string_view lsm_name(Lsm lsm) {
  return lsm == Lsm::apparmor ? "AppArmor" : "SELinux";
}

// The kernel's own list of active LSMs, when securityfs is mounted.
std::string active_lsm_list() {
  return first_line(read_proc_text("/sys/kernel/security/lsm"));
}

bool listed(const std::string& list, std::string_view name) {
  size_t begin = 0;
  while (begin <= list.size()) {
    const size_t comma = std::min(list.find(',', begin), list.size());
    if (std::string_view(list).substr(begin, comma - begin) == name) return true;
    begin = comma + 1;
  }
  return false;
}

bool is_filesystem(const char* path, unsigned long magic) {
  struct statfs fs {};
  return ::statfs(path, &fs) == 0 && static_cast<unsigned long>(fs.f_type) == magic;
}

// A task's attr/exec must be the kernel's procfs, not something mounted over it.
bool proc_attr_is_procfs() {
  return is_filesystem("/proc/thread-self/attr", PROC_SUPER_MAGIC);
}

// Writes the whole request in one write(2), as the kernel wants it: a partial write of a label
// is an error, never half a label.
int write_attr(const char* path, const std::string& request) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -1;
  const ssize_t written = ::write(fd, request.data(), request.size());
  const int error = errno;
  ::close(fd);
  if (written == static_cast<ssize_t>(request.size())) return 0;
  errno = written < 0 ? error : EIO;
  return -1;
}

void warn(const std::string& text) {
  const std::string line = "harden: warning: " + text + "\n";
  write_stderr(line);
}

}  // namespace

int RealSys::lsm_enabled(Lsm lsm, std::string& why) {
  const std::string active = active_lsm_list();
  if (lsm == Lsm::apparmor) {
    // What aa_is_enabled() checks: the module is enabled and in the active list.
    const std::string flag = first_line(read_proc_text("/sys/module/apparmor/parameters/enabled"));
    if (flag == "Y" && (active.empty() || listed(active, "apparmor"))) return 1;
    why = flag.empty() ? "/sys/module/apparmor/parameters/enabled is missing"
                       : "/sys/module/apparmor/parameters/enabled is " + flag;
  } else {
    // What is_selinux_enabled() checks: selinuxfs is mounted, so a policy is loaded.
    if (listed(active, "selinux") && is_filesystem("/sys/fs/selinux", SELINUX_MAGIC)) return 1;
    why = "selinuxfs is not mounted on /sys/fs/selinux";
  }
  why += active.empty() ? "; /sys/kernel/security/lsm is not readable" : "; active LSMs: " + active;
  return 0;
}

int RealSys::lsm_set_exec_label(Lsm lsm, const std::string& label) {
  if (!proc_attr_is_procfs()) {
    errno = EXDEV;
    return -1;
  }
  if (lsm == Lsm::selinux) {
    // setexeccon() sends the context with its terminating NUL.
    return write_attr("/proc/thread-self/attr/exec", std::string(label) + '\0');
  }
  // AppArmor's own attribute directory where the kernel stacks LSMs (5.8+), else the shared one.
  const std::string request = "exec " + label;
  struct stat own {};
  const bool stacked = ::stat("/proc/thread-self/attr/apparmor/exec", &own) == 0;
  return write_attr(
      stacked ? "/proc/thread-self/attr/apparmor/exec" : "/proc/thread-self/attr/exec", request);
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
      return step_failed(error, "writing " + std::string(lsm_name(request.lsm)) + " exec label \"" +
                                    request.label + "\"");
    }
  }
  return {};
}

}  // namespace enforce::lsm

}  // namespace harden
