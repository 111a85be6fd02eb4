// `harden learn`: a launch like any other (the same step table: identity, view, namespaces,
// limits, environment and fd hygiene of the base policy), with two differences. The seccomp
// step loads a filter that sends every native syscall to the supervisor as a user notification
// (calls of another architecture are killed, as under any policy), and there is neither
// Landlock nor the base's nftables firewall (their refusals would change what the target does,
// hiding what it needs; the draft writes both instead). The supervisor, harden's original process
// with the host's view, records each notification and lets the call proceed
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
//
// Why sound: a seccomp filter is inherited by every thread, child and exec'd program and
// cannot be removed, and a notification waits for the supervisor's answer, so no call is made
// unseen and none is dropped (the audit log's rate limit drops records; a notification cannot
// be dropped). The notification names the calling thread in the supervisor's PID namespace.
// Pointer arguments (paths, socket addresses) are read from the waiting thread's memory and the
// reading is kept only when SECCOMP_IOCTL_NOTIF_ID_VALID still holds afterwards, so a thread
// that died (and a pid reused) in between is not misread.
//
// Two answers differ from CONTINUE: clone3 gets ENOSYS, as it does under the draft (its flags
// live in memory no filter can read; the C library then uses clone, whose flags the draft's
// rule checks, and that fallback is what gets recorded); and nothing else.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/types.h>

#include <expected>
#include <string>
#include <unordered_map>
#include <vector>

#include "plan/learn_observations.hpp"
#include "plan/plan.hpp"

namespace harden {

// Receives the recording in the supervisor once the target and everything it started have
// stopped using the filter. Implemented by the command line (which writes the draft).
class LearnSink {
 public:
  virtual ~LearnSink() = default;
  // Handles on the host's view, opened before any step (O_CLOEXEC; the fds step closes them in
  // the target): the target's pivot_root moves the root of every process of its mount
  // namespace, the supervisor's too, and its /proc may then be the sandbox's. The recorder
  // reads /proc through `host_proc_fd`; before finish() the supervisor returns to `host_root_fd`
  // and `host_cwd_fd`. -1: not opened (the supervisor's view is used as it is).
  int host_root_fd = -1;
  int host_cwd_fd = -1;
  int host_proc_fd = -1;
  // `wait_status`: the target's, as waitpid() gives it. Returns the exit code harden leaves
  // with, or -1 to exit like the target.
  virtual int finish(const LearnObservations& observations, int wait_status) = 0;
};

namespace enforce::learn {

// readlinkat / openat beneath the host's /proc (`proc_fd`, or "/proc" when -1): "PID/cwd".
[[nodiscard]] std::string proc_readlink(int proc_fd, const std::string& relative);
[[nodiscard]] int proc_open(int proc_fd, const std::string& relative);

// Every native syscall notifies but exit and exit_group (in @default: always allowed), so that a
// task can always leave, also when no supervisor ever answers; another architecture (and x32
// on x86_64) kills the process.
[[nodiscard]] std::vector<sock_filter> record_all_program();

// The base plan for a learning launch: its filter replaced by record_all_program(), no
// Landlock (no path rules, ports, scopes or exec lock), no firewall.
[[nodiscard]] std::expected<Plan, std::string> learning_plan(const Plan& base);

// Answers and records notifications; one per supervisor.
class Recorder {
 public:
  // `proc_fd`: the host's /proc (LearnSink::host_proc_fd), or -1 for "/proc".
  Recorder(int listener, int proc_fd);
  // Receives one notification, records it and answers it.
  void answer();
  [[nodiscard]] const LearnObservations& observations() const { return observations_; }
  [[nodiscard]] LearnObservations& observations() { return observations_; }

 private:
  void record(const seccomp_notif& notif);
  const std::string& program_of(pid_t tid);

  int listener_;
  int proc_fd_;
  std::vector<unsigned char> notif_;
  std::vector<unsigned char> resp_;
  LearnObservations observations_;
  std::unordered_map<pid_t, std::string> programs_;  // tid -> executable basename
  std::vector<LearnedSyscall*> by_number_;           // into observations_.syscalls
};

}  // namespace enforce::learn

}  // namespace harden
