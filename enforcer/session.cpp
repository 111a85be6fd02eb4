// Session layer: the one place where harden forks. The target gets a session of its own (no
// controlling terminal, so no TIOCSTI keystroke injection into the caller's tty). When harden
// is a process-group leader (started from an interactive shell) setsid() is refused, so
// harden forks and stays as a small supervisor that forwards signals and exits with the
// target's status.
//
// With a PID namespace the same fork happens twice: harden stays outside as the supervisor
// the caller knows, its child is PID 1 of the new namespace and stays as a minimal init
// (forwards signals, reaps orphans, exits with the target's status, 128+signal for a signal,
// since PID 1 cannot die of its own signal), and the target is PID 2. The target is not PID 1
// because PID 1 ignores every signal it has no handler for (a forwarded SIGTERM would do
// nothing) and inherits every orphan of the namespace.
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>

#include "enforcer/layers.hpp"

namespace harden {

namespace {

// Signals a supervisor passes on to the target: what systemd, a shell or a user sends to
// stop, reload or resize a service.
constexpr std::array<int, 9> kForwardedSignals{SIGTERM, SIGINT,   SIGHUP,  SIGQUIT, SIGUSR1,
                                               SIGUSR2, SIGWINCH, SIGCONT, SIGALRM};

sigset_t supervisor_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  for (const int sig : kForwardedSignals)
    sigaddset(&set, sig);
  sigaddset(&set, SIGCHLD);
  return set;
}

[[noreturn]] void exit_like(int status) {
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
  // Die of the same signal, so whoever waits for harden sees what the target suffered.
  // No core of harden itself: the target's core (if any) was already written.
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  signal(sig, SIG_DFL);
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, sig);
  sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
  raise(sig);
  _exit(128 + sig);  // signals that do not kill (or PID 1 in a namespace)
}

}  // namespace

pid_t RealSys::fork_supervised() {
  const sigset_t set = supervisor_signal_set();
  sigset_t old_mask;
  // Block first, so a signal that arrives between fork and the wait loop is not lost.
  if (sigprocmask(SIG_BLOCK, &set, &old_mask) != 0) return -1;
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
    return 0;
  }
  ::close(parent);
  enforce::session::supervise(child);
}

namespace enforce::session {

[[noreturn]] void supervise(pid_t child) {
  // The supervisor holds nothing the target needs: close everything but stderr.
  syscall(SYS_close_range, 3U, ~0U, 0U);
  const sigset_t set = supervisor_signal_set();
  for (;;) {
    siginfo_t info{};
    const int sig = sigwaitinfo(&set, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    // Reap everything that has ended (orphans too, when harden is PID 1 of a namespace).
    for (;;) {
      int status = 0;
      const pid_t done = waitpid(-1, &status, WNOHANG);
      if (done <= 0) break;
      if (done == child) exit_like(status);
    }
  }
}

bool wanted(const PlanData& plan) {
  return plan.exec.new_session || plan.namespaces.pid;
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  const pid_t pid = sys.getpid();
  const bool leads_session = sys.getsid() == pid;  // e.g. under systemd
  // A process-group leader may not call setsid(); a child can.
  const bool fork_for_setsid = plan.exec.new_session && !leads_session && sys.getpgrp() == pid;
  if (plan.namespaces.pid) {
    // The outer supervisor, then PID 1 of the namespace as its init.
    if (sys.fork_supervised() < 0) return step_failed(errno, "fork() into the PID namespace");
    if (sys.fork_supervised() < 0) return step_failed(errno, "fork() of the target under PID 1");
    ctx.under_supervisor = true;
  } else if (fork_for_setsid) {
    if (sys.fork_supervised() < 0) return step_failed(errno, "fork()");
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
