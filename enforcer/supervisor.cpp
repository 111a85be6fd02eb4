// The supervisor: what harden becomes in the parent after a fork. It holds nothing the target
// needs, forwards the signals a service manager sends, reaps, exits like the target, and
// (when the plan's filter has denials to report) answers the target's denied syscalls.
#include "enforcer/supervisor.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/plan/unique_fd.hpp"
#include "enforcer/seccomp_notify.hpp"
#include "enforcer/steps.hpp"

namespace harden {

namespace {

// Signals a supervisor passes on to the target: what systemd, a shell or a user sends to
// stop, reload or resize a service.
constexpr std::array<int, 9> kForwardedSignals{SIGTERM, SIGINT,   SIGHUP,  SIGQUIT, SIGUSR1,
                                               SIGUSR2, SIGWINCH, SIGCONT, SIGALRM};

// How often the supervisor looks whether the child died before handing over its listener.
constexpr long kHandOverPollNs = 20'000'000;

void say(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

long futex(std::atomic<uint32_t>& word, int op, uint32_t value, const timespec* timeout) {
  // Not FUTEX_PRIVATE_FLAG: the word lives in a MAP_SHARED page of two processes.
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), op, value, timeout, nullptr, 0);
}

void set_state(SupervisorLink& link, uint32_t state) {
  link.state.store(state, std::memory_order_release);
  futex(link.state, FUTEX_WAKE, 1, nullptr);
}

[[noreturn]] void exit_like(int status, bool killed_for_policy) {
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
  // The supervisor killed the target for a kill-process verdict: report what the kernel's
  // own kill would have shown.
  if (killed_for_policy && sig == SIGKILL) sig = SIGSYS;
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

// Reaps everything that has ended (orphans too, when harden is PID 1 of a namespace) and
// exits once the child has.
void reap(pid_t child, bool killed_for_policy) {
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(-1, &status, WNOHANG);
    if (done <= 0) return;
    if (done == child) exit_like(status, killed_for_policy);
  }
}

bool child_has_exited(pid_t child) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == child;
}

// Waits for the child to load its filter, then takes a copy of the listener. Empty when the
// child died first (its status is reaped as usual).
UniqueFd take_listener(pid_t child, SupervisorLink& link) {
  while (link.state.load(std::memory_order_acquire) == SupervisorLink::kWaiting) {
    const timespec poll_interval{0, kHandOverPollNs};
    futex(link.state, FUTEX_WAIT, SupervisorLink::kWaiting, &poll_interval);
    if (link.state.load(std::memory_order_acquire) == SupervisorLink::kWaiting &&
        child_has_exited(child)) {
      return {};
    }
  }
  const UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, child, 0)));
  UniqueFd listener(
      pidfd ? static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), link.listener_fd, 0)) : -1);
  if (!listener) {
    say(std::string("harden: step 'seccomp' failed: cannot take the seccomp listener from the "
                    "target (pidfd_getfd: ") +
        std::strerror(errno) + "); the target was not started\n");
    set_state(link, SupervisorLink::kRefused);  // the child exits with the seccomp step's code
    return {};
  }
  set_state(link, SupervisorLink::kTaken);
  return listener;
}

// The thread group of a task id, so a kill reaches the whole process.
pid_t thread_group_of(pid_t tid) {
  const std::string path = "/proc/" + std::to_string(tid) + "/status";
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return tid;
  char text[4096];
  const ssize_t n = ::read(fd.get(), text, sizeof text - 1);
  if (n <= 0) return tid;
  const std::string_view status(text, static_cast<size_t>(n));
  const size_t at = status.find("\nTgid:");
  if (at == std::string_view::npos) return tid;
  size_t digits = at + 6;
  while (digits < status.size() && (status[digits] == '\t' || status[digits] == ' '))
    ++digits;
  pid_t tgid = tid;
  std::from_chars(status.data() + digits, status.data() + status.size(), tgid);
  return tgid;
}

// Kills the process a notification came from, with SIGKILL: it cannot be caught, so the
// denied call never returns. The pidfd is opened before the id is checked still valid, so the
// pid cannot have been reused for another process in between. Returns the killed process.
pid_t kill_process_of(int listener, const seccomp_notif& notif) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, notif.pid, 0)));
  pid_t tgid = static_cast<pid_t>(notif.pid);
  if (!pidfd && errno == EINVAL) {  // a thread other than the leader
    tgid = thread_group_of(static_cast<pid_t>(notif.pid));
    pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, tgid, 0)));
  }
  uint64_t id = notif.id;
  if (!pidfd || ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return -1;
  if (syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) != 0) return -1;
  return tgid;
}

