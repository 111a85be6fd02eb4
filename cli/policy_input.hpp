// Policies named on the command line: files, directories (searched as harden lint does:
// recursively, hidden directories skipped, *.toml that set [policy] name; bases are checked
// through the policies that extend them), and "-" for one policy on standard input.
#pragma once

#include <expected>
#include <string>
#include <vector>

namespace harden::cli {

// The name a policy read from standard input has in every message.
inline constexpr const char* kStdinName = "<stdin>";

struct PolicyInputs {
  std::vector<std::string> files;  // "-" stands for standard input
  std::vector<std::string> bases;  // found in directories, not checked on their own
};

// Expands directories; "-" may appear once. The error says what is wrong with the arguments.
[[nodiscard]] std::expected<PolicyInputs, std::string> expand_policy_paths(
    const std::vector<std::string>& paths);

// Standard input, whole, as a policy file is read: at most kMaxPolicyFileSize bytes.
[[nodiscard]] std::expected<std::string, std::string> read_policy_stdin();

}  // namespace harden::cli
