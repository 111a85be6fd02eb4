// Lint rules about the process the target becomes: its identity and capabilities, resource
// limits, file system view, environment, umask and session. They read the compiled plan for
// what is enforced (the user's uid after name resolution) and the policy for where.
#include <algorithm>
#include <array>
#include <string>

#include "compiler/dangerous.hpp"
#include "compiler/lint_checks.hpp"

namespace harden::lint {

namespace {

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

void check_dangerous_capabilities(const LintInput& in, std::vector<LintFinding>& out) {
  for (const LocatedString& cap : in.policy.capabilities.keep) {
    const DangerousCapability* dangerous = find_dangerous_capability(cap.value);
    if (!dangerous) continue;
    out.push_back({.rule = "dangerous-capability",
                   .pos = cap.pos,
                   .message = std::string(dangerous->name) + " is kept: " +
                              std::string(dangerous->why),
                   .item = std::string(dangerous->name),
                   .badness = dangerous->weight});
  }
}

void check_runs_as_root(const LintInput& in, std::vector<LintFinding>& out) {
  const CredentialsPlan& creds = in.plan.credentials;
  const IdentitySection& identity = in.policy.identity;
  if (!creds.change_ids) {
    out.push_back({.rule = "runs-as-root",
                   .pos = in.section_or_name("identity"),
                   .message = "no [identity] user: the target keeps the uid of whoever starts "
                              "harden, which for a system service is root",
                   .item = "user"});
    return;
  }
  if (creds.uid == 0) {
    out.push_back({.rule = "runs-as-root",
                   .pos = identity.user ? identity.user->pos : in.section_or_name("identity"),
                   .message = "the target runs as root (uid 0): it owns the host's files and "
                              "regains power with any capability or setuid slip",
                   .item = "user"});
  }
  if (creds.gid == 0) {
    out.push_back({.rule = "runs-as-root",
                   .pos = identity.group ? identity.group->pos
                          : identity.user ? identity.user->pos
                                          : in.section_or_name("identity"),
                   .message = "the target runs with group root (gid 0), which owns much of /etc "
                              "and /var",
                   .item = "group",
                   .badness = 0.3});
  }
  if (std::ranges::find(creds.supplementary_groups, gid_t{0}) != creds.supplementary_groups.end()) {
    SourcePos pos = in.section_or_name("identity");
    for (const LocatedString& group : identity.supplementary_groups.value_or(LocatedStrings{})) {
      if (group.value == "0" || group.value == "root") pos = group.pos;
    }
    out.push_back({.rule = "runs-as-root",
                   .pos = pos,
                   .message = "the target is in the supplementary group root (gid 0)",
                   .item = "supplementary_groups",
                   .badness = 0.3});
  }
}

void check_no_new_privileges(const LintInput& in, std::vector<LintFinding>& out) {
  const auto& nnp = in.policy.identity.no_new_privileges;
  if (!nnp || nnp->value) return;
  out.push_back({.rule = "no-new-privileges-off",
                 .pos = nnp->pos,
                 .message = "no_new_privileges = false: setuid programs and file capabilities "
                            "can raise the target's privileges after exec"});
}

void check_limits(const LintInput& in, std::vector<LintFinding>& out) {
  // The limits whose absence lets one bad process hurt the rest of the machine or leak memory.
  struct Wanted {
    std::string_view name;
    std::string_view why;
  };
  static constexpr std::array<Wanted, 3> kWanted{{
      {"core", "a crash writes the process's memory, secrets included, to disk"},
      {"nofile", "the target can exhaust file descriptors"},
      {"nproc", "a fork bomb can exhaust the user's processes"},
  }};
  for (const Wanted& wanted : kWanted) {
    const auto it = std::ranges::find(in.policy.limits.values, wanted.name,
                                      [](const LimitValue& v) { return v.name.value; });
    if (it == in.policy.limits.values.end()) {
      out.push_back({.rule = "limits-missing",
                     .pos = in.section_or_name("limits"),
                     .message = "no " + quoted(wanted.name) + " limit: " + std::string(wanted.why),
                     .item = std::string(wanted.name),
                     .badness = 1.0 / kWanted.size()});
    } else if (it->hard_infinite) {
      out.push_back({.rule = "limits-missing",
                     .pos = it->hard ? it->hard->pos : it->name.pos,
                     .message = "the " + quoted(wanted.name) + " limit is infinity: " +
                                std::string(wanted.why),
                     .item = std::string(wanted.name),
                     .badness = 1.0 / kWanted.size()});
    }
  }
}

void check_filesystem(const LintInput& in, std::vector<LintFinding>& out) {
  // Extension point: when a constructed root, Landlock paths or read-only binds exist, each of
  // them restricts the file system too.
  if (!in.plan.filesystem.chroot.empty()) return;
  out.push_back({.rule = "filesystem-unrestricted",
                 .pos = in.section_or_name("filesystem"),
                 .message = "no file system restriction: the target sees (and may write) every "
                            "file its user can"});
}

void check_environment(const LintInput& in, std::vector<LintFinding>& out) {
  const auto& clear = in.policy.environment.clear;
  if (!clear || clear->value) return;
  out.push_back({.rule = "environment-inherited",
                 .pos = clear->pos,
                 .message = "clear = false: the target inherits harden's whole environment "
                            "(tokens, LD_PRELOAD, proxies, ...)"});
}

void check_umask(const LintInput& in, std::vector<LintFinding>& out) {
  const auto& umask = in.plan.exec.umask;
  if (!umask) {
    out.push_back({.rule = "umask-permissive",
                   .pos = in.section_or_name("exec"),
                   .message = "no umask: the target inherits the caller's, and may create files "
                              "others can write"});
  } else if ((*umask & 0002) == 0) {
    out.push_back({.rule = "umask-permissive",
                   .pos = in.policy.exec.umask->pos,
                   .message = "umask " + in.policy.exec.umask->value +
                              " lets the target create world-writable files"});
  }
}

void check_new_session(const LintInput& in, std::vector<LintFinding>& out) {
  const auto& new_session = in.policy.exec.new_session;
  if (!new_session || new_session->value) return;
  out.push_back({.rule = "new-session-off",
                 .pos = new_session->pos,
                 .message = "new_session = false: the target shares the caller's terminal and "
                            "can push keystrokes into it (TIOCSTI)"});
}

}  // namespace harden::lint
