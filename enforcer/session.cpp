// Session layer: the one place where harden forks. The target gets a session of its own (no
// controlling terminal, so no TIOCSTI keystroke injection into the caller's tty), whatever
// harden's own position: a process-group leader may not call setsid(), and a session leader
// with a controlling terminal (under `script`, `ssh -t`, tmux, or `exec harden` from a shell)
// would hand the target its terminal, so in both cases harden forks, the child calls setsid()
// and harden stays as a small supervisor that forwards signals and exits with the target's
// status (supervisor.cpp). A session leader without a terminal (a systemd service) needs no
// fork. --supervise asks for the supervisor in any case, and so does the total exec lock,
// whose execve mediation needs one (seccomp_notify.hpp).
//
// With a PID namespace the same fork happens twice: harden stays outside as the supervisor
// the caller knows, its child is PID 1 of the new namespace and stays as a minimal init
// (forwards signals, reaps orphans, exits with the target's status, 128+signal for a signal,
// since PID 1 cannot die of its own signal), and the target is PID 2. The target is not PID 1
// because PID 1 ignores every signal it has no handler for (a forwarded SIGTERM would do
// nothing) and inherits every orphan of the namespace. PID 1 takes a process group of its own,
// so a signal to the caller's group is forwarded once, not twice. PID 1 keeps the forwarded
// signals blocked from its birth to its own fork, so none sent in between is lost.
#include <fcntl.h>
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
#include "plan/landlock_abi.hpp"

namespace harden {

pid_t RealSys::fork_supervised(const SupervisorSetup& setup) {
  const sigset_t set = enforce::supervisor::signal_set();
  sigset_t old_mask;
  // Block first, so a signal that arrives between fork and the wait loop is not lost.
  if (sigprocmask(SIG_BLOCK, &set, &old_mask) != 0) return -1;
  if (!caller_mask_saved_) {
    caller_mask_ = old_mask;
    caller_mask_saved_ = true;
  }
  // The page for handing the seccomp listener over.
  SupervisorLink* link = nullptr;
  if (setup.listener) {
    void* page = mmap(nullptr, sizeof(SupervisorLink), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
      sigprocmask(SIG_SETMASK, &old_mask, nullptr);
      return -1;
    }
    link = new (page) SupervisorLink;
  }
  // The child checks through this pidfd that its parent still lives once the death signal is
  // armed (getppid() cannot tell: it is 0 in a new PID namespace), and again whenever it is
  // re-armed (supervisor_alive()).
  const int parent = static_cast<int>(syscall(SYS_pidfd_open, ::getpid(), 0U));
  if (parent < 0) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    return -1;
  }
  ::fcntl(parent, F_SETFD, FD_CLOEXEC);
  const pid_t child = fork();
  if (child < 0) {
    const int error = errno;
    ::close(parent);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    errno = error;
    return -1;
  }
  if (child == 0) {
    if (!setup.child_forks_again) sigprocmask(SIG_SETMASK, &caller_mask_, nullptr);
    // If harden dies, the target dies: it must never run unsupervised.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    pollfd exited{parent, POLLIN, 0};
    if (poll(&exited, 1, 0) != 0) _exit(exit_code::kSession);
    if (supervisor_pidfd_ >= 0) ::close(supervisor_pidfd_);
    supervisor_pidfd_ = parent;
    // The kill records are the outer supervisor's to read.
    if (kill_record_fd_ >= 0) ::close(kill_record_fd_);
    kill_record_fd_ = -1;
    // The mapping goes away with execve. A child of a supervised child (the target under PID 1)
    // keeps its parent's page when it gets none of its own: harden learn's listener goes to
    // the outer supervisor.
    if (link) link_ = link;
    return 0;
  }
  ::close(parent);
  enforce::supervisor::Supervision supervision;
  supervision.child = child;
  supervision.plan = setup.plan;
  supervision.link = link;
  supervision.exec_lock = setup.exec_lock;
  supervision.kill_records = kill_record_fd_;
  supervision.kill_records_missing = kill_record_missing_;
  supervision.child_is_init = setup.child_forks_again;
  supervision.learn = setup.learn;
  supervision.listener_in_grandchild = setup.listener_in_grandchild;
  enforce::supervisor::run(supervision);
}

int RealSys::supervisor_alive() {
  if (supervisor_pidfd_ < 0) return 0;
  pollfd exited{supervisor_pidfd_, POLLIN, 0};
  return poll(&exited, 1, 0) == 0 ? 1 : 0;
}

bool RealSys::has_controlling_terminal() {
  // /dev/tty opens only for a process with a controlling terminal (ENXIO otherwise).
  const int fd = ::open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return errno != ENXIO && errno != ENOENT ? true : false;
  ::close(fd);
  return true;
}

