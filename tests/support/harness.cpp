#include "tests/support/harness.hpp"

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <catch2/catch.hpp>

#ifndef HARDEN_SKIP_CODE
#error "HARDEN_SKIP_CODE must be defined by the build"
#endif

extern char** environ;

namespace harden::test {
namespace {

using Clock = std::chrono::steady_clock;

// After the child exits, how long to keep reading output that a grandchild may still hold.
constexpr auto kDrainGrace = std::chrono::seconds(2);

[[noreturn]] void throw_errno(const std::string& what, int err = errno) {
  throw std::system_error(err, std::generic_category(), what);
}

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read, write;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  return {Fd(fds[0]), Fd(fds[1])};
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Finds a program the way execvp would, but before the fork.
std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  while (true) {
    size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return name;  // execve fails with ENOENT and run() reports it
}

std::vector<std::string> build_environment(const RunOptions& options) {
  std::vector<std::string> env;
  if (!options.clear_env)
    for (char** e = environ; e != nullptr && *e != nullptr; ++e)
      env.emplace_back(*e);
  for (const std::string& entry : options.env) {
    std::string_view name = std::string_view(entry).substr(0, entry.find('='));
    std::erase_if(env, [&](const std::string& existing) {
      return existing.size() > name.size() && existing.compare(0, name.size(), name) == 0 &&
             existing[name.size()] == '=';
    });
    env.push_back(entry);
  }
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// What the child reports through the status pipe when it cannot exec.
struct ChildFailure {
  int step;  // index into kChildSteps
  int err;
};
constexpr const char* kChildSteps[] = {"set up stdio", "leak descriptor", "chdir", "execve",
                                       "setpgid"};

struct ChildSetup {
  const char* program;
  char** argv;
  char** envp;
  int stdin_fd;  // -1: /dev/null
  int stdout_fd;
  int stderr_fd;
  int status_fd;
  const std::vector<int>* leaked_fds;
  const std::vector<std::pair<int, const char*>>* leaked_paths;
  const char* working_dir;  // nullptr: unchanged
  bool new_process_group;
};

[[noreturn]] void child_fail(int status_fd, int step) {
  ChildFailure failure{step, errno};
  (void)!::write(status_fd, &failure, sizeof failure);
  ::_exit(127);
}

// Runs between fork and exec: only async-signal-safe calls.
[[noreturn]] void child_exec(const ChildSetup& s) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);

  int status_fd = s.status_fd;
  int in = s.stdin_fd >= 0 ? s.stdin_fd : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in < 0 || ::dup2(in, 0) < 0 || ::dup2(s.stdout_fd, 1) < 0 || ::dup2(s.stderr_fd, 2) < 0)
    child_fail(status_fd, 0);

  // Nothing of the test process leaks into the program except what was asked for.
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    for (int fd = 3; fd < 4096; ++fd)
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);

  int highest_leak = 2;
  for (int fd : *s.leaked_fds)
    highest_leak = fd > highest_leak ? fd : highest_leak;
  for (const auto& [fd, path] : *s.leaked_paths)
    highest_leak = fd > highest_leak ? fd : highest_leak;
  if (status_fd <= highest_leak) {
    status_fd = ::fcntl(status_fd, F_DUPFD_CLOEXEC, highest_leak + 1);
    if (status_fd < 0) ::_exit(127);
  }
  for (int fd : *s.leaked_fds) {
    int null_fd = ::open("/dev/null", O_RDWR);  // deliberately without O_CLOEXEC
    if (null_fd < 0) child_fail(status_fd, 1);
    if (null_fd != fd) {
      if (::dup2(null_fd, fd) < 0) child_fail(status_fd, 1);  // dup2 clears FD_CLOEXEC
      ::close(null_fd);
    }
  }
  for (const auto& [fd, path] : *s.leaked_paths) {
    int opened = ::open(path, O_RDONLY);  // deliberately without O_CLOEXEC
    if (opened < 0) child_fail(status_fd, 1);
    if (opened != fd) {
      if (::dup2(opened, fd) < 0) child_fail(status_fd, 1);
      ::close(opened);
    }
  }

  if (s.working_dir != nullptr && ::chdir(s.working_dir) != 0) child_fail(status_fd, 2);
  if (s.new_process_group && ::setpgid(0, 0) != 0) child_fail(status_fd, 4);
  ::execve(s.program, s.argv, s.envp);
  child_fail(status_fd, 3);
}

