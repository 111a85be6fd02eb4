// Lint rule about the host's secrets: a file of the sensitive-path table (lint/dangerous.cpp)
// that the target can read while no audit watch records reads of it. "Can read" comes from the
// compiled plan, as three tests that must all pass, each erring towards "readable":
//
//  1. The file (or part of a sensitive directory) is in the target's view: the host's file
//     system when nothing restricts it; inside the jail of a chroot (or the jail lies inside a
//     sensitive directory); in a constructed root, through a bind of it or of a parent that no
//     deeper entry of the view covers.
//  2. Landlock does not refuse it: only mode "enforce" with the file system restricted counts
//     (best-effort may run on a kernel without Landlock), and a rule granting read on the path,
//     on a parent or on anything beneath it lets it through.
//  3. The identity passes the file's permissions: CAP_DAC_READ_SEARCH or CAP_DAC_OVERRIDE kept,
//     uid 0 (or the caller's uid, which for a system service is root) for a file root owns, or
//     the file's group as primary or supplementary group. The owners and groups are Debian's,
//     recorded in the table rather than read from the lint host: results must not depend on
//     the machine lint runs on (a CI runner has no SSH host keys), and an owner can change a
//     file's mode at will anyway. Capabilities that lead to root by another way (CAP_SETUID,
//     CAP_SYS_ADMIN, CAP_FOWNER, ...) are dangerous-capability's findings, not this rule's.
//
// An [[audit.watch]] with "r" on the path or a parent directory records every read, by the
// target or anyone else, and silences the finding: the exposure is then observed.
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "lint/dangerous.hpp"
#include "lint/lint_checks.hpp"
#include "plan/landlock_abi.hpp"

