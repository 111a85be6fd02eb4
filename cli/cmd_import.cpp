// harden import --from oci-seccomp PROFILE [--cap CAP...] [-o FILE]
// Another tool's policy as a harden policy section, printed for review (never applied).
#include <cstdio>
#include <fstream>

#include "cli/commands.hpp"
#include "export/export.hpp"
#include "policy/policy_files.hpp"

namespace harden::cli {

Subcommand add_import_command(CLI::App& parent) {
  struct Options {
    std::string from;
    std::string file;
    std::string output;
    std::vector<std::string> caps;
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "import",
      "Turn another tool's profile into a policy section: --from oci-seccomp "
      "(runc, crun, Docker, Podman, Kubernetes); exit 0, 1 when the profile cannot be "
      "translated, 2 on a usage error");
  app->add_option("--from", options->from, "Input format: oci-seccomp")
      ->required()
      ->check(CLI::IsMember({"oci-seccomp"}));
  app->add_option("profile", options->file, "Profile file (JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  app->add_option("--cap", options->caps,
                  "A capability the target keeps: Docker entries conditional on it apply");
  app->add_option("-o,--output", options->output, "Write here instead of standard output");
  return {app, [options](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden import: takes no command after --\n");
              return kUsageError;
            }
            // Like a policy: a regular file of at most 1 MiB, opened without blocking.
            RealPolicyFileSystem files;
            auto text = files.read_main(options->file);
            if (!text) {
              std::fprintf(stderr, "harden import: cannot read %s: %s\n", options->file.c_str(),
                           text.error().why.c_str());
              return 1;
            }
            Diagnostics diags;
            const std::optional<std::string> section =
                import_oci_seccomp(*text, {options->file, options->caps}, diags);
            print_diagnostics(diags);
            if (!section) return 1;
            if (options->output.empty() || options->output == "-") {
              std::fputs(section->c_str(), stdout);
              return 0;
            }
            std::ofstream out(options->output, std::ios::trunc);
            out << *section;
            return out.flush() ? 0 : 1;
          }};
}

}  // namespace harden::cli
