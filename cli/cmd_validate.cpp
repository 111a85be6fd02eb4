// harden validate FILE...: parse and resolve, print every diagnostic; exit 0, or 125 when a
// policy is invalid.
#include <cstdio>

#include "cli/commands.hpp"
#include "compiler/compile.hpp"

namespace harden::cli {

Subcommand add_validate_command(CLI::App& parent) {
  struct Options {
    std::vector<std::string> files;
    bool quiet = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "validate",
      "Parse and resolve policies and print every problem; exit 0 when all are "
      "valid, 1 when any is invalid, 2 on a usage error");
  app->add_option("files", options->files, "Policy files")->required();
  app->add_flag("-q,--quiet", options->quiet, "Print nothing for valid policies");
  return {app, [options](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden validate: takes no command after --\n");
              return kUsageError;
            }
            int status = 0;
            for (const std::string& file : options->files) {
              Diagnostics diags;
              const std::optional<Plan> plan = compile_policy_file(file, diags);
              print_diagnostics(diags);
              if (!plan) {
                std::fprintf(stderr, "%s: invalid (%zu error(s))\n", file.c_str(),
                             diags.error_count());
                status = kInvalidPolicy;
              } else if (!options->quiet) {
                std::printf("%s: ok\n", file.c_str());
              }
            }
            return status;
          }};
}

}  // namespace harden::cli
