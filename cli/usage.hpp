// What harden says about a command line it cannot use: which exit code (125 for anything that
// may have been meant as a launch, so the failure cannot pass for the target's own status; 2 for
// the other subcommands, as their man pages say) and hints that name the fix: the nearest
// option or subcommand for a typo, and the missing "--" before the target's command.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace harden::cli {

struct CommandLine {
  std::vector<std::string> own_args;  // harden's own arguments, before the first "--"
  bool has_separator = false;         // a "--" was given (the target's command follows it)
};

// The subcommand the arguments name (its first word that is not an option or an option's
// value), or "" for the short form `harden --policy P -- CMD` and for a word that names none.
[[nodiscard]] std::string named_subcommand(CLI::App& app, const CommandLine& line);

// True unless the arguments name a subcommand other than `run`: a usage error then exits 125.
[[nodiscard]] bool may_be_launch(CLI::App& app, const CommandLine& line);

// One line per problem found in the arguments, each with the fix ("unknown option '--polcy':
// did you mean '--policy'?", "put -- before the target's command: ..."). Empty when nothing
// more than CLI11's own message can be said.
[[nodiscard]] std::vector<std::string> usage_hints(CLI::App& app, const CommandLine& line);

// Prints CLI11's message, the hints and where to read more, on stderr.
void print_usage_error(CLI::App& app, const CommandLine& line, const CLI::ParseError& error);

}  // namespace harden::cli
