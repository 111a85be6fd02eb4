// The supervisor: what harden becomes in the parent after a fork. It holds nothing the target
// needs, forwards the signals a service manager sends, reaps, exits like the target, answers
// the target's seccomp notifications (seccomp_notify.hpp) and names the calls the kernel
// killed it for (kill_reports.hpp).
//
// Nothing the target does can make the supervisor block: reports go to stderr only when it
// can take them at once (a target that fills its stderr pipe loses reports, never the
// supervisor's signal forwarding or answers), and signals are forwarded through a pidfd, so a
// reaped child's pid reused by another process is never signalled.
#include "enforcer/supervisor.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enforcer/kill_reports.hpp"
#include "enforcer/learn.hpp"
#include "enforcer/seccomp_notify.hpp"
#include "enforcer/steps.hpp"
#include "enforcer/write_stderr.hpp"
#include "plan/unique_fd.hpp"

namespace harden {

namespace {

// Signals a supervisor passes on to the target: what systemd, a shell or a user sends to
// stop, reload or resize a service.
constexpr std::array<int, 9> kForwardedSignals{SIGTERM, SIGINT,   SIGHUP,  SIGQUIT, SIGUSR1,
                                               SIGUSR2, SIGWINCH, SIGCONT, SIGALRM};

// How often the supervisor looks whether the child died before handing over its listener.
constexpr long kHandOverPollNs = 20'000'000;

// How long the supervisor waits, after the target died of SIGSYS, for the kernel's audit
// record of the kill (kauditd sends it asynchronously, possibly after SIGCHLD).
constexpr int kKillRecordWaitMs = 500;

// Writes a report to stderr if it can be written now. The target shares this stderr; when it
// has filled the pipe the report is dropped rather than the supervisor stalled.
void say(std::string_view text, int wait_ms = 0) {
  write_stderr_unless_full(text, wait_ms);
}

long futex(std::atomic<uint32_t>& word, int op, uint32_t value, const timespec* timeout) {
  // Not FUTEX_PRIVATE_FLAG: the word lives in a MAP_SHARED page of two processes.
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), op, value, timeout, nullptr, 0);
}

void set_state(SupervisorLink& link, uint32_t state) {
  link.state.store(state, std::memory_order_release);
  futex(link.state, FUTEX_WAKE, 1, nullptr);
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

bool child_has_exited(pid_t child) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == child;
}

// The only child of `parent` (PID 1 of a PID namespace, which has forked the target and
// nothing else when the target hands its listener over), or -1.
pid_t only_child_of(int proc_fd, pid_t parent) {
  const UniqueFd fd(enforce::learn::proc_open(
      proc_fd, std::to_string(parent) + "/task/" + std::to_string(parent) + "/children"));
  if (!fd) return -1;
  char buffer[64] = {};
  const ssize_t n = ::read(fd.get(), buffer, sizeof buffer - 1);
  if (n <= 0) return -1;
  char* end = nullptr;
  const long pid = std::strtol(buffer, &end, 10);
  while (end && *end == ' ')
    ++end;
  if (pid <= 0 || !end || (*end != '\0' && *end != '\n')) return -1;  // none, or more than one
  return static_cast<pid_t>(pid);
}

// Waits for the child to load its filter, then takes a copy of the listener. Empty when the
// child died first (its status is reaped as usual).
UniqueFd take_listener(pid_t child, SupervisorLink& link, bool in_grandchild, int proc_fd) {
  while (link.state.load(std::memory_order_acquire) == SupervisorLink::kWaiting) {
    const timespec poll_interval{0, kHandOverPollNs};
    futex(link.state, FUTEX_WAIT, SupervisorLink::kWaiting, &poll_interval);
    if (link.state.load(std::memory_order_acquire) == SupervisorLink::kWaiting &&
        child_has_exited(child)) {
      return {};
    }
  }
  // The holder waits for kTaken, so the pid found cannot have been reused meanwhile.
  const pid_t holder = in_grandchild ? only_child_of(proc_fd, child) : child;
  const UniqueFd pidfd(holder > 0 ? static_cast<int>(syscall(SYS_pidfd_open, holder, 0)) : -1);
  UniqueFd listener(
      pidfd ? static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), link.listener_fd, 0)) : -1);
  if (!listener) {
    say(std::string("harden: step 'seccomp' failed: cannot take the seccomp listener from the "
                    "target (pidfd_getfd: ") +
            std::strerror(errno) + "); the target was not started\n",
        1000);
    set_state(link, SupervisorLink::kRefused);  // the child exits with the seccomp step's code
    return {};
  }
  set_state(link, SupervisorLink::kTaken);
  return listener;
}

