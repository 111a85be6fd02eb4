// Reading nftables tables straight from the kernel over NETLINK_NETFILTER, without libnftables:
// a wrapper whose firewall is already installed as the plan wants it must not pay for loading
// libnftables (and five more libraries) and replacing the table at every start.
//
// Trusting an installed table takes more than its name. A launch that installs a table seals it
// (nftables.cpp): the table's comment carries the digest of the exact ruleset text it was made
// from (nft_script.hpp), and an empty chain "harden_seal" carries a digest of what the kernel
// then holds: every chain, rule, set, set element, stateful object and flowtable of the table,
// attribute by attribute, leaving out only what changes by itself (handles, use counts, chain
// counters) and the seal itself. A later start reads the table back the same way and skips the
// replace only when both digests match: a table of another plan, one an administrator edited
// (a rule added, replaced or removed, a chain's policy or hook changed, the table made dormant)
// or one read while it changed is replaced as before.
//
// What this does not protect against: whoever holds CAP_NET_ADMIN in that namespace can
// rebuild a consistent seal, and can as well delete or edit the table a moment after any start;
// the seal guards against drift and against tables of other plans, not against root.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace harden::host {

// The chain whose comment carries a table's seal.
inline constexpr std::string_view kNftSealChain = "harden_seal";

struct NftTableSummary {
  std::string name;     // in family inet
  std::string comment;  // the table's comment (nft user data), or empty
};

// Every table of family inet in this network namespace, with its comment.
[[nodiscard]] std::expected<std::vector<NftTableSummary>, std::string> nft_list_inet_tables();

struct NftTableState {
  bool exists = false;
  std::string comment;  // the table's comment
  std::string seal;     // the comment of its seal chain, or empty
  std::string content;  // SHA-256 (hex) of the table's contents but the seal and the comment
};

// Reads table inet `table`; an error when netlink is not usable or the table changed while it
// was read (NLM_F_DUMP_INTR).
[[nodiscard]] std::expected<NftTableState, std::string> nft_read_table(std::string_view table);

// The seal comment for a table whose comment names `plan_digest` and whose contents hash to
// `content`: "seal " + SHA-256 hex of both.
[[nodiscard]] std::string nft_seal_for(std::string_view plan_digest, std::string_view content);

}  // namespace harden::host
