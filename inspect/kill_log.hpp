// Seccomp kills the kernel recorded, read after the fact: for launches where harden did not
// stay as the target's parent (no supervisor to name the call as it happens), the only
// witness of "Bad system call" is the kernel's own audit record (type SECCOMP, 1326). It lands
// in the kernel log (/dev/kmsg) when no audit daemon runs, else in auditd's log
// (/var/log/audit/audit.log). The kernel writes it only while auditing is on.
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

struct KillLog {
  std::vector<LoggedKill> kills;    // oldest first, each record once
  std::vector<std::string> unread;  // sources that could not be read, and why
};

// Every kill record readable now; `audit_log` is auditd's log file.
[[nodiscard]] KillLog read_kill_log(const std::string& audit_log = "/var/log/audit/audit.log");

}  // namespace harden::inspect