class Notifications {
 public:
  Notifications(int listener, const PlanData& plan, enforce::seccomp_notify::JudgeState state)
      : listener_(listener), plan_(plan), state_(state) {
    seccomp_notif_sizes sizes{};
    syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes);
    // The kernel's structs may be larger than ours; RECV and SEND want its sizes.
    notif_.resize(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
    resp_.resize(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
  }

  void answer() {
    std::fill(notif_.begin(), notif_.end(), 0);
    auto* notif = reinterpret_cast<seccomp_notif*>(notif_.data());
    if (ioctl(listener_, SECCOMP_IOCTL_NOTIF_RECV, notif) != 0) return;  // gone meanwhile
    const enforce::seccomp_notify::Verdict verdict =
        enforce::seccomp_notify::judge(plan_, state_, *notif);
    std::fill(resp_.begin(), resp_.end(), 0);
    auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_.data());
    resp->id = notif->id;
    if (verdict.proceed) {
      resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    } else {
      resp->error = -(verdict.error != 0 ? verdict.error : EPERM);
    }
    // Answer first, then report: the report may be dropped, the answer never.
    ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, resp);
    if (!verdict.report.empty()) say(verdict.report);
  }

 private:
  int listener_;
  const PlanData& plan_;
  enforce::seccomp_notify::JudgeState state_;
  std::vector<unsigned char> notif_;
  std::vector<unsigned char> resp_;
};

// Reads the kernel's seccomp audit records and reports those of this launch.
class KillRecords {
 public:
  KillRecords(const enforce::supervisor::Supervision& supervision)
      : fd_(supervision.kill_records),
        plan_(supervision.plan),
        missing_(supervision.kill_records_missing),
        session_(enforce::kill_reports::own_session()),
        child_(supervision.child) {}

  int fd() const { return fd_; }
  bool reported() const { return reported_; }

  // Reads what is there; reports the records of this launch.
  void drain() {
    if (fd_ < 0) return;
    alignas(nlmsghdr) char buffer[8192];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n <= 0) return;
      // One record per datagram in practice; walked by hand, since the kernel does not pad
      // the last record to NLMSG_ALIGN (NLMSG_NEXT would step past the datagram).
      size_t at = 0;
      const auto size = static_cast<size_t>(n);
      while (at + NLMSG_HDRLEN <= size) {
        nlmsghdr header{};
        std::memcpy(&header, buffer + at, sizeof header);
        if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > size - at) break;
        if (header.nlmsg_type == kAuditSeccomp) {
          report(std::string_view(buffer + at + NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN));
        }
        at += NLMSG_ALIGN(header.nlmsg_len);
      }
    }
  }

  // After the target died of SIGSYS: wait a little for its record, else say why there is none.
  void await_kill_of_target() {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kKillRecordWaitMs);
    while (fd_ >= 0 && !reported_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd ready{fd_, POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) continue;
      drain();
    }
    if (reported_) return;
    say("harden: the target was killed by its seccomp filter (SIGSYS); harden cannot name the "
        "call: " +
            (fd_ >= 0 ? std::string("no audit record of the kill arrived") : missing_) + "\n",
        100);
  }

 private:
  static constexpr uint16_t kAuditSeccomp = 1326;  // AUDIT_SECCOMP

  void report(std::string_view text) {
    const auto record = enforce::kill_reports::parse_record(text);
    if (!record || record->signal == 0) return;  // a log or errno record, not a kill
    // This launch's records: its own audit session when it has one, else the target's pid.
    const bool ours = session_ != enforce::kill_reports::kNoSession ? record->session == session_
                                                                    : record->pid == child_;
    if (!ours) return;
    reported_ = true;
    if (!plan_) return;
    say(enforce::seccomp_notify::describe_denial(
        *plan_, record->arch, record->nr, record->action,
        "pid " + std::to_string(record->pid) + " (" + record->comm + ")"));
  }

  int fd_;
  const PlanData* plan_;
  std::string missing_;
  uint32_t session_;
  pid_t child_;
  bool reported_ = false;
};

