// What harden's supervisor answers for the target's filter, through seccomp user notification,
// and how denials are described.
//
// Kills are the kernel's. A notification waits for userspace, and a waiting call can be
// dodged (a signal handler without SA_RESTART turns it into EINTR, a thread other than the
// leader outlives a kill of its group leader's pid, an orphan outlives the supervisor), so a
// kill-process or kill-thread verdict is never turned into a notification: the kernel kills,
// and the supervisor names the call afterwards from the kernel's own audit record
// (kill_reports.hpp). Two kinds of answer do go through the supervisor:
//
// - errno answers, so that each denied call is reported with the policy line behind it. Only
//   when the target can neither signal nor ptrace its supervisor (a Landlock signal scope and
//   domain, applied by the landlock step) and the supervisor serves until the last task using
//   the filter is gone. Should the supervisor still die, the kernel answers ENOSYS: refused.
// - the exec lock: execve and execveat, when the target may execute nothing but itself. The
//   first call is harden's own execve of the target (the only task using the filter then is
//   harden's single-threaded child) and continues; every later one is refused. With no
//   supervisor left the kernel answers ENOSYS: still refused.
//
// SECCOMP_USER_NOTIF_FLAG_CONTINUE is used for that first execve only, made by harden's own
// code before the target exists: no argument can have been swapped by the target.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "plan/plan.hpp"

namespace harden::enforce::seccomp_notify {

// True when the plan's filter has errno answers worth reporting (not ENOSYS, which is a
// compatibility answer for calls newer than the filter, clone3).
[[nodiscard]] bool has_errno_answers(const SeccompPlan& plan);

// True when the exec lock is total: the policy lets the target execute nothing but itself, so
// every execve after harden's own can be refused.
[[nodiscard]] bool exec_lock_total(const PlanData& plan);

// What the notifying filter sends to the supervisor.
struct NotifyChoice {
  bool errno_answers = false;  // errno answers become notifications
  bool exec_calls = false;     // native execve/execveat become notifications
};

// The program the target loads: `program` (empty: allow everything) with the chosen answers
// replaced by SECCOMP_RET_USER_NOTIF. Kill, trap and log answers are left to the kernel.
[[nodiscard]] std::vector<sock_filter> notifying_program(std::span<const sock_filter> program,
                                                         NotifyChoice choice);

// The supervisor's memory between notifications.
struct JudgeState {
  pid_t child = 0;              // the target as the supervisor sees it
  bool exec_lock = false;       // NotifyChoice::exec_calls was set
  bool target_started = false;  // harden's own execve went through
};

// What the supervisor does with one notification.
struct Verdict {
  bool proceed = false;  // SECCOMP_USER_NOTIF_FLAG_CONTINUE: harden's own execve
  int error = 0;         // else: the errno the call returns
  std::string report;    // one line for stderr; empty: nothing to say
};

// Runs the original program on the call and decides. A program that cannot be run, or a
// verdict that is not an errno, gives EPERM: the call is refused whatever happens.
[[nodiscard]] Verdict judge(const PlanData& plan, JudgeState& state, const seccomp_notif& notif);

// "seccomp denied ptrace (nr 101) in pid 12: kill-process, from default_action at p.toml:9:18":
// a denied call of architecture `arch` with the answer `action`, and the policy line behind it.
[[nodiscard]] std::string describe_denial(const PlanData& plan, uint32_t arch, uint32_t nr,
                                          uint32_t action, const std::string& who);

}  // namespace harden::enforce::seccomp_notify
