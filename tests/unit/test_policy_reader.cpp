// The policy reader and compiler front end: exact positions for every error in the invalid
// corpus, all errors reported, and the documented merge rules of `extends`.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <tuple>

#include <linux/audit.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>

#include "compiler/compile.hpp"
#include "compiler/seccomp.hpp"
#include "lint/lint.hpp"
#include "plan/bpf_eval.hpp"
#include "policy/policy_reader.hpp"
#include "policy/toml_section.hpp"

namespace fs = std::filesystem;
using namespace harden;

namespace {

const fs::path kCorpus = fs::path(HARDEN_SOURCE_DIR) / "tests" / "policies";

struct Expectation {
  std::string file;  // empty: the policy itself
  uint32_t line = 0;
  uint32_t column = 0;
  std::string message;
  std::string hint;
};

// First line of each invalid policy: "# expect: [FILE:]LINE:COL: message part | hint part",
// FILE naming the file the error is in when it is not the policy itself (an extended base).
Expectation read_expectation(const fs::path& file) {
  std::ifstream in(file);
  std::string first;
  std::getline(in, first);
  static const std::regex pattern(
      R"(# expect: (?:([^:\s]+):)?(\d+):(\d+):\s*([^|]*?)\s*(?:\|\s*(.*))?$)");
  std::smatch m;
  REQUIRE(std::regex_match(first, m, pattern));
  return {m[1], static_cast<uint32_t>(std::stoul(m[2])), static_cast<uint32_t>(std::stoul(m[3])),
          m[4], m[5]};
}

std::vector<fs::path> corpus(const std::string& kind) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kCorpus / kind)) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string all_text(const Diagnostics& diags) {
  return render_all(diags);
}

}  // namespace

TEST_CASE("every invalid policy fails with the expected position, message and hint",
          "[policy][diagnostics]") {
  const auto files = corpus("invalid");
  REQUIRE(files.size() >= 20);
  for (const fs::path& file : files) {
    INFO("policy: " << file.filename().string());
    const Expectation expected = read_expectation(file);
    Diagnostics diags;
    const std::optional<Plan> plan = compile_policy_file(file.string(), diags);
    INFO("diagnostics:\n" << all_text(diags));
    CHECK_FALSE(plan.has_value());
    CHECK(diags.has_errors());
    const auto& items = diags.all();
    const bool found = std::any_of(items.begin(), items.end(), [&](const Diagnostic& d) {
      const std::string where =
          expected.file.empty() ? file.string() : (file.parent_path() / expected.file).string();
      return d.severity == Severity::error && d.pos.file == where && d.pos.line == expected.line &&
             d.pos.column == expected.column &&
             d.message.find(expected.message) != std::string::npos &&
             d.hint.find(expected.hint) != std::string::npos;
    });
    CHECK(found);
  }
}

TEST_CASE("every valid policy in the corpus compiles without errors", "[policy]") {
  for (const fs::path& file : corpus("valid")) {
    INFO("policy: " << file.filename().string());
    Diagnostics diags;
    const std::optional<Plan> plan = compile_policy_file(file.string(), diags);
    INFO(all_text(diags));
    CHECK(plan.has_value());
  }
}

TEST_CASE("a rendered diagnostic shows file:line:col, the source line and a caret",
          "[diagnostics]") {
  const fs::path file = kCorpus / "invalid" / "unknown_key.toml";
  Diagnostics diags;
  REQUIRE_FALSE(read_policy(file.string(), diags));
  const std::string text = render_all(diags);
  CHECK(text.find(file.string() + ":6:1: error: unknown key 'usr' in [identity]") !=
        std::string::npos);
  CHECK(text.find("  usr = \"nobody\"\n  ^~~\n") != std::string::npos);
  CHECK(text.find("hint: did you mean 'user'?") != std::string::npos);
}

TEST_CASE("a diagnostic underlines the whole token, and diagnostics are shown by position",
          "[diagnostics]") {
  // Found in the order compile_policy meets them (identity before seccomp before limits
  // here), shown in the order of the file.
  const std::string text = R"([policy]
name = "order"
[limits]
nofle = 10
[seccomp]
default_action = "kil"
allow = ["read", [1, 2], "wirte"]
[identity]
usr = 'nobody'
)";
  Diagnostics diags;
  REQUIRE_FALSE(read_policy_text(text, "order.toml", diags).has_value());
  const std::vector<Diagnostic> shown = diags.by_position();
  REQUIRE(shown.size() >= 3);
  for (size_t i = 1; i < shown.size(); ++i) {
    INFO(render_all(diags));
    CHECK(std::tie(shown[i - 1].pos.line, shown[i - 1].pos.column) <=
          std::tie(shown[i].pos.line, shown[i].pos.column));
  }
  const std::string rendered = render_all(diags);
  INFO(rendered);
  CHECK(rendered.find("  nofle = 10\n  ^~~~~\n") != std::string::npos);    // a bare key
  CHECK(rendered.find("  usr = 'nobody'\n  ^~~\n") != std::string::npos);  // to the '='
  CHECK(rendered.find("order.toml:4:1:") < rendered.find("order.toml:9:1:"));

  const auto underline = [](uint32_t column, size_t length) {
    return "\n  " + std::string(column - 1, ' ') + "^" + std::string(length - 1, '~') + "\n";
  };
  Diagnostic quoted;
  quoted.pos = {"order.toml", 6, 18};  // default_action = "kil"
  quoted.message = "m";
  CHECK(render_diagnostic(quoted, diags).find(underline(18, 5)) != std::string::npos);
  Diagnostic array = quoted;
  array.pos = {"order.toml", 7, 9};  // the whole array, brackets and strings inside included
  CHECK(render_diagnostic(array, diags).find(underline(9, 25)) != std::string::npos);
  Diagnostic nested = quoted;
  nested.pos = {"order.toml", 7, 18};  // [1, 2] only
  CHECK(render_diagnostic(nested, diags).find(underline(18, 6)) != std::string::npos);
}

