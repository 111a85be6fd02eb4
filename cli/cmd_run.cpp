// harden run --policy P -- CMD...   (and the short form harden --policy P -- CMD...)
// harden run --plan FILE -- CMD...  (a plan sealed by harden compile --plan-only)
#include <unistd.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "compiler/compile.hpp"
#include "enforcer/steps.hpp"
#include "inspect/launch_registry.hpp"
#include "plan/plan_file.hpp"
#include "plan/plan_io.hpp"

extern char** environ;

namespace harden::cli {

namespace {

// The plan from the policy (compiled now) or from a sealed plan file (verified); on failure
// the reason has been printed and the launch stops with the returned exit code.
std::expected<Plan, int> plan_for(const LaunchRequest& request) {
  if (!request.plan.empty()) {
    auto bytes = read_plan_file(request.plan);
    std::expected<Plan, std::string> plan =
        bytes ? plan_from_bytes(
                    {reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size()})
              : std::unexpected(bytes.error());
    if (plan) return std::move(*plan);
    std::fprintf(stderr, "harden: %s: %s; the target was not started\n", request.plan.c_str(),
                 plan.error().c_str());
    return std::unexpected(exit_code::kVerifyPlan);
  }
  Diagnostics diags;
  std::optional<Plan> plan = compile_policy_file(request.policy, diags);
  print_diagnostics(diags);
  if (plan) return std::move(*plan);
  std::fprintf(stderr, "harden: %zu error(s) in %s; the target was not started\n",
               diags.error_count(), request.policy.c_str());
  return std::unexpected(exit_code::kPolicyError);
}

}  // namespace

void print_diagnostics(const Diagnostics& diags) {
  if (diags.all().empty()) return;
  const std::string text = render_all(diags, isatty(STDERR_FILENO) == 1);
  std::fputs(text.c_str(), stderr);
}

void add_launch_options(CLI::App& app, LaunchRequest& request) {
  CLI::Option* policy =
      app.add_option("-p,--policy", request.policy, "Policy file (TOML, see harden.toml(5))")
          ->check(CLI::ExistingFile);
  app.add_option("--plan", request.plan,
                 "A sealed plan written by 'harden compile --plan-only' (no TOML is read)")
      ->check(CLI::ExistingFile)
      ->excludes(policy);
  app.add_flag("--supervise", request.supervise,
               "Stay as the target's parent: report denied syscalls with the policy line that "
               "denied them, forward signals, exit like the target");
}

int launch(const LaunchRequest& request, const std::vector<std::string>& command) {
  std::expected<Plan, int> plan = plan_for(request);
  if (!plan) return plan.error();
  auto ctx = prepare_exec(plan->data(), command, environ, {.supervise = request.supervise});
  if (!ctx) {
    std::fprintf(stderr, "harden: %s; the target was not started\n", ctx.error().c_str());
    return exit_code::kPolicyError;
  }
  // For `harden check --all` (inspect/launch_registry.hpp): root's launches only, and never a
  // reason to stop one, since it is a report, not a layer.
  if (::geteuid() == 0) {
    if (const std::string why = inspect::record_launch(*plan, request.policy); !why.empty()) {
      std::fprintf(stderr,
                   "harden: warning: the launch is not recorded for 'harden check --all': %s\n",
                   why.c_str());
    }
  }
  std::fflush(nullptr);
  RealSys sys;
  enforce_exec_or_exit(*plan, *ctx, sys);
}

Subcommand add_run_command(CLI::App& parent) {
  auto request = std::make_shared<LaunchRequest>();
  CLI::App* app = parent.add_subcommand(
      "run", "Run a command under a policy: harden run --policy P -- CMD [ARGS...]");
  add_launch_options(*app, *request);
  app->footer(
      "Everything after -- is the target's command line and is never parsed by harden.\n"
      "Without -- CMD, the policy's [exec] command is run. Give --policy or --plan.");
  return {app, [request](const Invocation& inv) {
            if (request->policy.empty() == request->plan.empty()) {
              std::fputs("harden run: give exactly one of --policy FILE or --plan FILE\n", stderr);
              return exit_code::kPolicyError;
            }
            return launch(*request, inv.command);
          }};
}

}  // namespace harden::cli
