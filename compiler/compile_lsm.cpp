// Resolves [lsm]: the labels are checked for shape here; whether the LSM is active and the
// profile loaded is only known on the machine that runs the service (enforcer/lsm.cpp).
#include <algorithm>
#include <cctype>

#include "compiler/compile_layers.hpp"

namespace harden {

LsmPlan compile_lsm(const LsmSection& lsm, Diagnostics& diags) {
  LsmPlan plan;
  auto printable = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isgraph(c); });
  };
  if (lsm.apparmor_profile) {
    const LocatedString& name = *lsm.apparmor_profile;
    if (name.value.empty() || name.value.size() > 255 || !printable(name.value)) {
      diags.error(name.pos, "invalid AppArmor profile name '" + name.value + "'",
                  "use a loaded profile's name, e.g. \"harden-web\" (see aa-status)");
    }
    plan.apparmor_profile = name.value;
  }
  if (lsm.selinux_context) {
    const LocatedString& context = *lsm.selinux_context;
    if (std::count(context.value.begin(), context.value.end(), ':') < 2 ||
        !printable(context.value)) {
      diags.error(context.pos, "invalid SELinux context '" + context.value + "'",
                  "write user:role:type[:level], e.g. \"system_u:system_r:httpd_t:s0\"");
    }
    plan.selinux_context = context.value;
  }
  if (lsm.optional) {
    plan.optional = lsm.optional->value;
    if (plan.apparmor_profile.empty() && plan.selinux_context.empty()) {
      diags.warning(lsm.optional->pos, "'optional' has no effect without a label",
                    "set apparmor_profile or selinux_context");
    }
  }
  return plan;
}

}  // namespace harden
