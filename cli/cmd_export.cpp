// harden export --format FORMAT POLICY [-o FILE]: the compiled policy rendered for another
// tool. Formats are rows of kFormats; adding one is adding a row and its renderer.
#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>

#include "cli/commands.hpp"
#include "compiler/compile.hpp"
#include "compiler/export.hpp"
#include "compiler/policy_reader.hpp"

namespace harden::cli {

namespace {

struct ExportFormat {
  std::string_view name;
  std::string_view help;
  std::string (*render)(const Policy& policy, const Plan& plan);
};

// Sorted by name.
constexpr std::array<ExportFormat, 1> kFormats{{
    {"apparmor", "AppArmor profile for apparmor_parser(8); name it in [lsm] apparmor_profile",
     export_apparmor_profile},
}};

int export_policy(const std::string& format, const std::string& policy_path,
                  const std::string& output) {
  const auto it = std::find_if(kFormats.begin(), kFormats.end(),
                               [&](const ExportFormat& f) { return f.name == format; });
  if (it == kFormats.end()) {
    std::vector<std::string_view> names;
    std::string all;
    for (const ExportFormat& f : kFormats) {
      names.push_back(f.name);
      all += " " + std::string(f.name);
    }
    const std::string hint = did_you_mean(format, names, "formats:" + all);
    std::fprintf(stderr, "harden export: unknown format '%s' (%s)\n", format.c_str(), hint.c_str());
    return kUsageError;
  }
  Diagnostics diags;
  std::optional<Policy> policy = read_policy(policy_path, diags);
  std::optional<Plan> plan = policy ? compile_policy(*policy, diags) : std::nullopt;
  print_diagnostics(diags);
  if (!plan) {
    std::fprintf(stderr, "harden export: %zu error(s) in %s\n", diags.error_count(),
                 policy_path.c_str());
    return 1;
  }
  const std::string text = it->render(*policy, *plan);
  if (output.empty() || output == "-") {
    std::fputs(text.c_str(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  std::ofstream out(output, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::fprintf(stderr, "harden export: cannot write %s\n", output.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

Subcommand add_export_command(CLI::App& parent) {
  struct Options {
    std::string format;
    std::string policy;
    std::string output;
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "export", "Render a policy for another tool: harden export --format FORMAT POLICY");
  std::string formats;
  for (const ExportFormat& f : kFormats) {
    formats += "\n  " + std::string(f.name) + ": " + std::string(f.help);
  }
  app->add_option("-f,--format", options->format, "Output format:" + formats)->required();
  app->add_option("policy", options->policy, "Policy file")->required()->check(CLI::ExistingFile);
  app->add_option("-o,--output", options->output, "Write to FILE instead of standard output");
  return {app, [options](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden export: takes no command after --\n");
              return kUsageError;
            }
            return export_policy(options->format, options->policy, options->output);
          }};
}

}  // namespace harden::cli
