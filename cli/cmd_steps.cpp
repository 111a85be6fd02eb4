// harden steps: the enforcement order, why each step stands where it does, and exit codes.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/json_text.hpp"
#include "enforcer/steps.hpp"

namespace harden::cli {

namespace {

constexpr const char* kExecWhy = "execve the target (126: not executable, 127: not found)";

int print_steps(const std::string& format) {
  if (format == "json") {
    nlohmann::json steps = nlohmann::json::array();
    for (const Step& step : enforcement_steps()) {
      steps.push_back({{"name", step.name}, {"why", step.why}, {"exit_code", step.exit_code}});
    }
    steps.push_back({{"name", "exec"},
                     {"why", kExecWhy},
                     {"exit_code", exit_code::kCannotExecute},
                     {"exit_code_not_found", exit_code::kNotFound}});
    std::puts(json_text(nlohmann::json{{"steps", std::move(steps)}}, 2).c_str());
    return 0;
  }
  for (const Step& step : enforcement_steps()) {
    std::printf("%3d  %-18s %.*s\n", step.exit_code, std::string(step.name).c_str(),
                static_cast<int>(step.why.size()), step.why.data());
  }
  std::printf("%3d  %-18s %s\n", exit_code::kCannotExecute, "exec", kExecWhy);
  return 0;
}

}  // namespace

Subcommand add_steps_command(CLI::App& parent) {
  auto format = std::make_shared<std::string>("text");
  CLI::App* app = parent.add_subcommand(
      "steps",
      "Print the enforcement steps in the order they are applied, why, and the exit "
      "code each one fails with");
  app->add_option("--format", *format,
                  "text (default), or json: {steps: [{name, why, exit_code}]} in order")
      ->check(CLI::IsMember({"text", "json"}));
  return {app, [format](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden steps: takes no command after --\n");
              return kUsageError;
            }
            return print_steps(*format);
          }};
}

}  // namespace harden::cli
