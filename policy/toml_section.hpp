// Typed, position-keeping access to one TOML table of a policy, with unknown-key detection.
// Each section parser declares the keys it knows; anything else is an error with a
// suggestion, because a typo in a security policy is a hole.
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"

namespace harden {

SourcePos pos_of(const toml::source_region& region);
inline SourcePos pos_of(const toml::node& node) {
  return pos_of(node.source());
}
std::string_view toml_type_name(const toml::node& node);

// "4096", "64K", "512M", "2G", "1T": a byte count with an optional binary suffix (powers of
// 1024). nullopt for anything else, including a count that would overflow 64 bits.
std::optional<uint64_t> parse_byte_count(std::string_view text);

class TomlSection {
 public:
  // `section` is the dotted name used in messages ("seccomp", "seccomp.rule").
  TomlSection(const toml::table& table, std::string section,
              std::span<const std::string_view> known_keys, Diagnostics& diags);

  const toml::table& table() const { return table_; }
  const std::string& name() const { return section_; }
  Diagnostics& diags() const { return diags_; }

  const toml::node* node(std::string_view key) const;
  SourcePos key_pos(std::string_view key) const;

  std::optional<LocatedString> string(std::string_view key) const;
  std::optional<Located<bool>> boolean(std::string_view key) const;
  std::optional<Located<int64_t>> integer(std::string_view key) const;
  // An array of strings; wrong element types are reported one by one.
  std::optional<LocatedStrings> strings(std::string_view key) const;

  // Calls parse(table) for each table of an array of tables ([[section.key]]); anything else
  // at `key` is a type error naming `what`.
  template <typename Parse>
  void each_table(std::string_view key, std::string_view what, Parse parse) const {
    const toml::node* found = node(key);
    if (!found) return;
    const auto* array = found->as_array();
    if (!array || !array->is_array_of_tables()) {
      type_error(*found, key, what);
      return;
    }
    for (const toml::node& element : *array)
      parse(*element.as_table());
  }

  // Reports "expected a <what>, found <type>" at the node.
  void type_error(const toml::node& node, std::string_view key, std::string_view what) const;

 private:
  void check_unknown_keys(std::span<const std::string_view> known_keys) const;

  const toml::table& table_;
  std::string section_;
  Diagnostics& diags_;
};

}  // namespace harden
