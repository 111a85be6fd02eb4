// harden's command line: splits off the target's command, parses harden's own options and
// dispatches to one subcommand. No policy logic lives here.
#include <array>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "cli/usage.hpp"
#include "enforcer/steps.hpp"

namespace {

using namespace harden::cli;

// Every subcommand, in the order `harden --help` lists them.
constexpr std::array<Registrar, 13> kCommands{
    add_run_command,     add_learn_command,   add_compile_command, add_validate_command,
    add_lint_command,    add_explain_command, add_steps_command,   add_export_command,
    add_import_command,  add_down_command,    add_status_command,  add_check_command,
    add_denials_command,
};

constexpr const char* kDescription =
    "harden: compile a TOML security policy and run a program under it.\n\n"
    "  harden --policy svc.toml -- ./server      run ./server under svc.toml\n"
    "  harden learn -o svc.toml -- ./server      record what ./server does, draft a policy\n"
    "  harden compile svc.toml -o svc-wrapper    a standalone wrapper with the sealed plan\n"
    "  harden validate svc.toml                  check a policy, print every problem\n"
    "  harden lint policies/                     find weak grants, score the exposure\n"
    "  harden explain svc.toml | @service        what a policy or a syscall group allows\n"
    "  harden steps                              the enforcement order and exit codes\n"
    "  harden export --format apparmor svc.toml  the policy as an AppArmor profile\n"
    "  harden status / harden down --policy P    host state harden owns / remove it\n"
    "  harden check --policy svc.toml PID        a running process against its policy\n"
    "  harden denials --policy svc.toml          seccomp kills the kernel recorded, named\n\n"
    "Exit codes of a launch: 125 policy or usage error (nothing was applied), 200-225 an\n"
    "enforcement step failed (see 'harden steps'), 126/127 target not executable/not found,\n"
    "otherwise the target's own status. See harden(1) and harden.toml(5).";

}  // namespace

int main(int argc, char** argv) {
  Invocation invocation;
  CommandLine line;
  for (int i = 1; i < argc; ++i) {
    if (!line.has_separator && std::string_view(argv[i]) == "--") {
      line.has_separator = true;
      continue;
    }
    (line.has_separator ? invocation.command : line.own_args).emplace_back(argv[i]);
  }

  CLI::App app{kDescription, "harden"};
  app.set_version_flag("--version", std::string("harden ") + HARDEN_VERSION);
  app.require_subcommand(0, 1);
  LaunchRequest short_form;  // harden --policy P -- CMD is short for harden run --policy P -- CMD
  add_launch_options(app, short_form);
  std::vector<Subcommand> subcommands;
  for (const Registrar add : kCommands)
    subcommands.push_back(add(app));

  try {
    std::vector<std::string> reversed(line.own_args.rbegin(), line.own_args.rend());
    app.parse(reversed);  // CLI11 takes its argument vector in reverse order
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    print_usage_error(app, line, e);
    // A command line that may have been meant as a launch exits 125, so the failure cannot be
    // mistaken for the target's own exit status; the other subcommands use 2 (their man pages).
    return may_be_launch(app, line) ? harden::exit_code::kPolicyError : kUsageError;
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
