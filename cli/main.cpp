// harden's command line: splits off the target's command, parses harden's own options and
// dispatches to one subcommand. No policy logic lives here.
#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "enforcer/steps.hpp"

namespace {

using namespace harden::cli;

// Every subcommand, in the order `harden --help` lists them.
constexpr std::array<Registrar, 9> kCommands{
    add_run_command,    add_compile_command, add_validate_command,
    add_lint_command,   add_steps_command,   add_export_command,
    add_import_command, add_down_command,    add_status_command,
};

constexpr const char* kDescription =
    "harden: compile a TOML security policy and run a program under it.\n\n"
    "  harden --policy svc.toml -- ./server      run ./server under svc.toml\n"
    "  harden compile svc.toml -o svc-wrapper    a standalone wrapper with the sealed plan\n"
    "  harden validate svc.toml                  check a policy, print every problem\n"
    "  harden lint policies/                     find weak grants, score the exposure\n"
    "  harden steps                              the enforcement order and exit codes\n"
    "  harden export --format apparmor svc.toml  the policy as an AppArmor profile\n"
    "  harden status / harden down --policy P    host state harden owns / remove it\n\n"
    "Exit codes of a launch: 125 policy or usage error (nothing was applied), 200-225 an\n"
    "enforcement step failed (see 'harden steps'), 126/127 target not executable/not found,\n"
    "otherwise the target's own status. See harden(1) and harden.toml(5).";

}  // namespace

int main(int argc, char** argv) {
  Invocation invocation;
  std::vector<std::string> own_args;
  bool after_separator = false;
  for (int i = 1; i < argc; ++i) {
    if (!after_separator && std::string_view(argv[i]) == "--") {
      after_separator = true;
      continue;
    }
    (after_separator ? invocation.command : own_args).emplace_back(argv[i]);
  }
  // A launch that fails before anything is applied exits 125, so the failure cannot be
  // mistaken for the target's own exit status; other commands use 2 for usage errors.
  const bool launching = own_args.empty() || own_args.front() == "run" ||
                         own_args.front().rfind("--policy", 0) == 0 || own_args.front() == "-p" ||
                         own_args.front().rfind("--plan", 0) == 0 ||
                         own_args.front() == "--supervise";

  CLI::App app{kDescription, "harden"};
  app.set_version_flag("--version", std::string("harden ") + HARDEN_VERSION);
  app.require_subcommand(0, 1);
  LaunchRequest short_form;  // harden --policy P -- CMD is short for harden run --policy P -- CMD
  add_launch_options(app, short_form);
  std::vector<Subcommand> subcommands;
  for (const Registrar add : kCommands)
    subcommands.push_back(add(app));

  try {
    std::vector<std::string> reversed(own_args.rbegin(), own_args.rend());
    app.parse(reversed);  // CLI11 takes its argument vector in reverse order
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    if (code == 0) return 0;  // --help, --version
    return launching ? harden::exit_code::kPolicyError : kUsageError;
  }
  for (const Subcommand& sub : subcommands) {
    if (sub.app->parsed()) return sub.run(invocation);
  }
  if (short_form.policy.empty() && short_form.plan.empty()) {
    std::fputs(app.help().c_str(), stderr);
    std::fputs("\nharden: no policy given: use --policy FILE -- CMD, or a subcommand\n", stderr);
    return harden::exit_code::kPolicyError;
  }
  return launch(short_form, invocation.command);
}
