// harden denials [--pid PID] [--policy P | --plan F | --wrapper W]: the seccomp kills and
// Landlock denials the kernel recorded (inspect/kill_log.hpp), each kill with the syscall's
// name and, given the plan, the policy line that decided it; each Landlock denial with the
// access right and the path. For launches without a supervisor, where the shell shows only
// "Bad system call" or "Permission denied". Exit 0 when one was found, 1 when none, 125 on a
// usage error.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/plan_source.hpp"
#include "compiler/syscall_groups.hpp"
#include "enforcer/steps.hpp"
#include "inspect/kill_log.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/plan_io.hpp"

namespace harden::cli {

namespace {

struct DenialsOptions {
  PlanSource source;
  pid_t pid = 0;
  std::string format = "text";
  std::string audit_log = "/var/log/audit/audit.log";
};

std::string where(const PlanOrigin& origin) {
  if (origin.file.empty()) return {};
  return origin.file + ":" + std::to_string(origin.line) + ":" + std::to_string(origin.column);
}

// The line behind the kill of `nr`: a rule or deny entry, else the default action.
std::pair<std::string, std::string> decided_by(const PlanData& plan, uint32_t nr) {
  for (const SeccompOrigin& origin : plan.seccomp.origins) {
    if (origin.nr == nr) return {origin.what, where(origin.origin)};
  }
  return {"default_action", where(plan.seccomp.default_action_origin)};
}

int denials(const DenialsOptions& options) {
  std::optional<Plan> plan;
  if (options.source.given()) {
    plan = load_plan(options.source, "denials");
    if (!plan) return exit_code::kPolicyError;
  }
  const inspect::KillLog log = inspect::read_kill_log(options.audit_log);
  for (const std::string& why : log.unread)
    std::fprintf(stderr, "harden denials: %s\n", why.c_str());
  nlohmann::json kills = nlohmann::json::array();
  std::string text;
  for (const inspect::LoggedKill& kill : log.kills) {
    const auto& r = kill.record;
    if (options.pid != 0 && r.pid != options.pid) continue;
    const bool native = r.arch == native_audit_arch();
    const std::string name = native ? syscall_name(static_cast<int>(r.nr)) : std::string();
    nlohmann::json item = {{"pid", r.pid},
                           {"comm", r.comm},
                           {"session", r.session},
                           {"signal", r.signal},
                           {"arch", audit_arch_name(r.arch)},
                           {"nr", r.nr},
                           {"syscall", name},
                           {"action", describe_seccomp_action(r.action)},
                           {"stamp", kill.stamp},
                           {"source", kill.source}};
    text += "pid " + std::to_string(r.pid) + " (" + r.comm + "): killed by its seccomp filter at " +
            (name.empty() ? "syscall " + std::to_string(r.nr)
                          : name + " (syscall " + std::to_string(r.nr) + ")") +
            " on " + audit_arch_name(r.arch) + ", audit(" + kill.stamp + ")\n";
    if (plan && native) {
      const auto [what, line] = decided_by(plan->data(), r.nr);
      item["decided_by"] = what;
      item["origin"] = line;
      text += "  decided by " + what + (line.empty() ? "" : " at " + line) + "\n";
    }
    kills.push_back(std::move(item));
  }
  nlohmann::json landlock = nlohmann::json::array();
  for (const inspect::LandlockDenial& denial : log.landlock) {
    if (options.pid != 0 && denial.pid != options.pid) continue;
    landlock.push_back({{"pid", denial.pid},
                        {"comm", denial.comm},
                        {"exe", denial.exe},
                        {"domain", denial.domain},
                        {"blockers", denial.blockers},
                        {"path", denial.path},
                        {"object", denial.object},
                        {"stamp", denial.stamp},
                        {"source", denial.source}});
    text += (denial.pid ? "pid " + std::to_string(denial.pid) + " (" + denial.comm + ")"
                        : "Landlock domain " + denial.domain) +
            ": refused by Landlock (" + denial.blockers + ") on " +
            (denial.path.empty() ? denial.object : "\"" + denial.path + "\"") + ", audit(" +
            denial.stamp + ")\n";
    if (plan && plan->data().landlock.enabled) {
      text += "  no [landlock] rule of the policy grants " + denial.blockers + " there\n";
    }
  }
  const bool none = kills.empty() && landlock.empty();
  if (options.format == "json") {
    std::puts(nlohmann::json{{"kills", kills}, {"landlock", landlock}, {"unread", log.unread}}
                  .dump(2)
                  .c_str());
  } else if (none) {
    std::puts(
        "no seccomp kill or Landlock denial recorded (the kernel records them only while "
        "auditing is on: auditctl -e 1; Landlock's from ABI 7, Linux 6.15)");
  } else {
    std::fputs(text.c_str(), stdout);
  }
  return none ? 1 : 0;
}

}  // namespace

Subcommand add_denials_command(CLI::App& parent) {
  auto options = std::make_shared<DenialsOptions>();
  CLI::App* app = parent.add_subcommand(
      "denials",
      "List the seccomp kills and Landlock denials the kernel recorded (its audit records, "
      "from /dev/kmsg or auditd's log), with the syscall or path and, given the plan, the "
      "policy line; exit 0 found, 1 none, 125 usage error");
  CLI::Option* policy =
      app->add_option("-p,--policy", options->source.policy, "Policy, to name the deciding line")
          ->check(CLI::ExistingFile);
  CLI::Option* plan = app->add_option("--plan", options->source.plan, "A sealed plan file")
                          ->check(CLI::ExistingFile)
                          ->excludes(policy);
  app->add_option("--wrapper", options->source.wrapper, "A compiled wrapper")
      ->check(CLI::ExistingFile)
      ->excludes(policy)
      ->excludes(plan);
  app->add_option("--pid", options->pid, "Only the kills and denials of this process")
      ->check(CLI::PositiveNumber);
  app->add_option("--format", options->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  app->add_option("--audit-log", options->audit_log,
                  "auditd's log (default /var/log/audit/audit.log)");
  return {app, [options](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden denials: takes no command after --\n");
              return exit_code::kPolicyError;
            }
            return denials(*options);
          }};
}

}  // namespace harden::cli
