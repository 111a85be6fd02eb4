// Session layer: the one place where harden forks. The target gets a session of its own (no
// controlling terminal, so no TIOCSTI keystroke injection into the caller's tty). When harden
// is a process-group leader (started from an interactive shell) setsid() is refused, so
// harden forks and stays as a small supervisor that forwards signals and exits with the
// target's status (supervisor.cpp); --supervise asks for that supervisor in any case. The
// parent of the target also answers and reports its denied syscalls (seccomp_notify.hpp).
//
// With a PID namespace the same fork happens twice: harden stays outside as the supervisor
// the caller knows, its child is PID 1 of the new namespace and stays as a minimal init
// (forwards signals, reaps orphans, exits with the target's status, 128+signal for a signal,
// since PID 1 cannot die of its own signal), and the target is PID 2. The target is not PID 1
// because PID 1 ignores every signal it has no handler for (a forwarded SIGTERM would do
// nothing) and inherits every orphan of the namespace. PID 1 takes a process group of its own,
// so a signal to the caller's group is forwarded once, not twice.
#include <poll.h>
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

pid_t RealSys::fork_supervised(const PlanData* target_plan) {
  const sigset_t set = enforce::supervisor::signal_set();
  sigset_t old_mask;
  // Block first, so a signal that arrives between fork and the wait loop is not lost.
  if (sigprocmask(SIG_BLOCK, &set, &old_mask) != 0) return -1;
  // The page for handing the seccomp listener over, when the child is the target and its
  // filter has denials to report.
  SupervisorLink* link = nullptr;
  if (target_plan && enforce::seccomp_notify::wanted(target_plan->seccomp)) {
    void* page = mmap(nullptr, sizeof(SupervisorLink), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
      sigprocmask(SIG_SETMASK, &old_mask, nullptr);
      return -1;
    }
    link = new (page) SupervisorLink;
  }
  // The child checks through this pidfd that its parent still lives once the death signal is
  // armed (getppid() cannot tell: it is 0 in a new PID namespace).
  const int parent = static_cast<int>(syscall(SYS_pidfd_open, ::getpid(), 0U));
  if (parent < 0) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    return -1;
  }
  const pid_t child = fork();
  if (child < 0) {
    const int error = errno;
    ::close(parent);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    errno = error;
    return -1;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    // If harden dies, the target dies: it must never run unsupervised.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    pollfd exited{parent, POLLIN, 0};
    if (poll(&exited, 1, 0) != 0) _exit(exit_code::kSession);
    ::close(parent);
    link_ = link;  // the mapping goes away with execve
    return 0;
  }
  ::close(parent);
  static const PlanData kNoPlan;
  enforce::supervisor::run(child, target_plan ? *target_plan : kNoPlan, link);
}

namespace enforce::session {

// Decides in apply(): --supervise may ask for a fork whatever the plan says.
bool wanted(const PlanData&) {
  return true;
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  const pid_t pid = sys.getpid();
  const bool leads_session = sys.getsid() == pid;  // e.g. under systemd
  // A process-group leader may not call setsid(); a child can.
  const bool fork_for_setsid = plan.exec.new_session && !leads_session && sys.getpgrp() == pid;
  if (plan.namespaces.pid) {
    // The outer supervisor, then PID 1 of the namespace as its init.
    // PID 1, the target's parent, is the one that answers its denied syscalls.
    if (sys.fork_supervised(nullptr) < 0)
      return step_failed(errno, "fork() into the PID namespace");
    // PID 1 leaves the caller's process group: a terminal's Ctrl-C (or a kill of the whole
    // group) then reaches only the outer supervisor, which forwards it once. Left in the
    // group, PID 1 would pass the target the signal it got itself and the supervisor's copy.
    // Only when the target gets a session of its own anyway: otherwise it would land in a
    // background group and stop at its first read from the terminal.
    if (plan.exec.new_session && sys.setpgid_self() != 0)
      return step_failed(errno, "setpgid() of PID 1");
    if (sys.fork_supervised(&plan) < 0)
      return step_failed(errno, "fork() of the target under PID 1");
    ctx.under_supervisor = true;
  } else if (fork_for_setsid || ctx.supervise) {
    if (sys.fork_supervised(&plan) < 0) return step_failed(errno, "fork()");
    ctx.under_supervisor = true;
  }
  // systemd socket activation: the sockets now belong to the child's pid.
  if (ctx.under_supervisor && ctx.listen_pid_env >= 0) {
    const auto index = static_cast<size_t>(ctx.listen_pid_env);
    ctx.env_storage[index] = "LISTEN_PID=" + std::to_string(sys.getpid());
    ctx.envp[index] = ctx.env_storage[index].data();
  }
  if (plan.exec.new_session && (ctx.under_supervisor || !leads_session) && sys.setsid() != 0) {
    return step_failed(errno, "setsid()");
  }
  return {};
}

}  // namespace enforce::session

}  // namespace harden
