// Landlock layer: one ruleset with the policy's filesystem rules (explicit and derived from
// the view), the exec lock, TCP port rules and IPC scopes, applied with
// landlock_restrict_self(). The kernel's ABI decides what can be handled: `enforce` refuses
// to start when the kernel lacks something the policy needs, `best-effort` runs without it
// and says exactly what was dropped.
#include <linux/landlock.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "enforcer/layers.hpp"
#include "enforcer/seccomp_notify.hpp"
#include "enforcer/write_stderr.hpp"
#include "plan/landlock_abi.hpp"

namespace harden::enforce::landlock {

namespace ll = harden::landlock_abi;

// Our constants are the kernel's; check them against the installed header where it has them.
static_assert(ll::kFsExecute == LANDLOCK_ACCESS_FS_EXECUTE);
static_assert(ll::kFsReadFile == LANDLOCK_ACCESS_FS_READ_FILE);
static_assert(ll::kFsMakeSym == LANDLOCK_ACCESS_FS_MAKE_SYM);
#ifdef LANDLOCK_ACCESS_FS_REFER
static_assert(ll::kFsRefer == LANDLOCK_ACCESS_FS_REFER);
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
static_assert(ll::kFsTruncate == LANDLOCK_ACCESS_FS_TRUNCATE);
#endif
#ifdef LANDLOCK_ACCESS_FS_IOCTL_DEV
static_assert(ll::kFsIoctlDev == LANDLOCK_ACCESS_FS_IOCTL_DEV);
#endif
#ifdef LANDLOCK_ACCESS_NET_BIND_TCP
static_assert(ll::kNetBindTcp == LANDLOCK_ACCESS_NET_BIND_TCP);
static_assert(ll::kNetConnectTcp == LANDLOCK_ACCESS_NET_CONNECT_TCP);
#endif
#ifdef LANDLOCK_SCOPE_SIGNAL
static_assert(ll::kScopeAbstractUnixSocket == LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET);
static_assert(ll::kScopeSignal == LANDLOCK_SCOPE_SIGNAL);
#endif

namespace {

// Rights Landlock accepts on a rule for a file that is not a directory.
constexpr uint64_t kFileRights =
    ll::kFsExecute | ll::kFsWriteFile | ll::kFsReadFile | ll::kFsTruncate | ll::kFsIoctlDev;

void report(std::string_view text) {
  write_stderr(text);
}

std::string where(const PlanOrigin& origin) {
  if (origin.file.empty()) return "derived from the filesystem view";
  return "from " + origin.file + ":" + std::to_string(origin.line) + ":" +
         std::to_string(origin.column);
}

// Everything the policy asks Landlock to handle, before the kernel's ABI is considered.
LandlockRulesetAttr wanted_by(const LandlockPlan& plan) {
  LandlockRulesetAttr attr;
  if (plan.restrict_fs) attr.handled_access_fs = ll::fs_rights_for(ll::kHighestKnownAbi);
  if (plan.restrict_bind) attr.handled_access_net |= ll::kNetBindTcp;
  if (plan.restrict_connect) attr.handled_access_net |= ll::kNetConnectTcp;
  attr.scoped = plan.scopes;
  return attr;
}

bool grants(const LandlockPlan& plan, uint64_t right) {
  for (const LandlockPathRule& rule : plan.paths) {
    if (rule.access & right) return true;
  }
  return false;
}

// "tcp bind/connect port rules (ABI 4), signal scope (ABI 6)": what this ABI cannot do.
std::string missing_features(const LandlockRulesetAttr& wanted, int abi) {
  std::string missing;
  for (const ll::Feature& f : ll::kFeatures) {
    if (f.abi <= abi) continue;
    if (!(f.fs & wanted.handled_access_fs) && !(f.net & wanted.handled_access_net) &&
        !(f.scope & wanted.scoped)) {
      continue;
    }
    if (!missing.empty()) missing += ", ";
    missing += std::string(f.name) + " (ABI " + std::to_string(f.abi) + ")";
  }
  return missing;
}

// Rights that matter on procfs, whose files (loginuid, oom_score_adj, attr/*, comm, ...) are
// often guarded by nothing but "it is the process itself": writing, truncating, ioctl. The
// other write rights (make, remove, rename) procfs never grants anyway.
constexpr uint64_t kProcGuarded = ll::kFsWriteFile | ll::kFsTruncate | ll::kFsIoctlDev;

StepResult add_path_rule(Sys& sys, int ruleset, const std::string& path, uint64_t access,
                         const PlanOrigin& origin, bool skip_missing) {
  bool directory = false;
  const SysFd fd(sys, sys.open_path(path.c_str(), directory));
  if (!fd.valid()) {
    // An entry of a listed directory that went away (or a dangling link): nothing to grant.
    if (skip_missing && (errno == ENOENT || errno == ELOOP)) return {};
    return step_failed(errno, "cannot open Landlock path '" + path + "' (" + where(origin) + ")");
  }
  if (!directory) access &= kFileRights;
  if (access == 0) return {};
  if (sys.landlock_add_path_rule(ruleset, fd.get(), access) != 0) {
    return step_failed(errno, "landlock_add_rule('" + path + "', " + where(origin) + ")");
  }
  return {};
}

// A rule derived for "/" (a chroot shows its whole jail, granted write) would reach the
// target's /proc. Landlock only ever adds rights, so "/" itself keeps all but the guarded
// rights, and every entry of "/" except proc gets the rule's full rights. Symlinks are not
// listed (one could lead to /proc). What this costs: a file created later directly in "/"
// cannot be opened for writing.
StepResult add_root_rule_except_proc(Sys& sys, int ruleset, const LandlockPathRule& rule,
                                     uint64_t access) {
  if (auto r = add_path_rule(sys, ruleset, "/", access & ~kProcGuarded, rule.origin, false); !r) {
    return r;
  }
  std::vector<std::string> names;
  if (sys.list_directory("/", names) != 0) {
    return step_failed(errno, "listing / to grant it without /proc (" + where(rule.origin) + ")");
  }
  for (const std::string& name : names) {
    if (name == "proc") continue;
    if (auto r = add_path_rule(sys, ruleset, "/" + name, access, rule.origin, true); !r) return r;
  }
  return {};
}

StepResult add_port_rules(Sys& sys, int ruleset, const std::vector<uint16_t>& ports,
                          uint64_t access, const char* what) {
  for (const uint16_t port : ports) {
    if (sys.landlock_add_port_rule(ruleset, port, access) != 0) {
      return step_failed(
          errno, std::string("landlock_add_rule(") + what + " port " + std::to_string(port) + ")");
    }
  }
  return {};
}

}  // namespace

// Also for a policy without [landlock] whose errno answers the supervisor gives: the target
// must then not signal (nor ptrace, which any Landlock domain prevents) its supervisor.
bool wanted(const PlanData& plan) {
  return plan.landlock.enabled || seccomp_notify::has_errno_answers(plan.seccomp);
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  if (!plan.landlock.enabled && !ctx.notify_errno_answers) return {};
  const LandlockPlan& landlock = plan.landlock;
  int abi = sys.landlock_abi();
  const int abi_errno = abi < 0 ? errno : 0;
  if (abi < 0) abi = 0;

  LandlockRulesetAttr wanted_attr = wanted_by(landlock);
  // The supervisor answers errno verdicts (session.cpp checked the ABI has scopes).
  if (ctx.notify_errno_answers) wanted_attr.scoped |= ll::kScopeSignal;
  // REFER is handled whenever the filesystem is, so that it is denied wherever the policy
  // does not grant it. A kernel before ABI 2 cannot handle it, but denies every rename and
  // link across directories under any ruleset: it lacks the feature only for a policy that
  // grants it somewhere.
  LandlockRulesetAttr needed = wanted_attr;
  if (!grants(landlock, ll::kFsRefer)) needed.handled_access_fs &= ~ll::kFsRefer;
  const std::string missing = missing_features(needed, abi);
  if (!missing.empty()) {
    const std::string kernel =
        abi == 0 ? std::string("this kernel has no Landlock (") +
                       (abi_errno == EOPNOTSUPP ? "disabled at boot" : "not built in") + ")"
                 : "this kernel's Landlock ABI is " + std::to_string(abi);
    if (!landlock.best_effort) {
      return step_failed(0, kernel + ", and the policy needs " + missing +
                                "; mode = \"best-effort\" would run without them");
    }
    report("harden: landlock (best-effort): " + kernel + "; dropped: " + missing + "\n");
  }

  LandlockRulesetAttr attr;
  attr.handled_access_fs = wanted_attr.handled_access_fs & ll::fs_rights_for(abi);
  attr.handled_access_net = wanted_attr.handled_access_net & ll::net_rights_for(abi);
  attr.scoped = wanted_attr.scoped & ll::scopes_for(abi);
  if (!attr.handled_access_fs && !attr.handled_access_net && !attr.scoped) return {};

  const SysFd ruleset(sys, sys.landlock_create_ruleset(attr));
  if (!ruleset.valid()) return step_failed(errno, "landlock_create_ruleset()");

  // The exec lock: the target and its interpreters, opened at prepare time.
  for (const ExecLockFile& file : ctx.exec_lock) {
    const uint64_t access = ll::kExecute & attr.handled_access_fs;
    if (sys.landlock_add_path_rule(ruleset.get(), file.fd.get(), access) != 0) {
      return step_failed(errno, "landlock_add_rule(execute " + file.path + ")");
    }
  }
  for (const LandlockPathRule& rule : landlock.paths) {
    const uint64_t access = rule.access & attr.handled_access_fs;
    const bool derived = rule.origin.file.empty();
    StepResult added =
        derived && rule.path == "/" && (access & kProcGuarded)
            ? add_root_rule_except_proc(sys, ruleset.get(), rule, access)
            : add_path_rule(sys, ruleset.get(), rule.path, access, rule.origin, false);
    if (!added) return added;
  }
  if (attr.handled_access_net & ll::kNetBindTcp) {
    if (auto r = add_port_rules(sys, ruleset.get(), landlock.bind_tcp, ll::kNetBindTcp, "bind");
        !r) {
      return r;
    }
  }
  if (attr.handled_access_net & ll::kNetConnectTcp) {
    if (auto r =
            add_port_rules(sys, ruleset.get(), landlock.connect_tcp, ll::kNetConnectTcp, "connect");
        !r) {
      return r;
    }
  }
  // The target's denials go to the audit log where the kernel can say them (ABI 7), as its
  // seccomp kills do: `harden denials` reads them back.
  const uint32_t flags = abi >= 7 ? ll::kRestrictSelfLogNewExecOn : 0;
  if (sys.landlock_restrict_self(ruleset.get(), flags) != 0) {
    return step_failed(errno, "landlock_restrict_self()");
  }
  // The rules hold the inodes now; the descriptors must not reach the target.
  ctx.exec_lock.clear();
  return {};
}

}  // namespace harden::enforce::landlock
