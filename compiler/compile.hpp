// Policy -> Plan: resolves every name (users, groups, capabilities, syscalls, limits) and
// checks the cross-field rules. The only way a Plan comes out of policy text.
#pragma once

#include <optional>
#include <string>

#include "plan/plan.hpp"
#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"

namespace harden {

// Returns the plan, or nullopt when any error was reported.
std::optional<Plan> compile_policy(const Policy& policy, Diagnostics& diags);

// read_policy + compile_policy.
std::optional<Plan> compile_policy_file(const std::string& path, Diagnostics& diags);

}  // namespace harden
