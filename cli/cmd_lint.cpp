// harden lint [PATH...]: validate policies, check them against the rule catalog, score them.
// Exit 0 clean, 1 a finding at or above --fail-on or an exposure above --threshold, 125 an
// invalid policy, 2 a usage error.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.hpp"
#include "cli/lint_output.hpp"
#include "cli/policy_input.hpp"
#include "lint/lint.hpp"

namespace harden::cli {

namespace {

constexpr int kLintFindings = 1;

struct LintOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string fail_on = "warning";
  double threshold = 5.0;
  std::string explain;
  bool list_rules = false;
  bool host = false;
};

int explain(const std::string& id) {
  if (const LintRule* rule = find_lint_rule(id)) {
    std::fputs(explain_lint_rule(*rule).c_str(), stdout);
    return 0;
  }
  std::vector<std::string_view> ids;
  for (const LintRule& rule : lint_rules())
    ids.push_back(rule.id);
  const std::string hint = did_you_mean(id, ids, "'harden lint --list-rules' prints them");
  std::fprintf(stderr, "harden lint: unknown rule '%s' (%s)\n", id.c_str(), hint.c_str());
  return kUsageError;
}

int lint(const LintOptions& options) {
  if (options.paths.empty()) {
    std::fprintf(stderr, "harden lint: give policy files or directories\n");
    return kUsageError;
  }
  LintSettings settings;
  settings.threshold = options.threshold;
  settings.fail_on = severity_from_name(options.fail_on);  // "none": nullopt

  std::expected<PolicyInputs, std::string> inputs = expand_policy_paths(options.paths);
  if (!inputs) {
    std::fprintf(stderr, "harden lint: %s\n", inputs.error().c_str());
    return kUsageError;
  }
  const std::vector<PolicyFileInput>& files = inputs->files;
  const std::vector<std::string>& bases = inputs->bases;
  if (files.empty()) {
    std::fprintf(stderr,
                 "harden lint: no policies found (only bases, files that set no [policy] "
                 "name)\n");
    return kUsageError;
  }
  std::vector<LintReport> reports;
  reports.reserve(files.size());
  const HostChecks host = options.host ? HostChecks::check : HostChecks::skip;
  for (const PolicyFileInput& file : files) {
    if (file.path != "-") {
      reports.push_back(lint_policy_input(file, host));
      continue;
    }
    std::expected<std::string, std::string> text = read_policy_stdin();
    if (!text) {
      std::fprintf(stderr, "harden lint: %s\n", text.error().c_str());
      return kUsageError;
    }
    reports.push_back(lint_policy_text(*text, kStdinName, host));
  }

  std::string output;
  if (options.format == "json") {
    output = render_lint_json(reports, settings, bases);
  } else if (options.format == "sarif") {
    output = render_lint_sarif(reports);
  } else {
    const bool colour = isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr;
    output = render_lint_text(reports, settings, colour);
  }
  std::fputs(output.c_str(), stdout);

  int status = 0;
  for (const LintReport& report : reports) {
    if (!report.valid) return kInvalidPolicy;
    if (report_fails(report, settings)) status = kLintFindings;
  }
  return status;
}

}  // namespace

Subcommand add_lint_command(CLI::App& parent) {
  auto options = std::make_shared<LintOptions>();
  CLI::App* app = parent.add_subcommand(
      "lint",
      "Validate policies and check them against the lint rules; exit 0 clean, 1 "
      "findings at or above --fail-on or an exposure above --threshold, 125 invalid "
      "policy, 2 usage error. See harden-lint(1)");
  app->add_option("paths", options->paths,
                  "Policy files; directories, searched recursively for *.toml policies (hidden "
                  "directories skipped; bases are linted through the policies that extend "
                  "them); - for one policy on standard input");
  app->add_option("--format", options->format, "text (default), json or sarif")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  app->add_option("--fail-on", options->fail_on,
                  "Lowest severity of an unsuppressed finding that fails: error, warning "
                  "(default), note or none")
      ->check(CLI::IsMember({"error", "warning", "note", "none"}));
  app->add_option("--threshold", options->threshold,
                  "Fail when a policy's exposure is above this (0.0-10.0, default 5.0)")
      ->check(CLI::Range(0.0, 10.0));
  app->add_option("--explain", options->explain, "Explain a rule: why it matters, how to fix it");
  app->add_flag("--list-rules", options->list_rules, "List every rule");
  app->add_flag("--host", options->host,
                "Also check what must exist on this host (users, chroot, bind sources), as "
                "validate --host does; by default lint reads only the policy, so CI runners "
                "without the service's user or directories lint it the same");
  return {app, [options](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden lint: takes no command after --\n");
              return kUsageError;
            }
            if (!options->explain.empty()) return explain(options->explain);
            if (options->list_rules) {
              std::fputs(list_lint_rules().c_str(), stdout);
              return 0;
            }
            return lint(*options);
          }};
}

}  // namespace harden::cli