namespace enforce::session {

SessionChoice choose(const PlanData& plan, Sys& sys, const ExecContext& ctx) {
  SessionChoice choice;
  const pid_t pid = sys.getpid();
  const bool leads_session = sys.getsid() == pid;
  // The target must never share the caller's session or terminal. A session leader without a
  // terminal (e.g. under systemd) has nothing to share, and the target may keep its session.
  choice.setsid = plan.exec.new_session && (!leads_session || sys.has_controlling_terminal());
  // A process-group leader (every session leader is one) may not call setsid(); a child can.
  const bool fork_for_setsid = choice.setsid && sys.getpgrp() == pid;
  choice.exec_lock = seccomp_notify::exec_lock_total(plan);
  choice.learn = ctx.learn != nullptr;
  choice.fork =
      plan.namespaces.pid || fork_for_setsid || ctx.supervise || choice.exec_lock || choice.learn;
  // Errno answers go through the supervisor (and are reported) only when the target can
  // neither signal nor ptrace it: the landlock step then scopes the target's signals.
  choice.errno_answers = !choice.learn && choice.fork &&
                         seccomp_notify::has_errno_answers(plan.seccomp) && plan.no_new_privs &&
                         sys.landlock_abi() >= landlock_abi::kScopeAbi;
  return choice;
}

// Decides in apply(): --supervise may ask for a fork whatever the plan says.
bool wanted(const PlanData&) {
  return true;
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  const SessionChoice choice = choose(plan, sys, ctx);
  ctx.notify_errno_answers = choice.errno_answers;
  ctx.notify_exec_calls = choice.exec_lock;
  if (choice.learn) {
    // The learning plan's filter notifies already (learn::learning_plan).
    ctx.notifying_program = plan.seccomp.program;
  } else if (choice.errno_answers || choice.exec_lock) {
    ctx.notifying_program = seccomp_notify::notifying_program(
        plan.seccomp.enabled ? std::span<const sock_filter>(plan.seccomp.program)
                             : std::span<const sock_filter>(),
        {choice.errno_answers, choice.exec_lock});
  }
  SupervisorSetup target;
  target.plan = &plan;
  target.listener = choice.errno_answers || choice.exec_lock;
  target.exec_lock = choice.exec_lock;
  // Learning: the supervisor in harden's original process records (it keeps the host's view
  // and PID namespace, where the notifications' pids and /proc links mean what they say).
  if (choice.learn && !plan.namespaces.pid) {
    target.listener = true;
    target.learn = ctx.learn;
  }
  if (plan.namespaces.pid) {
    // The outer supervisor, then PID 1 of the namespace as its init.
    // PID 1, the target's parent, is the one that answers its seccomp notifications.
    SupervisorSetup outer;
    outer.plan = &plan;
    outer.child_forks_again = true;
    if (choice.learn) {
      outer.listener = true;
      outer.learn = ctx.learn;
      outer.listener_in_grandchild = true;
    }
    if (sys.fork_supervised(outer) < 0) return step_failed(errno, "fork() into the PID namespace");
    // PID 1 leaves the caller's process group: a terminal's Ctrl-C (or a kill of the whole
    // group) then reaches only the outer supervisor, which forwards it once. Left in the
    // group, PID 1 would pass the target the signal it got itself and the supervisor's copy.
    // Only when the target gets a session of its own anyway: otherwise it would land in a
    // background group and stop at its first read from the terminal.
    if (choice.setsid && sys.setpgid_self() != 0) return step_failed(errno, "setpgid() of PID 1");
    if (sys.fork_supervised(target) < 0)
      return step_failed(errno, "fork() of the target under PID 1");
    ctx.under_supervisor = true;
  } else if (choice.fork) {
    if (sys.fork_supervised(target) < 0) return step_failed(errno, "fork()");
    ctx.under_supervisor = true;
  }
  // systemd socket activation: the sockets now belong to the child's pid.
  if (ctx.under_supervisor && ctx.listen_pid_env >= 0) {
    const auto index = static_cast<size_t>(ctx.listen_pid_env);
    ctx.env_storage[index] = "LISTEN_PID=" + std::to_string(sys.getpid());
    ctx.envp[index] = ctx.env_storage[index].data();
  }
  if (choice.setsid && sys.setsid() != 0) return step_failed(errno, "setsid()");
  return {};
}

}  // namespace enforce::session

namespace enforce::kill_reports {

// Only filters that can kill have kills to report.
bool wanted(const PlanData& plan) {
  if (!plan.seccomp.enabled) return false;
  for (const sock_filter& insn : plan.seccomp.program) {
    if (insn.code != (BPF_RET | BPF_K)) continue;
    const uint32_t action = insn.k & SECCOMP_RET_ACTION_FULL;
    if (action == SECCOMP_RET_KILL_PROCESS || action == SECCOMP_RET_KILL_THREAD) return true;
  }
  return false;
}

// Never fails: without the kernel's records the supervisor still reports the kill, and says
// why it cannot name the call.
StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  if (!session::choose(plan, sys, ctx).fork) return {};
  std::string why_not;
  (void)sys.open_kill_record_reader(why_not);
  return {};
}

}  // namespace enforce::kill_reports

}  // namespace harden
