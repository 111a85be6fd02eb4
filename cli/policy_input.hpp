// Policies named on the command line: files, directories (searched as harden lint does:
// recursively, hidden directories skipped, *.toml that set [policy] name; bases are checked
// through the policies that extend them), and "-" for one policy on standard input.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "lint/lint.hpp"

namespace harden::cli {

// The name a policy read from standard input has in every message.
inline constexpr const char* kStdinName = "<stdin>";

struct PolicyInputs {
  std::vector<PolicyFileInput> files;  // a path of "-" stands for standard input
  std::vector<std::string> bases;      // found in directories, not checked on their own
};

// Expands directories; "-" may appear once. The error says what is wrong with the arguments.
[[nodiscard]] std::expected<PolicyInputs, std::string> expand_policy_paths(
    const std::vector<std::string>& paths);

// Reads and compiles one input that is not standard input: beneath its directory when a search
// found it (PolicyFileInput), else as named.
[[nodiscard]] std::optional<Plan> compile_policy_input(const PolicyFileInput& input,
                                                       Diagnostics& diags,
                                                       const CompileOptions& options);
// The same, validated and linted.
[[nodiscard]] LintReport lint_policy_input(const PolicyFileInput& input, HostChecks host);

// Standard input, whole, as a policy file is read: at most kMaxPolicyFileSize bytes.
[[nodiscard]] std::expected<std::string, std::string> read_policy_stdin();

}  // namespace harden::cli
