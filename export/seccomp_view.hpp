// The [seccomp] section resolved into what the filter decides, in plain names and numbers, for
// the exporters (systemd, OCI): which syscalls are allowed whatever their arguments, which
// depend on their arguments, and what everything else gets. It is compile_seccomp()'s own
// resolution (seccomp_decisions()): refusing rules come first and win over the allow rules of
// the same call, a call allowed except where refusing rules match has an allow rule that always
// matches (masked-eq, mask 0) after them. Only meaningful for a section that compiled.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policy/policy.hpp"

namespace harden {

struct SeccompArgView {
  unsigned index = 0;
  std::string op;  // eq ne lt le gt ge masked-eq
  uint64_t value = 0;
  uint64_t mask = 0;  // masked-eq only
  bool width64 = false;
};

struct SeccompRuleView {
  std::string syscall;
  std::vector<SeccompArgView> args;  // all must hold
  std::string action;                // as written: allow, kill-process, errno:EPERM, ...
  SourcePos pos;
};

struct SeccompView {
  bool enabled = false;
  std::string default_action = "kill-process";
  std::vector<std::string> architectures;  // harden's names: "native", "x86", "x32", ...
  std::vector<std::string> allowed;        // allowed unconditionally, sorted, unique
  std::vector<SeccompRuleView> rules;      // conditional rules, refusing ones first
  bool log_denials = false;
};

SeccompView seccomp_view(const SeccompSection& section);

// "errno:EPERM" -> 1; -1 for any other action.
int seccomp_action_errno(const std::string& action);

// The native architecture in libseccomp's spelling ("x86_64").
std::string native_architecture_name();

}  // namespace harden