class Notifications {
 public:
  explicit Notifications(int listener) : listener_(listener) {
    seccomp_notif_sizes sizes{};
    syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes);
    // The kernel's structs may be larger than ours; RECV and SEND want its sizes.
    notif_.resize(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
    resp_.resize(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
  }

  // Answers one notification. Returns the pid of a process killed for the policy, or 0.
  pid_t answer(const PlanData& plan) {
    std::fill(notif_.begin(), notif_.end(), 0);
    auto* notif = reinterpret_cast<seccomp_notif*>(notif_.data());
    if (ioctl(listener_, SECCOMP_IOCTL_NOTIF_RECV, notif) != 0) return 0;  // gone meanwhile
    const enforce::seccomp_notify::Verdict verdict = enforce::seccomp_notify::judge(plan, *notif);
    say(verdict.report);
    pid_t killed = 0;
    std::fill(resp_.begin(), resp_.end(), 0);
    auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_.data());
    resp->id = notif->id;
    if ((verdict.action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) {
      resp->error = -static_cast<int32_t>(verdict.action & SECCOMP_RET_DATA);
    } else {
      // kill-process, or anything unexpected: fail closed.
      killed = kill_process_of(listener_, *notif);
      resp->error = -EPERM;  // should the kill have failed, the call still fails
    }
    ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, resp);
    return killed;
  }

 private:
  int listener_;
  std::vector<unsigned char> notif_;
  std::vector<unsigned char> resp_;
};

// Signals and notifications, until the child exits.
[[noreturn]] void serve(pid_t child, const PlanData& plan, UniqueFd listener) {
  const sigset_t set = enforce::supervisor::signal_set();
  const UniqueFd signals(signalfd(-1, &set, SFD_CLOEXEC));
  Notifications notifications(listener.get());
  bool killed_for_policy = false;
  pollfd fds[2] = {{signals.get(), POLLIN, 0}, {listener.get(), POLLIN, 0}};
  nfds_t count = 2;
  for (;;) {
    if (poll(fds, count, -1) < 0) continue;  // EINTR
    if (count == 2 && (fds[1].revents & POLLIN)) {
      if (notifications.answer(plan) == child) killed_for_policy = true;
    } else if (count == 2 && (fds[1].revents & (POLLHUP | POLLERR | POLLNVAL))) {
      count = 1;  // no task uses the filter any more
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signals.get(), &info, sizeof info) != sizeof info) continue;
      if (info.ssi_signo == SIGCHLD) {
        reap(child, killed_for_policy);
      } else {
        kill(child, static_cast<int>(info.ssi_signo));
      }
    }
  }
}

}  // namespace

namespace enforce::supervisor {

sigset_t signal_set() {
  sigset_t set;
  sigemptyset(&set);
  for (const int sig : kForwardedSignals)
    sigaddset(&set, sig);
  sigaddset(&set, SIGCHLD);
  return set;
}

[[noreturn]] void run(pid_t child, const PlanData& plan, SupervisorLink* link) {
  // The supervisor holds nothing the target needs: close everything but stdio.
  syscall(SYS_close_range, 3U, ~0U, 0U);
  if (link) {
    if (UniqueFd listener = take_listener(child, *link)) serve(child, plan, std::move(listener));
  }
  const sigset_t set = signal_set();
  for (;;) {
    siginfo_t info{};
    const int sig = sigwaitinfo(&set, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    reap(child, false);
  }
}

}  // namespace enforce::supervisor

// The child's side of the hand-over; see SupervisorLink.
int RealSys::hand_over_listener(int listener) {
  if (!link_) {
    errno = EINVAL;
    return -1;
  }
  link_->listener_fd = listener;
  set_state(*link_, SupervisorLink::kListenerReady);
  for (;;) {
    const uint32_t state = link_->state.load(std::memory_order_acquire);
    if (state == SupervisorLink::kTaken) return 0;
    // Any denied call from here would wait for a supervisor that will never answer; exit_group
    // is in @default. The supervisor has said why.
    if (state == SupervisorLink::kRefused) syscall(SYS_exit_group, exit_code::kSeccomp);
    futex(link_->state, FUTEX_WAIT, state, nullptr);
  }
}

}  // namespace harden
