// harden run --policy P -- CMD...   (and the short form harden --policy P -- CMD...)
#include <unistd.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "compiler/compile.hpp"
#include "enforcer/steps.hpp"

extern char** environ;

namespace harden::cli {

void print_diagnostics(const Diagnostics& diags) {
  const std::string text = render_all(diags, isatty(STDERR_FILENO) == 1);
  std::fputs(text.c_str(), stderr);
}

int run_policy(const std::string& policy_path, const std::vector<std::string>& command) {
  Diagnostics diags;
  std::optional<Plan> plan = compile_policy_file(policy_path, diags);
  print_diagnostics(diags);
  if (!plan) {
    std::fprintf(stderr, "harden: %zu error(s) in %s; the target was not started\n",
                 diags.error_count(), policy_path.c_str());
    return exit_code::kPolicyError;
  }
  auto ctx = prepare_exec(plan->data(), command, environ);
  if (!ctx) {
    std::fprintf(stderr, "harden: %s; the target was not started\n", ctx.error().c_str());
    return exit_code::kPolicyError;
  }
  std::fflush(nullptr);
  RealSys sys;
  return enforce_and_exec(*plan, *ctx, sys);
}

Subcommand add_run_command(CLI::App& parent) {
  auto policy = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand(
      "run", "Run a command under a policy: harden run --policy P -- CMD [ARGS...]");
  app->add_option("-p,--policy", *policy, "Policy file (TOML, see harden.toml(5))")
      ->required()
      ->check(CLI::ExistingFile);
  app->footer(
      "Everything after -- is the target's command line and is never parsed by harden.\n"
      "Without -- CMD, the policy's [exec] command is run.");
  return {app, [policy](const Invocation& inv) { return run_policy(*policy, inv.command); }};
}

}  // namespace harden::cli
