// Process attributes that are one call each: umask, no_new_privs, memory-deny-write-execute,
// working directory, signal dispositions and mask.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <cerrno>

#include "enforcer/layers.hpp"

// Linux 6.3; older C library headers lack them.
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN (1UL << 0)
#endif

namespace harden::enforce {

namespace umask {
bool wanted(const PlanData& plan) {
  return plan.exec.umask.has_value();
}
StepResult apply(const PlanData& plan, Sys& sys, ExecContext&) {
  sys.umask(*plan.exec.umask);  // cannot fail
  return {};
}
}  // namespace umask

namespace no_new_privs {
bool wanted(const PlanData& plan) {
  return plan.no_new_privs;
}
StepResult apply(const PlanData&, Sys& sys, ExecContext&) {
  if (sys.prctl(PR_SET_NO_NEW_PRIVS, 1) != 0)
    return step_failed(errno, "prctl(PR_SET_NO_NEW_PRIVS)");
  return {};
}
}  // namespace no_new_privs

namespace mdwe {
bool wanted(const PlanData& plan) {
  return plan.exec.memory_deny_write_execute;
}
StepResult apply(const PlanData&, Sys& sys, ExecContext&) {
  // The kernel then refuses mmap/mprotect/shmat of memory both writable and executable, and
  // mprotect making a mapping executable that was not (EACCES). No PR_MDWE_NO_INHERIT: the
  // target and everything it starts keep it. There is no way back, and no fallback: an older
  // kernel answers EINVAL, and the launch stops rather than run without the protection.
  if (sys.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN) != 0) {
    const int error = errno;
    return step_failed(error, error == EINVAL
                                  ? "prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN): this kernel "
                                    "cannot deny write-and-execute memory (Linux 6.3 or newer "
                                    "is needed for [exec] memory_deny_write_execute)"
                                  : "prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN)");
  }
  return {};
}
}  // namespace mdwe

namespace working_directory {
bool wanted(const PlanData& plan) {
  return !plan.exec.working_directory.empty();
}
StepResult apply(const PlanData& plan, Sys& sys, ExecContext&) {
  const std::string& dir = plan.exec.working_directory;
  // Resolved inside the process's root (the chroot or the constructed root by now), with no
  // magic link followed: a planted symlink to /proc/self/fd/N or /proc/1/cwd cannot take the
  // working directory outside the root. The fds step has already closed every leaked handle.
  bool is_directory = false;
  const SysFd root(sys, sys.open_path("/", is_directory));
  if (!root.valid()) return step_failed(errno, "opening the root to resolve " + dir);
  const SysFd fd(sys, sys.open_in_root(root.get(), dir.c_str(), O_PATH | O_DIRECTORY));
  if (!fd.valid()) {
    const int error = errno;
    if (error == ELOOP) {
      return step_failed(error, "'" + dir +
                                    "' leads through a /proc magic link (or a symlink loop); "
                                    "refusing to make it the working directory");
    }
    if (error == ENOTDIR) return step_failed(error, "'" + dir + "' is not a directory");
    return step_failed(error, "opening the working directory " + dir);
  }
  if (sys.file_type(fd.get()) != S_IFDIR) {
    return step_failed(ENOTDIR, "'" + dir + "' is not a directory");
  }
  // fchdir checks search permission as the target user (the credentials step has run).
  if (sys.fchdir(fd.get()) != 0) return step_failed(errno, "fchdir(" + dir + ")");
  return {};
}
}  // namespace working_directory

namespace signals {
bool wanted(const PlanData&) {
  return true;
}
StepResult apply(const PlanData&, Sys& sys, ExecContext&) {
  if (sys.reset_signals() != 0) return step_failed(errno, "resetting signal dispositions and mask");
  return {};
}
}  // namespace signals

}  // namespace harden::enforce
