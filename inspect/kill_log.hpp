// Seccomp kills and Landlock denials the kernel recorded, read after the fact: for launches
// where harden did not stay as the target's parent (no supervisor to name the call as it
// happens), the only witness of "Bad system call" or of an EACCES from Landlock is the
// kernel's own audit record (SECCOMP 1326; LANDLOCK_ACCESS 1423 with LANDLOCK_DOMAIN 1424,
// Landlock ABI 7, which harden asks for the target's denials). They land in the kernel log
// (/dev/kmsg) when no audit daemon runs, else in auditd's log (/var/log/audit/audit.log).
// The kernel writes them only while auditing is on.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "enforcer/kill_reports.hpp"
#include "plan/unique_fd.hpp"

namespace harden::inspect {

struct LoggedKill {
  enforce::kill_reports::KillRecord record;
  std::string stamp;   // the audit(...) stamp: seconds.millis:serial
  std::string source;  // "/dev/kmsg" or the audit log's path
};

// One Landlock denial: what was refused (the blockers, "fs.make_reg", "net.bind_tcp",
// "scope.signal", ...) on what, in which domain, and who made that domain (harden, which then
// became the target: its pid is the target's).
struct LandlockDenial {
  std::string domain;    // the kernel's domain id (hex)
  std::string blockers;  // comma-separated access rights that refused it
  std::string object;    // the record's other fields: path="..." dev="..." ino=..., daddr=...
  std::string path;      // the path= field, decoded; empty when the denial names none
  pid_t pid = 0;         // the domain's maker; 0 when its LANDLOCK_DOMAIN record was not seen
  std::string comm;
  std::string exe;
  std::string stamp;
  std::string source;
};

struct KillLog {
  std::vector<LoggedKill> kills;         // oldest first, each record once
  std::vector<LandlockDenial> landlock;  // oldest first, each record once
  std::vector<std::string> unread;       // sources that could not be read, and why
};

// Every kill record readable now; `audit_log` is auditd's log file.
[[nodiscard]] KillLog read_kill_log(const std::string& audit_log = "/var/log/audit/audit.log");

// Who made a Landlock domain, from its LANDLOCK_DOMAIN status=allocated record.
struct DomainMaker {
  pid_t pid = 0;
  std::string comm, exe;
};

// The records as the kernel writes them, from the audit netlink's read-only multicast group
// (AUDIT_NLGRP_READLOG, CAP_AUDIT_READ): every record, with or without an audit daemon, and
// none lost to the kernel log's rate limit (10 lines per 5 s), which the after-the-fact
// reading above is subject to. Only what happens while it is open is seen.
class AuditFollower {
 public:
  // Joins the group; nullopt with the reason when the kernel refuses.
  [[nodiscard]] static std::optional<AuditFollower> open(std::string& why);
  // The socket, for poll(2): readable when records wait.
  [[nodiscard]] int fd() const { return socket_.get(); }
  // Reads every record waiting, without blocking, and returns the kills and denials complete
  // so far. A Landlock denial is held back until the record naming its domain's maker (the
  // kernel writes it right after the denial's, for a domain's first denial) has been read or
  // `flush` is called; `holding()` says whether one is held.
  [[nodiscard]] KillLog read_available();
  [[nodiscard]] bool holding() const { return !held_.empty(); }
  [[nodiscard]] KillLog flush();
  // Records the socket could not hold (ENOBUFS): the kernel dropped them for this reader.
  [[nodiscard]] bool lost_records() const { return lost_; }

 private:
  explicit AuditFollower(UniqueFd socket) : socket_(std::move(socket)) {}
  void release_held(KillLog& log);
  UniqueFd socket_;
  std::map<std::string, DomainMaker> makers_;  // by domain id, for this reader's life
  std::vector<LandlockDenial> held_;
  bool lost_ = false;
};

}  // namespace harden::inspect
