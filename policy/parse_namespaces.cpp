// Parser for [namespaces]. Values are checked for spelling here; the rules between them
// (a hostname needs a UTS namespace, ...) are the compiler's, in compile_namespaces.cpp.
#include <array>

#include "policy/sections.hpp"
#include "policy/toml_section.hpp"

namespace harden {

namespace {

// A string that must be one of `choices`; anything else is an error with a suggestion.
std::optional<LocatedString> choice(const TomlSection& section, std::string_view key,
                                    std::span<const std::string_view> choices) {
  auto value = section.string(key);
  if (!value) return std::nullopt;
  for (const auto c : choices) {
    if (c == value->value) return value;
  }
  std::string valid;
  for (const auto c : choices)
    valid += (valid.empty() ? "" : ", ") + std::string(c);
  section.diags().error(
      value->pos, "unknown value '" + value->value + "' for 'namespaces." + std::string(key) + "'",
      did_you_mean(value->value, choices, "use one of: " + valid));
  return std::nullopt;
}

}  // namespace

void parse_namespaces_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 8> kKeys{"cgroup", "hostname", "ipc",  "mount",
                                                         "net",    "pid",      "user", "uts"};
  static constexpr std::array<std::string_view, 2> kIpc{"private", "host"};
  static constexpr std::array<std::string_view, 3> kNet{"host", "private", "loopback"};
  const TomlSection section(table, "namespaces", kKeys, diags);
  NamespacesSection& ns = policy.namespaces;
  ns.ipc = choice(section, "ipc", kIpc);
  ns.net = choice(section, "net", kNet);
  ns.mount = section.boolean("mount");
  ns.uts = section.boolean("uts");
  ns.hostname = section.string("hostname");
  ns.cgroup = section.boolean("cgroup");
  ns.pid = section.boolean("pid");
  ns.user = section.boolean("user");
}

}  // namespace harden