TEST_CASE("all errors are reported, not only the first", "[diagnostics]") {
  const std::string text = R"([policy]
name = "many"
[identity]
usr = "nobody"
[exec]
umask = "9"
[environment]
keep = ["1BAD"]
[limits]
nofle = 10
)";
  Diagnostics diags;
  const auto policy = read_policy_text(text, "many.toml", diags);
  CHECK_FALSE(policy.has_value());
  CHECK(diags.error_count() == 3);  // usr, umask, nofle: the env name is checked later
  std::optional<Policy> parsed;
  Diagnostics compile_diags;
  const std::string fixed = R"([policy]
name = "many"
[identity]
user = "nobdy"
group = "nogrop"
supplementary_groups = ["nogrop2"]
[capabilities]
keep = ["CAP_FOO", "CAP_BAR"]
)";
  parsed = read_policy_text(fixed, "many2.toml", compile_diags);
  REQUIRE(parsed.has_value());
  CHECK_FALSE(compile_policy(*parsed, compile_diags).has_value());
  CHECK(compile_diags.error_count() == 5);
}

TEST_CASE("extends: tables merge, values and plain arrays replace, rule tables append",
          "[policy][extends]") {
  const fs::path child = kCorpus / "valid" / "extends_child.toml";
  Diagnostics diags;
  const std::optional<Policy> policy = read_policy(child.string(), diags);
  INFO(all_text(diags));
  REQUIRE(policy.has_value());
  // From the base, untouched by the child.
  REQUIRE(policy->identity.user.has_value());
  CHECK(policy->identity.user->value == "nobody");
  CHECK(policy->identity.user->pos.file.find("base.inc") != std::string::npos);
  // A scalar the child sets replaces the base's, and its position is in the child.
  REQUIRE(policy->seccomp.default_action.has_value());
  CHECK(policy->seccomp.default_action->value == "errno:EPERM");
  CHECK(policy->seccomp.default_action->pos.file == child.string());
  CHECK(policy->seccomp.default_action->pos.line == 6);
  // A plain array the base set and the child did not is kept.
  REQUIRE(policy->seccomp.allow.size() == 1);
  CHECK(policy->seccomp.allow[0].value == "@system-service");
  // Arrays of tables append: the base's rule, then the child's.
  REQUIRE(policy->seccomp.rules.size() == 2);
  CHECK(policy->seccomp.rules[0].args.at(0).value.symbol == "AF_UNIX");
  CHECK(policy->seccomp.rules[1].args.at(0).value.symbol == "AF_INET");
  // A plain array the child sets replaces the base's.
  REQUIRE(policy->environment.keep.size() == 1);
  CHECK(policy->environment.keep[0].value == "TZ");
  // Tables merge key by key.
  std::vector<std::string> names;
  for (const auto& [name, value] : policy->environment.set)
    names.push_back(name.value);
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"FROM_BASE", "FROM_CHILD", "PATH"});
}

