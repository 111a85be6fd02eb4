// See tests/support/daemons.hpp.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/support/daemons.hpp"

namespace harden::test::daemons {
namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

}  // namespace

int free_loopback_port(int type) {
  Fd sock(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  if (sock.fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in addr = loopback(0);
  if (::bind(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::system_error(errno, std::generic_category(), "bind");
  socklen_t len = sizeof addr;
  if (::getsockname(sock.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::system_error(errno, std::generic_category(), "getsockname");
  return ntohs(addr.sin_port);
}

std::string tcp_exchange(int port, const std::string& request, const std::string& until,
                         std::chrono::milliseconds timeout) {
  Fd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (sock.fd < 0) return {};
  sockaddr_in addr = loopback(port);
  if (::connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  if (::send(sock.fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    return {};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string answer;
  char buf[4096];
  while (answer.find(until) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{sock.fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(sock.fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  return answer;
}

bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (ready()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::vector<pid_t> descendants(pid_t pid) {
  std::vector<pid_t> found;
  std::vector<pid_t> todo{pid};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    std::ifstream children("/proc/" + std::to_string(p) + "/task/" + std::to_string(p) +
                           "/children");
    pid_t child = 0;
    while (children >> child) {
      found.push_back(child);
      todo.push_back(child);
    }
  }
  return found;
}

std::string proc_status_field(pid_t pid, const std::string& key) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, key.size() + 1, key + ":") != 0) continue;
    std::string value = line.substr(key.size() + 1);
    const size_t start = value.find_first_not_of(" \t");
    return start == std::string::npos ? std::string() : value.substr(start);
  }
  return {};
}

Background::Background(std::vector<std::string> argv, std::string log, std::vector<std::string> env)
    : log_(std::move(log)) {
  const int out = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) throw std::system_error(errno, std::generic_category(), "open " + log_);
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  // The given entries, then the test's own environment less the names they set.
  const size_t given = env.size();
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('=') + 1);
    bool overridden = false;
    for (size_t i = 0; i < given; ++i)
      overridden |= env[i].compare(0, name.size(), name) == 0;
    if (!overridden) env.push_back(entry);
  }
  std::vector<char*> envp;
  for (auto& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(out);
    throw std::system_error(errno, std::generic_category(), "fork");
  }
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
  ::close(out);
}

Background::~Background() {
  if (pid_ > 0 && !reaped_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

bool Background::running() {
  if (reaped_) return false;
  return !wait(std::chrono::milliseconds(0));
}

void Background::signal(int sig) const {
  if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

bool Background::wait(std::chrono::milliseconds timeout) {
  if (reaped_) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) term_signal_ = WTERMSIG(status);
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string Background::log() const {
  try {
    return read_file(log_);
  } catch (const std::exception&) {
    return {};
  }
}

std::string Background::describe() const {
  std::ostringstream s;
  if (!reaped_)
    s << "still running";
  else if (term_signal_)
    s << "killed by signal " << term_signal_;
  else
    s << "exit " << exit_code_;
  s << "\n--- log ---\n" << log();
  return s.str();
}

RemoveFile::~RemoveFile() {
  if (!path.empty()) ::unlink(path.c_str());
}

std::vector<std::string> policy_path_env() {
  return {"HARDEN_POLICY_PATH=" + source_dir() + "/policies"};
}

DaemonBox::DaemonBox(const std::string& prefix, std::string daemon_user)
    : dir(prefix), user(std::move(daemon_user)), name(unique_name("t-" + prefix)) {
  dir.chmod(0755);
  data = dir.mkdir("data", 0750);
}

void DaemonBox::own_data() const {
  RunResult r = run({"chown", "-R", user + ":", data});
  if (!r.exited(0)) throw std::runtime_error("chown: " + r.describe());
}

void DaemonBox::write_overlay(const std::string& shipped, const std::string& extra_toml) {
  overlay = write_policy(
      dir, "overlay",
      "[policy]\nname = \"" + name + "\"\nextends = [\"" + shipped + "\"]\n" + extra_toml);
}

std::vector<std::string> DaemonBox::harden_argv(std::vector<std::string> command) const {
  std::vector<std::string> argv{harden_binary(), "--policy", overlay, "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

RunResult DaemonBox::as_user(std::vector<std::string> command,
                             std::chrono::milliseconds timeout) const {
  std::vector<std::string> argv{"setpriv", "--reuid",        user, "--regid",
                                user,      "--clear-groups", "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  RunOptions options;
  options.timeout = timeout;
  options.clear_env = true;
  options.env = {"PATH=/usr/bin:/bin"};
  return run(argv, options);
}

void DaemonBox::check_down() const {
  RunOptions options;
  options.env = policy_path_env();
  CHECK(run_harden({"down", "--policy", overlay}, options).exited(0));
  CHECK_FALSE(nft_table_exists(name));
}

FirewallDown::~FirewallDown() {
  if (policy.empty()) return;
  RunOptions options;
  options.env = policy_path_env();
  (void)run_harden({"down", "--policy", policy}, options);
}

bool nft_table_exists(const std::string& policy_name) {
  return run({"nft", "list", "table", "inet", "harden_" + policy_name}).exited(0);
}

bool any_alive(const std::vector<pid_t>& pids) {
  for (pid_t p : pids)
    if (::kill(p, 0) == 0) return true;
  return false;
}

pid_t daemon_host_pid(pid_t harden) {
  std::vector<pid_t> below = descendants(harden);
  return below.size() >= 2 ? below[1] : -1;
}

void check_confined(pid_t pid, const std::string& uid) {
  INFO("pid " << pid);
  const std::string uids = proc_status_field(pid, "Uid");
  CHECK(split_fields(uids) == std::vector<std::string>{uid, uid, uid, uid});
  CHECK(proc_status_field(pid, "CapEff") == "0000000000000000");
  CHECK(proc_status_field(pid, "CapPrm") == "0000000000000000");
  CHECK(proc_status_field(pid, "CapBnd") == "0000000000000000");
  CHECK(proc_status_field(pid, "NoNewPrivs") == "1");
  CHECK(proc_status_field(pid, "Seccomp") == "2");
  CHECK(split_fields(proc_status_field(pid, "NSpid")).size() == 2);
}

std::string http_get(int port, const std::string& path) {
  RunResult r = run({"curl", "-s", "-m", "5", "-w", "\n%{http_code}",
                     "http://127.0.0.1:" + std::to_string(port) + path});
  return r.out;
}

std::string uid_of(const std::string& user) {
  RunResult r = run({"id", "-u", user});
  return r.exited(0) ? std::string(r.out.substr(0, r.out.find('\n'))) : std::string();
}

}  // namespace harden::test::daemons
