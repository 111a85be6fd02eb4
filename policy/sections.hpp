// One parser per policy section. Each reads its TOML table into the matching part of Policy,
// reporting unknown keys and wrong types; none resolves names (that is the compiler's job).
#pragma once

#include <toml++/toml.h>

#include <span>
#include <string_view>

#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"

namespace harden {

using SectionParser = void (*)(const toml::table& table, Policy& policy, Diagnostics& diags);

struct SectionEntry {
  std::string_view name;
  SectionParser parse;
};

// Every top-level section a policy may have, sorted by name.
std::span<const SectionEntry> policy_sections();

void parse_policy_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_exec_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_identity_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_capabilities_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_seccomp_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_filesystem_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_namespaces_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_limits_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_environment_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_landlock_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_ipc_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_cgroup_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_network_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_audit_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_lsm_section(const toml::table& table, Policy& policy, Diagnostics& diags);
void parse_lint_section(const toml::table& table, Policy& policy, Diagnostics& diags);

}  // namespace harden