namespace harden::lint {

namespace {

constexpr std::string_view kRule = "sensitive-path-unwatched";

// `path` is `dir` or lies beneath it; both absolute.
bool beneath(std::string_view path, std::string_view dir) {
  if (dir == "/") return true;
  return path.starts_with(dir) && (path.size() == dir.size() || path[dir.size()] == '/');
}

std::string without_trailing_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  return path;
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// Why the target's identity may read a file, and the line that gives it.
struct Grant {
  SourcePos pos;
  std::string what;
};

std::optional<gid_t> group_id(std::string_view name) {
  if (name == "root") return gid_t{0};
  // The host's group database, through which the compiler resolved [identity] too.
  std::vector<char> buffer(16384);
  group entry{};
  group* result = nullptr;
  const std::string text(name);
  if (getgrnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &result) != 0 || !result) {
    return std::nullopt;
  }
  return result->gr_gid;
}

std::optional<Grant> capability_grant(const LintInput& in) {
  struct Bypass {
    int cap;
    std::string_view name;
  };
  static constexpr Bypass kBypasses[] = {{CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH"},
                                         {CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE"}};
  for (const Bypass& bypass : kBypasses) {
    if (!(in.plan.capabilities.keep & (uint64_t{1} << bypass.cap))) continue;
    SourcePos pos = in.section_or_name("capabilities");
    for (const LocatedString& cap : in.policy.capabilities.keep) {
      if (canonical_capability_name(cap.value) == bypass.name) pos = cap.pos;
    }
    return Grant{pos, "the target keeps " + std::string(bypass.name) + ", which reads every file"};
  }
  return std::nullopt;
}

std::optional<Grant> identity_grant(const LintInput& in, const SensitivePath& sensitive) {
  if (auto grant = capability_grant(in)) return grant;
  const CredentialsPlan& creds = in.plan.credentials;
  const IdentitySection& identity = in.policy.identity;
  const SourcePos section = in.section_or_name("identity");
  if (sensitive.owned_by_root && !creds.change_ids) {
    return Grant{section,
                 "the target keeps the caller's uid (root, for a system service), its owner"};
  }
  if (sensitive.owned_by_root && creds.uid == 0) {
    return Grant{identity.user ? identity.user->pos : section,
                 "the target runs as root, its owner"};
  }
  if (sensitive.group.empty() || !creds.change_ids) return std::nullopt;
  const std::optional<gid_t> gid = group_id(sensitive.group);
  if (!gid) return std::nullopt;
  const std::string group = quoted(sensitive.group);
  if (creds.gid == *gid) {
    return Grant{identity.group  ? identity.group->pos
                 : identity.user ? identity.user->pos
                                 : section,
                 "the target's group is " + group + ", which may read it"};
  }
  if (std::ranges::find(creds.supplementary_groups, *gid) == creds.supplementary_groups.end()) {
    return std::nullopt;
  }
  SourcePos pos = section;
  for (const LocatedString& written : identity.supplementary_groups.value_or(LocatedStrings{})) {
    if (written.value == sensitive.group || written.value == std::to_string(*gid)) {
      pos = written.pos;
    }
  }
  return Grant{pos, "the target is in the group " + group + ", which may read it"};
}

// Where the target sees a host path, or part of it: the path inside its view, and the line that
// puts it there (none for the host's own file system).
struct Sight {
  std::string target;
  std::optional<SourcePos> pos;
  std::string how;
};

// A deeper entry of the view mounted over `target` hides what `mount` shows there. Read-only
// remounts and symlinks hide nothing.
bool covered(const FilesystemPlan& fs, const ViewMount& mount, const std::string& target) {
  return std::ranges::any_of(fs.view, [&](const ViewMount& other) {
    if (other.kind == ViewKind::symlink || other.kind == ViewKind::remount_ro) return false;
    return other.target.size() > mount.target.size() && beneath(other.target, mount.target) &&
           beneath(target, other.target);
  });
}

std::vector<Sight> sights(const LintInput& in, const std::string& host) {
  const FilesystemPlan& fs = in.plan.filesystem;
  std::vector<Sight> out;
  if (!fs.chroot.empty()) {
    const std::string jail = without_trailing_slash(fs.chroot);
    const auto& chroot = in.policy.filesystem.chroot;
    const SourcePos pos = chroot ? chroot->pos : in.section_or_name("filesystem");
    if (beneath(host, jail)) {
      out.push_back(
          {host == jail ? "/" : host.substr(jail.size()), pos, "in the chroot " + quoted(jail)});
    } else if (beneath(jail, host)) {
      out.push_back({"/", pos, "in part: the chroot " + quoted(jail) + " lies inside it"});
    }
    return out;
  }
  if (!fs.constructed_root) {
    out.push_back({host, std::nullopt, "on the host's file system"});
    return out;
  }
  for (const ViewMount& mount : fs.view) {
    if (mount.kind != ViewKind::bind && mount.kind != ViewKind::dev_bind) continue;
    const std::string source = without_trailing_slash(mount.source);
    std::string target;
    std::string how = "through " + quoted(mount.target) + " in the view";
    if (beneath(host, source)) {
      target = mount.target + (source == "/" ? host : host.substr(source.size()));
    } else if (beneath(source, host)) {
      target = mount.target;
      how = "in part: " + quoted(source) + " is bound at " + quoted(mount.target);
    } else {
      continue;
    }
    if (covered(fs, mount, target)) continue;
    SourcePos pos = in.section_or_name("filesystem");
    if (mount.origin.line > 0) pos = {mount.origin.file, mount.origin.line, mount.origin.column};
    out.push_back({target, pos, how});
  }
  return out;
}

// Landlock in enforce mode with the file system restricted lets the target read only where a
// rule grants reading: at or above the path, or (for a directory, in part) beneath it.
bool landlock_lets_read(const LandlockPlan& landlock, const std::string& target) {
  if (!landlock.enabled || !landlock.restrict_fs || landlock.best_effort) return true;
  constexpr uint64_t kReadRights = landlock_abi::kFsReadFile | landlock_abi::kFsReadDir;
  return std::ranges::any_of(landlock.paths, [&](const LandlockPathRule& rule) {
    if (!(rule.access & kReadRights)) return false;
    const std::string path = without_trailing_slash(rule.path);
    return beneath(target, path) || beneath(path, target);
  });
}

// An audit watch with the read permission on the path or a directory above it. (Audit watches
// name host paths, as the table does.)
bool watched(const AuditPlan& audit, const std::string& host) {
  return std::ranges::any_of(audit.rules, [&](const AuditRule& rule) {
    return rule.kind == AuditRule::Kind::watch && (rule.permissions & AUDIT_PERM_READ) &&
           beneath(host, rule.path);
  });
}

}  // namespace

void check_sensitive_paths(const LintInput& in, std::vector<LintFinding>& out) {
  for (const SensitivePath& sensitive : sensitive_paths()) {
    const std::string host(sensitive.path);
    if (watched(in.plan.audit, host)) continue;
    const std::optional<Grant> grant = identity_grant(in, sensitive);
    if (!grant) continue;
    for (const Sight& sight : sights(in, host)) {
      if (!landlock_lets_read(in.plan.landlock, sight.target)) continue;
      const std::string as = sight.target == host ? "" : " (as " + quoted(sight.target) + ")";
      out.push_back(make_finding(
          kRule, sight.pos.value_or(grant->pos),
          quoted(host) + " (" + std::string(sensitive.why) + ") is readable " + sight.how + as +
              " and no [[audit.watch]] records reads of it: " + grant->what,
          host, sensitive.weight,
          "add [[audit.watch]] path = \"" + host +
              "\" with \"r\" in permissions (a parent directory counts), or take it out of "
              "the view or out of the identity's reach"));
      break;  // one finding per file: the first place it shows
    }
  }
}

}  // namespace harden::lint
