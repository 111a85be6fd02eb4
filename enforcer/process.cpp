// Process attributes that are one call each: umask, no_new_privs, memory-deny-write-execute,
// working directory, signal dispositions and mask.
#include <sys/prctl.h>

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
  if (sys.chdir(dir.c_str()) != 0) return step_failed(errno, "chdir(" + dir + ")");
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
