// Host-level state that outlives the sandboxed process: the nftables table (libnftables) and
// the audit rules (libaudit) of each policy. The enforcer installs them; `harden status`
// lists them and `harden down` removes them. harden recognises its own objects by name only
// (tables "harden_*", rules carrying a "harden:<policy>" key) and never touches others.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "enforcer/sys.hpp"
#include "plan/plan.hpp"

namespace harden::host {

// ---- nftables ------------------------------------------------------------------------------

inline constexpr std::string_view kTablePrefix = "harden_";

// Runs one nft script as one transaction. Returns nft's output (for list commands), or its
// error message. Works in the network namespace of the calling thread.
std::expected<std::string, std::string> nft_run(const std::string& script);

// Every "table inet harden_*" in the current network namespace, by name.
std::expected<std::vector<std::string>, std::string> nft_harden_tables();

// ---- audit ---------------------------------------------------------------------------------

inline constexpr std::string_view kAuditOwnerPrefix = "harden:";

struct ListedAuditRule {
  std::string text;               // in auditctl -l form: "-w /etc/shadow -p rwa -k web ..."
  std::vector<std::string> keys;  // every key of the rule (the kernel keeps them \x01-joined)
};

// Every rule on the kernel's lists, in the kernel's order.
std::expected<std::vector<ListedAuditRule>, std::string> audit_list_rules();

struct AuditSync {
  int added = 0;
  int kept = 0;     // already present and identical: a restart adds nothing
  int removed = 0;  // owned by the policy but no longer in it
};

// Makes the policy's owned rules exactly the plan's: adds what is missing, keeps identical
// rules, removes the owner's rules the plan no longer has. With `changes`, appends each rule it
// added (not one already there) and removed.
std::expected<AuditSync, std::string> audit_replace(const AuditPlan& plan, uint32_t audit_arch,
                                                    std::vector<HostChange>* changes = nullptr);

// Undoes an audit_rule_added (deletes it) or audit_rule_removed (adds it back) change.
std::expected<void, std::string> audit_undo(const HostChange& change);

// Removes every rule carrying `owner_key`; returns how many.
std::expected<int, std::string> audit_remove_owned(std::string_view owner_key);

}  // namespace harden::host
