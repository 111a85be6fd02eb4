#include "policy/toml_section.hpp"

namespace harden {

SourcePos pos_of(const toml::source_region& region) {
  SourcePos pos;
  if (region.path) pos.file = *region.path;
  pos.line = region.begin.line;
  pos.column = region.begin.column;
  return pos;
}

std::string_view toml_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::optional<uint64_t> parse_byte_count(std::string_view text) {
  unsigned shift = 0;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K':
      case 'k':
        shift = 10;
        break;
      case 'M':
      case 'm':
        shift = 20;
        break;
      case 'G':
      case 'g':
        shift = 30;
        break;
      case 'T':
      case 't':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift != 0) text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (shift != 0 && value > (UINT64_MAX >> shift)) return std::nullopt;
  return value << shift;
}

TomlSection::TomlSection(const toml::table& table, std::string section,
                         std::span<const std::string_view> known_keys, Diagnostics& diags)
    : table_(table), section_(std::move(section)), diags_(diags) {
  check_unknown_keys(known_keys);
}

void TomlSection::check_unknown_keys(std::span<const std::string_view> known_keys) const {
  for (const auto& [key, value] : table_) {
    bool known = false;
    for (const auto k : known_keys)
      known = known || k == key.str();
    if (known) continue;
    std::string hint = did_you_mean(key.str(), known_keys);
    if (hint.empty()) {
      hint = "valid keys in [" + section_ + "] are:";
      for (const auto k : known_keys)
        hint += " " + std::string(k);
    }
    diags_.error(pos_of(key.source()),
                 "unknown key '" + std::string(key.str()) + "' in [" + section_ + "]", hint);
  }
}

const toml::node* TomlSection::node(std::string_view key) const {
  return table_.get(key);
}

SourcePos TomlSection::key_pos(std::string_view key) const {
  for (const auto& [k, v] : table_) {
    if (k.str() == key) return pos_of(k.source());
  }
  return pos_of(table_);
}

void TomlSection::type_error(const toml::node& node, std::string_view key,
                             std::string_view what) const {
  diags_.error(pos_of(node), "'" + section_ + "." + std::string(key) + "' must be " +
                                 std::string(what) + ", not " + std::string(toml_type_name(node)));
}

std::optional<LocatedString> TomlSection::string(std::string_view key) const {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  if (const auto* s = n->as_string()) return LocatedString{s->get(), pos_of(*n)};
  type_error(*n, key, "a string");
  return std::nullopt;
}

std::optional<Located<bool>> TomlSection::boolean(std::string_view key) const {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  if (const auto* b = n->as_boolean()) return Located<bool>{b->get(), pos_of(*n)};
  type_error(*n, key, "true or false");
  return std::nullopt;
}

std::optional<Located<int64_t>> TomlSection::integer(std::string_view key) const {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  if (const auto* i = n->as_integer()) return Located<int64_t>{i->get(), pos_of(*n)};
  type_error(*n, key, "an integer");
  return std::nullopt;
}

std::optional<LocatedStrings> TomlSection::strings(std::string_view key) const {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  const auto* array = n->as_array();
  if (!array) {
    type_error(*n, key, "an array of strings");
    return std::nullopt;
  }
  LocatedStrings out;
  for (const toml::node& element : *array) {
    if (const auto* s = element.as_string()) {
      out.push_back({s->get(), pos_of(element)});
    } else {
      type_error(element, key, "an array of strings (this element is not a string)");
    }
  }
  return out;
}

}  // namespace harden
