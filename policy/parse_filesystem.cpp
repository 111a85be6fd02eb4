// Parser for [filesystem]: the classic chroot, or the entries of a constructed root. Paths
// are checked for shape here; existence and the cross-field rules belong to the compiler.
#include <array>
#include <cctype>

#include "policy/sections.hpp"
#include "policy/toml_section.hpp"

namespace harden {

namespace {

// "64M", "1G", 1048576: a byte count with an optional K/M/G suffix (powers of 1024).
std::optional<uint64_t> parse_size(const toml::node& n, Diagnostics& diags) {
  if (const auto* i = n.as_integer(); i && i->get() > 0) return static_cast<uint64_t>(i->get());
  if (const auto* s = n.as_string()) {
    if (auto bytes = parse_byte_count(s->get()); bytes && *bytes > 0) return bytes;
  }
  diags.error(pos_of(n), "invalid tmpfs size",
              "use a positive number of bytes, or a number "
              "with K, M or G such as \"64M\"");
  return std::nullopt;
}

// One list (read_only, read_write or tmpfs): strings, or tables with the keys that list knows.
std::vector<ViewEntry> parse_view_list(const TomlSection& section, std::string_view key,
                                       std::span<const std::string_view> table_keys) {
  std::vector<ViewEntry> entries;
  const toml::node* n = section.node(key);
  if (!n) return entries;
  const auto* array = n->as_array();
  if (!array) {
    section.type_error(*n, key, "an array of paths or tables");
    return entries;
  }
  const std::string list_name = "filesystem." + std::string(key);
  for (const toml::node& element : *array) {
    ViewEntry entry;
    if (const auto* s = element.as_string()) {
      entry.path = {s->get(), pos_of(element)};
      entries.push_back(std::move(entry));
      continue;
    }
    const auto* table = element.as_table();
    if (!table) {
      section.type_error(element, key, "an array of paths or tables (this element is neither)");
      continue;
    }
    const TomlSection item(*table, list_name, table_keys, section.diags());
    auto path = item.string("path");
    if (!path) {
      section.diags().error(pos_of(element), "an entry of '" + list_name + "' has no 'path'",
                            "write { path = \"/where/in/the/root\", ... }");
      continue;
    }
    entry.path = std::move(*path);
    entry.source = item.string("source");
    entry.noexec = item.boolean("noexec");
    entry.mode = item.string("mode");
    if (const toml::node* size = item.node("size")) {
      if (auto bytes = parse_size(*size, section.diags())) {
        entry.size = Located<uint64_t>{*bytes, pos_of(*size)};
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace

void parse_filesystem_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 7> kKeys{"chroot",     "dev", "proc", "read_only",
                                                         "read_write", "sys", "tmpfs"};
  static constexpr std::array<std::string_view, 3> kBindKeys{"noexec", "path", "source"};
  static constexpr std::array<std::string_view, 4> kTmpfsKeys{"mode", "noexec", "path", "size"};
  const TomlSection section(table, "filesystem", kKeys, diags);
  FilesystemSection& fs = policy.filesystem;
  fs.chroot = section.string("chroot");
  fs.read_only = parse_view_list(section, "read_only", kBindKeys);
  fs.read_write = parse_view_list(section, "read_write", kBindKeys);
  fs.tmpfs = parse_view_list(section, "tmpfs", kTmpfsKeys);
  fs.proc = section.boolean("proc");
  fs.sys = section.boolean("sys");
  fs.dev = section.string("dev");
  // The first key (in file order) that asks for a constructed root.
  for (const auto& [key, value] : table) {
    if (key.str() == "chroot") continue;
    const SourcePos pos = pos_of(key.source());
    if (!fs.view_pos || pos.line < fs.view_pos->line ||
        (pos.line == fs.view_pos->line && pos.column < fs.view_pos->column)) {
      fs.view_pos = pos;
    }
  }
}

}  // namespace harden
