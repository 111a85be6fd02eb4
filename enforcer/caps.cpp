// Capabilities layer: the bounding set is cut to the kept set, the kept capabilities are put
// in permitted, effective, inheritable and ambient (so they survive execve for a non-root
// user), every other capability leaves every set, and securebits are locked so neither uid 0
// nor a later setuid can bring powers back.
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>

#include <cerrno>

#include "enforcer/layers.hpp"

namespace harden::enforce::capabilities {

namespace {

constexpr uint64_t bit(int cap) {
  return uint64_t{1} << cap;
}

// NOROOT: uid 0 gets no capabilities from execve. NO_SETUID_FIXUP: uid changes do not touch
// capabilities. KEEP_CAPS off and locked. NO_CAP_AMBIENT_RAISE: the target cannot add ambient
// capabilities. All locked, so the target cannot undo them.
constexpr unsigned long kLockedSecurebits =
    SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
    SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

}  // namespace

bool wanted(const PlanData&) {
  return true;
}  // every other capability always goes

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  const uint64_t keep = plan.capabilities.keep;
  CapSets current;
  if (sys.get_capabilities(current) != 0) return step_failed(errno, "capget()");

  if (!(current.effective & bit(CAP_SETPCAP))) {
    // Without CAP_SETPCAP the bounding set and securebits cannot change. That is safe only
    // when there is nothing to keep, nothing held, and no_new_privs stops execve from
    // gaining anything (setuid or file capabilities); otherwise refuse.
    if (keep == 0 && current.permitted == 0 && plan.no_new_privs) return {};
    return step_failed(EPERM,
                       "dropping capabilities needs CAP_SETPCAP (run harden as root, or "
                       "in rootless mode with a user namespace)");
  }
  if ((keep & current.permitted) != keep) {
    return step_failed(EPERM, "the policy keeps capabilities harden does not hold (mask " +
                                  std::to_string(keep & ~current.permitted) + ")");
  }
  const int last_cap = ctx.kernel_last_cap < 63 ? ctx.kernel_last_cap : 63;
  for (int cap = 0; cap <= last_cap; ++cap) {
    if (keep & bit(cap)) continue;
    if (sys.prctl(PR_CAPBSET_DROP, static_cast<unsigned long>(cap)) != 0) {
      return step_failed(errno, "prctl(PR_CAPBSET_DROP, " + std::to_string(cap) + ")");
    }
  }
  // Keep CAP_SETPCAP a moment longer: locking securebits needs it.
  const uint64_t with_setpcap = keep | bit(CAP_SETPCAP);
  if (sys.set_capabilities({with_setpcap, with_setpcap, keep}) != 0) {
    return step_failed(errno, "capset(kept + CAP_SETPCAP)");
  }
  if (sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL) != 0) {
    return step_failed(errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  }
  for (int cap = 0; cap <= last_cap; ++cap) {
    if (!(keep & bit(cap))) continue;
    if (sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, static_cast<unsigned long>(cap)) != 0) {
      return step_failed(errno, "prctl(PR_CAP_AMBIENT_RAISE, " + std::to_string(cap) + ")");
    }
  }
  if (sys.prctl(PR_SET_SECUREBITS, kLockedSecurebits) != 0) {
    return step_failed(errno, "prctl(PR_SET_SECUREBITS, locked)");
  }
  if (sys.set_capabilities({keep, keep, keep}) != 0) return step_failed(errno, "capset(kept)");
  return {};
}

}  // namespace harden::enforce::capabilities