TEST_CASE("extends: deny lists add up, reopen takes a base's denial back (and lint says so)",
          "[policy][extends][seccomp]") {
  const auto call = [](const SeccompPlan& plan, const char* name, uint64_t arg0 = 0) {
    const auto action = evaluate_seccomp_program(
        plan.program,
        make_seccomp_data(AUDIT_ARCH_X86_64, seccomp_syscall_resolve_name(name), {arg0}));
    REQUIRE(action.has_value());
    return *action;
  };
  const fs::path child = kCorpus / "valid" / "extends_deny_child.toml";
  Diagnostics diags;
  const std::optional<Policy> policy = read_policy(child.string(), diags);
  INFO(all_text(diags));
  REQUIRE(policy.has_value());
  std::vector<std::string> denied;
  for (const LocatedString& entry : policy->seccomp.deny)
    denied.push_back(entry.value);
  CHECK(denied == std::vector<std::string>{"@keyring", "personality", "userfaultfd", "ptrace",
                                           "io_uring_setup"});
  CHECK(policy->seccomp.deny.front().pos.file.find("deny_base.inc") != std::string::npos);
  CHECK(policy->seccomp.deny.back().pos.file == child.string());
  const SeccompPlan plan = compile_seccomp(policy->seccomp, diags);
  INFO(all_text(diags));
  REQUIRE_FALSE(diags.has_errors());
  CHECK(diags.all().empty());  // the clone rule is no "no effect" rule any more
  for (const char* name : {"keyctl", "add_key", "personality", "userfaultfd", "io_uring_setup"}) {
    INFO(name);
    CHECK(call(plan, name) == SECCOMP_RET_KILL_PROCESS);
  }
  CHECK(call(plan, "read") == SECCOMP_RET_ALLOW);
  CHECK(call(plan, "clone", SIGCHLD) == SECCOMP_RET_ALLOW);
  CHECK(call(plan, "clone", CLONE_NEWUSER | SIGCHLD) == SECCOMP_RET_KILL_PROCESS);

  const fs::path reopening = kCorpus / "valid" / "extends_reopen_child.toml";
  Diagnostics reopen_diags;
  const std::optional<Policy> reopened = read_policy(reopening.string(), reopen_diags);
  REQUIRE(reopened.has_value());
  const SeccompPlan reopened_plan = compile_seccomp(reopened->seccomp, reopen_diags);
  INFO(all_text(reopen_diags));
  REQUIRE_FALSE(reopen_diags.has_errors());
  CHECK(call(reopened_plan, "personality") == SECCOMP_RET_ALLOW);
  CHECK(call(reopened_plan, "keyctl") == SECCOMP_RET_KILL_PROCESS);
  const LintReport report = lint_policy_file(reopening.string());
  REQUIRE(report.valid);
  const auto finding =
      std::ranges::find(report.findings, std::string_view("seccomp-reopen"), &LintFinding::rule);
  REQUIRE(finding != report.findings.end());
  CHECK(finding->pos.file == reopening.string());
  CHECK(finding->pos.line == 7);
  CHECK(finding->pos.column == 11);
  // The reopened call's own finding points at what grants it again: the base's allow entry.
  const auto personality = std::ranges::find_if(report.findings, [](const LintFinding& f) {
    return f.rule == "dangerous-syscall" && f.item == "personality";
  });
  REQUIRE(personality != report.findings.end());
  CHECK(personality->pos.file.find("deny_base.inc") != std::string::npos);
  CHECK(personality->pos.line == 5);
  CHECK(personality->pos.column == 10);
}

TEST_CASE("extends: a cycle is an error at the entry that closes it", "[policy][extends]") {
  Diagnostics diags;
  CHECK_FALSE(read_policy((kCorpus / "invalid" / "extends_cycle_a.toml").string(), diags));
  REQUIRE(diags.error_count() == 1);
  const Diagnostic& d = diags.all().front();
  CHECK(d.message.find("'extends' cycle") != std::string::npos);
  CHECK(d.pos.file.find("extends_cycle_b.inc") != std::string::npos);
  CHECK(d.pos.line == 2);
}

TEST_CASE("user, group and supplementary groups resolve to ids", "[policy][identity]") {
  Diagnostics diags;
  const auto policy = read_policy_text(R"([policy]
name = "ids"
[identity]
user = "nobody"
supplementary_groups = ["nogroup", 4, "nogroup"]
[capabilities]
keep = ["net_bind_service", "CAP_CHOWN"]
)",
                                       "ids.toml", diags);
  REQUIRE(policy.has_value());
  const auto plan = compile_policy(*policy, diags);
  INFO(all_text(diags));
  REQUIRE(plan.has_value());
  const PlanData& data = plan->data();
  CHECK(data.credentials.change_ids);
  CHECK(data.credentials.uid == 65534);
  CHECK(data.credentials.gid == 65534);  // nobody's primary group
  CHECK(data.credentials.supplementary_groups == std::vector<gid_t>{4, 65534});
  CHECK(data.capabilities.keep == ((1ULL << 10) | (1ULL << 0)));
  CHECK(data.no_new_privs);
}

TEST_CASE("byte counts take binary suffixes and refuse overflow", "[policy]") {
  CHECK(parse_byte_count("4096") == 4096u);
  CHECK(parse_byte_count("64K") == 64u << 10);
  CHECK(parse_byte_count("512m") == 512ull << 20);
  CHECK(parse_byte_count("2G") == 2ull << 30);
  CHECK(parse_byte_count("1T") == 1ull << 40);
  CHECK_FALSE(parse_byte_count(""));
  CHECK_FALSE(parse_byte_count("M"));
  CHECK_FALSE(parse_byte_count("12Q"));
  CHECK_FALSE(parse_byte_count("-1"));
  CHECK_FALSE(parse_byte_count("99999999999T"));  // would overflow 64 bits
}
