// Parser for [network] and its [[network.allow]] tables. Values are checked for shape and
// spelling here; addresses, ports and the cross-field rules are checked by
// compiler/compile_network.cpp, which also writes the nftables ruleset.
#include <array>

#include "policy/sections.hpp"
#include "policy/toml_section.hpp"

namespace harden {

namespace {

// Ports may be written as numbers (8080) or ranges in a string ("8000-8100"); both are kept
// as text so the compiler checks them in one place.
LocatedStrings port_list(const TomlSection& section, const toml::node& n) {
  LocatedStrings ports;
  const auto* array = n.as_array();
  if (!array) {
    section.type_error(n, "ports", "an array of port numbers or \"first-last\" ranges");
    return ports;
  }
  for (const toml::node& element : *array) {
    if (const auto* i = element.as_integer()) {
      ports.push_back({std::to_string(i->get()), pos_of(element)});
    } else if (const auto* s = element.as_string()) {
      ports.push_back({s->get(), pos_of(element)});
    } else {
      section.type_error(element, "ports", "port numbers or \"first-last\" ranges");
    }
  }
  return ports;
}

void parse_allow(const toml::table& table, NetworkSection& network, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 5> kKeys{"addresses", "direction", "ports",
                                                         "protocol", "reason"};
  const TomlSection section(table, "network.allow", kKeys, diags);
  NetworkAllow allow;
  allow.pos = pos_of(table);
  auto direction = section.string("direction");
  if (!direction) {
    if (!section.node("direction")) {
      diags.error(allow.pos, "a [[network.allow]] needs a 'direction'",
                  "add direction = \"ingress\" or direction = \"egress\"");
    }
    return;
  }
  allow.direction = *direction;
  allow.protocol = section.string("protocol");
  section.string("reason");
  if (const toml::node* ports = section.node("ports")) allow.ports = port_list(section, *ports);
  if (auto addresses = section.strings("addresses")) allow.addresses = std::move(*addresses);
  network.allow.push_back(std::move(allow));
}

}  // namespace

void parse_network_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 6> kKeys{"allow",   "cgroup",   "egress",
                                                         "ingress", "loopback", "scope"};
  const TomlSection section(table, "network", kKeys, diags);
  NetworkSection& network = policy.network;
  network.present = true;
  network.pos = pos_of(table);
  network.scope = section.string("scope");
  network.ingress = section.string("ingress");
  network.egress = section.string("egress");
  network.loopback = section.string("loopback");
  network.cgroup = section.string("cgroup");
  section.each_table("allow", "a list of [[network.allow]] tables",
                     [&](const toml::table& allow) { parse_allow(allow, network, diags); });
}

}  // namespace harden