// Signals, notifications and kill records until the child has exited and, with a listener,
// until no task uses the filter any more: an orphan the target left behind is still answered
// (and still under the exec lock), never left to the kernel's ENOSYS while harden is alive.
// PID 1 of a namespace stops with its child: the kernel then kills every other task in it.
[[noreturn]] void serve(const enforce::supervisor::Supervision& supervision, UniqueFd listener) {
  const sigset_t set = enforce::supervisor::signal_set();
  const UniqueFd signals(signalfd(-1, &set, SFD_CLOEXEC));
  const UniqueFd child(static_cast<int>(syscall(SYS_pidfd_open, supervision.child, 0)));
  static const PlanData kNoPlan;
  const PlanData& plan = supervision.plan ? *supervision.plan : kNoPlan;
  Notifications notifications(
      listener.get(), plan,
      enforce::seccomp_notify::JudgeState{supervision.child, supervision.exec_lock, false});
  std::optional<enforce::learn::Recorder> recorder;
  if (supervision.learn) recorder.emplace(listener.get(), supervision.learn->host_proc_fd);
  KillRecords kills(supervision);
  const bool is_init = ::getpid() == 1;
  std::optional<int> child_status;
  bool listening = static_cast<bool>(listener);

  for (;;) {
    if (child_status && (!listening || is_init)) break;
    pollfd fds[3] = {{signals.get(), POLLIN, 0},
                     {listening ? listener.get() : -1, POLLIN, 0},
                     {kills.fd(), POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) continue;  // EINTR
    if (fds[1].revents & POLLIN) {
      if (recorder) {
        recorder->answer();
      } else {
        notifications.answer();
      }
    }
    if (fds[1].revents & (POLLHUP | POLLERR | POLLNVAL) && !(fds[1].revents & POLLIN)) {
      listening = false;  // no task uses the filter any more
    }
    if (fds[2].revents & POLLIN) kills.drain();
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signals.get(), &info, sizeof info) != sizeof info) continue;
      if (info.ssi_signo != SIGCHLD) {
        if (!child_status) {
          syscall(SYS_pidfd_send_signal, child.get(), static_cast<int>(info.ssi_signo), nullptr, 0);
        }
        continue;
      }
      // Reaps everything that has ended (orphans too, when harden is PID 1 of a namespace).
      for (;;) {
        int status = 0;
        const pid_t done = waitpid(-1, &status, WNOHANG);
        if (done <= 0) break;
        if (done == supervision.child) child_status = status;
      }
    }
  }
  const int status = *child_status;
  const bool killed_by_filter =
      (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) ||
      (supervision.child_is_init && WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGSYS);
  if (killed_by_filter && !is_init) {
    kills.drain();
    kills.await_kill_of_target();
  }
  if (supervision.learn) {
    // Everything that used the filter is gone (or harden is PID 1, which cannot record).
    enforce::learn::Recorder empty(-1, -1);
    // Back to the host's view (the target's pivot_root may have moved this process's root),
    // where the draft is written and the files it names are looked at.
    const LearnSink& sink = *supervision.learn;
    if (sink.host_root_fd >= 0 && (::fchdir(sink.host_root_fd) != 0 || ::chroot(".") != 0)) {
      say(std::string("harden learn: cannot return to the host's root: ") + std::strerror(errno) +
          "\n");
    }
    if (sink.host_cwd_fd >= 0 && ::fchdir(sink.host_cwd_fd) != 0) {
      say(std::string("harden learn: cannot return to the working directory: ") +
          std::strerror(errno) + "\n");
    }
    const int code = supervision.learn->finish(
        recorder ? recorder->observations() : empty.observations(), status);
    if (code >= 0) _exit(code);
  }
  exit_like(status);
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

[[noreturn]] void run(const Supervision& supervision) {
  // The supervisor holds nothing the target needs: close everything but stdio, the
  // kill-record reader and harden learn's handles on the host's view.
  std::vector<int> keep{supervision.kill_records};
  if (supervision.learn) {
    keep.insert(keep.end(), {supervision.learn->host_root_fd, supervision.learn->host_cwd_fd,
                             supervision.learn->host_proc_fd});
  }
  std::erase_if(keep, [](int fd) { return fd < 3; });
  std::sort(keep.begin(), keep.end());
  unsigned next = 3;
  for (const int fd : keep) {
    if (static_cast<unsigned>(fd) > next) {
      syscall(SYS_close_range, next, static_cast<unsigned>(fd - 1), 0U);
    }
    next = static_cast<unsigned>(fd) + 1;
  }
  syscall(SYS_close_range, next, ~0U, 0U);
  UniqueFd listener;
  if (supervision.link) {
    listener =
        take_listener(supervision.child, *supervision.link, supervision.listener_in_grandchild,
                      supervision.learn ? supervision.learn->host_proc_fd : -1);
  }
  serve(supervision, std::move(listener));
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
