// The seccomp decision model: what a compiled [seccomp] section decides for every system call,
// as plain data. compile_seccomp() builds it from the same resolution that emits the BPF, so it
// is the one answer to "what does this policy allow?" that lint, the exporters and the denial
// reports read (the origins in SeccompPlan are a projection of it); none of them re-derives it
// from the policy text.
//
// Per call, in the order the filter checks them:
//   cases      each a conjunction of argument comparisons and the action it leads to; the first
//              case that holds decides (refusing cases first, strictest first, as the BPF
//              prologue checks them; then the allowing ones);
//   otherwise  the action when no case holds: allow (granted, maybe with refusing cases), the
//              default action (allowed only under conditions, or denied), or ENOSYS (clone3).
// A call the model does not list gets the default action. Conditions are the comparisons the
// filter really makes (64-bit libseccomp semantics: a 32-bit comparison is already written as
// masked equalities of the low half), so a condition that always holds ("ge 0") is gone and the
// call shows as allowed unconditionally, exactly as the BPF treats it.
//
// Plain data in plan/ (no libseccomp, no policy types), carried next to the Plan by the
// compiler (Plan::seccomp_model()); a sealed plan does not store it.
#pragma once

#include <linux/seccomp.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "plan/plan.hpp"

namespace harden {

// One comparison of one argument, as the filter makes it (all 64 bits).
struct SeccompCompare {
  enum class Op : uint8_t { eq, ne, lt, le, gt, ge, masked_eq };
  unsigned index = 0;  // 0..5
  Op op = Op::eq;
  uint64_t value = 0;  // compared with (argument & mask) for masked_eq
  uint64_t mask = 0;   // masked_eq only

  bool holds(uint64_t argument) const;
  bool operator==(const SeccompCompare&) const = default;
};

// Where a fate came from: the policy line and what is on it.
struct SeccompWhy {
  std::string what;  // "[[seccomp.rule]]", "deny", "allow entry '@service'", ...
  PlanOrigin origin;
};

struct SeccompCase {
  std::vector<SeccompCompare> all_of;  // empty: always holds
  uint32_t action = 0;                 // SECCOMP_RET_*
  SeccompWhy why;
  // Whether a supervised launch reports the calls this case refuses: false for a
  // [[seccomp.rule]] that answers an errno on purpose (unless it says report = true).
  bool report = true;

  bool holds(std::span<const uint64_t, 6> args) const;
};

struct SyscallDecision {
  std::string name;
  int native_nr = -1;  // -1: only another architecture of the filter has it
  std::vector<SeccompCase> cases;
  uint32_t otherwise = 0;  // SECCOMP_RET_*
  SeccompWhy otherwise_why;

  uint32_t decide(std::span<const uint64_t, 6> args) const;
  // allowed whatever the arguments (no case refuses, and the rest allows)
  bool always_allowed() const;
  // allowed for some arguments but not all
  bool conditionally_allowed() const;
  // refused whatever the arguments
  bool never_allowed() const;
  // the cases that let the call run (allow or log)
  std::vector<const SeccompCase*> allowing_cases() const;
  // The actions the call can end in, in the order the filter checks them: every case up to
  // the first that always holds, then `otherwise` unless such a case hides it.
  std::vector<uint32_t> reachable_actions() const;
};

struct SeccompModel {
  bool enabled = false;
  uint32_t default_action = SECCOMP_RET_KILL_PROCESS;
  SeccompWhy default_why;
  std::vector<std::string> architectures;  // "native" first, then libseccomp's names
  bool log_denials = false;
  std::vector<SyscallDecision> calls;  // sorted by name; every call not listed: default action

  const SyscallDecision* find(std::string_view name) const;
  // The action for a call by name (the native architecture): for tests, lint and exporters.
  uint32_t decide(std::string_view name, std::array<uint64_t, 6> args = {}) const;
  bool always_allowed(std::string_view name) const;
  bool ever_allowed(std::string_view name) const;  // for some arguments at least
  // Every call allowed whatever its arguments, sorted (with default_action allow: none listed).
  std::vector<std::string> always_allowed_names() const;
};

// allow and log let the call run; everything else refuses it.
bool seccomp_action_permits(uint32_t action);

// "errno:EPERM" → EPERM for SECCOMP_RET_ERRNO actions; -1 for every other action.
int seccomp_action_errno_value(uint32_t action);

}  // namespace harden
