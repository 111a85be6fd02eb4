// The nftables transaction that installs a policy's table, shared by the enforcer and the
// exporters. Everything goes to libnftables as one buffer, which is one netlink batch: the
// kernel applies all of it or nothing, so a restart replaces the table atomically and there
// is never a moment with no rules or with two copies.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "plan/sha256.hpp"

namespace harden {

// "table inet T {}" creates the table when it is missing (and is a no-op otherwise), so the
// following delete always has something to delete: the script works on a fresh host and on
// a restart alike.
inline std::string nft_replace_script(std::string_view table, std::string_view ruleset) {
  std::string script = "table inet " + std::string(table) + " {}\n";
  script += "delete table inet " + std::string(table) + "\n";
  script += ruleset;
  return script;
}

// The table's comment names, besides the policy, the uid a scope "uid" table filters and the
// plan digest: "harden policy web; uid 1000; plan 3f9c…". A launch and `harden status` read it
// back through netlink (enforcer/nft_netlink.hpp).
inline constexpr std::string_view kNftUidWord = "uid ";
inline constexpr std::string_view kNftPlanWord = "plan ";
// Written by the compiler, filled in at launch (nft_launch_ruleset).
inline constexpr std::string_view kNftPlanToken = "@HARDEN_PLAN@";
inline constexpr std::string_view kNftLaunchCgroupToken = "@HARDEN_LAUNCH_CGROUP@";
// Hex digits of the plan digest kept in the comment (nft caps a comment at 128 bytes).
inline constexpr size_t kNftPlanDigestChars = 32;

inline void nft_replace_all(std::string& text, std::string_view token, std::string_view by) {
  for (size_t at = text.find(token); at != std::string::npos; at = text.find(token, at + by.size()))
    text.replace(at, token.size(), by);
}

// The ruleset a launch installs: the launch cgroup's match (`socket cgroupv2 level N "path"`,
// only for a plan whose ruleset has the token) in place, then the digest of that very text in
// place of the plan token. Two launches that would install the same rules compute the same
// digest; any change to the rules, the cgroup or the comment gives another.
struct NftLaunchRuleset {
  std::string text;
  std::string digest;  // kNftPlanDigestChars hex digits, as in the table's comment
};

inline NftLaunchRuleset nft_launch_ruleset(std::string ruleset, std::string_view launch_match) {
  nft_replace_all(ruleset, kNftLaunchCgroupToken, launch_match);
  const Sha256Digest digest =
      sha256({reinterpret_cast<const unsigned char*>(ruleset.data()), ruleset.size()});
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < kNftPlanDigestChars / 2; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  nft_replace_all(ruleset, kNftPlanToken, hex);
  return {std::move(ruleset), std::move(hex)};
}

// A field of a table's comment ("plan ", "uid "), up to the next ';', or empty.
inline std::string_view nft_comment_field(std::string_view comment, std::string_view word) {
  for (size_t at = 0; at < comment.size();) {
    size_t end = comment.find(';', at);
    if (end == std::string_view::npos) end = comment.size();
    std::string_view field = comment.substr(at, end - at);
    while (field.starts_with(' '))
      field.remove_prefix(1);
    if (field.starts_with(word)) return field.substr(word.size());
    at = end + 1;
  }
  return {};
}

// Removes the table if it exists; removing an absent table is not an error.
inline std::string nft_delete_script(std::string_view table) {
  return nft_replace_script(table, "");
}

}  // namespace harden
