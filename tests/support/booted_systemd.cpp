#include "tests/support/booted_systemd.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace harden::test {

namespace {

// Where this host mounts the cgroup2 hierarchy: /sys/fs/cgroup (unified) or
// /sys/fs/cgroup/unified (hybrid, as on these CI machines). Empty when there is none.
std::string cgroup2_root() {
  for (const char* path : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    struct statfs fs {};
    if (statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) return path;
  }
  return {};
}

int remove_directory(const char* path, const struct stat*, int type, struct FTW*) {
  if (type == FTW_DP) rmdir(path);
  return 0;
}

// The first child of `parent` (unshare --fork's child, which execs systemd).
pid_t first_child(pid_t parent) {
  std::ifstream in("/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) +
                   "/children");
  pid_t child = -1;
  in >> child;
  return in ? child : -1;
}

std::string comm_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

// Runs inside the new namespaces, before systemd: a private /run (the units live there), a
// cgroup2 mount that shows only the delegated subtree, a loopback of its own (the network
// namespace is private too, so no host firewall or port is involved), and a target that pulls in
// nothing. The filesystem is the host's, so no unit of the host may run in here: the boot targets
// and everything the host's targets want (systemd-tmpfiles-setup would empty the host's /tmp,
// systemd-sysctl would rewrite its sysctls) are masked, and the test units have
// DefaultDependencies=no, so an accidental dependency fails instead of running.
constexpr const char* kBootScript = R"(set -e
mount -t tmpfs -o mode=0755 tmpfs /run
ip link set lo up
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p /run/systemd/system
for unit in /lib/systemd/system/*.wants/* /etc/systemd/system/*.wants/* \
    /lib/systemd/system/systemd-tmpfiles* /lib/systemd/system/systemd-sysctl.service \
    /lib/systemd/system/systemd-journald* /lib/systemd/system/systemd-udev*; do
  [ -e "$unit" ] || [ -L "$unit" ] || continue
  ln -sf /dev/null "/run/systemd/system/${unit##*/}"
done
for target in sysinit basic sockets timers paths local-fs local-fs-pre swap multi-user \
    graphical default rescue emergency network network-online getty; do
  ln -sf /dev/null "/run/systemd/system/$target.target"
done
printf '[Unit]\nDescription=harden test\nDefaultDependencies=no\n' \
  > /run/systemd/system/harden-test.target
exec env -i container=harden-test /lib/systemd/systemd --system --unit=harden-test.target \
  --log-target=console --log-level=notice
)";

}  // namespace

BootedSystemd::BootedSystemd() {
  require_root();
  if (!path_exists("/lib/systemd/systemd")) skip("systemd is not installed (/lib/systemd/systemd)");
  for (const char* tool : {"unshare", "nsenter", "systemctl"}) {
    if (find_program(tool).empty()) skip(std::string(tool) + " is not installed");
  }
  const std::string root = cgroup2_root();
  if (root.empty()) skip("no cgroup2 hierarchy: systemd cannot manage services here");
  cgroup_ = root + "/" + unique_name("harden-systemd");
  if (::mkdir(cgroup_.c_str(), 0755) != 0) {
    skip("cannot create a cgroup under " + root + ": " + std::strerror(errno));
  }
  const std::string log = dir_.file("console.log");
  const std::string procs = cgroup_ + "/cgroup.procs";
  const std::string unshare = find_program("unshare");
  unshare_pid_ = fork();
  if (unshare_pid_ < 0) throw std::runtime_error("fork failed");
  if (unshare_pid_ == 0) {
    // In the delegated cgroup before unsharing, so the cgroup namespace is rooted there.
    const int cg = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (cg < 0 || ::write(cg, "0", 1) != 1) _exit(126);
    ::close(cg);
    setsid();
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || null < 0) _exit(126);
    dup2(null, 0), dup2(out, 1), dup2(out, 2);
    closefrom(3);
    execl(unshare.c_str(), "unshare", "--cgroup", "--net", "--pid", "--fork", "--mount",
          "--mount-proc", "--propagation", "private", "/bin/sh", "-c", kBootScript,
          static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t child = first_child(unshare_pid_);
    if (child > 0 && comm_of(child) == "systemd") {
      systemd_pid_ = child;
      const RunResult state = systemctl({"is-system-running"});
      if (state.out.starts_with("running") || state.out.starts_with("degraded")) return;
    }
    int status = 0;
    if (waitpid(unshare_pid_, &status, WNOHANG) == unshare_pid_) {
      unshare_pid_ = -1;
      throw std::runtime_error("systemd did not boot in the namespace:\n" + console());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("systemd did not reach 'running' in 30 s:\n" + console());
}

BootedSystemd::~BootedSystemd() {
  // Killing PID 1 of the namespace kills every process in it.
  if (systemd_pid_ > 0) kill(systemd_pid_, SIGKILL);
  if (unshare_pid_ > 0) {
    kill(unshare_pid_, SIGKILL);
    waitpid(unshare_pid_, nullptr, 0);
  }
  if (cgroup_.empty()) return;
  // The cgroups empty asynchronously after the kill; retry the removal for a while.
  for (int attempt = 0; attempt < 50 && path_exists(cgroup_); ++attempt) {
    nftw(cgroup_.c_str(), remove_directory, 16, FTW_DEPTH | FTW_PHYS);
    if (path_exists(cgroup_)) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

RunResult BootedSystemd::systemctl(std::vector<std::string> args) const {
  std::vector<std::string> argv{"nsenter",   "-t",        std::to_string(systemd_pid_), "-m", "-p",
                                "systemctl", "--no-pager"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, {.timeout = std::chrono::seconds(30)});
}

void BootedSystemd::install_unit(const std::string& name, const std::string& text) const {
  write_file(host_path("/run/systemd/system/" + name), text);
  const RunResult reload = systemctl({"daemon-reload"});
  if (!reload.exited(0)) throw std::runtime_error("daemon-reload failed: " + reload.describe());
}

std::string BootedSystemd::property(const std::string& unit, const std::string& name) const {
  const RunResult r = systemctl({"show", "-p", name, "--value", unit});
  std::string value = r.out;
  while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
    value.pop_back();
  return value;
}

bool BootedSystemd::wait_for(const std::string& unit, const std::string& name,
                             const std::string& value, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (property(unit, name) == value) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return property(unit, name) == value;
}

std::string BootedSystemd::connect_and_read(uint16_t port, const std::string& request) const {
  // From a child that joins systemd's network namespace (the test's own stays untouched).
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const pid_t child = fork();
  if (child == 0) {
    const std::string ns = "/proc/" + std::to_string(systemd_pid_) + "/ns/net";
    const int ns_fd = ::open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0 || setns(ns_fd, CLONE_NEWNET) != 0) _exit(1);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) _exit(2);
    if (!request.empty() &&
        ::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
      _exit(4);
    }
    timeval tv{20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
      if (::write(pipe_fds[1], buffer, static_cast<size_t>(n)) != n) _exit(3);
    }
    _exit(0);
  }
  ::close(pipe_fds[1]);
  std::string data;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) {
    data.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  if (child > 0) waitpid(child, nullptr, 0);
  return data;
}

std::string BootedSystemd::host_path(const std::string& inside) const {
  return "/proc/" + std::to_string(systemd_pid_) + "/root" + inside;
}

std::string BootedSystemd::console() const {
  try {
    return read_file(dir_.file("console.log"));
  } catch (...) {
    return {};
  }
}

}  // namespace harden::test
