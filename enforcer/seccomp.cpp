// seccomp layer: loads the BPF program the compiler built. No libseccomp at run time: the
// filter is already compiled, so this is one syscall. Under a supervisor, the filter's denials
// become user notifications that the supervisor answers and reports (seccomp_notify.hpp).
#include <cerrno>
#include <vector>

#include "enforcer/layers.hpp"
#include "enforcer/seccomp_notify.hpp"

namespace harden::enforce::seccomp {

bool wanted(const PlanData& plan) {
  return plan.seccomp.enabled;
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  const std::vector<sock_filter>& program = plan.seccomp.program;
  if (program.empty()) return step_failed(EINVAL, "the seccomp program is empty");
  // The kernel's length field is 16 bits: a longer program must never reach it (truncated).
  if (program.size() > BPF_MAXINSNS) {
    return step_failed(E2BIG, "the seccomp program has " + std::to_string(program.size()) +
                                  " instructions, more than the kernel's " +
                                  std::to_string(BPF_MAXINSNS));
  }
  if (ctx.under_supervisor && seccomp_notify::wanted(plan.seccomp)) {
    const std::vector<sock_filter> notifying = seccomp_notify::notifying_program(program);
    const int listener = sys.seccomp_load_listener(notifying, plan.seccomp.flags);
    if (listener < 0) {
      return step_failed(errno, "seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER, " +
                                    std::to_string(program.size()) + " instructions)");
    }
    // From here a denied call waits for the supervisor's answer: hand it the listener first.
    if (sys.hand_over_listener(listener) != 0) {
      return step_failed(errno, "handing the seccomp listener to the supervisor");
    }
    return {};
  }
  if (sys.seccomp_load(program, plan.seccomp.flags) != 0) {
    return step_failed(errno, "seccomp(SECCOMP_SET_MODE_FILTER, " + std::to_string(program.size()) +
                                  " instructions)");
  }
  return {};
}

}  // namespace harden::enforce::seccomp