void ignore_sigpipe_once() {
  static const bool done = [] {
    ::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : std::to_string(sig);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Calls fn(key, value) for each `key: value` line.
template <typename Fn>
void for_each_probe_line(std::string_view output, Fn&& fn) {
  while (!output.empty()) {
    size_t end = output.find('\n');
    std::string_view line = output.substr(0, end);
    output.remove_prefix(end == std::string_view::npos ? output.size() : end + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    fn(line.substr(0, colon), trim(line.substr(colon + 1)));
  }
}

// Live TempDirs, so that skip(), which exits without unwinding the stack, removes them too.
std::set<std::string>& live_temp_dirs() {
  static std::set<std::string> dirs;
  return dirs;
}

// Removes a temp directory without ever leaving its filesystem or following a link: a bind
// mount a test left inside it (a jail's /usr, a read-write /tmp) is detached, and what is
// behind any mount that will not detach is left alone rather than deleted from the host.
int remove_entry(const char* path, const struct stat*, int type, struct FTW*) {
  if (type == FTW_DP) {
    ::rmdir(path);
  } else {
    ::unlink(path);
  }
  return 0;  // keep going; anything left is reported afterwards
}

void remove_tree(const std::string& path) {
  if (path.rfind("/tmp/", 0) != 0 || path.find("/..") != std::string::npos) {
    std::fprintf(stderr, "warning: refusing to remove %s (not a temp dir)\n", path.c_str());
    return;
  }
  // Detach every mount below the temp dir first (deepest first, as mountinfo lists them
  // in mount order).
  std::vector<std::string> mounts;
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    if (mount_point.rfind(path + "/", 0) == 0 || mount_point == path) mounts.push_back(mount_point);
  }
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it)
    ::umount2(it->c_str(), MNT_DETACH);
  // FTW_MOUNT: stay on the temp dir's filesystem; FTW_PHYS: never follow symlinks.
  ::nftw(path.c_str(), remove_entry, 32, FTW_DEPTH | FTW_MOUNT | FTW_PHYS);
  if (::access(path.c_str(), F_OK) == 0) {
    std::fprintf(stderr, "warning: could not remove all of %s\n", path.c_str());
  }
}

void remove_live_temp_dirs() {
  for (const std::string& dir : live_temp_dirs())
    remove_tree(dir);
  live_temp_dirs().clear();
}

}  // namespace

// ---- paths ----------------------------------------------------------------------------------

std::string harden_binary() {
  return HARDEN_BINARY;
}
std::string probe_binary() {
  // Static: removed when the test process exits (or skips).
  static const TempDir dir("harden-probe");
  static const std::string copy = [] {
    dir.chmod(0755);
    const std::string path = dir.file("harden_probe");
    copy_file(HARDEN_PROBE, path, 0755);
    return path;
  }();
  return copy;
}
std::string source_dir() {
  return HARDEN_SOURCE_DIR;
}

// ---- skipping -------------------------------------------------------------------------------

void skip(const std::string& why) {
  const char* must_run = std::getenv("HARDEN_TESTS_MUST_RUN");
  if (must_run != nullptr && std::string_view(must_run) == "1") {
    std::fprintf(stderr, "must run: %s\n", why.c_str());
    FAIL("must run: " << why);
    std::exit(1);  // FAIL throws; reached only outside a running test case
  }
  std::fprintf(stderr, "SKIPPED: %s\n", why.c_str());
  std::fflush(nullptr);
  remove_live_temp_dirs();
  std::exit(HARDEN_SKIP_CODE);
}

void require_root() {
  if (::geteuid() != 0) skip("needs root (effective uid is " + std::to_string(::geteuid()) + ")");
}

// ---- files ----------------------------------------------------------------------------------

TempDir::TempDir(std::string_view prefix) {
  std::string pattern = "/tmp/" + std::string(prefix) + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp " + pattern);
  path_ = std::move(pattern);
  live_temp_dirs().insert(path_);
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  remove_tree(path_);
  live_temp_dirs().erase(path_);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    TempDir discard(std::move(*this));
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

std::string TempDir::file(std::string_view relative) const {
  return path_ + "/" + std::string(relative);
}

std::string TempDir::mkdir(std::string_view relative, mode_t mode) const {
  std::string dir = file(relative);
  std::filesystem::create_directories(dir);
  if (::chmod(dir.c_str(), mode) != 0) throw_errno("chmod " + dir);
  return dir;
}

void TempDir::chmod(mode_t mode) const {
  if (::chmod(path_.c_str(), mode) != 0) throw_errno("chmod " + path_);
}

void write_file(const std::string& path, std::string_view content, mode_t mode) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) throw_errno("open " + path);
  if (::fchmod(fd.get(), mode) != 0) throw_errno("fchmod " + path);
  if (!write_all(fd.get(), content)) throw_errno("write " + path);
}

