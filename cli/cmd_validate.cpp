// harden validate [--host] PATH...: parse and resolve policies (files, directories, "-" for
// standard input), print every diagnostic, exit 0 all valid, 125 any invalid, 2 usage error.
// Without --host the answer depends on the policy alone, not on the machine (HostChecks).
#include <unistd.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/json_text.hpp"
#include "cli/lint_output.hpp"
#include "cli/policy_input.hpp"
#include "compiler/compile.hpp"
#include "policy/diagnostics.hpp"
#include "policy/policy_reader.hpp"

namespace harden::cli {

namespace {

struct ValidateOptions {
  std::vector<std::string> paths;
  bool quiet = false;
  std::string format = "text";
  bool host = false;
};

struct Validated {
  std::string file;
  Diagnostics diags;
  bool valid = false;
};

Validated validate_one(const PolicyFileInput& file, const std::string& stdin_text,
                       const CompileOptions& compile) {
  Validated result{file.path == "-" ? kStdinName : file.path, {}, false};
  if (file.path == "-") {
    std::optional<Policy> policy = read_policy_text(stdin_text, kStdinName, result.diags);
    result.valid = policy && compile_policy(*policy, result.diags, compile).has_value();
  } else {
    result.valid = compile_policy_input(file, result.diags, compile).has_value();
  }
  return result;
}

int validate(const ValidateOptions& options) {
  std::expected<PolicyInputs, std::string> inputs = expand_policy_paths(options.paths);
  if (!inputs) {
    std::fprintf(stderr, "harden validate: %s\n", inputs.error().c_str());
    return kUsageError;
  }
  if (inputs->files.empty()) {
    std::fputs(
        "harden validate: no policies found (only bases, files that set no [policy] "
        "name; they are validated through the policies that extend them)\n",
        stderr);
    return kUsageError;
  }
  std::string stdin_text;
  if (std::ranges::find(inputs->files, "-", &PolicyFileInput::path) != inputs->files.end()) {
    std::expected<std::string, std::string> text = read_policy_stdin();
    if (!text) {
      std::fprintf(stderr, "harden validate: %s\n", text.error().c_str());
      return kUsageError;
    }
    stdin_text = std::move(*text);
  }
  const CompileOptions compile{options.host ? HostChecks::check : HostChecks::skip};
  int status = 0;
  nlohmann::json policies = nlohmann::json::array();
  for (const PolicyFileInput& file : inputs->files) {
    const Validated result = validate_one(file, stdin_text, compile);
    if (!result.valid) status = kInvalidPolicy;
    if (options.format == "json") {
      policies.push_back({{"file", result.file},
                          {"valid", result.valid},
                          {"errors", result.diags.error_count()},
                          {"diagnostics", diagnostics_json(result.diags)}});
      continue;
    }
    print_diagnostics(result.diags);
    if (!result.valid) {
      std::fprintf(stderr, "%s: invalid (%zu error(s))\n", printable(result.file).c_str(),
                   result.diags.error_count());
    } else if (!options.quiet) {
      std::printf("%s: ok\n", printable(result.file).c_str());
    }
  }
  if (options.format == "json") {
    const nlohmann::json doc = {{"tool", "harden validate"},
                                {"valid", status == 0},
                                {"policies", std::move(policies)},
                                {"bases", inputs->bases}};
    std::puts(json_text(doc, 2).c_str());
  }
  return status;
}

}  // namespace

Subcommand add_validate_command(CLI::App& parent) {
  auto options = std::make_shared<ValidateOptions>();
  CLI::App* app = parent.add_subcommand(
      "validate",
      "Parse and resolve policies and print every problem; exit 0 when all are "
      "valid, 125 when any is invalid, 2 on a usage error");
  app->add_option("paths", options->paths,
                  "Policy files; directories, searched recursively for *.toml policies (bases "
                  "are validated through the policies that extend them); - for one policy on "
                  "standard input (its extends are found from the current directory)")
      ->required();
  app->add_flag("-q,--quiet", options->quiet, "Print nothing for valid policies");
  app->add_option("--format", options->format,
                  "text (default), or json: {valid, policies: [{file, valid, errors, "
                  "diagnostics}], bases} on stdout")
      ->check(CLI::IsMember({"text", "json"}));
  app->add_flag("--host", options->host,
                "Also check what must exist on this host: users and groups, the chroot, bind "
                "sources, audit watch directories, the cgroup v2 mount (a launch checks them "
                "too; without --host the answer is the same on every machine)");
  return {app, [options](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden validate: takes no command after --\n");
              return kUsageError;
            }
            return validate(*options);
          }};
}

}  // namespace harden::cli
