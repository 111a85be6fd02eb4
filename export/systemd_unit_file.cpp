#include "export/systemd_unit_file.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace harden {

namespace {

std::string trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty() && blank(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && blank(text.back()))
    text.remove_suffix(1);
  return std::string(text);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::vector<UnitDirective> parse_unit_file(const std::string& text, const std::string& file,
                                           Diagnostics& diags) {
  std::vector<UnitDirective> out;
  std::string section;
  std::vector<std::string> lines;
  for (size_t start = 0; start <= text.size();) {
    const size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    const uint32_t line_number = static_cast<uint32_t>(i + 1);
    std::string line = trim(lines[i]);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3) {
        diags.error({file, line_number, 1}, "malformed section header '" + line + "'",
                    "write it as [Service]");
        continue;
      }
      section = line.substr(1, line.size() - 2);
      continue;
    }
    const size_t column = lines[i].find_first_not_of(" \t") + 1;
    // A trailing backslash continues the directive on the next line; comment lines in
    // between are skipped, as systemd does.
    while (!line.empty() && line.back() == '\\' && i + 1 < lines.size()) {
      line.pop_back();
      line += ' ';
      ++i;
      const std::string next = trim(lines[i]);
      if (!next.empty() && (next[0] == '#' || next[0] == ';')) {
        line.pop_back();
        line += '\\';  // still continued
        continue;
      }
      line += next;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      diags.error({file, line_number, 1}, "'" + line + "' is not KEY=VALUE",
                  "unit files hold section headers, comments and KEY=VALUE lines");
      continue;
    }
    if (section.empty()) {
      diags.error({file, line_number, 1}, "a directive before the first section header",
                  "put it under [Service]");
      continue;
    }
    out.push_back({section,
                   trim(std::string_view(line).substr(0, eq)),
                   trim(std::string_view(line).substr(eq + 1)),
                   {file, line_number, static_cast<uint32_t>(column)}});
  }
  return out;
}

std::expected<std::vector<std::string>, std::string> split_unit_words(const std::string& value) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quote == 0 && (c == ' ' || c == '\t')) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '"' || c == '\'') {
      if (quote == 0) {
        quote = c;
        continue;
      }
      if (quote == c) {
        quote = 0;
        continue;
      }
    }
    if (c == '\\') {
      if (i + 1 >= value.size()) return std::unexpected("a value ends with a lone backslash");
      const char e = value[++i];
      switch (e) {
        case 'n':
          word += '\n';
          break;
        case 't':
          word += '\t';
          break;
        case 'r':
          word += '\r';
          break;
        case 'x': {
          if (i + 2 >= value.size() || hex_digit(value[i + 1]) < 0 || hex_digit(value[i + 2]) < 0) {
            return std::unexpected("\\x needs two hexadecimal digits");
          }
          const int byte = hex_digit(value[i + 1]) * 16 + hex_digit(value[i + 2]);
          if (byte == 0) return std::unexpected("\\x00 (a NUL byte) in a value");
          word += static_cast<char>(byte);
          i += 2;
          break;
        }
        default:
          word += e;  // \\ \" \' \  and the rest stand for themselves
      }
      continue;
    }
    word += c;
  }
  if (quote != 0) return std::unexpected(std::string("unbalanced ") + quote + " quote");
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::expected<UnitCommand, std::string> parse_unit_command(const std::string& value) {
  UnitCommand command;
  size_t i = 0;
  while (i < value.size() && std::string_view("-@:+!").find(value[i]) != std::string_view::npos) {
    command.prefixes += value[i++];
  }
  auto words = split_unit_words(value.substr(i));
  if (!words) return std::unexpected(words.error());
  if (words->empty()) return std::unexpected("an empty command");
  command.argv = std::move(*words);
  // '@': the second word is argv[0] as the program sees it; the first is the file run.
  if (command.prefixes.find('@') != std::string::npos && command.argv.size() >= 2) {
    command.argv.erase(command.argv.begin() + 1);
  }
  return command;
}

std::expected<bool, std::string> parse_unit_bool(const std::string& value) {
  std::string lower = value;
  std::ranges::transform(lower, lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::array<std::string_view, 6> kTrue{"1", "yes", "y", "true", "t", "on"};
  static constexpr std::array<std::string_view, 6> kFalse{"0", "no", "n", "false", "f", "off"};
  if (std::ranges::find(kTrue, lower) != kTrue.end()) return true;
  if (std::ranges::find(kFalse, lower) != kFalse.end()) return false;
  return std::unexpected("'" + value + "' is not a boolean (yes or no)");
}

}  // namespace harden
