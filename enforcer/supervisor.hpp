// Internal: the supervisor, the parent harden stays as when it forks (session.cpp): forwards
// signals, reaps, answers and reports the target's denied syscalls (seccomp_notify.hpp), and
// exits like the target.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "plan/plan.hpp"

namespace harden {

class LearnSink;

// One shared page between the supervisor and the child, for handing over the seccomp
// listener. The child can only use syscalls every filter allows once its filter is loaded, so
// the hand-over is a futex on this page (futex is in @default) plus pidfd_getfd() from the
// supervisor's side.
struct SupervisorLink {
  enum State : uint32_t { kWaiting = 0, kListenerReady = 1, kTaken = 2, kRefused = 3 };
  std::atomic<uint32_t> state{kWaiting};
  int32_t listener_fd = -1;
};

namespace enforce::supervisor {

struct Supervision {
  pid_t child = 0;
  const PlanData* plan = nullptr;    // for naming denied calls; may be null
  SupervisorLink* link = nullptr;    // set when the child will hand over a seccomp listener
  bool exec_lock = false;            // the listener mediates execve (seccomp_notify.hpp)
  int kill_records = -1;             // the kernel's seccomp audit records (kill_reports.hpp)
  std::string kill_records_missing;  // why there are none, for the report of a kill
  // The child forks the target in turn (PID 1 of a PID namespace): a child exit status of
  // 128 + SIGSYS means the target was killed by the filter.
  bool child_is_init = false;
  LearnSink* learn = nullptr;           // SupervisorSetup::learn
  bool listener_in_grandchild = false;  // SupervisorSetup::listener_in_grandchild
};

// Runs the supervisor and exits like the child.
[[noreturn]] void run(const Supervision& supervision);

// The signals a supervisor forwards to the target, plus SIGCHLD.
sigset_t signal_set();

}  // namespace enforce::supervisor

}  // namespace harden
