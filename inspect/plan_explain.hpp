// `harden explain`: what a plan does, in words and JSON, with the policy line behind each
// decision where one is known.
//
// Syscall decisions come through SeccompDecisionSource. A policy compiled here is explained
// from the compiler's seccomp decision model (plan/seccomp_model.hpp), the same answer lint
// and the exporters read: each call's cases with their argument conditions and the line that
// decided each. A sealed plan (wrapper, plan file) carries no model: it is explained from its
// compiled filter itself, evaluated per syscall with the BPF evaluator, and the origins the
// plan records (rules, deny entries, the default action), so it is explained as enforced.
#pragma once

#include <expected>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "plan/seccomp_model.hpp"

namespace harden::inspect {

// One way a call can go: under `when` (argument comparisons, "" for always), `action`.
struct SyscallCaseText {
  std::string when;
  std::string action;
  std::string decided_by;
  PlanOrigin origin;
};

struct SyscallDecision {
  int nr = 0;
  std::string name;
  std::string action;        // "allow", "kill-process", "errno:EPERM", ...
  bool conditional = false;  // the answer depends on the arguments; `action` lists them
  std::string decided_by;    // "allow \"@system-service\"", "[[seccomp.rule]]", "deny", ...
  PlanOrigin origin;         // file:line:column, empty when no line is known
  std::vector<SyscallCaseText> cases;  // from the model only: each case, then "otherwise"
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

// The decisions of a compiled policy, from its model, which must outlive the source.
[[nodiscard]] std::unique_ptr<SeccompDecisionSource> decisions_from_model(
    const SeccompModel& model);
// The decisions of a sealed plan, from its compiled filter. `plan` must outlive the source.
[[nodiscard]] std::unique_ptr<SeccompDecisionSource> decisions_from_filter(const PlanData& plan);

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
