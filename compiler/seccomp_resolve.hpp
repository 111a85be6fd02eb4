// The seccomp compiler's resolution, shared by its files (internal to compiler/): what the
// [seccomp] section grants, denies and rules, before it becomes anything else.
// seccomp_resolve.cpp resolves; seccomp_decisions.cpp turns the result into the decision model;
// seccomp.cpp emits the BPF from it (with seccomp_bpf.cpp and seccomp_args.cpp).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/seccomp_bpf.hpp"
#include "compiler/syscall_groups.hpp"
#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"

namespace harden::seccomp_bpf {

// Who granted a syscall unconditionally, for messages.
struct Grant {
  std::string by;                     // for messages: "'@system-service'", "'read'", ...
  SourcePos pos;                      // empty for @default
  bool always = false;                // from @default: cannot be denied
  const SeccompRule* rule = nullptr;  // set when an argument-free allow rule granted it
};
using Grants = std::map<std::string, Grant, std::less<>>;

// A call a group grants for some arguments only (SyscallCondition), and where.
struct ConditionalGrant {
  std::string by;
  SourcePos pos;
  std::vector<SyscallCondition> conditions;
};
using ConditionalGrants = std::map<std::string, ConditionalGrant, std::less<>>;

// The rules the filter applies, split by what they do. Refusing rules are checked first, by
// harden's own code in front of libseccomp's program (build_prologue), so no allow, grant or
// default action can ever hide one; permissive rules go to libseccomp.
struct RuleSet {
  std::deque<SeccompRule> written;  // rules written here (group conditions, narrowed rules)
  // The written rules that are a group's own condition, and the group: for denial reports.
  std::map<const SeccompRule*, std::string> group_of;
  std::vector<CompiledRule> permissive;
  std::vector<CompiledRule> refusing;
};

// What the filter will decide, before it becomes BPF: the grants and the rules.
struct FilterInput {
  uint32_t default_action = SCMP_ACT_KILL_PROCESS;
  std::vector<FilterArch> archs;
  Grants grants;
  ConditionalGrants conditional;
  RuleSet rules;
};

// The section resolved; every problem goes to diags.
FilterInput resolve(const SeccompSection& section, Diagnostics& diags);

// The syscall names an allow or deny entry stands for (a name or an @group); nullopt (and an
// error) for an unknown one.
std::optional<std::vector<std::string>> expand_entry(const LocatedString& entry,
                                                     std::span<const FilterArch> archs,
                                                     Diagnostics& diags);

// libseccomp's spelling of an architecture token ("x86_64").
std::string_view arch_name(uint32_t token);

// glibc tries clone3 first and falls back to clone on ENOSYS; any other answer would break
// every thread and fork in a program whose policy does not decide clone3.
bool answers_clone3_enosys(const FilterInput& in);

std::string quoted(std::string_view text);

}  // namespace harden::seccomp_bpf
