// Resource-limit layer: setrlimit for every [limits] entry.
#include <cerrno>

#include "enforcer/layers.hpp"

namespace harden::enforce::limits {

bool wanted(const PlanData& plan) {
  return !plan.limits.empty();
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext&) {
  for (const ResourceLimit& limit : plan.limits) {
    if (sys.setrlimit(limit.resource, limit.soft, limit.hard) != 0) {
      return step_failed(errno, "setrlimit(" + std::to_string(limit.resource) + ", " +
                                    std::to_string(limit.soft) + ", " + std::to_string(limit.hard) +
                                    ")");
    }
  }
  return {};
}

}  // namespace harden::enforce::limits
