// Credentials layer: supplementary groups, gid, uid. SECBIT_NO_SETUID_FIXUP is set first so
// the uid change does not wipe the capabilities the capabilities step still needs (it drops
// everything not kept right after).
#include <linux/securebits.h>
#include <sys/prctl.h>

#include <cerrno>
#include <csignal>

#include "enforcer/layers.hpp"

namespace harden::enforce::credentials {

bool wanted(const PlanData& plan) {
  return plan.credentials.change_ids;
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  const CredentialsPlan& creds = plan.credentials;
  const int current_bits = sys.prctl(PR_GET_SECUREBITS, 0);
  if (current_bits < 0) return step_failed(errno, "prctl(PR_GET_SECUREBITS)");
  if (sys.prctl(PR_SET_SECUREBITS,
                static_cast<unsigned long>(current_bits) | SECBIT_NO_SETUID_FIXUP) != 0) {
    return step_failed(errno, "prctl(PR_SET_SECUREBITS, NO_SETUID_FIXUP)");
  }
  // Exactly the listed groups: an empty list clears root's groups, never keeps them.
  if (sys.setgroups(creds.supplementary_groups) != 0) {
    return step_failed(
        errno, "setgroups(" + std::to_string(creds.supplementary_groups.size()) + " groups)");
  }
  if (sys.setresgid(creds.gid) != 0) {
    return step_failed(errno, "setresgid(" + std::to_string(creds.gid) + ")");
  }
  if (sys.setresuid(creds.uid) != 0) {
    return step_failed(errno, "setresuid(" + std::to_string(creds.uid) + ")");
  }
  // A credential change clears the parent-death signal; the target must still die with
  // its supervisor.
  if (ctx.under_supervisor && sys.prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    return step_failed(errno, "prctl(PR_SET_PDEATHSIG)");
  }
  // Armed again only now: a supervisor that died in between sent no signal, so look.
  if (ctx.under_supervisor && sys.supervisor_alive() != 1) {
    return step_failed(ESRCH, "the supervisor is gone");
  }
  return {};
}

}  // namespace harden::enforce::credentials
