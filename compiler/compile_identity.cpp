// Resolves [identity] and [capabilities]: user and group names through the host's user
// database (NSS), capability names through libcap.
#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <string_view>
#include <vector>

#include "compiler/compile_layers.hpp"

namespace harden {

namespace {

std::optional<uint32_t> parse_id(const std::string& text) {
  uint32_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

struct UserEntry {
  uid_t uid;
  std::optional<gid_t> primary_gid;  // none for a numeric uid without a passwd entry
};

// (uid_t)-1 and (gid_t)-1 are not ids: setresuid(2), setresgid(2) and setgroups' callers read
// them as "leave this id unchanged", so a target "running as 4294967295" keeps the caller's
// ids, which for a system service is root. Refused wherever they come from: the policy's
// text, a numeric id, or a passwd or group entry that holds one.
constexpr uint32_t kUnchangedId = static_cast<uint32_t>(-1);

bool refuse_unchanged_id(uint32_t id, const LocatedString& where, std::string_view kind,
                         Diagnostics& diags) {
  if (id != kUnchangedId) return false;
  const bool written = where.value == std::to_string(kUnchangedId);
  diags.error(where.pos,
              std::string(kind) + " " + std::to_string(kUnchangedId) +
                  (written ? "" : " (resolved from '" + where.value + "')") + " is (" +
                  std::string(kind) + "_t)-1, which the kernel reads as 'leave unchanged': the " +
                  "target would keep the caller's " + std::string(kind) + " (root, for a service)",
              "give a real, unprivileged " + std::string(kind) +
                  ", e.g. a dedicated account or 65534 (nobody)");
  return true;
}

std::optional<UserEntry> lookup_user(const std::string& name) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* result = nullptr;
  if (getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &result) != 0 || !result) {
    return std::nullopt;
  }
  return UserEntry{result->pw_uid, result->pw_gid};
}

std::optional<UserEntry> lookup_uid(uid_t uid) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* result = nullptr;
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &result) != 0 || !result) {
    return std::nullopt;
  }
  return UserEntry{result->pw_uid, result->pw_gid};
}

std::optional<gid_t> lookup_group(const std::string& name) {
  std::vector<char> buffer(16384);
  group entry{};
  group* result = nullptr;
  if (getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &result) != 0 || !result) {
    return std::nullopt;
  }
  return result->gr_gid;
}

// Names for "did you mean": every user or group on the host, read once per lookup failure.
std::vector<std::string> all_user_names() {
  std::vector<std::string> names;
  setpwent();
  while (const passwd* p = getpwent())
    names.emplace_back(p->pw_name);
  endpwent();
  return names;
}

std::vector<std::string> all_group_names() {
  std::vector<std::string> names;
  setgrent();
  while (const group* g = getgrent())
    names.emplace_back(g->gr_name);
  endgrent();
  return names;
}

std::string suggestion(const std::string& word, const std::vector<std::string>& names,
                       std::string fallback) {
  const std::string_view best = nearest_name(word, names);
  return best.empty() ? fallback : "did you mean '" + std::string(best) + "'?";
}

std::optional<gid_t> resolve_group(const LocatedString& group, Diagnostics& diags,
                                   HostChecks host) {
  std::optional<gid_t> gid = parse_id(group.value);
  if (!gid) gid = lookup_group(group.value);
  if (gid) {
    if (refuse_unchanged_id(*gid, group, "gid", diags)) return std::nullopt;
    return gid;
  }
  // Not this host's group: a placeholder, for a plan only ever read (see HostChecks).
  if (host == HostChecks::skip) return kUnresolvedId;
  diags.error(
      group.pos, "unknown group '" + group.value + "'",
      suggestion(group.value, all_group_names(), "create the group first, or give a numeric gid"));
  return std::nullopt;
}

}  // namespace

CredentialsPlan compile_credentials(const IdentitySection& identity, Diagnostics& diags,
                                    HostChecks host) {
  CredentialsPlan plan;
  if (!identity.user && !identity.group && !identity.supplementary_groups) return plan;
  plan.change_ids = true;

  std::optional<UserEntry> user;
  if (identity.user) {
    const LocatedString& name = *identity.user;
    if (auto id = parse_id(name.value)) {
      user = lookup_uid(*id);
      if (!user) user = UserEntry{*id, std::nullopt};  // ids need no passwd entry
    } else {
      user = lookup_user(name.value);
      if (!user && host == HostChecks::skip && name.value != "root") {
        // Not this host's user: a placeholder, for a plan only ever read (see HostChecks).
        user = UserEntry{kUnresolvedId, kUnresolvedId};
      }
      if (!user) {
        // Never fall back to root (or anyone) for a name that does not resolve.
        diags.error(name.pos, "unknown user '" + name.value + "'",
                    suggestion(name.value, all_user_names(),
                               "create the user first, or give a numeric uid"));
      }
    }
    if (user && refuse_unchanged_id(user->uid, name, "uid", diags)) user.reset();
  } else {
    // An empty supplementary_groups (a base's "no extra groups") has no element to point at.
    diags.error(identity.group ? identity.group->pos : identity.supplementary_groups_pos,
                "groups are set but 'identity.user' is not",
                "add user = \"...\" so the target does not keep running as the caller");
  }

  if (identity.group) {
    if (auto gid = resolve_group(*identity.group, diags, host)) plan.gid = *gid;
  } else if (user && user->primary_gid) {
    if (!refuse_unchanged_id(*user->primary_gid, *identity.user, "gid", diags))
      plan.gid = *user->primary_gid;
  } else if (user) {
    diags.error(identity.user->pos,
                "uid " + identity.user->value + " has no passwd entry, so it has no primary group",
                "add group = \"...\" to [identity]");
  }
  if (user) plan.uid = user->uid;

  if (identity.supplementary_groups) {
    for (const LocatedString& group : *identity.supplementary_groups) {
      if (auto gid = resolve_group(group, diags, host)) plan.supplementary_groups.push_back(*gid);
    }
    std::sort(plan.supplementary_groups.begin(), plan.supplementary_groups.end());
    plan.supplementary_groups.erase(
        std::unique(plan.supplementary_groups.begin(), plan.supplementary_groups.end()),
        plan.supplementary_groups.end());
  }
  return plan;
}

CapabilitiesPlan compile_capabilities(const CapabilitiesSection& caps, Diagnostics& diags) {
  CapabilitiesPlan plan;
  plan.last_cap = CAP_LAST_CAP;
  std::vector<std::string> known;
  for (int c = 0; c <= CAP_LAST_CAP; ++c) {
    std::unique_ptr<char, decltype(&cap_free)> name(cap_to_name(c), &cap_free);
    std::string upper = name ? name.get() : "";
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    known.push_back(std::move(upper));
  }
  for (const LocatedString& cap : caps.keep) {
    std::string upper = cap.value;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    if (upper.rfind("CAP_", 0) != 0) upper = "CAP_" + upper;
    const auto it = std::find(known.begin(), known.end(), upper);
    if (it == known.end()) {
      std::string hint = suggestion(upper, known, "see capabilities(7) for the names");
      diags.error(cap.pos, "unknown capability '" + cap.value + "'", hint);
      continue;
    }
    plan.keep |= 1ULL << (it - known.begin());
  }
  return plan;
}

}  // namespace harden
