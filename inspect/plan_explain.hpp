// `harden explain`: what a plan does, in words and JSON, with the policy line behind each
// decision where one is known.
//
// Syscall decisions come through SeccompDecisionSource, a small seam: another engineer is
// building one seccomp decision model (issue 13) that will carry each syscall's fate with its
// deciding policy line; explain will then ask that model instead. Today's source answers from
// what exists: the compiled filter itself (evaluated per syscall with the BPF evaluator, so a
// sealed wrapper's plan is explained exactly as enforced), the plan's recorded origins (rules,
// deny entries, the default action) and, when the policy is at hand, its allow entries.
#pragma once

#include <expected>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "policy/policy.hpp"

namespace harden::inspect {

struct SyscallDecision {
  int nr = 0;
  std::string name;
  std::string action;        // "allow", "kill-process", "errno:EPERM", ...
  bool conditional = false;  // the answer depends on the arguments; `action` lists them
  std::string decided_by;    // "allow \"@system-service\"", "[[seccomp.rule]]", "deny", ...
  PlanOrigin origin;         // file:line:column, empty when no line is known
};

class SeccompDecisionSource {
 public:
  virtual ~SeccompDecisionSource() = default;
  // The default action and the line that set it.
  [[nodiscard]] virtual SyscallDecision default_decision() const = 0;
  // Every native syscall whose fate is not the default action, or is the default action by
  // an explicit line (a deny entry, a refusing rule), in number order.
  [[nodiscard]] virtual std::vector<SyscallDecision> decisions() const = 0;
};

// Today's source (see above). `policy` may be null (a sealed plan). Both must outlive it.
[[nodiscard]] std::unique_ptr<SeccompDecisionSource> decisions_from_plan(const PlanData& plan,
                                                                         const Policy* policy);

// The whole plan explained. `source` names where the plan came from, for the heading.
[[nodiscard]] nlohmann::json explain_plan_json(const PlanData& plan,
                                               const SeccompDecisionSource& seccomp,
                                               const std::string& source);
[[nodiscard]] std::string explain_plan_text(const PlanData& plan,
                                            const SeccompDecisionSource& seccomp,
                                            const std::string& source);

// A syscall group: help, members, nested groups, conditional members, the expanded list.
// nullopt-like: an error string when there is no such group.
[[nodiscard]] std::expected<nlohmann::json, std::string> explain_group_json(std::string_view name);
[[nodiscard]] std::string explain_group_text(const nlohmann::json& group);

// "read,write,..." for Landlock filesystem access bits.
[[nodiscard]] std::string landlock_access_names(uint64_t access);

}  // namespace harden::inspect
