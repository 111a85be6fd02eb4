// Parser for [cgroup]. Kept apart from [limits] (setrlimit) on purpose: "cpu" there is
// RLIMIT_CPU in seconds, here it is a share of CPU time, and the two must not be confused.
#include <array>

#include "policy/sections.hpp"
#include "policy/toml_section.hpp"

namespace harden {

namespace {

// A byte count: an integer, or a string with a K/M/G/T suffix (powers of 1024).
std::optional<Located<uint64_t>> byte_size(const TomlSection& section, std::string_view key) {
  const toml::node* n = section.node(key);
  if (!n) return std::nullopt;
  if (const auto* i = n->as_integer()) {
    if (i->get() <= 0) {
      section.diags().error(pos_of(*n), "'cgroup." + std::string(key) + "' must be positive",
                            "leave the key out for no limit");
      return std::nullopt;
    }
    return Located<uint64_t>{static_cast<uint64_t>(i->get()), pos_of(*n)};
  }
  if (const auto* s = n->as_string()) {
    if (auto bytes = parse_byte_count(s->get()); bytes && *bytes > 0) {
      return Located<uint64_t>{*bytes, pos_of(*n)};
    }
    section.diags().error(pos_of(*n),
                          "invalid size '" + s->get() + "' for 'cgroup." + std::string(key) + "'",
                          "use a positive number of bytes, or one with K/M/G/T, e.g. \"512M\"");
    return std::nullopt;
  }
  section.type_error(*n, key, "a size such as \"512M\" or a number of bytes");
  return std::nullopt;
}

}  // namespace

void parse_cgroup_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 4> kKeys{"cpu", "memory", "pids", "systemd"};
  const TomlSection section(table, "cgroup", kKeys, diags);
  CgroupSection& cgroup = policy.cgroup;
  cgroup.present = true;
  cgroup.pos = pos_of(table);
  cgroup.memory = byte_size(section, "memory");
  cgroup.pids = section.integer("pids");
  cgroup.cpu = section.string("cpu");
  if (auto systemd = section.string("systemd")) {
    static constexpr std::array<std::string_view, 3> kModes{"fail", "leave", "nest"};
    bool known = false;
    for (const auto m : kModes)
      known = known || m == systemd->value;
    if (!known) {
      diags.error(systemd->pos, "invalid value '" + systemd->value + "' for 'cgroup.systemd'",
                  did_you_mean(systemd->value, kModes, "use \"fail\", \"leave\" or \"nest\""));
    } else {
      cgroup.systemd = std::move(systemd);
    }
  }
}

}  // namespace harden
