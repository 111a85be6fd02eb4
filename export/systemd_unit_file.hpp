// Reading a systemd unit file (systemd.syntax(7)) as `harden import --from systemd` needs it:
// sections, directives in order with their file:line, continuation lines, and the two value
// syntaxes the sandboxing directives use (whitespace-separated words with C-style quotes, and
// command lines with their prefixes).
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "policy/diagnostics.hpp"

namespace harden {

struct UnitDirective {
  std::string section;  // "Service", without brackets
  std::string key;
  std::string value;  // leading and trailing whitespace removed
  SourcePos pos;      // of the key
};

// Every directive of the file, in order. Errors (a line that is neither a section header, a
// comment nor KEY=VALUE; a directive before any section) go to `diags`.
std::vector<UnitDirective> parse_unit_file(const std::string& text, const std::string& file,
                                           Diagnostics& diags);

// Splits a value into words at whitespace; single and double quotes group words and C-style
// escapes (\n, \t, \\, \", \', \xNN) are decoded, as systemd's extract_first_word() with
// EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE. The error says what is unbalanced.
[[nodiscard]] std::expected<std::vector<std::string>, std::string> split_unit_words(
    const std::string& value);

// An Exec*= line: its prefix characters ("-", "@", ":", "+", "!", "!!") and argv.
struct UnitCommand {
  std::string prefixes;
  std::vector<std::string> argv;
};
[[nodiscard]] std::expected<UnitCommand, std::string> parse_unit_command(const std::string& value);

// systemd's boolean spellings: 1 yes y true t on / 0 no n false f off.
[[nodiscard]] std::expected<bool, std::string> parse_unit_bool(const std::string& value);

}  // namespace harden
