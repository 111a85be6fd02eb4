// harden's command line. It only parses arguments and calls the compiler and the enforcer;
// no policy logic lives here. Everything after the first "--" is the target's and is never
// parsed by harden.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "compiler/compile.hpp"
#include "enforcer/steps.hpp"

extern char** environ;

namespace harden {
namespace {

constexpr int kUsageError = 2;

void print_diagnostics(const Diagnostics& diags) {
  const std::string text = render_all(diags, isatty(STDERR_FILENO) == 1);
  std::fputs(text.c_str(), stderr);
}

int run_command(const std::string& policy_path, const std::vector<std::string>& command) {
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
    std::fprintf(stderr, "harden: %s\n", ctx.error().c_str());
    return exit_code::kPolicyError;
  }
  std::fflush(nullptr);
  RealSys sys;
  return enforce_and_exec(*plan, *ctx, sys);
}

int validate_command(const std::vector<std::string>& files, bool quiet) {
  int status = 0;
  for (const std::string& file : files) {
    Diagnostics diags;
    const std::optional<Plan> plan = compile_policy_file(file, diags);
    print_diagnostics(diags);
    if (!plan) {
      std::fprintf(stderr, "%s: invalid (%zu error(s))\n", file.c_str(), diags.error_count());
      status = 1;
    } else if (!quiet) {
      std::printf("%s: ok\n", file.c_str());
    }
  }
  return status;
}

int steps_command() {
  for (const Step& step : enforcement_steps()) {
    std::printf("%-18s exit %d  %.*s\n", std::string(step.name).c_str(), step.exit_code,
                static_cast<int>(step.why.size()), step.why.data());
  }
  std::printf("%-18s exit %d/%d  execve the target (126: not executable, 127: not found)\n",
              "exec", exit_code::kCannotExecute, exit_code::kNotFound);
  return 0;
}

}  // namespace
}  // namespace harden

int main(int argc, char** argv) {
  using namespace harden;
  // Split at the first "--": what follows is the target's command line, untouched.
  std::vector<std::string> own_args;
  std::vector<std::string> command;
  bool after_separator = false;
  for (int i = 1; i < argc; ++i) {
    if (!after_separator && std::string_view(argv[i]) == "--") {
      after_separator = true;
      continue;
    }
    (after_separator ? command : own_args).emplace_back(argv[i]);
  }
  // Errors before a launch exit 125 so they cannot be mistaken for the target's own status.
  const bool launching = own_args.empty() || own_args.front() == "run" ||
                         own_args.front().rfind("--policy", 0) == 0 || own_args.front() == "-p";

  CLI::App app{
      "harden: compile a TOML security policy and run a program under it.\n\n"
      "  harden --policy svc.toml -- ./server      run ./server under svc.toml\n"
      "  harden validate svc.toml                  check a policy, print every problem\n"
      "  harden steps                              show the enforcement order and exit codes\n\n"
      "Exit codes of a launch: 125 policy or usage error, 200-211 an enforcement step failed\n"
      "(see 'harden steps'), 126/127 target not executable/not found, else the target's.\n"
      "See harden(1) and harden.toml(5).",
      "harden"};
  app.set_version_flag("--version", std::string("harden ") + HARDEN_VERSION);
  app.require_subcommand(0, 1);
  std::string policy_path;
  app.add_option("-p,--policy", policy_path, "Policy file to run the command under (short form of 'run')")
      ->check(CLI::ExistingFile);

  std::string run_policy;
  CLI::App* run = app.add_subcommand("run", "Run a command under a policy: harden run --policy P -- CMD...");
  run->add_option("-p,--policy", run_policy, "Policy file")->required()->check(CLI::ExistingFile);

  std::vector<std::string> validate_files;
  bool quiet = false;
  CLI::App* validate = app.add_subcommand("validate", "Parse and resolve policies; print every diagnostic; exit 0 valid, 1 invalid, 2 usage");
  validate->add_option("files", validate_files, "Policy files")->required();
  validate->add_flag("-q,--quiet", quiet, "Print nothing for valid policies");

  app.add_subcommand("steps", "Print the enforcement steps in order, why, and their exit codes");

  try {
    std::reverse(own_args.begin(), own_args.end());  // CLI11 takes arguments in reverse order
    app.parse(own_args);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    if (code == 0) return 0;  // --help, --version
    return launching ? exit_code::kPolicyError : kUsageError;
  }

  if (*validate) {
    if (!command.empty()) {
      std::fprintf(stderr, "harden validate: takes no command after --\n");
      return kUsageError;
    }
    return validate_command(validate_files, quiet);
  }
  if (app.got_subcommand("steps")) return steps_command();
  const std::string& policy = *run ? run_policy : policy_path;
  if (policy.empty()) {
    std::fprintf(stderr, "harden: no policy given\n%s", app.help().c_str());
    return exit_code::kPolicyError;
  }
  return run_command(policy, command);
}
