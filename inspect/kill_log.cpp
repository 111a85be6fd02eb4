#include "inspect/kill_log.hpp"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <optional>
#include <set>

#include "enforcer/proc_text.hpp"
#include "plan/unique_fd.hpp"

namespace harden::inspect {

namespace {

// "audit(1796570863.104:819): ..." -> the stamp, and the text after "): ".
bool split_stamp(std::string_view line, std::string& stamp, std::string_view& fields) {
  const size_t open = line.find("audit(");
  if (open == std::string_view::npos) return false;
  const size_t close = line.find("):", open);
  if (close == std::string_view::npos) return false;
  stamp = std::string(line.substr(open + 6, close - open - 6));
  fields = line.substr(close + 2);
  return true;
}

// The value of `key=` in an audit record's fields: a quoted string as is, a hex-encoded one
// (audit's form for untrusted text with spaces or quotes) decoded, anything else up to the
// next space. nullopt when the key is not there.
std::optional<std::string> field(std::string_view fields, std::string_view key, bool text) {
  size_t at = 0;
  while (at < fields.size()) {
    const size_t start = fields.find_first_not_of(' ', at);
    if (start == std::string_view::npos) break;
    size_t end = fields.find(' ', start);
    const size_t eq = fields.find('=', start);
    if (eq != std::string_view::npos && eq < end && eq + 1 < fields.size() &&
        fields[eq + 1] == '"') {
      const size_t close = fields.find('"', eq + 2);
      end = close == std::string_view::npos ? fields.size() : close + 1;
    }
    if (end == std::string_view::npos) end = fields.size();
    const std::string_view pair = fields.substr(start, end - start);
    if (eq < end && pair.substr(0, eq - start) == key) {
      std::string_view value = pair.substr(eq - start + 1);
      if (value.size() >= 2 && value.front() == '"')
        return std::string(value.substr(1, value.size() - 2));
      const bool hex = text && !value.empty() && value.size() % 2 == 0 &&
                       value.find_first_not_of("0123456789ABCDEFabcdef") == std::string_view::npos;
      if (!hex) return std::string(value);
      std::string decoded;
      for (size_t i = 0; i < value.size(); i += 2)
        decoded += static_cast<char>(std::stoi(std::string(value.substr(i, 2)), nullptr, 16));
      return decoded;
    }
    at = end;
  }
  return std::nullopt;
}

bool has_type(std::string_view line, std::string_view number, std::string_view name) {
  return line.find(std::string("type=") + std::string(number)) != std::string_view::npos ||
         line.find(std::string("type=") + std::string(name) + " ") != std::string_view::npos;
}

void add(KillLog& log, std::map<std::string, DomainMaker>& makers, std::set<std::string>& seen,
         std::string_view line, const std::string& source) {
  std::string stamp;
  std::string_view fields;
  if (has_type(line, "1326", "SECCOMP")) {
    LoggedKill kill;
    if (!split_stamp(line, kill.stamp, fields)) return;
    const auto record = enforce::kill_reports::parse_record(fields);
    if (!record || record->signal == 0) return;  // a logged or errno action, not a kill
    if (!seen.insert("seccomp " + kill.stamp).second) return;  // both sources hold it
    kill.record = *record;
    kill.source = source;
    log.kills.push_back(std::move(kill));
  } else if (has_type(line, "1424", "LANDLOCK_DOMAIN")) {
    if (!split_stamp(line, stamp, fields)) return;
    const auto domain = field(fields, "domain", false);
    const auto pid = field(fields, "pid", false);
    if (!domain || field(fields, "status", false) != "allocated" || !pid) return;
    DomainMaker& maker = makers[*domain];
    maker.pid = static_cast<pid_t>(std::strtol(pid->c_str(), nullptr, 10));
    maker.comm = field(fields, "comm", true).value_or("");
    maker.exe = field(fields, "exe", true).value_or("");
  } else if (has_type(line, "1423", "LANDLOCK_ACCESS")) {
    LandlockDenial denial;
    if (!split_stamp(line, denial.stamp, fields)) return;
    const auto domain = field(fields, "domain", false);
    const auto blockers = field(fields, "blockers", false);
    if (!domain || !blockers) return;
    if (!seen.insert("landlock " + denial.stamp).second) return;
    denial.domain = *domain;
    denial.blockers = *blockers;
    denial.path = field(fields, "path", true).value_or("");
    // What the denial was about: every field after blockers=.
    const size_t after = fields.find(' ', fields.find("blockers="));
    if (after != std::string_view::npos) denial.object = std::string(fields.substr(after + 1));
    denial.source = source;
    log.landlock.push_back(std::move(denial));
  }
}

// A domain's maker is recorded once, with its first denial (same stamp, next line).
void name_maker(LandlockDenial& denial, const std::map<std::string, DomainMaker>& makers) {
  if (const auto maker = makers.find(denial.domain); maker != makers.end()) {
    denial.pid = maker->second.pid;
    denial.comm = maker->second.comm;
    denial.exe = maker->second.exe;
  }
}

// LANDLOCK_DOMAIN, which Debian 12's <linux/audit.h> does not name yet.
constexpr uint16_t kLandlockDomainRecord = 1424;

}  // namespace

KillLog read_kill_log(const std::string& audit_log) {
  KillLog log;
  std::set<std::string> seen;
  std::map<std::string, DomainMaker> makers;
  // auditd's file first: it holds the older records when both exist.
  if (::access(audit_log.c_str(), F_OK) == 0) {
    const std::string text = read_proc_text(audit_log.c_str(), 64 << 20);
    if (text.empty()) {
      log.unread.push_back(audit_log + ": cannot be read");
    } else {
      for (std::string_view line : lines_of(text))
        add(log, makers, seen, line, audit_log);
    }
  }
  const UniqueFd kmsg(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!kmsg) {
    log.unread.push_back(std::string("/dev/kmsg: ") + std::strerror(errno));
  }
  char record[8192];
  while (kmsg) {
    const ssize_t n = ::read(kmsg.get(), record, sizeof record - 1);
    if (n < 0 && errno == EPIPE) continue;  // overwritten while reading: go on with the next
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: the end of the buffer
    const std::string_view text(record, static_cast<size_t>(n));
    const size_t semicolon = text.find(';');
    if (semicolon == std::string_view::npos) continue;
    // Only the kernel's own lines: anyone with write access to /dev/kmsg can add a line that
    // reads like an audit record, but the kernel files a line written there under the user
    // facility (priority 8 and up), never the kernel's (0 to 7).
    if (std::strtol(record, nullptr, 10) >= 8) continue;
    add(log, makers, seen, first_line(text.substr(semicolon + 1)), "/dev/kmsg");
  }
  for (LandlockDenial& denial : log.landlock)
    name_maker(denial, makers);
  return log;
}

std::optional<AuditFollower> AuditFollower::open(std::string& why) {
  UniqueFd socket(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT));
  if (!socket) {
    why = std::string("the audit netlink socket: ") + std::strerror(errno);
    return std::nullopt;
  }
  // A burst of denials must not overflow the queue before it is read (root may go beyond
  // rmem_max); an overflow is still reported, never silent.
  const int buffer = 8 << 20;
  if (::setsockopt(socket.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0) {
    (void)::setsockopt(socket.get(), SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  }
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  address.nl_groups = 1U << (AUDIT_NLGRP_READLOG - 1);
  if (::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    why = std::string("joining the audit records' multicast group: ") + std::strerror(errno) +
          (errno == EPERM ? " (it takes CAP_AUDIT_READ in the initial user namespace)" : "");
    return std::nullopt;
  }
  return AuditFollower(std::move(socket));
}

KillLog AuditFollower::read_available() {
  KillLog log;
  std::set<std::string> seen;
  alignas(nlmsghdr) char buffer[16384];
  for (;;) {
    sockaddr_nl from{};
    socklen_t from_size = sizeof from;
    const ssize_t n = ::recvfrom(socket_.get(), buffer, sizeof buffer, 0,
                                 reinterpret_cast<sockaddr*>(&from), &from_size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOBUFS) {
      lost_ = true;
      continue;
    }
    if (n <= 0) break;               // EAGAIN: nothing more waiting
    if (from.nl_pid != 0) continue;  // only the kernel's messages
    // Signed: the kernel's audit messages are not padded to NLMSG_ALIGN, so NLMSG_NEXT takes
    // `left` below zero after the last one (an unsigned count would wrap and read on).
    auto left = static_cast<int>(n);
    for (const auto* message = reinterpret_cast<const nlmsghdr*>(buffer); NLMSG_OK(message, left);
         message = NLMSG_NEXT(message, left)) {
      const auto* payload = static_cast<const char*>(NLMSG_DATA(message));
      const size_t size = message->nlmsg_len - NLMSG_HDRLEN;
      // The kernel log's form of the same record: "type=N audit(...): fields".
      const std::string line = "type=" + std::to_string(message->nlmsg_type) + " " +
                               std::string(payload, ::strnlen(payload, size));
      const bool maker_record = message->nlmsg_type == kLandlockDomainRecord;
      // A denial held back is complete once its maker's record has come, or another record
      // came instead (the kernel names a domain's maker only with its first denial).
      if (!maker_record) release_held(log);
      const size_t denials_before = log.landlock.size();
      add(log, makers_, seen, line, "audit netlink");
      if (maker_record) {
        for (LandlockDenial& denial : held_)
          name_maker(denial, makers_);
        release_held(log);
      } else if (log.landlock.size() > denials_before) {
        held_.push_back(std::move(log.landlock.back()));
        log.landlock.pop_back();
        name_maker(held_.back(), makers_);  // a domain seen before
      }
    }
  }
  // A long-running reader forgets domains rather than grow without bound.
  if (makers_.size() > 4096) makers_.clear();
  return log;
}

void AuditFollower::release_held(KillLog& log) {
  std::move(held_.begin(), held_.end(), std::back_inserter(log.landlock));
  held_.clear();
}

KillLog AuditFollower::flush() {
  KillLog log;
  release_held(log);
  return log;
}

}  // namespace harden::inspect
