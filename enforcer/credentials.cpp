// Credentials layer: supplementary groups, gid, uid. SECBIT_NO_SETUID_FIXUP is set first so
// the uid change does not wipe the capabilities the capabilities step still needs (it drops
// everything not kept right after).
#include <linux/securebits.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <span>
#include <string>

#include "enforcer/layers.hpp"

namespace harden::enforce::credentials {

namespace {

std::string triple(uint32_t real, uint32_t effective, uint32_t saved) {
  return std::to_string(real) + "/" + std::to_string(effective) + "/" + std::to_string(saved);
}

std::string list(std::span<const gid_t> groups) {
  std::string text;
  for (const gid_t g : groups)
    text += (text.empty() ? "" : ",") + std::to_string(g);
  return "[" + text + "]";
}

// The kernel must now hold exactly the plan's ids. The calls above can succeed without
// changing an id ((id_t)-1 means "leave unchanged"; the compiler, the plan reader and the
// verify-plan step refuse it, and this catches any other way), so what matters is read back.
StepResult read_back(const CredentialsPlan& creds, Sys& sys, ExecContext& ctx) {
  uid_t ruid = 0, euid = 0, suid = 0;
  if (sys.getresuid(ruid, euid, suid) != 0) return step_failed(errno, "getresuid()");
  if (ruid != creds.uid || euid != creds.uid || suid != creds.uid) {
    return step_failed(0, "read back: real/effective/saved uid are " + triple(ruid, euid, suid) +
                              ", the plan says " + std::to_string(creds.uid));
  }
  gid_t rgid = 0, egid = 0, sgid = 0;
  if (sys.getresgid(rgid, egid, sgid) != 0) return step_failed(errno, "getresgid()");
  if (rgid != creds.gid || egid != creds.gid || sgid != creds.gid) {
    return step_failed(0, "read back: real/effective/saved gid are " + triple(rgid, egid, sgid) +
                              ", the plan says " + std::to_string(creds.gid));
  }
  std::span<gid_t> held(ctx.groups_readback);
  const int count = sys.getgroups(held);
  if (count < 0) {
    if (errno != EINVAL) return step_failed(errno, "getgroups()");
    return step_failed(0,
                       "read back: the process holds more supplementary groups than the "
                       "plan's " +
                           std::to_string(creds.supplementary_groups.size()));
  }
  held = held.first(static_cast<size_t>(count));
  std::sort(held.begin(), held.end());
  // The plan's list is sorted and without duplicates (compile_credentials).
  if (!std::ranges::equal(held, creds.supplementary_groups)) {
    return step_failed(0, "read back: the supplementary groups are " + list(held) +
                              ", the plan says " + list(creds.supplementary_groups));
  }
  return {};
}

}  // namespace

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
  if (StepResult held = read_back(creds, sys, ctx); !held) return held;
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
