// Support for tests/kernel/test_daemons.cpp: a real daemon started in the background under the
// real harden binary, its log in a file, its processes found by their host pids, and the
// small clients (a free loopback port, a TCP exchange) the tests talk to it with.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/harness.hpp"

namespace harden::test::daemons {

// A loopback TCP port nothing listens on right now (bound to port 0, read back, closed).
[[nodiscard]] int free_loopback_port(int type = 1 /* SOCK_STREAM */);

// Sends `request` to 127.0.0.1:port over TCP and reads until `until` appears in the answer,
// the peer closes, or the timeout passes. Returns what was read ("" when nothing answered).
[[nodiscard]] std::string tcp_exchange(int port, const std::string& request,
                                       const std::string& until,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Calls `ready` every 100 ms until it returns true or the timeout passes.
[[nodiscard]] bool wait_until(const std::function<bool()>& ready,
                              std::chrono::milliseconds timeout = std::chrono::seconds(20));

// The descendants of a process (children first, then theirs), read from
// /proc/PID/task/TID/children.
[[nodiscard]] std::vector<pid_t> descendants(pid_t pid);

// /proc/PID/status as key -> value.
[[nodiscard]] std::string proc_status_field(pid_t pid, const std::string& key);

// A program running in the background, stdout and stderr into `log`; killed with SIGKILL (its
// process group) and reaped if still running when the object dies, so a failed test leaves no
// process behind.
class Background {
 public:
  Background(std::vector<std::string> argv, std::string log, std::vector<std::string> env = {});
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool running();
  void signal(int sig) const;
  // Waits for the exit; returns false on timeout (the process is left running).
  bool wait(std::chrono::milliseconds timeout);
  [[nodiscard]] int exit_code() const { return exit_code_; }      // -1 when killed
  [[nodiscard]] int term_signal() const { return term_signal_; }  // 0 when it exited
  [[nodiscard]] std::string log() const;
  // A summary for test messages: status and the log.
  [[nodiscard]] std::string describe() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  int term_signal_ = 0;
  std::string log_;
};

// Removes a file when it goes out of scope (a secret planted on the host for a test).
struct RemoveFile {
  std::string path;
  ~RemoveFile();
};

}  // namespace harden::test::daemons
