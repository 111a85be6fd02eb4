// Internal: the supervisor, the parent harden stays as when it forks (session.cpp): forwards
// signals, reaps, answers and reports the target's denied syscalls (seccomp_notify.hpp), and
// exits like the target.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "compiler/plan/plan.hpp"

namespace harden {

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

// Runs the supervisor for `child` and exits like it. `link` is set when the child will hand
// over a seccomp listener.
[[noreturn]] void run(pid_t child, const PlanData& plan, SupervisorLink* link);

// The signals a supervisor forwards to the target, plus SIGCHLD.
sigset_t signal_set();

}  // namespace enforce::supervisor

}  // namespace harden
