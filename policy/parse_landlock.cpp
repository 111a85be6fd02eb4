// Parsers for [landlock] and [ipc] (whose keys are Landlock scopes). Shape and spelling
// only; compile_landlock.cpp gives them meaning.
#include <array>

#include "policy/sections.hpp"
#include "policy/toml_section.hpp"

namespace harden {

namespace {

// An array of TCP port numbers. Absent and empty differ: an empty list still restricts.
std::optional<std::vector<Located<int64_t>>> ports(const TomlSection& section, std::string_view key,
                                                   int64_t lowest) {
  const toml::node* n = section.node(key);
  if (!n) return std::nullopt;
  const auto* array = n->as_array();
  if (!array) {
    section.type_error(*n, key, "an array of port numbers");
    return std::nullopt;
  }
  std::vector<Located<int64_t>> out;
  for (const toml::node& element : *array) {
    const auto* port = element.as_integer();
    if (!port || port->get() < lowest || port->get() > 65535) {
      section.diags().error(pos_of(element),
                            "'" + section.name() + "." + std::string(key) +
                                "' entries must be port numbers from " + std::to_string(lowest) +
                                " to 65535",
                            lowest == 0 ? "0 allows binding to an ephemeral port"
                                        : "list the TCP ports the target may connect to");
      continue;
    }
    out.push_back({port->get(), pos_of(element)});
  }
  return out;
}

// "deny" or "allow", with a suggestion for anything else.
std::optional<LocatedString> deny_or_allow(const TomlSection& section, std::string_view key) {
  std::optional<LocatedString> value = section.string(key);
  if (!value) return value;
  static constexpr std::array<std::string_view, 2> kValues{"allow", "deny"};
  if (value->value != "deny" && value->value != "allow") {
    section.diags().error(value->pos,
                          "invalid value '" + value->value + "' for '" + section.name() + "." +
                              std::string(key) + "'",
                          did_you_mean(value->value, kValues, "use \"deny\" or \"allow\""));
    return std::nullopt;
  }
  return value;
}

}  // namespace

void parse_landlock_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 9> kKeys{
      "bind_tcp", "connect_tcp", "derive_from_view", "execute", "filesystem", "mode", "read",
      "refer",    "write"};
  const TomlSection section(table, "landlock", kKeys, diags);
  LandlockSection& landlock = policy.landlock;
  landlock.present = true;
  landlock.pos = pos_of(table);
  if (auto mode = section.string("mode")) {
    static constexpr std::array<std::string_view, 3> kModes{"best-effort", "enforce", "off"};
    bool known = false;
    for (const auto m : kModes)
      known = known || m == mode->value;
    if (!known) {
      diags.error(mode->pos, "invalid Landlock mode '" + mode->value + "'",
                  did_you_mean(mode->value, kModes, "use \"enforce\", \"best-effort\" or \"off\""));
    } else {
      landlock.mode = std::move(mode);
    }
  }
  landlock.filesystem = section.boolean("filesystem");
  landlock.derive_from_view = section.boolean("derive_from_view");
  if (auto read = section.strings("read")) landlock.read = std::move(*read);
  if (auto write = section.strings("write")) landlock.write = std::move(*write);
  if (auto execute = section.strings("execute")) landlock.execute = std::move(*execute);
  if (auto refer = section.strings("refer")) landlock.refer = std::move(*refer);
  landlock.bind_tcp = ports(section, "bind_tcp", 0);
  landlock.connect_tcp = ports(section, "connect_tcp", 1);
}

void parse_ipc_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 2> kKeys{"abstract_unix_sockets", "signals"};
  const TomlSection section(table, "ipc", kKeys, diags);
  policy.ipc.abstract_unix_sockets = deny_or_allow(section, "abstract_unix_sockets");
  policy.ipc.signals = deny_or_allow(section, "signals");
}

}  // namespace harden
