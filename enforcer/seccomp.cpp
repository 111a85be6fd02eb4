// seccomp layer: loads the BPF program the compiler built. No libseccomp at run time: the
// filter is already compiled, so this is one syscall. Under a supervisor, errno answers and
// the exec lock's execve calls become user notifications that the supervisor answers
// (seccomp_notify.hpp); kills always stay the kernel's.
#include <cerrno>
#include <vector>

#include "enforcer/layers.hpp"
#include "enforcer/seccomp_notify.hpp"

namespace harden::enforce::seccomp {

namespace {

// The kernel's length field is 16 bits: a longer program must never reach it (truncated).
StepResult check_length(std::span<const sock_filter> program) {
  if (program.size() <= BPF_MAXINSNS) return {};
  return step_failed(E2BIG, "the seccomp program has " + std::to_string(program.size()) +
                                " instructions, more than the kernel's " +
                                std::to_string(BPF_MAXINSNS));
}

}  // namespace

// The total exec lock needs a filter even when the policy has no [seccomp].
bool wanted(const PlanData& plan) {
  return plan.seccomp.enabled || seccomp_notify::exec_lock_total(plan);
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  const std::vector<sock_filter>& program = plan.seccomp.program;
  if (plan.seccomp.enabled && program.empty()) {
    return step_failed(EINVAL, "the seccomp program is empty");
  }
  if (ctx.under_supervisor && (ctx.notify_errno_answers || ctx.notify_exec_calls || ctx.learn)) {
    // Built by the session step, before any limit (ExecContext::notifying_program).
    const std::vector<sock_filter>& notifying = ctx.notifying_program;
    if (auto too_long = check_length(notifying); !too_long) return too_long;
    const int listener = sys.seccomp_load_listener(notifying, plan.seccomp.flags);
    if (listener < 0) {
      return step_failed(errno, "seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER, " +
                                    std::to_string(notifying.size()) + " instructions)");
    }
    // From here a notifying call waits for the supervisor's answer: hand it the listener first.
    if (sys.hand_over_listener(listener) != 0) {
      return step_failed(errno, "handing the seccomp listener to the supervisor");
    }
    return {};
  }
  if (!plan.seccomp.enabled) {
    // The exec lock without a supervisor cannot happen (the session step forks for it); fail
    // closed should it ever.
    return step_failed(EINVAL, "the exec lock needs a supervisor to mediate execve");
  }
  if (auto too_long = check_length(program); !too_long) return too_long;
  if (sys.seccomp_load(program, plan.seccomp.flags) != 0) {
    return step_failed(errno, "seccomp(SECCOMP_SET_MODE_FILTER, " + std::to_string(program.size()) +
                                  " instructions)");
  }
  return {};
}

}  // namespace harden::enforce::seccomp