std::string read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw_errno("open " + path);
  std::string content;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read " + path);
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  return content;
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

void copy_file(const std::string& from, const std::string& to, mode_t mode) {
  write_file(to, read_file(from), mode);
}

std::string write_policy(const TempDir& dir, std::string name, std::string_view toml_text) {
  if (!name.ends_with(".toml")) name += ".toml";
  std::string path = dir.file(name);
  write_file(path, toml_text, 0644);
  return path;
}

std::string unique_name(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  return std::string(prefix) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1));
}

// ---- running programs -----------------------------------------------------------------------

std::string RunResult::describe() const {
  std::string s;
  if (term_signal != 0)
    s = "killed by " + signal_name(term_signal);
  else
    s = "exited with " + std::to_string(exit_code);
  if (timed_out) s += " (timed out, killed by the harness)";
  s += "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
  return s;
}

RunResult run(std::vector<std::string> argv, const RunOptions& options) {
  if (argv.empty()) throw std::invalid_argument("run: empty argv");
  ignore_sigpipe_once();

  std::string program = resolve_program(argv[0]);
  std::vector<std::string> env = build_environment(options);
  std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_env = c_strings(env);

  Pipe out = make_pipe(), err = make_pipe(), status = make_pipe();
  Pipe in;
  if (options.stdin_data) in = make_pipe();

  std::vector<std::pair<int, const char*>> leaked_paths;
  for (const auto& [fd, path] : options.leaked_paths)
    leaked_paths.emplace_back(fd, path.c_str());

  ChildSetup setup{program.c_str(),
                   c_argv.data(),
                   c_env.data(),
                   in.read.get(),
                   out.write.get(),
                   err.write.get(),
                   status.write.get(),
                   &options.leaked_fds,
                   &leaked_paths,
                   options.working_dir.empty() ? nullptr : options.working_dir.c_str(),
                   options.new_process_group};

  const auto deadline = Clock::now() + options.timeout;
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) child_exec(setup);
  // Also set here, so a kill of the group cannot race with the child's own setpgid.
  if (options.new_process_group) ::setpgid(pid, pid);

  in.read.reset();
  out.write.reset();
  err.write.reset();
  status.write.reset();

  // The status pipe closes on a successful exec, or carries why the child could not start.
  ChildFailure failure{};
  ssize_t got;
  do {
    got = ::read(status.read.get(), &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof failure)) {
    int wstatus;
    ::waitpid(pid, &wstatus, 0);
    throw std::system_error(failure.err, std::generic_category(),
                            "run " + argv[0] + ": cannot " + kChildSteps[failure.step]);
  }

  RunResult result;
  result.pid = pid;
  std::string_view pending_stdin;
  if (options.stdin_data) {
    pending_stdin = *options.stdin_data;
    if (::fcntl(in.write.get(), F_SETFL, O_NONBLOCK) != 0) throw_errno("fcntl O_NONBLOCK");
    if (pending_stdin.empty()) in.write.reset();
  }

  bool reaped = false, killed = false;
  int wstatus = 0;
  Clock::time_point stop_reading = Clock::time_point::max();
  auto kill_child = [&] {
    ::kill(options.new_process_group ? -pid : pid, SIGKILL);
    killed = true;
    result.timed_out = true;
    stop_reading = std::min(stop_reading, Clock::now() + kDrainGrace);
  };

  while (out.read.valid() || err.read.valid() || in.write.valid()) {
    auto now = Clock::now();
    if (!killed && now >= deadline) kill_child();
    if (!reaped && ::waitpid(pid, &wstatus, WNOHANG) == pid) {
      reaped = true;
      in.write.reset();  // nobody left to read it
      stop_reading = std::min(stop_reading, now + kDrainGrace);
    }
    if (now >= stop_reading) break;  // a grandchild holds the pipes open

    pollfd fds[3];
    Fd* owners[3];
    nfds_t n = 0;
    for (Fd* fd : {&out.read, &err.read}) {
      if (!fd->valid()) continue;
      fds[n] = {fd->get(), POLLIN, 0};
      owners[n++] = fd;
    }
    if (in.write.valid()) {
      fds[n] = {in.write.get(), POLLOUT, 0};
      owners[n++] = &in.write;
    }
    auto limit = std::min(
        {deadline > now ? deadline : now, stop_reading, now + std::chrono::milliseconds(100)});
    int wait_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(limit - now).count());
    int ready = ::poll(fds, n, wait_ms < 1 ? 1 : wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (owners[i] == &in.write) {
        ssize_t w = ::write(in.write.get(), pending_stdin.data(), pending_stdin.size());
        if (w > 0) pending_stdin.remove_prefix(static_cast<size_t>(w));
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || pending_stdin.empty()) in.write.reset();
        continue;
      }
      char buf[16384];
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r > 0) {
        (owners[i] == &out.read ? result.out : result.err).append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        owners[i]->reset();
      }
    }
  }

  while (!reaped) {
    pid_t r = ::waitpid(pid, &wstatus, killed ? 0 : WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) throw_errno("waitpid");
    if (!killed && Clock::now() >= deadline) kill_child();
    if (!killed) ::usleep(10000);
  }

  if (WIFEXITED(wstatus)) {
    result.exit_code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    result.exit_code = -1;
    result.term_signal = WTERMSIG(wstatus);
  }
  return result;
}

