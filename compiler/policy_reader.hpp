// Reads a policy file (and the files it extends) into a Policy, reporting every problem with
// its file:line:column. Never throws.
#pragma once

#include <optional>
#include <string>

#include "compiler/diagnostics.hpp"
#include "compiler/policy.hpp"

namespace harden {

// Returns the policy, or nullopt when any error was reported (diags says what and where).
std::optional<Policy> read_policy(const std::string& path, Diagnostics& diags);

// Same, from text already in memory; `name` is used as the file name in messages.
// `extends` paths are resolved relative to the directory of `name`.
std::optional<Policy> read_policy_text(const std::string& text, const std::string& name,
                                       Diagnostics& diags);

}  // namespace harden
