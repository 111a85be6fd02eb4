// harden import --from oci-seccomp PROFILE [--cap CAP...] [-o FILE]
// harden import --from systemd UNIT [--name NAME] [-o FILE]
// Another tool's policy as a harden policy (section), printed for review (never applied).
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.hpp"
#include "compiler/compile.hpp"
#include "export/export.hpp"
#include "policy/policy_files.hpp"
#include "policy/policy_reader.hpp"

namespace harden::cli {

namespace {

struct Options {
  std::string from;
  std::string file;
  std::string output;
  std::string name;
  std::vector<std::string> caps;
};

// The directories in the host's "/" (symlinks to directories too, as /bin on merged-/usr
// systems), sorted: the constructed root of an imported unit lists them.
std::vector<std::string> root_entries() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/", ec)) {
    std::error_code type_ec;
    if (!std::filesystem::is_directory(entry.path(), type_ec)) continue;
    names.push_back(entry.path().filename().string());
  }
  std::ranges::sort(names);
  return names;
}

int run_import(const Options& options) {
  // Like a policy: a regular file of at most 1 MiB, opened without blocking.
  RealPolicyFileSystem files;
  auto text = files.read_main(options.file);
  if (!text) {
    std::fprintf(stderr, "harden import: cannot read %s: %s\n", options.file.c_str(),
                 text.error().why.c_str());
    return 1;
  }
  Diagnostics diags;
  ImportOptions import_options{options.file, options.caps};
  std::optional<std::string> policy;
  if (options.from == "systemd") {
    import_options.policy_name = options.name;
    import_options.root_entries = root_entries();
    import_options.path_exists = [](const std::string& path) {
      struct stat st {};
      return lstat(path.c_str(), &st) == 0;
    };
    policy = import_systemd_unit(*text, import_options, diags);
  } else {
    policy = import_oci_seccomp(*text, import_options, diags);
  }
  print_diagnostics(diags);
  if (!policy) return 1;
  int status = 0;
  if (options.from == "systemd") {
    // A whole policy: it must validate here, or the user learns now, not at start.
    Diagnostics check;
    const std::string name = options.output.empty() || options.output == "-"
                                 ? "<imported from " + options.file + ">"
                                 : options.output;
    std::optional<Policy> parsed = read_policy_text(*policy, name, check);
    if (parsed) (void)compile_policy(*parsed, check);
    if (check.has_errors()) {
      print_diagnostics(check);
      std::fprintf(stderr,
                   "harden import: the imported policy does not validate on this machine "
                   "(written anyway, for review)\n");
      status = 1;
    }
  }
  if (options.output.empty() || options.output == "-") {
    std::fputs(policy->c_str(), stdout);
    return status;
  }
  std::ofstream out(options.output, std::ios::trunc);
  out << *policy;
  return out.flush() ? status : 1;
}

}  // namespace

Subcommand add_import_command(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "import",
      "Turn another tool's configuration into a policy for review: --from oci-seccomp "
      "(runc, crun, Docker, Podman, Kubernetes) gives a [seccomp] section, --from systemd "
      "a whole policy from a service unit's sandboxing directives; exit 0, 1 when it cannot "
      "be translated (or, for systemd, does not validate here), 2 on a usage error");
  app->add_option("--from", options->from, "Input format: oci-seccomp or systemd")
      ->required()
      ->check(CLI::IsMember({"oci-seccomp", "systemd"}));
  app->add_option("profile", options->file, "Profile (JSON) or unit file")
      ->required()
      ->check(CLI::ExistingFile);
  app->add_option("--cap", options->caps,
                  "oci-seccomp: a capability the target keeps; Docker entries conditional on "
                  "it apply");
  app->add_option("--name", options->name,
                  "systemd: the policy name (default: the unit's, e.g. nginx)");
  app->add_option("-o,--output", options->output, "Write here instead of standard output");
  app->footer(
      "What cannot be imported is listed in the output with its file:line, and warned about.\n\n"
      "Examples:\n"
      "  harden import --from oci-seccomp /usr/share/containers/seccomp.json --cap CAP_CHOWN\n"
      "  harden import --from systemd /lib/systemd/system/nginx.service -o nginx.toml\n"
      "  harden validate nginx.toml && harden lint nginx.toml");
  return {app, [options](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden import: takes no command after --\n");
              return kUsageError;
            }
            if (options->from != "oci-seccomp" && !options->caps.empty()) {
              std::fprintf(stderr, "harden import: --cap is for --from oci-seccomp\n");
              return kUsageError;
            }
            if (options->from != "systemd" && !options->name.empty()) {
              std::fprintf(stderr, "harden import: --name is for --from systemd\n");
              return kUsageError;
            }
            return run_import(*options);
          }};
}

}  // namespace harden::cli
