// Reads a policy file (and the files it extends) into a Policy, reporting every problem with
// its file:line:column. Never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"
#include "policy/policy_files.hpp"

namespace harden {

// Returns the policy, or nullopt when any error was reported (diags says what and where).
// The file and its bases are read as policy_files.hpp says (a regular file of at most 1 MiB;
// bases only in the policy's directory tree or the search path from HARDEN_POLICY_PATH).
std::optional<Policy> read_policy(const std::string& path, Diagnostics& diags);

// Same, from text already in memory; `name` is used as the file name in messages.
// `extends` paths are resolved relative to the directory of `name`.
std::optional<Policy> read_policy_text(const std::string& text, const std::string& name,
                                       Diagnostics& diags);

// Both, with the file access and the search path given (tests, the fuzzer).
std::optional<Policy> read_policy(const std::string& path, Diagnostics& diags,
                                  PolicyFileSystem& files, std::vector<std::string> search_path);
std::optional<Policy> read_policy_text(const std::string& text, const std::string& name,
                                       Diagnostics& diags, PolicyFileSystem& files,
                                       std::vector<std::string> search_path);

// Whether `text` sets [policy] name, which a policy does and a base does not. Text that is not
// TOML harden can read counts as a policy, so that reading it reports why. Never throws.
bool policy_text_sets_name(std::string_view text);

}  // namespace harden
