// Session layer: the target gets a session of its own (no controlling terminal, so no
// TIOCSTI keystroke injection into the caller's tty). When harden is a process-group leader
// (started from an interactive shell) setsid() is refused, so harden forks and stays as a
// small supervisor (supervisor.cpp) that forwards signals and exits with the target's status;
// --supervise asks for that supervisor in any case, for its denial reports.
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <new>

#include "enforcer/layers.hpp"
#include "enforcer/seccomp_notify.hpp"
#include "enforcer/supervisor.hpp"

namespace harden {

pid_t RealSys::fork_supervised(const PlanData& plan) {
  const sigset_t set = enforce::supervisor::signal_set();
  sigset_t old_mask;
  // Block first, so a signal that arrives between fork and the wait loop is not lost.
  if (sigprocmask(SIG_BLOCK, &set, &old_mask) != 0) return -1;
  SupervisorLink* link = nullptr;
  if (enforce::seccomp_notify::wanted(plan.seccomp)) {
    void* page = mmap(nullptr, sizeof(SupervisorLink), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
      sigprocmask(SIG_SETMASK, &old_mask, nullptr);
      return -1;
    }
    link = new (page) SupervisorLink;
  }
  const pid_t parent = ::getpid();
  const pid_t child = fork();
  if (child < 0) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    return -1;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    // If harden dies, the target dies: it must never run unsupervised.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) _exit(exit_code::kSession);
    link_ = link;  // the mapping goes away with execve
    return 0;
  }
  enforce::supervisor::run(child, plan, link);
}

namespace enforce::session {

// Decides in apply(): a new session, a supervisor, both, or neither.
bool wanted(const PlanData&) {
  return true;
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  const pid_t pid = sys.getpid();
  // Already leading its own session (e.g. under systemd): nothing to do for the session.
  const bool new_session = plan.exec.new_session && sys.getsid() != pid;
  // A process-group leader may not call setsid(); a child can. --supervise forks in any case.
  if (ctx.supervise || (new_session && sys.getpgrp() == pid)) {
    if (sys.fork_supervised(plan) < 0) return step_failed(errno, "fork()");
    ctx.under_supervisor = true;
    // systemd socket activation: the sockets now belong to the child's pid.
    if (ctx.listen_pid_env >= 0) {
      const auto index = static_cast<size_t>(ctx.listen_pid_env);
      ctx.env_storage[index] = "LISTEN_PID=" + std::to_string(sys.getpid());
      ctx.envp[index] = ctx.env_storage[index].data();
    }
  }
  // The forked child never leads a session, so it always needs its own when one is asked for.
  if ((new_session || (ctx.under_supervisor && plan.exec.new_session)) && sys.setsid() != 0) {
    return step_failed(errno, "setsid()");
  }
  return {};
}

}  // namespace enforce::session

}  // namespace harden
