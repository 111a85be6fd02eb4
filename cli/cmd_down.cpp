// harden down --policy P | harden down NAME: removes what a policy left on the host, its
// nftables table (in the current network namespace) and its audit rules. Only objects named
// after the policy are touched. Removing what is already gone is not an error, so `down` can
// run after every stop.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "cli/commands.hpp"
#include "enforcer/host.hpp"
#include "plan/nft_script.hpp"
#include "policy/policy_reader.hpp"

namespace harden::cli {

namespace {

bool valid_policy_name(const std::string& name) {
  return !name.empty() && name.size() <= 32 &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return std::islower(c) || std::isdigit(c) || c == '-' || c == '_';
         });
}

int down(const std::string& name) {
  int status = 0;
  const std::string table = std::string(host::kTablePrefix) + name;
  auto tables = host::nft_harden_tables();
  if (!tables) {
    std::fprintf(stderr, "harden down: cannot list nftables tables: %s\n", tables.error().c_str());
    status = 1;
  } else if (std::find(tables->begin(), tables->end(), table) != tables->end()) {
    if (auto done = host::nft_run(nft_delete_script(table)); done) {
      std::printf("removed nftables table inet %s\n", table.c_str());
    } else {
      std::fprintf(stderr, "harden down: cannot remove table inet %s: %s\n", table.c_str(),
                   done.error().c_str());
      status = 1;
    }
  } else {
    std::printf("no nftables table inet %s in this network namespace\n", table.c_str());
  }
  const std::string owner = std::string(host::kAuditOwnerPrefix) + name;
  if (auto removed = host::audit_remove_owned(owner); removed) {
    std::printf("removed %d audit rule(s) with key %s\n", *removed, owner.c_str());
  } else {
    std::fprintf(stderr, "harden down: %s\n", removed.error().c_str());
    status = 1;
  }
  return status;
}

}  // namespace

Subcommand add_down_command(CLI::App& parent) {
  struct Options {
    std::string policy;
    std::string name;
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "down",
      "Remove a policy's nftables table and audit rules: harden down --policy P, or "
      "harden down NAME");
  auto* policy =
      app->add_option("-p,--policy", options->policy, "Policy file")->check(CLI::ExistingFile);
  auto* name_arg = app->add_option("name", options->name, "Policy name ([policy] name)");
  policy->excludes(name_arg);
  name_arg->excludes(policy);
  return {app, [options](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden down: takes no command after --\n");
              return kUsageError;
            }
            std::string name = options->name;
            if (!options->policy.empty()) {
              // Only the name is needed: reading (not compiling) the policy lets `down` work
              // even when, say, the service's user has been deleted since.
              Diagnostics diags;
              const std::optional<Policy> read = read_policy(options->policy, diags);
              print_diagnostics(diags);
              if (!read) return kInvalidPolicy;
              name = read->meta.name.value;
            }
            if (!valid_policy_name(name)) {
              std::fprintf(stderr,
                           "harden down: give --policy FILE or a policy name (a-z, 0-9, "
                           "'-', '_'; at most 32)\n");
              return kUsageError;
            }
            return down(name);
          }};
}

}  // namespace harden::cli
