// seccomp layer: loads the BPF program the compiler built. No libseccomp at run time: the
// filter is already compiled, so this is one syscall.
#include <cerrno>

#include "enforcer/layers.hpp"

namespace harden::enforce::seccomp {

bool wanted(const PlanData& plan) {
  return plan.seccomp.enabled;
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext&) {
  if (plan.seccomp.program.empty()) return step_failed(EINVAL, "the seccomp program is empty");
  if (sys.seccomp_load(plan.seccomp.program, plan.seccomp.flags) != 0) {
    return step_failed(errno, "seccomp(SECCOMP_SET_MODE_FILTER, " +
                                  std::to_string(plan.seccomp.program.size()) + " instructions)");
  }
  return {};
}

}  // namespace harden::enforce::seccomp