std::string find_program(std::string_view name) {
  std::string found = resolve_program(std::string(name));
  if (found.find('/') != std::string::npos && ::access(found.c_str(), X_OK) == 0) return found;
  for (const char* dir : {"/usr/local/sbin", "/usr/sbin", "/sbin"}) {
    std::string candidate = std::string(dir) + "/" + std::string(name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

RunResult run_harden(std::vector<std::string> args, const RunOptions& options) {
  args.insert(args.begin(), harden_binary());
  return run(std::move(args), options);
}

RunResult run_probe(std::vector<std::string> args, const RunOptions& options) {
  args.insert(args.begin(), probe_binary());
  return run(std::move(args), options);
}

// ---- reading the probe's output ---------------------------------------------------------------

std::map<std::string, std::string> parse_probe(const std::string& output) {
  std::map<std::string, std::string> values;
  for_each_probe_line(output, [&](std::string_view key, std::string_view value) {
    values.emplace(std::string(key), std::string(value));  // keeps the first
  });
  return values;
}

std::vector<std::string> probe_values(const std::string& output, std::string_view key) {
  std::vector<std::string> values;
  for_each_probe_line(output, [&](std::string_view k, std::string_view value) {
    if (k == key) values.emplace_back(value);
  });
  return values;
}

std::vector<std::pair<std::string, std::string>> probe_env(const std::string& output) {
  std::vector<std::pair<std::string, std::string>> env;
  for (const std::string& entry : probe_values(output, "env")) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos)
      env.emplace_back(entry, "");
    else
      env.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

std::vector<std::string> split_fields(std::string_view value) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t'))
      ++i;
    size_t start = i;
    while (i < value.size() && value[i] != ' ' && value[i] != '\t')
      ++i;
    if (i > start) fields.emplace_back(value.substr(start, i - start));
  }
  return fields;
}

std::vector<int> parse_fd_list(std::string_view value) {
  std::vector<int> fds;
  value = trim(value);
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string item(trim(value.substr(0, comma)));
    size_t used = 0;
    int fd = std::stoi(item, &used);
    if (used != item.size()) throw std::invalid_argument("not a descriptor list: " + item);
    fds.push_back(fd);
    value.remove_prefix(comma == std::string_view::npos ? value.size() : comma + 1);
  }
  return fds;
}

AuditingOn::AuditingOn(bool on) {
  const RunResult status = run({"auditctl", "-s"});
  if (!status.exited(0)) throw std::runtime_error("auditctl -s failed: " + status.describe());
  std::istringstream lines(status.out);
  for (std::string key, value; lines >> key >> value;) {
    if (key == "enabled") previous_ = value;
  }
  if (previous_.empty()) throw std::runtime_error("auditctl -s names no 'enabled' state");
  if (previous_ != "2" && !run({"auditctl", "-e", on ? "1" : "0"}).exited(0)) {
    throw std::runtime_error("auditctl -e failed");
  }
}

AuditingOn::~AuditingOn() {
  if (previous_ != "2" && !previous_.empty()) (void)run({"auditctl", "-e", previous_});
}

}  // namespace harden::test
