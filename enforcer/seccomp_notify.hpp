// Denial reports: when harden stays as the target's parent, the seccomp filter is loaded with
// every kill-process and errno answer turned into SECCOMP_RET_USER_NOTIF. The supervisor then
// receives each denied call, runs the plan's ORIGINAL program on it (so the verdict is exactly
// the policy's), reports it on stderr with the policy line behind it, and carries the verdict
// out: errno -> that error is returned, kill-process -> the process is killed with SIGKILL
// before the call can return (and harden dies of SIGSYS, as the target would have).
//
// Never SECCOMP_USER_NOTIF_FLAG_CONTINUE: a denied call is never let through, so the usual
// user-notification race (arguments changed after inspection) cannot widen anything.
// Left to the kernel, unreported: kill-thread and trap (a supervisor can neither kill one
// thread nor forge the SIGSYS siginfo), log and allow, and ENOSYS answers (calls newer than the
// filter, clone3), which are compatibility answers rather than denials.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "compiler/plan/plan.hpp"

namespace harden::enforce::seccomp_notify {

// True when the plan's filter has answers the supervisor can report.
[[nodiscard]] bool wanted(const SeccompPlan& plan);

// The program with every reportable answer replaced by SECCOMP_RET_USER_NOTIF.
[[nodiscard]] std::vector<sock_filter> notifying_program(std::span<const sock_filter> program);

// What the supervisor does with one notification.
struct Verdict {
  uint32_t action = 0;  // SECCOMP_RET_* from the original program
  std::string report;   // one line for stderr
};

// Runs the original program on the call and describes it. A program that cannot be run gives
// kill-process: fail closed.
[[nodiscard]] Verdict judge(const PlanData& plan, const seccomp_notif& notif);

}  // namespace harden::enforce::seccomp_notify
