// Lint rules about the process the target becomes: its identity and capabilities, resource
// limits, file system view, environment, umask and session. They read the compiled plan for
// what is enforced (the user's uid after name resolution) and the policy for where.
#include <grp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "lint/dangerous.hpp"
#include "lint/lint_checks.hpp"

namespace harden::lint {

namespace {

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

}  // namespace

void check_dangerous_capabilities(const LintInput& in, std::vector<LintFinding>& out) {
  for (const LocatedString& cap : in.policy.capabilities.keep) {
    const DangerousCapability* dangerous = find_dangerous_capability(cap.value);
    if (!dangerous) continue;
    out.push_back(
        make_finding("dangerous-capability", cap.pos,
                     std::string(dangerous->name) + " is kept: " + std::string(dangerous->why),
                     std::string(dangerous->name), dangerous->weight));
  }
}

namespace {

// The gid a written group resolves to, as the compiler resolved it: a decimal id, else a name
// in the host's group database.
std::optional<gid_t> resolved_gid(const std::string& written) {
  uint32_t id = 0;
  const auto [end, ec] = std::from_chars(written.data(), written.data() + written.size(), id);
  if (ec == std::errc() && end == written.data() + written.size()) return id;
  std::vector<char> buffer(16384);
  group entry{};
  group* result = nullptr;
  if (getgrnam_r(written.c_str(), &entry, buffer.data(), buffer.size(), &result) != 0 || !result) {
    return std::nullopt;
  }
  return result->gr_gid;
}

}  // namespace

// Judged on the resolved ids of the plan, never on how the policy spelt them: "00", a second
// name for uid 0, or (uid_t)-1, which the kernel reads as "unchanged" (the caller's, root).
void check_runs_as_root(const LintInput& in, std::vector<LintFinding>& out) {
  const CredentialsPlan& creds = in.plan.credentials;
  const IdentitySection& identity = in.policy.identity;
  constexpr uint32_t kUnchanged = static_cast<uint32_t>(-1);
  const auto is_root = [](uint32_t id) { return id == 0 || id == kUnchanged; };
  if (!creds.change_ids) {
    out.push_back(make_finding("runs-as-root", in.section_or_name("identity"),
                               "no [identity] user: the target keeps the uid of whoever starts "
                               "harden, which for a system service is root",
                               "user"));
    return;
  }
  if (is_root(creds.uid)) {
    out.push_back(make_finding("runs-as-root",
                               identity.user ? identity.user->pos : in.section_or_name("identity"),
                               "the target runs as root (uid 0): it owns the host's files and "
                               "regains power with any capability or setuid slip",
                               "user"));
  }
  if (is_root(creds.gid)) {
    out.push_back(make_finding("runs-as-root",
                               identity.group  ? identity.group->pos
                               : identity.user ? identity.user->pos
                                               : in.section_or_name("identity"),
                               "the target runs with group root (gid 0), which owns much of /etc "
                               "and /var",
                               "group", 0.3));
  }
  if (std::ranges::any_of(creds.supplementary_groups, is_root)) {
    SourcePos pos = in.section_or_name("identity");
    for (const LocatedString& group : identity.supplementary_groups.value_or(LocatedStrings{})) {
      const std::optional<gid_t> gid = resolved_gid(group.value);
      if (gid && is_root(*gid)) {
        pos = group.pos;
        break;
      }
    }
    out.push_back(make_finding("runs-as-root", pos,
                               "the target is in the supplementary group root (gid 0)",
                               "supplementary_groups", 0.3));
  }
}

void check_no_new_privileges(const LintInput& in, std::vector<LintFinding>& out) {
  const auto& nnp = in.policy.identity.no_new_privileges;
  if (!nnp || nnp->value) return;
  out.push_back(make_finding("no-new-privileges-off", nnp->pos,
                             "no_new_privileges = false: setuid programs and file capabilities "
                             "can raise the target's privileges after exec"));
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
      out.push_back(make_finding("limits-missing", in.section_or_name("limits"),
                                 "no " + quoted(wanted.name) + " limit: " + std::string(wanted.why),
                                 std::string(wanted.name), 1.0 / kWanted.size()));
    } else if (it->hard_infinite) {
      out.push_back(make_finding(
          "limits-missing", it->hard ? it->hard->pos : it->name.pos,
          "the " + quoted(wanted.name) + " limit is infinity: " + std::string(wanted.why),
          std::string(wanted.name), 1.0 / kWanted.size()));
    }
  }
}

void check_filesystem(const LintInput& in, std::vector<LintFinding>& out) {
  if (!in.plan.filesystem.chroot.empty() || in.plan.filesystem.constructed_root) return;
  if (in.plan.landlock.enabled && in.plan.landlock.restrict_fs) return;
  out.push_back(make_finding("filesystem-unrestricted", in.section_or_name("filesystem"),
                             "no file system restriction: the target sees (and may write) every "
                             "file its user can"));
}

void check_environment(const LintInput& in, std::vector<LintFinding>& out) {
  const auto& clear = in.policy.environment.clear;
  if (!clear || clear->value) return;
  out.push_back(make_finding("environment-inherited", clear->pos,
                             "clear = false: the target inherits harden's whole environment "
                             "(tokens, LD_PRELOAD, proxies, ...)"));
}

void check_umask(const LintInput& in, std::vector<LintFinding>& out) {
  const auto& umask = in.plan.exec.umask;
  if (!umask) {
    out.push_back(make_finding("umask-permissive", in.section_or_name("exec"),
                               "no umask: the target inherits the caller's, and may create files "
                               "others can write"));
  } else if ((*umask & 0002) == 0) {
    out.push_back(make_finding(
        "umask-permissive", in.policy.exec.umask->pos,
        "umask " + in.policy.exec.umask->value + " lets the target create world-writable files"));
  }
}

void check_new_session(const LintInput& in, std::vector<LintFinding>& out) {
  const auto& new_session = in.policy.exec.new_session;
  if (!new_session || new_session->value) return;
  out.push_back(make_finding("new-session-off", new_session->pos,
                             "new_session = false: the target shares the caller's terminal and "
                             "can push keystrokes into it (TIOCSTI)"));
}

}  // namespace harden::lint
