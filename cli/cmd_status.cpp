// harden status: what harden owns on this host: nftables tables "harden_*" in the current
// network namespace, and audit rules carrying a "harden:<policy>" key.
#include <cstdio>

#include "cli/commands.hpp"
#include "enforcer/host.hpp"

namespace harden::cli {

namespace {

int status() {
  int rc = 0;
  std::printf("nftables tables (this network namespace):\n");
  if (auto tables = host::nft_harden_tables(); tables) {
    for (const std::string& table : *tables)
      std::printf("  table inet %s\n", table.c_str());
    if (tables->empty()) std::printf("  (none)\n");
  } else {
    std::fprintf(stderr, "harden status: cannot list nftables tables: %s\n",
                 tables.error().c_str());
    rc = 1;
  }
  std::printf("audit rules:\n");
  if (auto rules = host::audit_list_rules(); rules) {
    int shown = 0;
    for (const host::ListedAuditRule& rule : *rules) {
      for (const std::string& key : rule.keys) {
        if (key.rfind(host::kAuditOwnerPrefix, 0) != 0) continue;
        std::printf("  %s: %s\n", key.c_str(), rule.text.c_str());
        ++shown;
        break;
      }
    }
    if (shown == 0) std::printf("  (none)\n");
  } else {
    std::fprintf(stderr, "harden status: %s\n", rules.error().c_str());
    rc = 1;
  }
  return rc;
}

}  // namespace

Subcommand add_status_command(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand(
      "status", "List the nftables tables and audit rules harden owns on this host");
  return {app, [](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden status: takes no command after --\n");
              return kUsageError;
            }
            return status();
          }};
}

}  // namespace harden::cli
