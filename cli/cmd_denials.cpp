// harden denials [--pid PID] [--policy P | --plan F | --wrapper W]: the seccomp kills and
// Landlock denials the kernel recorded (inspect/kill_log.hpp), each kill with the syscall's
// name and, given the plan, the policy line that decided it; each Landlock denial with the
// access right and the path. For launches without a supervisor, where the shell shows only
// "Bad system call" or "Permission denied". Exit 0 when one was found, 1 when none, 2 on a
// usage error, 125 on a policy error. --follow reports them as they happen instead, from the audit
// netlink.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>

#include <linux/seccomp.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/json_text.hpp"
#include "cli/plan_source.hpp"
#include "compiler/syscall_groups.hpp"
#include "enforcer/steps.hpp"
#include "inspect/kill_log.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/plan_io.hpp"
#include "plan/seccomp_model.hpp"
#include "plan/unique_fd.hpp"
#include "policy/diagnostics.hpp"

namespace harden::cli {

namespace {

struct DenialsOptions {
  PlanSource source;
  pid_t pid = 0;
  std::string format = "text";
  std::string audit_log = "/var/log/audit/audit.log";
  bool follow = false;
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

// What this plan's filter answers the native call `nr` with, when that answer is not `action`
// (the kill recorded) for any arguments: then the kill was another filter's (another launch,
// another policy), and naming a line of this policy for it would mislead. nullopt when the
// plan can have made it.
std::optional<uint32_t> other_answer(const Plan& plan, uint32_t nr, uint32_t action) {
  const auto same = [&](uint32_t answer) {
    return (answer & SECCOMP_RET_ACTION_FULL) == (action & SECCOMP_RET_ACTION_FULL);
  };
  if (const SeccompModel* model = plan.seccomp_model()) {
    const SyscallDecision* decision = model->find(syscall_name(static_cast<int>(nr)));
    if (!decision)
      return same(model->default_action) ? std::nullopt : std::optional(model->default_action);
    const std::vector<uint32_t> actions = decision->reachable_actions();
    if (std::ranges::any_of(actions, same) || actions.empty()) return std::nullopt;
    return actions.front();
  }
  // A sealed plan keeps only its filter: asked with zero arguments (the record has none).
  const auto answer = evaluate_seccomp_program(
      plan.data().seccomp.program, make_seccomp_data(native_audit_arch(), static_cast<int>(nr)));
  if (!answer || same(*answer)) return std::nullopt;
  return *answer;
}

// One kill as JSON and as a line of text (with the deciding policy line, given the plan).
void describe_kill(const inspect::LoggedKill& kill, const std::optional<Plan>& plan,
                   nlohmann::json& item, std::string& text) {
  const auto& r = kill.record;
  const bool native = r.arch == native_audit_arch();
  const std::string name = native ? syscall_name(static_cast<int>(r.nr)) : std::string();
  item = {{"pid", r.pid},
          {"comm", r.comm},
          {"session", r.session},
          {"signal", r.signal},
          {"arch", audit_arch_name(r.arch)},
          {"nr", r.nr},
          {"syscall", name},
          {"action", describe_seccomp_action(r.action)},
          {"stamp", kill.stamp},
          {"source", kill.source}};
  text += "pid " + std::to_string(r.pid) + " (" + printable(r.comm) +
          "): killed by its seccomp filter at " +
          (name.empty() ? "syscall " + std::to_string(r.nr)
                        : name + " (syscall " + std::to_string(r.nr) + ")") +
          " on " + audit_arch_name(r.arch) + ", audit(" + kill.stamp + ")\n";
  if (plan && native) {
    if (const auto answer = other_answer(*plan, r.nr, r.action)) {
      item["policy_answer"] = describe_seccomp_action(*answer);
      text += "  not this policy's kill: it answers " + name + " with " +
              describe_seccomp_action(*answer) + "\n";
    } else {
      const auto [what, line] = decided_by(plan->data(), r.nr);
      item["decided_by"] = what;
      item["origin"] = line;
      text += "  decided by " + what + (line.empty() ? "" : " at " + line) + "\n";
    }
  }
}

void describe_denial(const inspect::LandlockDenial& denial, const std::optional<Plan>& plan,
                     nlohmann::json& item, std::string& text) {
  item = {{"pid", denial.pid},       {"comm", denial.comm},         {"exe", denial.exe},
          {"domain", denial.domain}, {"blockers", denial.blockers}, {"path", denial.path},
          {"object", denial.object}, {"stamp", denial.stamp},       {"source", denial.source}};
  text += (denial.pid ? "pid " + std::to_string(denial.pid) + " (" + printable(denial.comm) + ")"
                      : "Landlock domain " + denial.domain) +
          ": refused by Landlock (" + denial.blockers + ") on " +
          (denial.path.empty() ? printable(denial.object) : "\"" + printable(denial.path) + "\"") +
          ", audit(" + denial.stamp + ")\n";
  if (plan && plan->data().landlock.enabled) {
    text += "  no [landlock] rule of the policy grants " + denial.blockers + " there\n";
  }
}

// The kills and denials of `log` that concern `pid` (0: all), as JSON arrays and text.
void describe_log(const inspect::KillLog& log, const DenialsOptions& options,
                  const std::optional<Plan>& plan, nlohmann::json& kills, nlohmann::json& landlock,
                  std::string& text) {
  for (const inspect::LoggedKill& kill : log.kills) {
    if (options.pid != 0 && kill.record.pid != options.pid) continue;
    describe_kill(kill, plan, kills.emplace_back(), text);
  }
  for (const inspect::LandlockDenial& denial : log.landlock) {
    if (options.pid != 0 && denial.pid != options.pid) continue;
    describe_denial(denial, plan, landlock.emplace_back(), text);
  }
}

// Prints what a --follow read brought, as it comes: a JSON object a line, or text.
void print_followed(const inspect::KillLog& log, const DenialsOptions& options,
                    const std::optional<Plan>& plan) {
  nlohmann::json kills = nlohmann::json::array();
  nlohmann::json landlock = nlohmann::json::array();
  std::string text;
  describe_log(log, options, plan, kills, landlock, text);
  if (options.format == "json") {
    for (const nlohmann::json& kill : kills)
      std::printf("%s\n", json_text(nlohmann::json{{"kill", kill}}).c_str());
    for (const nlohmann::json& denial : landlock)
      std::printf("%s\n", json_text(nlohmann::json{{"landlock", denial}}).c_str());
  } else {
    std::fputs(text.c_str(), stdout);
  }
  std::fflush(stdout);
}

// --follow: each kill and denial as it happens (a JSON object a line with --format json),
// until SIGINT or SIGTERM; exit 0 then, 1 when the records cannot be followed.
int follow(const DenialsOptions& options, const std::optional<Plan>& plan) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  const UniqueFd stop(::signalfd(-1, &stop_signals, SFD_CLOEXEC));
  std::string why = stop ? "" : std::string("signalfd: ") + std::strerror(errno);
  std::optional<inspect::AuditFollower> follower;
  if (stop) follower = inspect::AuditFollower::open(why);
  if (!follower) {
    std::fprintf(stderr, "harden denials: cannot follow the kernel's audit records: %s\n",
                 why.c_str());
    return 1;
  }
  // A caller waiting for this line knows that what happens from now on is seen.
  std::fprintf(stderr, "harden denials: following the kernel's audit records (Ctrl-C stops)\n");
  bool warned_lost = false;
  for (;;) {
    pollfd fds[] = {{follower->fd(), POLLIN, 0}, {stop.get(), POLLIN, 0}};
    // A denial held for its maker's record waits a moment, not forever.
    const int ready = ::poll(fds, 2, follower->holding() ? 100 : -1);
    if (ready < 0 && errno != EINTR) return 1;
    if (fds[1].revents & POLLIN) break;
    print_followed(ready > 0 ? follower->read_available() : follower->flush(), options, plan);
    if (follower->lost_records() && !warned_lost) {
      warned_lost = true;
      std::fprintf(stderr,
                   "harden denials: records came faster than they were read; the "
                   "kernel dropped some for this reader\n");
    }
  }
  print_followed(follower->flush(), options, plan);
  return 0;
}

int denials(const DenialsOptions& options) {
  std::optional<Plan> plan;
  if (options.source.given()) {
    plan = load_plan(options.source, "denials");
    if (!plan) return exit_code::kPolicyError;
  }
  if (options.follow) return follow(options, plan);
  const inspect::KillLog log = inspect::read_kill_log(options.audit_log);
  for (const std::string& why : log.unread)
    std::fprintf(stderr, "harden denials: %s\n", why.c_str());
  nlohmann::json kills = nlohmann::json::array();
  nlohmann::json landlock = nlohmann::json::array();
  std::string text;
  describe_log(log, options, plan, kills, landlock, text);
  const bool none = kills.empty() && landlock.empty();
  if (options.format == "json") {
    std::puts(
        json_text(nlohmann::json{{"kills", kills}, {"landlock", landlock}, {"unread", log.unread}},
                  2)
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
      "policy line; exit 0 found, 1 none, 2 usage error, 125 policy error");
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
      ->check(CLI::Range(1, std::numeric_limits<pid_t>::max()));
  app->add_option("--format", options->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  CLI::Option* follow_flag =
      app->add_flag("-f,--follow", options->follow,
                    "Report each one as it happens, from the audit netlink (nothing lost to the "
                    "kernel log's rate limit), until Ctrl-C; JSON: an object a line");
  app->add_option("--audit-log", options->audit_log,
                  "auditd's log (default /var/log/audit/audit.log)")
      ->excludes(follow_flag);
  return {app, [options](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fprintf(stderr, "harden denials: takes no command after --\n");
              return exit_code::kPolicyError;
            }
            return denials(*options);
          }};
}

}  // namespace harden::cli
