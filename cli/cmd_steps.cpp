// harden steps: the enforcement order, why each step stands where it does, and exit codes.
#include <cstdio>

#include "cli/commands.hpp"
#include "enforcer/steps.hpp"

namespace harden::cli {

Subcommand add_steps_command(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand(
      "steps",
      "Print the enforcement steps in the order they are applied, why, and the exit "
      "code each one fails with");
  return {app, [](const Invocation&) {
            for (const Step& step : enforcement_steps()) {
              std::printf("%3d  %-18s %.*s\n", step.exit_code, std::string(step.name).c_str(),
                          static_cast<int>(step.why.size()), step.why.data());
            }
            std::printf("%3d  %-18s %s\n", exit_code::kCannotExecute, "exec",
                        "execve the target (126: not executable, 127: not found)");
            return 0;
          }};
}

}  // namespace harden::cli
