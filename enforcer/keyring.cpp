// Keyring layer: the target leaves the caller's session keyring for a fresh, empty, anonymous
// one. A session keyring is inherited across fork and execve and is "possessed" by every
// process that has it, whatever its uid: keys the caller stored there (the default permissions
// of add_key(2) give the possessor read) would otherwise be readable by the target even after
// the uid change, and a key search through @s would find them.
#include <linux/keyctl.h>

#include <cerrno>

#include "enforcer/layers.hpp"

namespace harden::enforce::keyring {

// Every launch: there is no policy in which the caller's keys are the target's business.
bool wanted(const PlanData&) {
  return true;
}

StepResult apply(const PlanData&, Sys& sys, ExecContext&) {
  if (sys.join_session_keyring() == 0) return {};
  // A kernel built without keys (CONFIG_KEYS=n) has no keyring to leak, for the target either.
  if (errno == ENOSYS) return {};
  return step_failed(errno,
                     "keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL) for a fresh session "
                     "keyring");
}

}  // namespace harden::enforce::keyring
