// The plan a read-only command compares with or reports against: compiled from --policy, or
// read from a sealed --plan file or the plan sealed in a --wrapper (with their trust checks).
#pragma once

#include <optional>
#include <string>

#include "plan/plan.hpp"

namespace harden::cli {

struct PlanSource {
  std::string policy;
  std::string plan;
  std::string wrapper;

  [[nodiscard]] bool given() const { return !policy.empty() || !plan.empty() || !wrapper.empty(); }
  [[nodiscard]] const std::string& name() const {
    return !policy.empty() ? policy : !plan.empty() ? plan : wrapper;
  }
};

// The plan, or nullopt once the reason is printed ("harden COMMAND: ...").
[[nodiscard]] std::optional<Plan> load_plan(const PlanSource& source, const char* command);

}  // namespace harden::cli
