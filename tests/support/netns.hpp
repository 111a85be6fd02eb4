// A network namespace that a test creates (`ip netns add`, unique name) and always deletes,
// with helpers that open sockets inside it from a thread of the test process: a thread that
// setns()es into the namespace creates sockets there, and the sockets stay in it.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace harden::test {

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

class TestNetns {
 public:
  // Creates the namespace and brings its loopback up (127.0.0.1 and ::1). Throws on failure.
  TestNetns();
  ~TestNetns();
  TestNetns(const TestNetns&) = delete;
  TestNetns& operator=(const TestNetns&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }
  // argv prefix that runs a program inside: {"ip", "netns", "exec", NAME}.
  [[nodiscard]] std::vector<std::string> exec_prefix() const;
  // argv prefix that enters only the network namespace (keeps the host's /sys, which
  // `ip netns exec` replaces): {"nsenter", "--net=/run/netns/NAME"}.
  [[nodiscard]] std::vector<std::string> nsenter_prefix() const;

  // Runs `fn` on a thread inside the namespace and returns its result. `fn` must not throw.
  void in(const std::function<void()>& fn) const;

  // A TCP socket listening on address:port inside the namespace ("::" listens on both
  // families). Throws when it cannot.
  [[nodiscard]] Fd listen_tcp(const std::string& address, int port) const;
  // Connects from inside the namespace; 0 on success, else the errno (ETIMEDOUT when no
  // answer came within timeout_ms, which is what a dropped SYN looks like).
  [[nodiscard]] int connect_tcp(const std::string& address, int port, int timeout_ms = 1500) const;

 private:
  std::string name_;
};

}  // namespace harden::test
