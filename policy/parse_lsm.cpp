// Parser for [lsm]: the AppArmor profile and SELinux context the target is executed under.
// Whether the LSM is active is a run-time question (enforcer/lsm.cpp).
#include <array>

#include "policy/sections.hpp"
#include "policy/toml_section.hpp"

namespace harden {

void parse_lsm_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 3> kKeys{"apparmor_profile", "optional",
                                                         "selinux_context"};
  const TomlSection section(table, "lsm", kKeys, diags);
  policy.lsm.apparmor_profile = section.string("apparmor_profile");
  policy.lsm.selinux_context = section.string("selinux_context");
  policy.lsm.optional = section.boolean("optional");
}

}  // namespace harden
