// harden check --policy P PID... | --all: a running process's real state (from /proc) against
// the compiled plan; every difference is printed. Exit 0 when every process matches, 1 when
// any differs, 125 on a usage or policy error (nothing compared).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/commands.hpp"
#include "cli/json_text.hpp"
#include "cli/plan_source.hpp"
#include "compiler/compile.hpp"
#include "enforcer/proc_text.hpp"
#include "enforcer/steps.hpp"
#include "inspect/launch_registry.hpp"
#include "inspect/plan_check.hpp"
#include "plan/plan_file.hpp"
#include "plan/plan_io.hpp"
#include "plan/unique_fd.hpp"
#include "policy/diagnostics.hpp"

namespace harden::cli {

namespace {

constexpr int kDifferences = 1;

struct CheckOptions {
  PlanSource source;
  std::vector<pid_t> pids;
  bool all = false;
  std::string format = "text";
  std::vector<std::string> ignore;
};

struct Checked {
  inspect::ProcessState process;
  std::string against;  // "policy web (web.toml)"
  inspect::CheckReport report;
};

std::expected<Plan, std::string> plan_from_file_bytes(
    const std::expected<std::string, std::string>& bytes) {
  if (!bytes) return std::unexpected(bytes.error());
  return plan_from_bytes({reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size()});
}

int kernel_last_cap() {
  const std::string text = first_line(read_proc_text("/proc/sys/kernel/cap_last_cap", 64));
  return text.empty() ? 40 : std::atoi(text.c_str());
}

std::string describe_plan(const PlanData& plan, const std::string& source) {
  return "policy '" + plan.policy_name + "' (" + source + ")";
}

void print_text(const std::vector<Checked>& results) {
  for (const Checked& c : results) {
    const auto& diffs = c.report.differences;
    std::printf(
        "pid %d (%s) against %s: %s\n", c.process.pid, printable(c.process.comm).c_str(),
        c.against.c_str(),
        diffs.empty() ? "matches" : (std::to_string(diffs.size()) + " difference(s)").c_str());
    for (const inspect::Difference& d : diffs) {
      std::printf("  %s: %s: the plan says %s, the process has %s\n", d.item.c_str(),
                  printable(d.detail).c_str(), printable(d.expected).c_str(),
                  printable(d.actual).c_str());
    }
    std::string compared;
    for (const std::string& item : c.report.checked)
      compared += (compared.empty() ? "" : ", ") + item;
    std::printf("  compared: %s\n", compared.empty() ? "nothing" : compared.c_str());
    for (const std::string& note : c.report.unchecked)
      std::printf("  not compared: %s\n", note.c_str());
  }
}

void print_json(const std::vector<Checked>& results, const std::vector<std::string>& problems) {
  nlohmann::json out;
  out["processes"] = nlohmann::json::array();
  for (const Checked& c : results) {
    nlohmann::json p;
    p["pid"] = c.process.pid;
    p["comm"] = c.process.comm;
    p["exe"] = c.process.exe;
    p["against"] = c.against;
    p["match"] = c.report.differences.empty();
    p["differences"] = nlohmann::json::array();
    for (const inspect::Difference& d : c.report.differences) {
      p["differences"].push_back(
          {{"item", d.item}, {"detail", d.detail}, {"expected", d.expected}, {"actual", d.actual}});
    }
    p["compared"] = c.report.checked;
    p["not_compared"] = c.report.unchecked;
    out["processes"].push_back(std::move(p));
  }
  out["problems"] = problems;
  std::puts(json_text(out, 2).c_str());
}

int check(const CheckOptions& options) {
  const bool named_plan = options.source.given();
  if (options.all == !options.pids.empty()) {
    std::fputs("harden check: give PIDs or --all (not both)\n", stderr);
    return exit_code::kPolicyError;
  }
  if (!options.all && !named_plan) {
    std::fputs(
        "harden check: give the plan to compare with: --policy FILE, --plan FILE or "
        "--wrapper FILE\n",
        stderr);
    return exit_code::kPolicyError;
  }
  for (const std::string& item : options.ignore) {
    if (std::find_if(std::begin(inspect::kCheckItems), std::end(inspect::kCheckItems),
                     [&](const char* known) { return item == known; }) ==
        std::end(inspect::kCheckItems)) {
      std::vector<std::string_view> names(std::begin(inspect::kCheckItems),
                                          std::end(inspect::kCheckItems));
      std::fprintf(stderr, "harden check: --ignore: unknown item '%s' (%s)\n", item.c_str(),
                   did_you_mean(item, names, "see harden(1)").c_str());
      return exit_code::kPolicyError;
    }
  }
  const std::set<std::string> ignore(options.ignore.begin(), options.ignore.end());
  std::optional<Plan> plan;
  if (named_plan) {
    plan = load_plan(options.source, "check");
    if (!plan) return exit_code::kPolicyError;
  }
  const std::string& source = options.source.name();

  std::vector<std::string> problems;
  const std::vector<inspect::LaunchRecord> launches = inspect::live_launches(problems);
  // (pid, the launch it belongs to) for every process to compare.
  std::vector<std::pair<pid_t, std::optional<inspect::LaunchRecord>>> targets;
  if (options.all) {
    for (const inspect::LaunchRecord& launch : launches) {
      for (const pid_t pid : inspect::launch_targets(launch))
        targets.emplace_back(pid, launch);
    }
    if (targets.empty()) {
      std::fprintf(stderr, "harden check: no running target of a recorded launch in %s/launches\n",
                   inspect::state_dir().c_str());
    }
  } else {
    for (const pid_t pid : options.pids)
      targets.emplace_back(pid, inspect::launch_of(pid, launches));
  }

  const inspect::HostState host = inspect::read_host_state();
  const int last_cap = kernel_last_cap();
  std::vector<Checked> results;
  for (const auto& [pid, launch] : targets) {
    std::expected<inspect::ProcessState, std::string> process = inspect::read_process_state(pid);
    if (!process) {
      if (!options.all) {
        std::fprintf(stderr, "harden check: %s\n", process.error().c_str());
        return exit_code::kPolicyError;
      }
      continue;  // exited since it was listed
    }
    inspect::LaunchFacts facts;
    if (launch) facts.seccomp_filters_before = launch->seccomp_filters_before;
    std::optional<Plan> recorded;
    if (!plan) {
      std::expected<Plan, std::string> sealed =
          plan_from_file_bytes(read_plan_file(launch->plan_path));
      if (!sealed) {
        problems.push_back(launch->plan_path + ": " + sealed.error());
        continue;
      }
      recorded = std::move(*sealed);
    }
    const Plan& against = plan ? *plan : *recorded;
    Checked checked{std::move(*process), {}, {}};
    checked.against =
        plan ? describe_plan(against.data(), source)
             : describe_plan(against.data(),
                             "as launched" + (launch->policy.empty() ? std::string()
                                                                     : " from " + launch->policy));
    checked.report =
        inspect::check_process(against.data(), checked.process, host, facts, ignore, last_cap);
    results.push_back(std::move(checked));
  }
  for (const std::string& problem : problems)
    std::fprintf(stderr, "harden check: %s\n", problem.c_str());
  if (options.format == "json")
    print_json(results, problems);
  else
    print_text(results);
  for (const Checked& c : results) {
    if (!c.report.differences.empty()) return kDifferences;
  }
  return problems.empty() ? 0 : kDifferences;
}

}  // namespace

Subcommand add_check_command(CLI::App& parent) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* app = parent.add_subcommand(
      "check",
      "Compare running processes with a plan: ids, capabilities, no_new_privs, seccomp, "
      "namespaces, root, cgroup, rlimits, fds, environment. Exit 0 all match, 1 any "
      "difference, 125 usage or policy error");
  CLI::Option* policy =
      app->add_option("-p,--policy", options->source.policy, "Policy file to compare with")
          ->check(CLI::ExistingFile);
  CLI::Option* plan = app->add_option("--plan", options->source.plan,
                                      "A sealed plan (harden compile --plan-only) to compare with")
                          ->check(CLI::ExistingFile)
                          ->excludes(policy);
  app->add_option("--wrapper", options->source.wrapper,
                  "A compiled wrapper (harden compile -o): compare with the plan sealed in it")
      ->check(CLI::ExistingFile)
      ->excludes(policy)
      ->excludes(plan);
  app->add_option("pids", options->pids, "Process ids")
      ->check(CLI::Range(1, std::numeric_limits<pid_t>::max()));
  app->add_flag("--all", options->all,
                "Every running target harden launched as root (recorded in "
                "$HARDEN_STATE_DIR/launches, default /run/harden/launches), each against the "
                "plan it was launched with unless a plan is given");
  app->add_option("--format", options->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  app->add_option("--ignore", options->ignore,
                  "Do not compare an item: ids, capabilities, no-new-privs, seccomp, umask, "
                  "namespaces, root, cgroup, limits, fds, environment, terminal, lsm (repeat it, "
                  "or separate items with commas)")
      ->allow_extra_args(false)
      ->delimiter(',');
  app->footer(
      "A target changes some of these itself once it runs (it opens fds, sets its umask): "
      "check right after the launch, or --ignore them. Landlock domains, PR_SET_MDWE and "
      "the firewall are not visible in /proc and are listed as not compared. See harden(1).");
  return {app, [options](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden check: takes no command after --\n");
              return exit_code::kPolicyError;
            }
            return check(*options);
          }};
}

}  // namespace harden::cli
