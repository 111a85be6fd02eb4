// The nftables transaction that installs a policy's table, shared by the enforcer and the
// exporters. Everything goes to libnftables as one buffer, which is one netlink batch: the
// kernel applies all of it or nothing, so a restart replaces the table atomically and there
// is never a moment with no rules or with two copies.
#pragma once

#include <string>
#include <string_view>

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

// Removes the table if it exists; removing an absent table is not an error.
inline std::string nft_delete_script(std::string_view table) {
  return nft_replace_script(table, "");
}

}  // namespace harden
