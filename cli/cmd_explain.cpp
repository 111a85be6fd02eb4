// harden explain @group | POLICY | --wrapper W | --plan F: what a syscall group holds, or what
// a plan does (identity, syscalls with the line that decided each, view, Landlock, firewall).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/commands.hpp"
#include "cli/json_text.hpp"
#include "cli/policy_input.hpp"
#include "compiler/compile.hpp"
#include "compiler/syscall_groups.hpp"
#include "enforcer/steps.hpp"
#include "inspect/plan_explain.hpp"
#include "plan/plan_file.hpp"
#include "plan/plan_io.hpp"
#include "plan/unique_fd.hpp"
#include "policy/diagnostics.hpp"
#include "policy/policy_reader.hpp"

namespace harden::cli {

namespace {

struct ExplainOptions {
  std::string subject;  // @group or policy file ("-": standard input)
  std::string wrapper;
  std::string plan;
  std::string format = "text";
};

int print(const ExplainOptions& options, const nlohmann::json& doc, const std::string& text) {
  // The text quotes the policy (paths, environment, names): shown as text, never obeyed.
  std::fputs(
      options.format == "json" ? (json_text(doc, 2) + "\n").c_str() : printable_lines(text).c_str(),
      stdout);
  return 0;
}

int explain_group(const ExplainOptions& options) {
  auto group = inspect::explain_group_json(options.subject);
  if (!group) {
    const std::vector<std::string_view> names = syscall_group_names();
    std::fprintf(stderr, "harden explain: %s (%s)\n", group.error().c_str(),
                 did_you_mean(options.subject, names,
                              "'harden explain @default' and the man "
                              "page harden.toml(5) list them")
                     .c_str());
    return exit_code::kPolicyError;
  }
  return print(options, *group, inspect::explain_group_text(*group));
}

// A compiled policy is explained from its decision model; a sealed plan (which keeps none)
// from its compiled filter.
int explain_plan(const ExplainOptions& options, const Plan& plan, const std::string& source) {
  const std::unique_ptr<inspect::SeccompDecisionSource> seccomp =
      plan.seccomp_model() ? inspect::decisions_from_model(*plan.seccomp_model())
                           : inspect::decisions_from_filter(plan.data());
  if (options.format == "json")
    return print(options, inspect::explain_plan_json(plan.data(), *seccomp, source), {});
  return print(options, {}, inspect::explain_plan_text(plan.data(), *seccomp, source));
}

int explain_sealed(const ExplainOptions& options) {
  std::expected<std::string, std::string> bytes = std::unexpected(std::string());
  const std::string& source = options.wrapper.empty() ? options.plan : options.wrapper;
  if (!options.wrapper.empty()) {
    const UniqueFd fd(::open(options.wrapper.c_str(), O_RDONLY | O_CLOEXEC));
    bytes = fd ? read_sealed_plan(fd.get())
               : std::unexpected(std::string("cannot open it: ") + std::strerror(errno));
  } else {
    bytes = read_plan_file(options.plan);
  }
  std::expected<Plan, std::string> plan =
      bytes
          ? plan_from_bytes({reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size()})
          : std::unexpected(bytes.error());
  if (!plan) {
    std::fprintf(stderr, "harden explain: %s: %s\n", source.c_str(), plan.error().c_str());
    return exit_code::kPolicyError;
  }
  return explain_plan(options, *plan, "the plan sealed in " + source);
}

int explain_policy(const ExplainOptions& options) {
  Diagnostics diags;
  std::optional<Policy> policy;
  std::string name = options.subject;
  if (options.subject == "-") {
    std::expected<std::string, std::string> text = read_policy_stdin();
    if (!text) {
      std::fprintf(stderr, "harden explain: %s\n", text.error().c_str());
      return exit_code::kPolicyError;
    }
    name = kStdinName;
    policy = read_policy_text(*text, name, diags);
  } else {
    policy = read_policy(options.subject, diags);
  }
  std::optional<Plan> plan;
  if (policy) plan = compile_policy(*policy, diags);
  print_diagnostics(diags);
  if (!plan) {
    std::fprintf(stderr, "harden explain: %s is not a valid policy\n", name.c_str());
    return exit_code::kPolicyError;
  }
  return explain_plan(options, *plan, name);
}

}  // namespace

Subcommand add_explain_command(CLI::App& parent) {
  auto options = std::make_shared<ExplainOptions>();
  CLI::App* app = parent.add_subcommand(
      "explain",
      "Explain a syscall group (@service), a policy's resolved plan (identity, syscalls "
      "with the rule and line that decided each, view, Landlock, firewall), or the plan "
      "sealed in a compiled wrapper");
  CLI::Option* subject = app->add_option("subject", options->subject,
                                         "@group, or a policy file (- for standard input)");
  CLI::Option* wrapper =
      app->add_option("--wrapper", options->wrapper,
                      "A compiled wrapper (harden compile -o): explain the plan sealed in it")
          ->check(CLI::ExistingFile)
          ->excludes(subject);
  app->add_option("--plan", options->plan, "A sealed plan file (harden compile --plan-only)")
      ->check(CLI::ExistingFile)
      ->excludes(subject)
      ->excludes(wrapper);
  app->add_option("--format", options->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  app->footer(
      "Syscalls are listed when their fate is not the default action, or is by an explicit "
      "line; 'by argument' marks calls whose fate depends on their arguments. Exit 0, or 125 "
      "for an unknown group, an invalid policy or an untrusted plan. See harden(1).");
  return {app, [options](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden explain: takes no command after --\n");
              return exit_code::kPolicyError;
            }
            if (!options->wrapper.empty() || !options->plan.empty())
              return explain_sealed(*options);
            if (options->subject.empty()) {
              std::fputs(
                  "harden explain: give @group, a policy file, --wrapper FILE or --plan "
                  "FILE\n",
                  stderr);
              return exit_code::kPolicyError;
            }
            if (options->subject.starts_with('@')) return explain_group(*options);
            return explain_policy(*options);
          }};
}

}  // namespace harden::cli
