// Seccomp kills and Landlock denials the kernel recorded, read after the fact: for launches
// where harden did not stay as the target's parent (no supervisor to name the call as it
// happens), the only witness of "Bad system call" or of an EACCES from Landlock is the
// kernel's own audit record (SECCOMP 1326; LANDLOCK_ACCESS 1423 with LANDLOCK_DOMAIN 1424,
// Landlock ABI 7, which harden asks for the target's denials). They land in the kernel log
// (/dev/kmsg) when no audit daemon runs, else in auditd's log (/var/log/audit/audit.log).
// The kernel writes them only while auditing is on.
#pragma once

#include <string>
#include <vector>

#include "enforcer/kill_reports.hpp"

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

}  // namespace harden::inspect
