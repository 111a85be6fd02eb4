#include "inspect/kill_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

void add(KillLog& log, std::set<std::string>& seen, std::string_view line,
         const std::string& source) {
  if (line.find("type=1326") == std::string_view::npos &&
      line.find("type=SECCOMP") == std::string_view::npos) {
    return;
  }
  LoggedKill kill;
  std::string_view fields;
  if (!split_stamp(line, kill.stamp, fields)) return;
  const auto record = enforce::kill_reports::parse_record(fields);
  if (!record || record->signal == 0) return;   // a logged or errno action, not a kill
  if (!seen.insert(kill.stamp).second) return;  // both sources hold it
  kill.record = *record;
  kill.source = source;
  log.kills.push_back(std::move(kill));
}

}  // namespace

KillLog read_kill_log(const std::string& audit_log) {
  KillLog log;
  std::set<std::string> seen;
  // auditd's file first: it holds the older records when both exist.
  if (::access(audit_log.c_str(), F_OK) == 0) {
    const std::string text = read_proc_text(audit_log.c_str(), 64 << 20);
    if (text.empty()) {
      log.unread.push_back(audit_log + ": cannot be read");
    } else {
      for (std::string_view line : lines_of(text))
        add(log, seen, line, audit_log);
    }
  }
  const UniqueFd kmsg(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!kmsg) {
    log.unread.push_back(std::string("/dev/kmsg: ") + std::strerror(errno));
    return log;
  }
  char record[8192];
  while (true) {
    const ssize_t n = ::read(kmsg.get(), record, sizeof record - 1);
    if (n < 0 && errno == EPIPE) continue;  // overwritten while reading: go on with the next
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: the end of the buffer
    const std::string_view text(record, static_cast<size_t>(n));
    const size_t semicolon = text.find(';');
    if (semicolon == std::string_view::npos) continue;
    add(log, seen, first_line(text.substr(semicolon + 1)), "/dev/kmsg");
  }
  return log;
}

}  // namespace harden::inspect
