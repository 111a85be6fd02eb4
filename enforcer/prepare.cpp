// Everything computed before the first step: argv, environment, the fds to keep. Doing it
// up front keeps the steps free of allocation and lets a bad request fail before anything
// about the process has changed.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "enforcer/layers.hpp"
#include "enforcer/write_stderr.hpp"

namespace harden {

namespace {

// The highest capability this kernel knows, so the bounding set is cleared to its end. Without
// /proc/sys (a caller in a jail) the bounding set itself answers: PR_CAPBSET_READ fails with
// EINVAL past the last capability. A fixed guess would leave a newer kernel's capabilities in
// the bounding set.
int read_kernel_last_cap() {
  const int fd = ::open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buffer[16] = {};
    const ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
    ::close(fd);
    int value = -1;
    if (n > 0) std::from_chars(buffer, buffer + n, value);
    if (value >= 0 && value <= 63) return value;
  }
  int last = 0;
  while (last < 63 && ::prctl(PR_CAPBSET_READ, static_cast<unsigned long>(last + 1)) >= 0)
    ++last;
  return last;
}

// systemd socket activation: LISTEN_FDS fds start at 3, and count only when LISTEN_PID names us.
int listen_fd_count(char* const* environ) {
  const char* fds = nullptr;
  const char* pid = nullptr;
  for (char* const* e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "LISTEN_FDS=", 11) == 0) fds = *e + 11;
    if (std::strncmp(*e, "LISTEN_PID=", 11) == 0) pid = *e + 11;
  }
  if (!fds || !pid) return 0;
  long count = 0, listen_pid = 0;
  const auto [p1, e1] = std::from_chars(fds, fds + std::strlen(fds), count);
  const auto [p2, e2] = std::from_chars(pid, pid + std::strlen(pid), listen_pid);
  if (e1 != std::errc() || e2 != std::errc() || *p1 || *p2) return 0;
  if (listen_pid != getpid() || count < 1 || count > 4096) return 0;
  return static_cast<int>(count);
}

// A classic chroot cannot bring systemd's notify socket along (only a constructed root binds
// it in), so sd_notify() would fail and a Type=notify unit would time out. Say so up front;
// the unit can bind the socket into the jail (see harden(1), SYSTEMD).
void warn_unreachable_notify_socket(const PlanData& plan, const ExecContext& ctx) {
  if (plan.filesystem.chroot.empty() || ctx.notify_socket.empty()) return;
  if (ctx.notify_socket.front() != '/') return;  // abstract socket: no path to reach
  struct stat st {};
  const std::string inside = plan.filesystem.chroot + ctx.notify_socket;
  if (::stat(inside.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return;
  const std::string message = "harden: warning: NOTIFY_SOCKET " + ctx.notify_socket +
                              " does not exist inside the chroot " + plan.filesystem.chroot +
                              "; sd_notify() from the target will fail (bind it into the jail "
                              "with BindPaths=" +
                              ctx.notify_socket + ":" + inside + ")\n";
  write_stderr(message);
}

}  // namespace

std::expected<ExecContext, std::string> prepare_exec(const PlanData& plan,
                                                     std::span<const std::string> command,
                                                     char* const* environ,
                                                     const LaunchOptions& options) {
  ExecContext ctx;
  ctx.supervise = options.supervise;
  ctx.learn = options.learn;
  if (!command.empty()) {
    ctx.argv_storage.assign(command.begin(), command.end());
  } else if (!plan.exec.command.empty()) {
    ctx.argv_storage = plan.exec.command;
  } else {
    return std::unexpected(
        "no command to run: the policy has no [exec] command and none was "
        "given after --");
  }
  for (auto& arg : ctx.argv_storage)
    ctx.argv.push_back(arg.data());
  ctx.argv.push_back(nullptr);

  ctx.keep_fds = plan.fds.pass;
  if (plan.fds.pass_listen_fds) {
    ctx.listen_fd_count = listen_fd_count(environ);
    const int listen_fds = ctx.listen_fd_count;
    for (int fd = 3; fd < 3 + listen_fds; ++fd) {
      // A closed fd in the range would be kept too, and whatever harden opened there later
      // (an exec-lock file, a namespace fd) would reach the target.
      if (fcntl(fd, F_GETFD) < 0) {
        return std::unexpected("LISTEN_FDS=" + std::to_string(listen_fds) + " names fd " +
                               std::to_string(fd) + ", but it is not open in harden");
      }
      ctx.keep_fds.push_back(fd);
    }
  }
  std::sort(ctx.keep_fds.begin(), ctx.keep_fds.end());
  ctx.keep_fds.erase(std::unique(ctx.keep_fds.begin(), ctx.keep_fds.end()), ctx.keep_fds.end());
  for (const int fd : plan.fds.pass) {
    if (fcntl(fd, F_GETFD) < 0) {
      return std::unexpected("pass_fds lists fd " + std::to_string(fd) +
                             ", but it is not open in harden");
    }
  }
  ctx.groups_readback.resize(plan.credentials.supplementary_groups.size() + 1);
  enforce::environment::build(plan, environ, ctx);
  warn_unreachable_notify_socket(plan, ctx);
  ctx.kernel_last_cap = read_kernel_last_cap();
  // Without root, namespaces can only be had inside a user namespace (rootless mode).
  ctx.rootless = ::geteuid() != 0;
  if (auto locked = enforce::landlock::prepare_exec_lock(plan, ctx); !locked) {
    return std::unexpected(locked.error());
  }
  if (enforce::cgroup::wanted(plan)) ctx.cgroup = enforce::cgroup::detect_layout(environ);

  // A closed stdio fd would let the target's first open() land on fd 0, 1 or 2 and be
  // mistaken for a terminal or log; give it /dev/null instead (while /dev is still visible).
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) >= 0) continue;
    const int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd < 0 || (null_fd != fd && (dup2(null_fd, fd) < 0 || ::close(null_fd) != 0))) {
      return std::unexpected("cannot open /dev/null for a closed stdio fd");
    }
  }
  return ctx;
}

}  // namespace harden
