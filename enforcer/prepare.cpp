// Everything computed before the first step: argv, environment, the fds to keep. Doing it
// up front keeps the steps free of allocation and lets a bad request fail before anything
// about the process has changed.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "enforcer/layers.hpp"

namespace harden {

namespace {

int read_kernel_last_cap() {
  const int fd = ::open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 40;  // CAP_CHECKPOINT_RESTORE on 5.9+; dropping unknown ones is harmless
  char buffer[16] = {};
  const ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
  ::close(fd);
  int value = 40;
  if (n > 0) std::from_chars(buffer, buffer + n, value);
  return value;
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

}  // namespace

std::expected<ExecContext, std::string> prepare_exec(const PlanData& plan,
                                                     std::span<const std::string> command,
                                                     char* const* environ) {
  ExecContext ctx;
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
    const int listen_fds = listen_fd_count(environ);
    for (int fd = 3; fd < 3 + listen_fds; ++fd)
      ctx.keep_fds.push_back(fd);
  }
  std::sort(ctx.keep_fds.begin(), ctx.keep_fds.end());
  ctx.keep_fds.erase(std::unique(ctx.keep_fds.begin(), ctx.keep_fds.end()), ctx.keep_fds.end());
  for (const int fd : plan.fds.pass) {
    if (fcntl(fd, F_GETFD) < 0) {
      return std::unexpected("pass_fds lists fd " + std::to_string(fd) +
                             ", but it is not open in harden");
    }
  }
  enforce::environment::build(plan, environ, ctx);
  ctx.kernel_last_cap = read_kernel_last_cap();
  // Without root, namespaces can only be had inside a user namespace (rootless mode).
  ctx.rootless = ::geteuid() != 0;
  if (auto locked = enforce::landlock::prepare_exec_lock(plan, ctx); !locked) {
    return std::unexpected(locked.error());
  }
  if (plan.cgroup.wanted()) ctx.cgroup = enforce::cgroup::detect_layout(environ);

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
