// Kill reports: a seccomp kill is carried out by the kernel (seccomp_notify.hpp says why), and
// the kernel writes an audit record for it (type SECCOMP, 1326) naming the task, the
// architecture, the syscall and the action. The supervisor reads those records from the
// audit multicast group and names the killed call with the policy line behind it. The source
// cannot change the target's fate: the record is written as the kernel kills.
//
// The kernel sends such records only while auditing is on (`auditctl -e 1`), only to
// listeners in the initial user and network namespaces with CAP_AUDIT_READ: the reader is
// opened before the namespaces step, and when it cannot be, the supervisor still says that
// the target was killed by the filter and why it cannot name the call.
//
// Records are matched to this launch by the audit session id: the loginuid step gives every
// privileged launch a fresh one, inherited by the target, its threads and children alone.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace harden::enforce::kill_reports {

// The fields of one SECCOMP audit record that a report needs.
struct KillRecord {
  uint32_t session = 0;  // ses=
  pid_t pid = 0;         // pid= (in the initial PID namespace)
  std::string comm;      // comm=
  int signal = 0;        // sig=
  uint32_t arch = 0;     // arch= (AUDIT_ARCH_*)
  uint32_t nr = 0;       // syscall=
  uint32_t action = 0;   // code= (SECCOMP_RET_*)
};

// Parses the text of a SECCOMP record; nullopt when a needed field is missing or malformed.
[[nodiscard]] std::optional<KillRecord> parse_record(std::string_view text);

// The kernel's audit session id of this process (/proc/self/sessionid); 0xffffffff: unset.
[[nodiscard]] uint32_t own_session();

inline constexpr uint32_t kNoSession = 0xffffffffU;

}  // namespace harden::enforce::kill_reports
