// The grants that widen a sandbox the most, as named, sorted data tables: syscalls a seccomp
// filter should not allow without a reason, capabilities a service should not keep, and host
// files holding secrets that a target should not read unobserved. Lint
// reads them (lint/rules_*.cpp); exporters and the seccomp compiler can too. The
// weights feed the exposure score (see harden-lint(1)): 1.0 is "as bad as no sandbox layer at
// all", smaller values are partial exposures that add up.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace harden {

// One flag of a syscall argument that makes the call dangerous (CLONE_NEWUSER for clone).
struct DangerousFlag {
  std::string_view name;
  uint64_t value;
};

struct DangerousSyscall {
  std::string_view name;
  std::string_view why;  // one line, shown in findings
  double weight;         // contribution to the dangerous-syscall rule's badness
  // For calls that are only dangerous with some flags: the argument that carries them, a
  // harmless value of it (what a well-behaved program passes), and the flags. A filter that
  // allows the harmless value but refuses every flag is fine; see lint_rules_seccomp.cpp.
  int flags_arg = -1;
  uint64_t harmless_value = 0;
  std::span<const DangerousFlag> flags{};
};

struct DangerousCapability {
  std::string_view name;  // "CAP_SYS_ADMIN"
  std::string_view why;
  double weight;
};

// A host file or directory (a directory covers its subtree) whose contents are secrets: reading
// it is how an intruder turns one service into the host, its users or its peers. The mode is
// not read from the lint host: `group` records who, besides the owner, reads it by convention.
struct SensitivePath {
  std::string_view path;  // absolute, on the host
  std::string_view why;
  double weight;  // contribution to the sensitive-path-unwatched rule's badness
  // The group that may read it on Debian (0640 root:shadow); empty: only the owner.
  std::string_view group{};
  // false: what lies beneath belongs to each user (/home), so uid 0 alone cannot read it.
  bool owned_by_root = true;
};

// Sorted by name (sensitive paths by path); a unit test checks that, that every name resolves
// and that every path is absolute and in normal form.
std::span<const DangerousSyscall> dangerous_syscalls();
std::span<const DangerousCapability> dangerous_capabilities();
std::span<const SensitivePath> sensitive_paths();

const DangerousSyscall* find_dangerous_syscall(std::string_view name);
// Takes "CAP_SYS_ADMIN", "cap_sys_admin" or "sys_admin".
const DangerousCapability* find_dangerous_capability(std::string_view name);

// The canonical spelling of a capability name: upper case with the CAP_ prefix.
std::string canonical_capability_name(std::string_view name);

}  // namespace harden
