#include "enforcer/kill_reports.hpp"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "enforcer/sys.hpp"
#include "plan/unique_fd.hpp"

namespace harden {

namespace enforce::kill_reports {

namespace {

// The value of `key=` in a record, up to the next space (a quoted value up to its quote).
std::optional<std::string_view> field(std::string_view text, std::string_view key) {
  size_t at = 0;
  while ((at = text.find(key, at)) != std::string_view::npos) {
    const bool starts_word = at == 0 || text[at - 1] == ' ' || text[at - 1] == ':';
    if (starts_word && at + key.size() < text.size() && text[at + key.size()] == '=') break;
    at += key.size();
  }
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view value = text.substr(at + key.size() + 1);
  if (!value.empty() && value.front() == '"') {
    value.remove_prefix(1);
    return value.substr(0, value.find('"'));
  }
  return value.substr(0, value.find(' '));
}

template <typename T>
bool number(std::string_view text, std::string_view key, T& out, int base = 10) {
  const auto value = field(text, key);
  if (!value || value->empty()) return false;
  std::string_view digits = *value;
  if (base == 16 && digits.starts_with("0x")) digits.remove_prefix(2);
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), out, base);
  return error == std::errc() && end == digits.data() + digits.size();
}

}  // namespace

std::optional<KillRecord> parse_record(std::string_view text) {
  KillRecord record;
  if (!number(text, "ses", record.session) || !number(text, "pid", record.pid) ||
      !number(text, "sig", record.signal) || !number(text, "arch", record.arch, 16) ||
      !number(text, "syscall", record.nr) || !number(text, "code", record.action, 16)) {
    return std::nullopt;
  }
  if (const auto comm = field(text, "comm")) record.comm = std::string(*comm);
  return record;
}

uint32_t own_session() {
  const UniqueFd fd(::open("/proc/self/sessionid", O_RDONLY | O_CLOEXEC));
  if (!fd) return kNoSession;
  char text[16];
  const ssize_t n = ::read(fd.get(), text, sizeof text);
  uint32_t session = kNoSession;
  if (n > 0) std::from_chars(text, text + n, session);
  return session;
}

namespace {

// Asks the kernel whether auditing is on (AUDIT_GET). -1 when it cannot be asked.
int auditing_enabled() {
  const UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT));
  if (!fd) return -1;
  struct {
    nlmsghdr header;
    char pad[16];
  } request{};
  request.header.nlmsg_len = NLMSG_LENGTH(0);
  request.header.nlmsg_type = AUDIT_GET;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.header.nlmsg_seq = 1;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd.get(), &request, request.header.nlmsg_len, 0,
               reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    return -1;
  }
  alignas(nlmsghdr) char reply[1024];
  pollfd ready{fd.get(), POLLIN, 0};
  if (::poll(&ready, 1, 1000) != 1) return -1;
  const ssize_t n = ::recv(fd.get(), reply, sizeof reply, 0);
  if (n < static_cast<ssize_t>(NLMSG_LENGTH(sizeof(audit_status)))) return -1;
  const auto* header = reinterpret_cast<const nlmsghdr*>(reply);
  if (header->nlmsg_type != AUDIT_GET) return -1;
  audit_status status{};
  std::memcpy(&status, NLMSG_DATA(header), sizeof status);
  return status.enabled != 0 ? 1 : 0;
}

}  // namespace

}  // namespace enforce::kill_reports

int RealSys::open_kill_record_reader(std::string& why_not) {
  const int fd = open_kill_records(why_not);
  if (fd < 0) kill_record_missing_ = why_not;
  return fd;
}

int RealSys::open_kill_records(std::string& why_not) {
  const int enabled = enforce::kill_reports::auditing_enabled();
  if (enabled == 0) {
    why_not = "kernel auditing is off (`auditctl -e 1` turns it on)";
    return -1;
  }
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT));
  if (!fd) {
    why_not = std::string("no audit socket (") + std::strerror(errno) + ")";
    return -1;
  }
  sockaddr_nl group{};
  group.nl_family = AF_NETLINK;
  group.nl_groups = AUDIT_NLGRP_READLOG;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&group), sizeof group) != 0) {
    why_not = std::string("the kernel's audit records cannot be read (") + std::strerror(errno) +
              "; they need CAP_AUDIT_READ in the initial user namespace)";
    return -1;
  }
  if (enabled < 0) {
    why_not = "the audit status cannot be read";
    return -1;
  }
  kill_record_fd_ = fd.release();
  return kill_record_fd_;
}

}  // namespace harden
