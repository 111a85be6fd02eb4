// Policy -> TOML text, for the sections `harden learn` takes over from its base policy as they
// are (identity, view, namespaces, limits, environment, ...): values as the policy spelt them,
// so the draft compiles to the same plan for those sections. Pure: no file access.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "policy/policy.hpp"

namespace harden {

// A TOML basic string: quotes, backslashes, control characters and every non-ASCII character
// escaped (\uXXXX), so the text never holds what toml++ 3.3 misreads (harden.toml(5)).
std::string toml_quote(std::string_view text);

// ["a", "b"] on one line.
std::string toml_string_array(std::span<const std::string> items);

// The sections of `policy` the draft copies, each with its [header], in policy-file order;
// empty sections are left out. Lines end with '\n'.
std::string write_exec_section(const ExecSection& exec, std::span<const std::string> command);
std::string write_identity_section(const IdentitySection& identity);
std::string write_filesystem_section(const FilesystemSection& filesystem);
std::string write_namespaces_section(const NamespacesSection& namespaces);
std::string write_ipc_section(const IpcSection& ipc);
std::string write_cgroup_section(const CgroupSection& cgroup);
std::string write_limits_section(const LimitsSection& limits);
std::string write_environment_section(const EnvironmentSection& environment);
std::string write_lsm_section(const LsmSection& lsm);
std::string write_audit_section(const AuditSection& audit);

}  // namespace harden
