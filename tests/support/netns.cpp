#include "tests/support/netns.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "tests/support/harness.hpp"

namespace harden::test {

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

namespace {

void must(const RunResult& result, const std::string& what) {
  if (!result.exited(0)) throw std::runtime_error(what + ": " + result.describe());
}

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

Address make_address(const std::string& text, int port) {
  Address a;
  auto* in4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, text.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(port));
    a.length = sizeof *in4;
  } else if (inet_pton(AF_INET6, text.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    a.length = sizeof *in6;
  } else {
    throw std::invalid_argument("not a numeric address: " + text);
  }
  return a;
}

}  // namespace

TestNetns::TestNetns() : name_(unique_name("harden-test-ns")) {
  must(run({"ip", "netns", "add", name_}), "ip netns add " + name_);
  try {
    must(run({"ip", "-n", name_, "link", "set", "lo", "up"}), "ip link set lo up");
  } catch (...) {
    (void)run({"ip", "netns", "delete", name_});
    throw;
  }
}

TestNetns::~TestNetns() {
  (void)run({"ip", "netns", "delete", name_});
}

std::vector<std::string> TestNetns::exec_prefix() const {
  return {"ip", "netns", "exec", name_};
}

std::vector<std::string> TestNetns::nsenter_prefix() const {
  return {"nsenter", "--net=/run/netns/" + name_};
}

void TestNetns::in(const std::function<void()>& fn) const {
  std::string error;
  std::thread thread([&] {
    const int fd = ::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      error = "cannot enter network namespace " + name_ + ": " + std::strerror(errno);
      if (fd >= 0) ::close(fd);
      return;
    }
    ::close(fd);
    fn();
  });
  thread.join();
  if (!error.empty()) throw std::runtime_error(error);
}

Fd TestNetns::listen_tcp(const std::string& address, int port) const {
  const Address a = make_address(address, port);
  Fd fd;
  int error = 0;
  in([&] {
    fd = Fd(::socket(a.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const int on = 1;
    const int off = 0;
    if (!fd || ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        (a.storage.ss_family == AF_INET6 &&
         ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) != 0) ||
        ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a.storage), a.length) != 0 ||
        ::listen(fd.get(), 16) != 0) {
      error = errno;
    }
  });
  if (error != 0) {
    throw std::runtime_error("listen on " + address + ":" + std::to_string(port) + ": " +
                             std::strerror(error));
  }
  return fd;
}

int TestNetns::connect_tcp(const std::string& address, int port, int timeout_ms) const {
  const Address a = make_address(address, port);
  int result = 0;
  in([&] {
    Fd fd(::socket(a.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
      result = errno;
      return;
    }
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a.storage), a.length) == 0) return;
    if (errno != EINPROGRESS) {
      result = errno;
      return;
    }
    pollfd pfd{fd.get(), POLLOUT, 0};
    const int ready = ::poll(&pfd, 1, timeout_ms);
    if (ready <= 0) {
      result = ready == 0 ? ETIMEDOUT : errno;
      return;
    }
    socklen_t length = sizeof result;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &result, &length) != 0) result = errno;
  });
  return result;
}

}  // namespace harden::test
