// harden status: what harden owns on this host: nftables tables "harden_*" in the current
// network namespace, and audit rules carrying a "harden:<policy>" key. Two of harden's tables
// that filter the same uid are reported: both apply, and a drop in either wins.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/json_text.hpp"
#include "enforcer/host.hpp"
#include "enforcer/nft_netlink.hpp"
#include "plan/nft_script.hpp"

namespace harden::cli {

namespace {

struct HostOwned {
  std::vector<host::NftTableSummary> tables;                     // harden's, with their comments
  std::vector<std::string> table_warnings;                       // tables that filter the same uid
  std::vector<std::pair<std::string, std::string>> audit_rules;  // (owner key, rule text)
  std::vector<std::string> errors;
};

// For each pair of harden's tables that name the same uid in their comments, one warning.
std::vector<std::string> same_uid_warnings(const std::vector<host::NftTableSummary>& tables) {
  std::vector<std::string> warnings;
  for (size_t i = 0; i < tables.size(); ++i) {
    const std::string_view uid = nft_comment_field(tables[i].comment, kNftUidWord);
    if (uid.empty()) continue;
    for (size_t j = i + 1; j < tables.size(); ++j) {
      if (nft_comment_field(tables[j].comment, kNftUidWord) != uid) continue;
      warnings.push_back("tables inet " + tables[i].name + " and inet " + tables[j].name +
                         " both filter uid " + std::string(uid) +
                         "; both apply (remove the stale one with 'harden down NAME')");
    }
  }
  return warnings;
}

HostOwned read_host_owned() {
  HostOwned owned;
  if (auto tables = host::nft_list_inet_tables(); tables) {
    for (host::NftTableSummary& table : *tables) {
      if (table.name.starts_with(host::kTablePrefix)) owned.tables.push_back(std::move(table));
    }
    owned.table_warnings = same_uid_warnings(owned.tables);
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
    nlohmann::json names = nlohmann::json::array();
    nlohmann::json comments = nlohmann::json::object();
    for (const host::NftTableSummary& table : owned.tables) {
      names.push_back(table.name);
      comments[table.name] = table.comment;
    }
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& [key, text] : owned.audit_rules)
      rules.push_back({{"owner", key}, {"rule", text}});
    const nlohmann::json doc = {{"nftables_tables", std::move(names)},
                                {"nftables_comments", std::move(comments)},
                                {"audit_rules", std::move(rules)},
                                {"warnings", owned.table_warnings},
                                {"errors", owned.errors}};
    std::puts(json_text(doc, 2).c_str());
    return owned.errors.empty() ? 0 : 1;
  }
  std::printf("nftables tables (this network namespace):\n");
  for (const host::NftTableSummary& table : owned.tables) {
    std::printf("  table inet %s%s%s%s\n", table.name.c_str(), table.comment.empty() ? "" : " (",
                table.comment.c_str(), table.comment.empty() ? "" : ")");
  }
  if (owned.tables.empty()) std::printf("  (none)\n");
  for (const std::string& warning : owned.table_warnings)
    std::printf("  warning: %s\n", warning.c_str());
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
                  "text (default), or json: {nftables_tables: [name], nftables_comments: "
                  "{name: comment}, audit_rules: [{owner, rule}], warnings: [text], errors: "
                  "[text]}")
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
