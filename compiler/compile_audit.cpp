// Resolves [audit]: path watches and per-uid syscall rules for the kernel's audit subsystem.
// Every rule gets the user's key (shown in each record) and the owner key "harden:<policy>",
// so harden can list and remove exactly its own rules (enforcer/audit.cpp).
#include <linux/audit.h>
#include <seccomp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "compiler/compile_layers.hpp"

namespace harden {

namespace {

// The kernel stores all keys of a rule in one field, separated by \x01, at most this long.
constexpr size_t kMaxKeysLength = AUDIT_MAX_KEY_LEN;

bool valid_key(const std::string& key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](unsigned char c) {
    return std::isgraph(c) && c != '"' && c != '\\';
  });
}

std::optional<std::string> resolve_key(const std::optional<LocatedString>& written,
                                       const std::string& fallback, const std::string& owner,
                                       Diagnostics& diags) {
  if (!written) return fallback;
  if (!valid_key(written->value)) {
    diags.error(written->pos, "invalid audit key '" + written->value + "'",
                "use printable characters without blanks or quotes");
    return std::nullopt;
  }
  if (written->value.size() + 1 + owner.size() > kMaxKeysLength) {
    diags.error(written->pos, "audit key '" + written->value + "' is too long",
                "with harden's owner key '" + owner + "' the keys may total " +
                    std::to_string(kMaxKeysLength) + " characters");
    return std::nullopt;
  }
  return written->value;
}

std::optional<uint32_t> resolve_permissions(const std::optional<LocatedString>& written,
                                            Diagnostics& diags) {
  if (!written) return AUDIT_PERM_READ | AUDIT_PERM_WRITE | AUDIT_PERM_EXEC | AUDIT_PERM_ATTR;
  uint32_t perms = 0;
  for (const char c : written->value) {
    uint32_t bit = 0;
    switch (c) {
      case 'r':
        bit = AUDIT_PERM_READ;
        break;
      case 'w':
        bit = AUDIT_PERM_WRITE;
        break;
      case 'x':
        bit = AUDIT_PERM_EXEC;
        break;
      case 'a':
        bit = AUDIT_PERM_ATTR;
        break;
      default:
        break;
    }
    if (bit == 0 || (perms & bit)) {
      diags.error(written->pos, "invalid audit permissions '" + written->value + "'",
                  "use each of the letters r (read), w (write), x (execute) and a (attribute "
                  "change) at most once, e.g. \"wa\"");
      return std::nullopt;
    }
    perms |= bit;
  }
  if (perms == 0) {
    diags.error(written->pos, "empty audit permissions",
                "give at least one of r, w, x, a, or leave the key out for all four");
    return std::nullopt;
  }
  return perms;
}

// A watch on a missing file is allowed (it starts recording once the file appears), but its
// directory must exist, as the kernel requires.
std::optional<AuditRule> resolve_watch(const AuditWatch& watch, Diagnostics& diags,
                                       HostChecks host) {
  AuditRule rule;
  rule.kind = AuditRule::Kind::watch;
  std::string path = watch.path.value;
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  const bool has_dotdot = ("/" + path + "/").find("/../") != std::string::npos ||
                          ("/" + path + "/").find("/./") != std::string::npos;
  if (path.empty() || path[0] != '/' || path == "/" || has_dotdot ||
      path.find('\n') != std::string::npos) {
    diags.error(watch.path.pos, "invalid watch path '" + watch.path.value + "'",
                "write an absolute path without '.' or '..' components, other than \"/\"");
    return std::nullopt;
  }
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) {
    rule.directory = S_ISDIR(st.st_mode);
  } else if (host == HostChecks::check) {
    const std::string parent = std::filesystem::path(path).parent_path().string();
    struct stat parent_st {};
    if (stat(parent.c_str(), &parent_st) != 0 || !S_ISDIR(parent_st.st_mode)) {
      diags.error(watch.path.pos,
                  "cannot watch '" + path + "': its directory '" + parent + "' does not exist",
                  "the kernel can watch a missing file, but not in a missing directory");
      return std::nullopt;
    }
  }
  rule.path = path;
  return rule;
}

// Syscall names for the plan's (native) architecture, through libseccomp.
std::vector<std::string> known_syscall_names() {
  std::vector<std::string> names;
  for (int nr = 0; nr < 1024; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (!name) continue;
    names.emplace_back(name);
    std::free(name);
  }
  return names;
}

}  // namespace

AuditPlan compile_audit(const AuditSection& audit, const std::string& policy_name,
                        const CredentialsPlan& credentials, Diagnostics& diags, HostChecks host) {
  AuditPlan plan;
  plan.owner_key = "harden:" + policy_name;
  if (!audit.present) return plan;
  const std::optional<std::string> default_key =
      resolve_key(audit.key, policy_name, plan.owner_key, diags);
  if (!default_key) return plan;

  for (const AuditWatch& watch : audit.watches) {
    auto rule = resolve_watch(watch, diags, host);
    auto perms = resolve_permissions(watch.permissions, diags);
    auto key = resolve_key(watch.key, *default_key, plan.owner_key, diags);
    if (!rule || !perms || !key) continue;
    rule->permissions = *perms;
    rule->key = *key;
    plan.rules.push_back(std::move(*rule));
  }

  std::vector<std::string> names;
  for (const AuditSyscallRule& written : audit.syscalls) {
    if (!credentials.change_ids) {
      diags.error(written.pos,
                  "[[audit.syscall]] rules record the service user's calls, but "
                  "the policy sets no user",
                  "set [identity] user; rules for every user of the host belong in "
                  "audit.rules(7), not in a service policy");
      continue;
    }
    AuditRule rule;
    rule.kind = AuditRule::Kind::syscall;
    rule.uid = credentials.uid;
    bool ok = true;
    for (const LocatedString& name : written.syscalls) {
      const int nr = seccomp_syscall_resolve_name(name.value.c_str());
      if (nr < 0) {
        if (names.empty()) names = known_syscall_names();
        const std::string_view best = nearest_name(name.value, names);
        diags.error(name.pos, "unknown syscall '" + name.value + "'",
                    best.empty() ? "see syscalls(2) for the names"
                                 : "did you mean '" + std::string(best) + "'?");
        ok = false;
        continue;
      }
      rule.syscalls.push_back(nr);
    }
    if (written.syscalls.empty()) {
      diags.error(written.pos, "'syscalls' is empty",
                  "name the calls to record, e.g. [\"execve\"]");
      ok = false;
    }
    auto key = resolve_key(written.key, *default_key, plan.owner_key, diags);
    if (!ok || !key) continue;
    std::sort(rule.syscalls.begin(), rule.syscalls.end());
    rule.syscalls.erase(std::unique(rule.syscalls.begin(), rule.syscalls.end()),
                        rule.syscalls.end());
    rule.key = *key;
    plan.rules.push_back(std::move(rule));
  }
  return plan;
}

}  // namespace harden
