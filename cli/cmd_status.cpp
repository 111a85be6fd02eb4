// harden status: what harden owns on this host: nftables tables "harden_*" in the current
// network namespace, and audit rules carrying a "harden:<policy>" key.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "enforcer/host.hpp"

namespace harden::cli {

namespace {

struct HostOwned {
  std::vector<std::string> tables;
  std::vector<std::pair<std::string, std::string>> audit_rules;  // (owner key, rule text)
  std::vector<std::string> errors;
};

HostOwned read_host_owned() {
  HostOwned owned;
  if (auto tables = host::nft_harden_tables(); tables) {
    owned.tables = std::move(*tables);
  } else {
    owned.errors.push_back("cannot list nftables tables: " + tables.error());
  }
  if (auto rules = host::audit_list_rules(); rules) {
    for (const host::ListedAuditRule& rule : *rules) {
      for (const std::string& key : rule.keys) {
        if (key.rfind(host::kAuditOwnerPrefix, 0) != 0) continue;
        owned.audit_rules.emplace_back(key, rule.text);
        break;
      }
    }
  } else {
    owned.errors.push_back(rules.error());
  }
  return owned;
}

int status(const std::string& format) {
  const HostOwned owned = read_host_owned();
  for (const std::string& error : owned.errors)
    std::fprintf(stderr, "harden status: %s\n", error.c_str());
  if (format == "json") {
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& [key, text] : owned.audit_rules)
      rules.push_back({{"owner", key}, {"rule", text}});
    const nlohmann::json doc = {{"nftables_tables", owned.tables},
                                {"audit_rules", std::move(rules)},
                                {"errors", owned.errors}};
    std::puts(doc.dump(2).c_str());
    return owned.errors.empty() ? 0 : 1;
  }
  std::printf("nftables tables (this network namespace):\n");
  for (const std::string& table : owned.tables)
    std::printf("  table inet %s\n", table.c_str());
  if (owned.tables.empty()) std::printf("  (none)\n");
  std::printf("audit rules:\n");
  for (const auto& [key, text] : owned.audit_rules)
    std::printf("  %s: %s\n", key.c_str(), text.c_str());
  if (owned.audit_rules.empty()) std::printf("  (none)\n");
  return owned.errors.empty() ? 0 : 1;
}

}  // namespace

Subcommand add_status_command(CLI::App& parent) {
  auto format = std::make_shared<std::string>("text");
  CLI::App* app = parent.add_subcommand(
      "status", "List the nftables tables and audit rules harden owns on this host");
  app->add_option("--format", *format,
                  "text (default), or json: {nftables_tables: [name], audit_rules: [{owner, "
                  "rule}], errors: [text]}")
      ->check(CLI::IsMember({"text", "json"}));
  return {app, [format](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden status: takes no command after --\n");
              return kUsageError;
            }
            return status(*format);
          }};
}

}  // namespace harden::cli
