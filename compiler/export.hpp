// Exporters: a compiled policy rendered for other tools. Each takes the policy as written
// (for names and origins) and its plan (for resolved values), and returns the file's text.
#pragma once

#include <string>

#include "compiler/plan/plan.hpp"
#include "compiler/policy.hpp"

namespace harden {

// An AppArmor profile equivalent to the policy, ready for apparmor_parser(8).
std::string export_apparmor_profile(const Policy& policy, const Plan& plan);

}  // namespace harden
