// Helpers shared by the unit and kernel tests: temporary directories, running a program
// with captured output and a hard timeout, reading the probe's reports, and skipping
// honestly when the machine cannot run a test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace harden::test {

// Exit codes of tests/probe/probe.c (kept in sync by test_probe_selfcheck.cpp).
inline constexpr int kProbeExitOk = 0;
inline constexpr int kProbeExitErrno = 10;
inline constexpr int kProbeExitUsage = 64;

// ---- paths (from the build) ---------------------------------------------------------------

[[nodiscard]] std::string harden_binary();
// The probe, copied once per test process into a directory every user may enter: a target
// that runs as another user must reach it even from a build tree inside a 0700 directory.
[[nodiscard]] std::string probe_binary();
[[nodiscard]] std::string source_dir();

// ---- skipping -----------------------------------------------------------------------------

// Says why on stderr ("SKIPPED: why") and exits with the CTest skip code. With
// HARDEN_TESTS_MUST_RUN=1 in the environment the skip is a failure instead ("must run: why").
[[noreturn]] void skip(const std::string& why);
// Skips unless the effective uid is 0.
void require_root();

// ---- files --------------------------------------------------------------------------------

// A fresh directory under /tmp (mode 0700 unless chmod'ed), removed with its contents when
// the object dies (or when skip() exits). Never follows symlinks while removing.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "harden-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;

  [[nodiscard]] const std::string& path() const { return path_; }
  // path() + "/" + relative
  [[nodiscard]] std::string file(std::string_view relative) const;
  // Creates a subdirectory (and parents) with the given mode; returns its path.
  std::string mkdir(std::string_view relative, mode_t mode = 0755) const;
  // Changes the mode of the directory itself (e.g. 0755 so an unprivileged target can enter).
  void chmod(mode_t mode) const;

 private:
  std::string path_;
};

// Writes (truncating) a file with the given mode. Throws std::system_error on failure.
void write_file(const std::string& path, std::string_view content, mode_t mode = 0644);
// Reads a whole file. Throws std::system_error on failure.
[[nodiscard]] std::string read_file(const std::string& path);
[[nodiscard]] bool path_exists(const std::string& path);
// Copies a file (e.g. the static probe into a chroot jail) and sets its mode.
void copy_file(const std::string& from, const std::string& to, mode_t mode = 0755);

// Writes a policy into dir; ".toml" is appended to name when it lacks it. Returns its path.
std::string write_policy(const TempDir& dir, std::string name, std::string_view toml_text);

// prefix-<pid>-<counter>: a name for host objects (nft tables, users, files) that does not
// collide between tests running in parallel.
[[nodiscard]] std::string unique_name(std::string_view prefix);

// ---- running programs ---------------------------------------------------------------------

struct RunOptions {
  // NAME=VALUE entries added to (or replacing in) the environment.
  std::vector<std::string> env{};
  // Start from an empty environment instead of the test's own.
  bool clear_env = false;
  // Data for stdin; without it stdin is /dev/null.
  std::optional<std::string> stdin_data{};
  // Descriptor numbers opened on /dev/null in the child WITHOUT close-on-exec, so the program
  // inherits them (to test descriptor hygiene). Every other descriptor above 2 is closed.
  std::vector<int> leaked_fds{};
  // Like leaked_fds, but each descriptor is opened (O_RDONLY, without close-on-exec) on the
  // given path: a directory, to test that a leaked directory handle leads nowhere.
  std::vector<std::pair<int, std::string>> leaked_paths{};
  // Working directory of the child; empty means the test's own.
  std::string working_dir{};
  // Make the child a process-group leader (as a shell with job control does). On timeout the
  // whole group is killed.
  bool new_process_group = false;
  // The child is killed with SIGKILL after this long; a test never hangs.
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
};

struct RunResult {
  int exit_code = -1;    // exit status, or -1 when killed by a signal
  int term_signal = 0;   // the signal that killed the program, 0 when it exited
  std::string out, err;  // everything written on stdout and stderr
  bool timed_out = false;
  pid_t pid = -1;  // the child's pid (argv[0] keeps it across exec)

  [[nodiscard]] bool exited(int code) const { return term_signal == 0 && exit_code == code; }
  [[nodiscard]] bool killed_by(int sig) const { return term_signal == sig; }
  // A summary for test messages: status, signal name, stdout and stderr.
  [[nodiscard]] std::string describe() const;
};

// Forks and execs argv (no shell; a name without '/' is looked up in PATH) and waits for it,
// capturing stdout and stderr. Throws std::system_error when the program cannot be started.
[[nodiscard]] RunResult run(std::vector<std::string> argv, const RunOptions& options = {});

// The path of a program found in PATH (or the usual sbin directories), or "" when absent.
[[nodiscard]] std::string find_program(std::string_view name);

// run() with harden_binary() / probe_binary() as argv[0].
[[nodiscard]] RunResult run_harden(std::vector<std::string> args, const RunOptions& options = {});
[[nodiscard]] RunResult run_probe(std::vector<std::string> args, const RunOptions& options = {});

// ---- host state -----------------------------------------------------------------------------

// Turns kernel auditing on (`auditctl -e 1`, or off with `on` false) for the life of the
// object and restores the previous state afterwards; a locked configuration (enabled 2) is left
// as it is (locked()).
class AuditingOn {
 public:
  explicit AuditingOn(bool on = true);
  [[nodiscard]] bool locked() const { return previous_ == "2"; }
  ~AuditingOn();
  AuditingOn(const AuditingOn&) = delete;
  AuditingOn& operator=(const AuditingOn&) = delete;

 private:
  std::string previous_;
};

// ---- reading the probe's output ------------------------------------------------------------

// `key: value` lines into a map; the value is trimmed of surrounding blanks and tabs. When a
// key repeats, the first value is kept (use probe_values for repeated keys such as env).
[[nodiscard]] std::map<std::string, std::string> parse_probe(const std::string& output);
// Every value of a key, in order.
[[nodiscard]] std::vector<std::string> probe_values(const std::string& output,
                                                    std::string_view key);
// The `env: NAME=VALUE` lines as (NAME, VALUE) pairs, in environ order.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> probe_env(const std::string& output);
// Splits a value on blanks and tabs ("0\t0\t0\t0" -> {"0","0","0","0"}).
[[nodiscard]] std::vector<std::string> split_fields(std::string_view value);
// "0,1,2,5" -> {0,1,2,5}; an empty string gives an empty list.
[[nodiscard]] std::vector<int> parse_fd_list(std::string_view value);

}  // namespace harden::test
