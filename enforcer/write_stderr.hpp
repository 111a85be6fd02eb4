// The one way the enforcer and the stub write to stderr: straight to fd 2 with write(2). No
// stdio buffer, no allocation, safe after fork, in a signal handler and after the fds step.
// Best effort by design: a launch never fails because its caller closed or filled stderr.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string_view>

namespace harden {

// Writes all of `text`, continuing partial writes and retrying EINTR; stops at any other error.
inline void write_stderr(std::string_view text) noexcept {
  while (!text.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

// The supervisor's variant: it shares stderr with the target, and when the target has filled
// the pipe the report is dropped rather than the supervisor stalled. Waits at most `wait_ms`
// per chunk for stderr to become writable and writes at most PIPE_BUF at a time (what a pipe
// that polled writable takes without blocking).
inline void write_stderr_unless_full(std::string_view text, int wait_ms = 0) noexcept {
  while (!text.empty()) {
    pollfd out{STDERR_FILENO, POLLOUT, 0};
    if (::poll(&out, 1, wait_ms) != 1 || !(out.revents & POLLOUT)) return;
    const size_t chunk = std::min<size_t>(text.size(), PIPE_BUF);
    const ssize_t n = ::write(STDERR_FILENO, text.data(), chunk);
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace harden
