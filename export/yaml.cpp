#include "export/yaml.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>

namespace harden {

namespace {

using nlohmann::ordered_json;

// One UTF-8 sequence at text[i]: its code point and length, or U+FFFD and 1 for a byte that
// does not start a valid, shortest-form sequence.
std::pair<char32_t, size_t> decode_utf8(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return {lead, 1};
  size_t length = 0;
  char32_t cp = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    cp = lead & 0x07;
  } else {
    return {0xFFFD, 1};
  }
  if (i + length > text.size()) return {0xFFFD, 1};
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {0xFFFD, 1};
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  constexpr std::array<char32_t, 5> kMinimum{0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinimum[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return {0xFFFD, 1};
  }
  return {cp, length};
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// YAML's printable set (1.1 and 1.2): tab, LF, CR, 0x20-0x7E, U+0085, U+00A0-U+D7FF,
// U+E000-U+FFFD (less the byte order mark, which a parser may eat), U+10000 and above.
bool printable(char32_t cp) {
  if (cp >= 0x20 && cp <= 0x7E) return true;
  if (cp == 0x85) return true;
  if (cp >= 0xA0 && cp <= 0xD7FF) return true;
  if (cp >= 0xE000 && cp <= 0xFFFD) return cp != 0xFEFF;
  return cp >= 0x10000 && cp <= 0x10FFFF;
}

// A key that every YAML 1.1 and 1.2 resolver reads as this very string: a letter, then
// letters, digits and ". _ / -", and not one of the words YAML 1.1 reads as a boolean or null.
bool plain_key(const std::string& key) {
  if (key.empty() || !std::isalpha(static_cast<unsigned char>(key[0]))) return false;
  const bool safe_chars = std::ranges::all_of(key, [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '/' || c == '-';
  });
  if (!safe_chars) return false;
  std::string lower = key;
  std::ranges::transform(lower, lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::array<std::string_view, 9> kReserved{"y",   "n",    "yes",   "no",  "on",
                                                             "off", "true", "false", "null"};
  return std::ranges::find(kReserved, lower) == kReserved.end();
}

std::string yaml_key(const std::string& key) {
  return plain_key(key) ? key : yaml_quoted(key);
}

std::string scalar(const ordered_json& value) {
  if (value.is_string()) return yaml_quoted(value.get<std::string>());
  // Numbers, booleans and null in JSON spelling, which YAML reads back the same way.
  return value.dump();
}

bool empty_container(const ordered_json& value) {
  return value.is_structured() && value.empty();
}

void emit(const ordered_json& value, size_t indent, bool first_line_done, std::string& out);

// One "key: value" or "- value" line and what nests below it. `prefix` is what precedes the
// value on the line ("key:" or "-").
void emit_entry(const std::string& prefix, const ordered_json& value, size_t indent,
                bool first_line_done, std::string& out) {
  if (!first_line_done) out += std::string(indent, ' ');
  out += prefix;
  if (!value.is_structured()) {
    out += " " + scalar(value) + "\n";
  } else if (empty_container(value)) {
    out += value.is_object() ? " {}\n" : " []\n";
  } else if (value.is_object() && prefix == "-") {
    // "- key: value" with the object's other keys aligned under the first.
    out += " ";
    emit(value, indent + 2, true, out);
  } else {
    out += "\n";
    emit(value, indent + 2, false, out);
  }
}

void emit(const ordered_json& value, size_t indent, bool first_line_done, std::string& out) {
  bool first = first_line_done;
  if (value.is_object()) {
    for (const auto& [key, member] : value.items()) {
      emit_entry(yaml_key(key) + ":", member, indent, first, out);
      first = false;
    }
  } else {
    for (const ordered_json& item : value) {
      emit_entry("-", item, indent, first, out);
      first = false;
    }
  }
}

// A comment line: no newline or other control character survives into the YAML.
std::string comment_line(const std::string& text) {
  std::string out = "#";
  if (!text.empty()) out += ' ';
  for (size_t i = 0; i < text.size();) {
    const auto [cp, length] = decode_utf8(text, i);
    i += length;
    if (printable(cp) && cp != 0x85) {
      append_utf8(out, cp);
    } else {
      char buffer[16];
      std::snprintf(buffer, sizeof buffer, "\\u%04X", static_cast<unsigned>(cp));
      out += buffer;
    }
  }
  return out + "\n";
}

}  // namespace

std::string yaml_quoted(const std::string& text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    const auto [cp, length] = decode_utf8(text, i);
    i += length;
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\r':
        out += "\\r";
        continue;
      default:
        break;
    }
    if (printable(cp) && cp != 0x85) {
      append_utf8(out, cp);
    } else {
      // \uXXXX (or \UXXXXXXXX) is both a YAML and, below U+10000, a JSON escape.
      char buffer[16];
      if (cp < 0x10000) {
        std::snprintf(buffer, sizeof buffer, "\\u%04X", static_cast<unsigned>(cp));
      } else {
        std::snprintf(buffer, sizeof buffer, "\\U%08X", static_cast<unsigned>(cp));
      }
      out += buffer;
    }
  }
  return out + "\"";
}

std::string to_yaml(const std::vector<YamlDocument>& documents) {
  std::string out;
  for (size_t d = 0; d < documents.size(); ++d) {
    if (d > 0) out += "---\n";
    for (const std::string& comment : documents[d].comments)
      out += comment_line(comment);
    const ordered_json& body = documents[d].body;
    if (body.is_structured() && !body.empty()) {
      emit(body, 0, false, out);
    } else {
      out += (body.is_structured() ? body.dump() : scalar(body)) + "\n";
    }
  }
  return out;
}

std::string to_json(const std::vector<YamlDocument>& documents) {
  constexpr auto kReplace = ordered_json::error_handler_t::replace;
  if (documents.size() == 1) return documents.front().body.dump(2, ' ', false, kReplace) + "\n";
  ordered_json list{{"apiVersion", "v1"}, {"kind", "List"}, {"items", ordered_json::array()}};
  for (const YamlDocument& document : documents)
    list["items"].push_back(document.body);
  return list.dump(2, ' ', false, kReplace) + "\n";
}

}  // namespace harden
