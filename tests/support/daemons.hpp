// Support for tests/kernel/test_daemons_*.cpp: a real daemon started in the background under the
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

// ---- a shipped policy under test ---------------------------------------------------------

// HARDEN_POLICY_PATH=<source>/policies: where an overlay's `extends` finds the shipped policy.
[[nodiscard]] std::vector<std::string> policy_path_env();

// A temporary directory for one daemon: enterable by the daemon's user, the data directory
// inside it owned by that user, and the overlay policy beside it. The overlay extends the
// shipped policy and changes only what a test must (its name, so its firewall table is the
// test's own; the data directory; the Landlock port).
struct DaemonBox {
  TempDir dir;
  std::string user;
  std::string data;
  std::string name;  // the overlay policy's name: its nft table is harden_<name>
  std::string overlay;

  DaemonBox(const std::string& prefix, std::string daemon_user);
  // Gives the data directory (and everything in it) to the daemon's user.
  void own_data() const;
  // Writes the overlay: the shipped policy with the data directory and port changed.
  void write_overlay(const std::string& shipped, const std::string& extra_toml);
  [[nodiscard]] std::vector<std::string> harden_argv(std::vector<std::string> command) const;
  // `harden down` of the overlay succeeds and its firewall table is gone (Catch checks).
  void check_down() const;
  // Runs a command on the host as the daemon's user (a control: the host would let it).
  [[nodiscard]] RunResult as_user(
      std::vector<std::string> command,
      std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
};

// Removes a policy's firewall table (harden down) when the test ends, pass or fail; refers to
// the policy path, which may be written after this guard is made (nothing when still empty).
struct FirewallDown {
  const std::string& policy;
  ~FirewallDown();
};

[[nodiscard]] bool nft_table_exists(const std::string& policy_name);
[[nodiscard]] bool any_alive(const std::vector<pid_t>& pids);
// The daemon's main process as the host sees it: harden -> PID 1 of the namespace -> target.
[[nodiscard]] pid_t daemon_host_pid(pid_t harden);
// What /proc says of a confined daemon process (Catch checks): its user, no capability, no new
// privileges, a seccomp filter, and a PID namespace of its own (NSpid has two levels).
void check_confined(pid_t pid, const std::string& uid);
// curl's body and, on the last line, the HTTP status of GET 127.0.0.1:port/path.
[[nodiscard]] std::string http_get(int port, const std::string& path);
// A user's uid as text ("" when there is no such user).
[[nodiscard]] std::string uid_of(const std::string& user);

}  // namespace harden::test::daemons
