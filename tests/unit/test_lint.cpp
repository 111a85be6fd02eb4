// The lint catalog and score: every rule fires on its bad policy at the expected line:column and
// stays quiet on its good one (tests/policies/lint/<rule>/), the tables are sorted and resolve,
// suppressions need reasons and are shown, and the exposure never rises when a grant goes.
#include <grp.h>
#include <seccomp.h>
#include <sys/capability.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "compiler/compile.hpp"
#include "lint/dangerous.hpp"
#include "lint/lint.hpp"
#include "policy/lint_rule_ids.hpp"
#include "policy/policy_reader.hpp"

namespace fs = std::filesystem;
using namespace harden;

namespace {

const fs::path kLintCorpus = fs::path(HARDEN_SOURCE_DIR) / "tests" / "policies" / "lint";

struct Expectation {
  uint32_t line = 0;
  uint32_t column = 0;
  std::string message;
  std::string hint;
};

Expectation read_expectation(const fs::path& file) {
  std::ifstream in(file);
  std::string first;
  std::getline(in, first);
  static const std::regex pattern(R"(# expect: (\d+):(\d+):\s*([^|]*?)\s*(?:\|\s*(.*))?$)");
  std::smatch m;
  REQUIRE(std::regex_match(first, m, pattern));
  return {static_cast<uint32_t>(std::stoul(m[1])), static_cast<uint32_t>(std::stoul(m[2])), m[3],
          m[4]};
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Lints policy text; fails the test when the text does not validate.
LintReport lint_text(const std::string& text, const std::string& name = "variant.toml") {
  Diagnostics diags;
  const std::optional<Policy> policy = read_policy_text(text, name, diags);
  INFO(render_all(diags) << "\n" << text);
  REQUIRE(policy.has_value());
  const std::optional<Plan> plan = compile_policy(*policy, diags);
  INFO(render_all(diags));
  REQUIRE(plan.has_value());
  return lint_policy(*policy, plan->data(), diags);
}

std::vector<const LintFinding*> findings_of(const LintReport& report, std::string_view rule) {
  std::vector<const LintFinding*> out;
  for (const LintFinding& f : report.findings) {
    if (f.rule == rule) out.push_back(&f);
  }
  return out;
}

// The corpus files of one rule whose names start with `prefix` ("bad", "good"): bad.toml and
// good.toml, and variants such as bad-firewall-egress-only.toml for a rule with several cases.
std::vector<fs::path> corpus_files(const fs::path& dir, std::string_view prefix) {
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && entry.path().extension() == ".toml") {
      files.push_back(entry.path());
    }
  }
  std::ranges::sort(files);
  return files;
}

}  // namespace

TEST_CASE("the lint catalog is sorted, documented and complete", "[lint]") {
  const auto rules = lint_rules();
  REQUIRE(rules.size() >= 12);
  const std::string man = read_text(fs::path(HARDEN_SOURCE_DIR) / "man" / "harden-lint.1");
  for (size_t i = 0; i < rules.size(); ++i) {
    const LintRule& rule = rules[i];
    INFO("rule " << rule.id);
    if (i > 0) CHECK(rules[i - 1].id < rule.id);
    CHECK(find_lint_rule(rule.id) == &rule);
    CHECK_FALSE(rule.name.empty());
    CHECK_FALSE(rule.title.empty());
    CHECK(rule.rationale.size() > 80);
    CHECK_FALSE(rule.fix.empty());
    CHECK(rule.weight >= 0);
    CHECK(std::regex_match(std::string(rule.id), std::regex("[a-z]+(-[a-z]+)*")));
    // Documented in harden-lint(1) under its own .TP heading.
    CHECK(man.find(".B " + std::string(rule.id) + "\n") != std::string::npos);
    // And has a triggering and a clean policy.
    CHECK(fs::exists(kLintCorpus / rule.id / "bad.toml"));
    CHECK(fs::exists(kLintCorpus / rule.id / "good.toml"));
    // The policy reader's plain list (policy/lint_rule_ids.hpp) agrees on what a [lint]
    // allow entry may name: the rules with a check, and validation warnings.
    const LintRuleId* id = find_lint_rule_id(rule.id);
    REQUIRE(id != nullptr);
    CHECK(id->suppressible == (rule.check != nullptr || rule.id == kRuleValidateWarning));
  }
  CHECK(find_lint_rule("no-such-rule") == nullptr);
}

TEST_CASE("every rule fires on its bad policy at line:column and not on its good one",
          "[lint][corpus]") {
  size_t checked = 0;
  size_t variants = 0;
  for (const LintRule& rule : lint_rules()) {
    const fs::path dir = kLintCorpus / rule.id;
    INFO("rule " << rule.id);
    const LintReport bad = lint_policy_file((dir / "bad.toml").string());
    const LintReport good = lint_policy_file((dir / "good.toml").string());
    if (rule.id == kRuleInvalidPolicy) {
      // The linter's own rule: the bad policy does not validate, at the expected place.
      const Expectation expected = read_expectation(dir / "bad.toml");
      INFO("bad diagnostics:\n" << render_all(bad.diagnostics));
      CHECK_FALSE(bad.valid);
      const auto& items = bad.diagnostics.all();
      CHECK(std::ranges::any_of(items, [&](const Diagnostic& d) {
        return d.severity == Severity::error && d.pos.line == expected.line &&
               d.pos.column == expected.column &&
               d.message.find(expected.message) != std::string::npos &&
               d.hint.find(expected.hint) != std::string::npos;
      }));
      CHECK(good.valid);
      ++checked;
      continue;
    }
    for (const fs::path& file : corpus_files(dir, "bad")) {
      INFO("policy " << file.string());
      const Expectation expected = read_expectation(file);
      const LintReport report = lint_policy_file(file.string());
      INFO("diagnostics:\n" << render_all(report.diagnostics));
      REQUIRE(report.valid);
      const auto fired = findings_of(report, rule.id);
      REQUIRE_FALSE(fired.empty());
      CHECK(std::ranges::any_of(fired, [&](const LintFinding* f) {
        return f->pos.line == expected.line && f->pos.column == expected.column &&
               f->pos.file == file.string() &&
               f->message.find(expected.message) != std::string::npos &&
               f->severity == rule.severity;
      }));
      for (const LintFinding* f : fired)
        CHECK_FALSE(f->suppressed);
      ++variants;
    }
    for (const fs::path& file : corpus_files(dir, "good")) {
      INFO("policy " << file.string());
      const LintReport report = lint_policy_file(file.string());
      INFO("diagnostics:\n" << render_all(report.diagnostics));
      REQUIRE(report.valid);
      for (const LintFinding* f : findings_of(report, rule.id)) {
        // A good policy may only show the rule's finding as suppressed (with its reason).
        CHECK(f->suppressed);
      }
      ++variants;
    }
    if (rule.weight > 0) CHECK(bad.exposure >= good.exposure);
    ++checked;
  }
  CHECK(checked == lint_rules().size());
  CHECK(variants >= 2 * (lint_rules().size() - 1));  // at least bad.toml and good.toml each
}

TEST_CASE("the dangerous tables are sorted and every name resolves", "[lint][dangerous]") {
  const auto calls = dangerous_syscalls();
  REQUIRE(calls.size() >= 20);
  for (size_t i = 0; i < calls.size(); ++i) {
    INFO(calls[i].name);
    if (i > 0) CHECK(calls[i - 1].name < calls[i].name);
    CHECK(seccomp_syscall_resolve_name(std::string(calls[i].name).c_str()) >= 0);
    CHECK(calls[i].weight > 0);
    CHECK(calls[i].weight <= 1);
    CHECK(find_dangerous_syscall(calls[i].name) == &calls[i]);
    CHECK((calls[i].flags_arg < 0) == calls[i].flags.empty());
  }
  for (const std::string_view name : {"ptrace",
                                      "bpf",
                                      "perf_event_open",
                                      "mount",
                                      "umount2",
                                      "pivot_root",
                                      "kexec_load",
                                      "init_module",
                                      "finit_module",
                                      "userfaultfd",
                                      "keyctl",
                                      "add_key",
                                      "request_key",
                                      "io_uring_setup",
                                      "unshare",
                                      "clone",
                                      "clone3",
                                      "open_by_handle_at",
                                      "process_vm_writev",
                                      "personality"}) {
    CHECK(find_dangerous_syscall(name) != nullptr);
  }
  const auto caps = dangerous_capabilities();
  for (size_t i = 0; i < caps.size(); ++i) {
    INFO(caps[i].name);
    if (i > 0) CHECK(caps[i - 1].name < caps[i].name);
    cap_value_t value = 0;
    std::string lower(caps[i].name);
    std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
    CHECK(cap_from_name(lower.c_str(), &value) == 0);
  }
  for (const std::string_view name : {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE",
                                      "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_NET_ADMIN",
                                      "CAP_SETUID", "CAP_SETGID", "CAP_SYS_CHROOT", "CAP_BPF"}) {
    CHECK(find_dangerous_capability(name) != nullptr);
  }
  CHECK(find_dangerous_capability("sys_admin") != nullptr);
  CHECK(find_dangerous_capability("CAP_NET_BIND_SERVICE") == nullptr);
}

TEST_CASE("the sensitive-path table is sorted, absolute and weighted", "[lint][sensitive]") {
  const auto paths = sensitive_paths();
  REQUIRE(paths.size() >= 8);
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string path(paths[i].path);
    INFO(path);
    if (i > 0) CHECK(paths[i - 1].path < paths[i].path);
    CHECK(std::regex_match(path, std::regex("(/[A-Za-z0-9._-]+)+")));
    CHECK_FALSE(paths[i].why.empty());
    CHECK(paths[i].weight > 0);
    CHECK(paths[i].weight <= 1);
  }
  for (const std::string_view must : {"/etc/gshadow", "/etc/shadow", "/etc/ssl/private", "/root"}) {
    CHECK(std::ranges::find(paths, must, &SensitivePath::path) != paths.end());
  }
}

namespace {

constexpr std::string_view kSensitive = "sensitive-path-unwatched";

std::set<std::string> sensitive_items(const LintReport& report) {
  std::set<std::string> items;
  for (const LintFinding* f : findings_of(report, kSensitive))
    items.insert(f->item);
  return items;
}

const LintFinding* sensitive_finding(const LintReport& report, std::string_view path) {
  for (const LintFinding* f : findings_of(report, kSensitive)) {
    if (f->item == path) return f;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("sensitive-path-unwatched: who can read a secret, and where it points",
          "[lint][sensitive]") {
  const std::string head = "[policy]\nname = \"s\"\n";
  const std::string root = head + "[identity]\nuser = \"root\"\n";
  SECTION("root on the host's file system reads what root owns, at the user line") {
    const LintReport r = lint_text(root);
    const auto items = sensitive_items(r);
    CHECK(items.count("/etc/shadow") == 1);
    CHECK(items.count("/etc/ssh/ssh_host_ed25519_key") == 1);
    CHECK(items.count("/root") == 1);
    CHECK(items.count("/home") == 0);  // each home is its user's: uid 0 alone cannot enter it
    for (const LintFinding* f : findings_of(r, kSensitive)) {
      CHECK(f->pos.line == 4);
      CHECK(f->pos.column == 8);
      CHECK(f->severity == Severity::warning);
    }
    const LintFinding* shadow = sensitive_finding(r, "/etc/shadow");
    REQUIRE(shadow);
    CHECK(shadow->message.find("on the host's file system") != std::string::npos);
    CHECK(shadow->message.find("runs as root") != std::string::npos);
    CHECK(shadow->hint.find("path = \"/etc/shadow\"") != std::string::npos);
  }
  SECTION("without [identity] the caller's uid counts as root") {
    CHECK(sensitive_items(lint_text(head)).count("/etc/shadow") == 1);
  }
  SECTION("an unprivileged user without the file's group or a DAC capability reads none") {
    CHECK(sensitive_items(lint_text(head + "[identity]\nuser = \"nobody\"\ngroup = \"nogroup\"\n"))
              .empty());
  }
  SECTION("CAP_DAC_READ_SEARCH reads every one, /home included, at the capability") {
    const LintReport r = lint_text(head +
                                   "[identity]\nuser = \"nobody\"\ngroup = \"nogroup\"\n"
                                   "[capabilities]\nkeep = [\"dac_read_search\"]\n");
    CHECK(sensitive_items(r).size() == sensitive_paths().size());
    const LintFinding* home = sensitive_finding(r, "/home");
    REQUIRE(home);
    CHECK(home->pos.line == 7);
    CHECK(home->pos.column == 9);
    CHECK(home->message.find("CAP_DAC_READ_SEARCH") != std::string::npos);
  }
  SECTION("the group shadow reads /etc/shadow and /etc/gshadow, nothing else") {
    if (getgrnam("shadow") == nullptr) {
      WARN("no group 'shadow' on this host");
      return;
    }
    const LintReport r = lint_text(head +
                                   "[identity]\nuser = \"nobody\"\ngroup = \"nogroup\"\n"
                                   "supplementary_groups = [\"shadow\"]\n");
    CHECK(sensitive_items(r) == std::set<std::string>{"/etc/gshadow", "/etc/shadow"});
    const LintFinding* shadow = sensitive_finding(r, "/etc/shadow");
    REQUIRE(shadow);
    CHECK(shadow->pos.line == 6);
    CHECK(shadow->pos.column == 25);
  }
  SECTION("a watch with r on the path or on a parent directory silences it") {
    const LintReport parent =
        lint_text(root + "[[audit.watch]]\npath = \"/etc\"\npermissions = \"r\"\n");
    for (const std::string& item : sensitive_items(parent))
      CHECK_FALSE(item.starts_with("/etc/"));
    CHECK(sensitive_items(parent).count("/root") == 1);
    // The default permissions are rwxa.
    const LintReport exact = lint_text(root + "[[audit.watch]]\npath = \"/etc/shadow\"\n");
    CHECK(sensitive_items(exact).count("/etc/shadow") == 0);
    CHECK(sensitive_items(exact).count("/etc/gshadow") == 1);
  }
  SECTION("a watch without r, or on a part of a directory, does not") {
    const LintReport writes =
        lint_text(root + "[[audit.watch]]\npath = \"/etc/shadow\"\npermissions = \"wa\"\n");
    CHECK(sensitive_items(writes).count("/etc/shadow") == 1);
    const LintReport part = lint_text(root + "[[audit.watch]]\npath = \"/root/.ssh\"\n");
    CHECK(sensitive_items(part).count("/root") == 1);
  }
  SECTION("Landlock in enforce mode hides what its rules do not grant; best-effort hides nothing") {
    CHECK(sensitive_items(lint_text(root + "[landlock]\nread = [\"/usr\"]\n")).empty());
    const LintReport effort =
        lint_text(root + "[landlock]\nmode = \"best-effort\"\nread = [\"/usr\"]\n");
    CHECK(sensitive_items(effort).count("/etc/shadow") == 1);
    // A rule above the path grants it; a rule beneath a sensitive directory grants part of it.
    const LintReport above = lint_text(root + "[landlock]\nread = [\"/etc/ssl\", \"/root/app\"]\n");
    CHECK(sensitive_items(above) == std::set<std::string>{"/etc/ssl/private", "/root"});
  }
  SECTION("a constructed root shows only what it binds and no deeper entry covers") {
    CHECK(sensitive_items(lint_text(root + "[filesystem]\nread_only = [\"/usr\"]\n")).empty());
    const LintReport etc = lint_text(
        root + "[filesystem]\nread_only = [\"/usr\", \"/etc\"]\ntmpfs = [\"/etc/ssl\"]\n");
    CHECK(sensitive_items(etc).count("/etc/ssl/private") == 0);
    const LintFinding* shadow = sensitive_finding(etc, "/etc/shadow");
    REQUIRE(shadow);
    CHECK(shadow->pos.line == 6);  // the "/etc" entry, not the user line
    CHECK(shadow->pos.column == 22);
    CHECK(shadow->message.find("through '/etc' in the view") != std::string::npos);
    // Bound elsewhere, under another name.
    const LintReport moved =
        lint_text(root + "[filesystem]\nread_only = [{ path = \"/data\", source = \"/root\" }]\n");
    const LintFinding* home = sensitive_finding(moved, "/root");
    REQUIRE(home);
    CHECK(home->message.find("(as '/data')") != std::string::npos);
    CHECK(home->pos.line == 6);
  }
  SECTION("a chroot shows what lies inside its jail") {
    CHECK(sensitive_items(lint_text(root + "[filesystem]\nchroot = \"/srv\"\n")).empty());
    const LintReport jail = lint_text(root + "[filesystem]\nchroot = \"/etc\"\n");
    const LintFinding* shadow = sensitive_finding(jail, "/etc/shadow");
    REQUIRE(shadow);
    CHECK(shadow->message.find("in the chroot '/etc' (as '/shadow')") != std::string::npos);
    CHECK(shadow->pos.line == 6);
    CHECK(sensitive_items(jail).count("/root") == 0);
  }
}

TEST_CASE("network-unrestricted counts a [network] firewall", "[lint][network]") {
  const std::string head =
      "[policy]\nname = \"n\"\n[identity]\nuser = \"nobody\"\ngroup = \"nogroup\"\n"
      "[namespaces]\nnet = \"host\"\n";
  auto network = [](const LintReport& r) { return findings_of(r, "network-unrestricted"); };
  SECTION("both directions dropped: no finding (ingress drops by default in scope netns)") {
    CHECK(network(lint_text(head + "[network]\nscope = \"netns\"\negress = \"drop\"\n")).empty());
  }
  SECTION("both accepted: the whole finding, at the egress verdict") {
    // The findings point into the report, so it must outlive them.
    const LintReport r = lint_text(
        head + "[network]\nscope = \"netns\"\negress = \"accept\"\ningress = \"accept\"\n");
    const auto fired = network(r);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0]->badness == 1.0);
    CHECK(fired[0]->pos.line == 10);
  }
  SECTION("egress restricted, ingress open: 0.3, at [network]") {
    const LintReport r = lint_text(head + "[network]\nscope = \"uid\"\negress = \"reject\"\n");
    const auto fired = network(r);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0]->badness == Approx(0.3));
    CHECK(fired[0]->pos.line == 8);
    CHECK(fired[0]->pos.column == 1);
    CHECK(fired[0]->message.find("may listen on any port") != std::string::npos);
    CHECK(fired[0]->hint.find("bind_tcp") != std::string::npos);
    // Landlock's bind_tcp closes the other half.
    CHECK(network(lint_text(head + "[network]\nscope = \"uid\"\negress = \"reject\"\n"
                                   "[landlock]\nfilesystem = false\nbind_tcp = [8080]\n"))
              .empty());
  }
  SECTION("ingress restricted, egress open: 0.7, at the egress verdict") {
    const LintReport r = lint_text(head + "[network]\nscope = \"netns\"\negress = \"accept\"\n");
    const auto fired = network(r);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0]->badness == Approx(0.7));
    CHECK(fired[0]->pos.line == 10);
    CHECK(fired[0]->message.find("may connect to any address") != std::string::npos);
  }
  SECTION("an allow with neither addresses nor ports opens its direction again") {
    const std::string text =
        head +
        "[network]\nscope = \"netns\"\negress = \"drop\"\n[[network.allow]]\ndirection = "
        "\"egress\"\nprotocol = \"tcp\"\n";
    const LintReport r = lint_text(text);
    const auto fired = network(r);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0]->pos.line == 11);  // the [[network.allow]] table
    CHECK(network(lint_text(text + "ports = [443]\n")).empty());
  }
  SECTION("each restricted direction lowers the exposure") {
    const double none = lint_text(head).exposure;
    const double ingress = lint_text(head + "[network]\nscope = \"netns\"\n").exposure;
    const double both =
        lint_text(head + "[network]\nscope = \"netns\"\negress = \"drop\"\n").exposure;
    CHECK(none >= ingress);  // one decimal: a small step may round away
    CHECK(ingress >= both);
    CHECK(none > both);
  }
}

TEST_CASE("dangerous syscalls are read from the compiled filter", "[lint][dangerous]") {
  const std::string head = "[policy]\nname = \"f\"\n[seccomp]\ndefault_action = \"kill-process\"\n";
  SECTION("a group grants them, and the finding points at the group") {
    const LintReport r = lint_text(head + "allow = [\"@debug\"]\n");
    const auto fired = findings_of(r, "dangerous-syscall");
    std::set<std::string> items;
    for (const auto* f : fired)
      items.insert(f->item);
    CHECK(items == std::set<std::string>{"perf_event_open", "pidfd_getfd", "ptrace"});
    CHECK(fired.front()->pos.line == 5);
    CHECK(fired.front()->pos.column == 10);
    CHECK(fired.front()->message.find("through '@debug'") != std::string::npos);
  }
  SECTION("deny takes them back") {
    const LintReport r = lint_text(head + "allow = [\"@debug\"]\ndeny = [\"@debug\"]\n");
    CHECK(findings_of(r, "dangerous-syscall").empty());
  }
  SECTION("clone with the namespace flags refused by a rule is fine; without the rule it is not") {
    const std::string clone_rule =
        "[[seccomp.rule]]\nsyscall = \"clone\"\nargs = [{ index = 0, op = \"masked-eq\", mask = "
        "\"CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|"
        "CLONE_NEWNET\", value = 0 }]\n";
    const LintReport refused = lint_text(head + clone_rule);
    CHECK(findings_of(refused, "dangerous-syscall").empty());
    // Refusing only CLONE_NEWUSER leaves the others.
    const std::string partial =
        "[[seccomp.rule]]\nsyscall = \"clone\"\nargs = [{ index = 0, op = \"masked-eq\", mask = "
        "\"CLONE_NEWUSER\", value = 0 }]\n";
    const LintReport partial_report = lint_text(head + partial);
    const auto fired = findings_of(partial_report, "dangerous-syscall");
    REQUIRE(fired.size() == 1);
    CHECK(fired[0]->item == "clone");
    CHECK(fired[0]->message.find("CLONE_NEWNET") != std::string::npos);
    CHECK(fired[0]->message.find("CLONE_NEWUSER") == std::string::npos);
    CHECK(fired[0]->pos.line == 6);  // the rule's syscall line
  }
  SECTION("an argument rule on a plain dangerous call still needs a reason") {
    const std::string rule =
        "[[seccomp.rule]]\nsyscall = \"ptrace\"\nargs = [{ index = 0, op = \"eq\", value = 0 }]\n";
    const LintReport plain = lint_text(head + rule);
    const auto fired = findings_of(plain, "dangerous-syscall");
    REQUIRE(fired.size() == 1);
    CHECK_FALSE(fired[0]->suppressed);
    CHECK(fired[0]->message.find("for some arguments") != std::string::npos);
    const LintReport justified_report =
        lint_text(head + rule + "reason = \"PTRACE_TRACEME for the test runner\"\n");
    const auto justified = findings_of(justified_report, "dangerous-syscall");
    REQUIRE(justified.size() == 1);
    CHECK(justified[0]->suppressed);
    CHECK(justified[0]->reason == "PTRACE_TRACEME for the test runner");
  }
  SECTION("a permissive default allows every one, pointing at default_action") {
    const LintReport r = lint_text("[policy]\nname = \"f\"\n[seccomp]\ndefault_action = \"log\"\n");
    const auto fired = findings_of(r, "dangerous-syscall");
    CHECK(fired.size() >= 20);
    CHECK(fired.front()->pos.line == 4);
  }
}

TEST_CASE("suppressions: reason shown, items narrow them, unknown rules are errors", "[lint]") {
  const std::string head =
      "[policy]\nname = \"s\"\n[capabilities]\nkeep = [\"CAP_SYS_ADMIN\", \"CAP_NET_ADMIN\"]\n";
  SECTION("items narrow a suppression to the names listed") {
    const LintReport r = lint_text(head +
                                   "[lint]\nallow = [{ rule = \"dangerous-capability\", items = "
                                   "[\"net_admin\"], reason = \"it configures the VPN\" }]\n");
    const auto fired = findings_of(r, "dangerous-capability");
    REQUIRE(fired.size() == 2);
    for (const auto* f : fired) {
      CHECK(f->suppressed == (f->item == "CAP_NET_ADMIN"));
      if (f->suppressed) {
        CHECK(f->reason == "it configures the VPN");
        CHECK(f->suppressed_at.line == 6);
      }
    }
  }
  SECTION("a suppressed finding still counts in the exposure") {
    const double plain = lint_text(head).exposure;
    const double suppressed =
        lint_text(head + "[lint]\nallow = [{ rule = \"dangerous-capability\", reason = \"x\" }]\n")
            .exposure;
    CHECK(plain == suppressed);
  }
  SECTION("errors: unknown rule, no reason, blank reason, linter-only rule") {
    const std::pair<std::string, std::string> cases[] = {
        {"{ rule = \"dangerous-capabilty\", reason = \"x\" }",
         "did you mean 'dangerous-capability'?"},
        {"{ rule = \"dangerous-capability\" }", "add reason"},
        {"{ rule = \"dangerous-capability\", reason = \"  \" }", "add reason"},
        {"{ rule = \"invalid-policy\", reason = \"x\" }", "fix its cause"},
        {"{ rule = \"dangerous-capability\", reason = \"x\", items = [] }", "leave it out"},
        {"{ rule = \"dangerous-capability\", reason = \"x\", bogus = 1 }", "valid keys"},
    };
    for (const auto& [entry, hint] : cases) {
      INFO(entry);
      Diagnostics diags;
      CHECK_FALSE(read_policy_text(head + "[lint]\nallow = [" + entry + "]\n", "e.toml", diags));
      CHECK(diags.has_errors());
      CHECK(render_all(diags).find(hint) != std::string::npos);
      CHECK(diags.all().front().pos.line == 6);
    }
  }
}

TEST_CASE("exposure: bands, weights and the default threshold", "[lint][score]") {
  CHECK(exposure_verdict(0.0) == "PERFECT");
  CHECK(exposure_verdict(0.5) == "SAFE");
  CHECK(exposure_verdict(1.0) == "OK");
  CHECK(exposure_verdict(5.0) == "MEDIUM");
  CHECK(exposure_verdict(7.5) == "EXPOSED");
  CHECK(exposure_verdict(9.0) == "UNSAFE");
  CHECK(exposure_verdict(10.0) == "DANGEROUS");
  CHECK(exposure_score({}) == 0.0);
  // Every weighted rule at full badness is 10.0.
  std::vector<LintFinding> all;
  for (const LintRule& rule : lint_rules())
    all.push_back(make_finding(rule.id, {}, "x", {}, 5));
  CHECK(exposure_score(all, 1.0) == 10.0);
  // Findings alone reach 7.0; what the plan leaves open, 3.0 (man/harden-lint.1).
  CHECK(exposure_score(all) == 7.0);
  CHECK(exposure_score({}, 1.0) == 3.0);
  // A name-only policy (harden's defaults, run by root) is over the default threshold of 5.
  CHECK(lint_text("[policy]\nname = \"bare\"\n").exposure > 5.0);
}

TEST_CASE("exposure is monotonic: removing a grant never raises it", "[lint][score]") {
  // Each grant widens the sandbox; a variant is a subset of them. For every variant and every
  // grant in it, the variant without that grant must not score higher.
  struct Grant {
    std::string_view section;
    std::string_view text;
  };
  static const Grant kGrants[] = {
      {"seccomp.allow", "\"@system-service\""},
      {"seccomp.allow", "\"@mount\""},
      {"seccomp.allow", "\"@debug\""},
      {"seccomp.allow", "\"ptrace\""},
      {"seccomp.allow", "\"bpf\""},
      {"seccomp.allow", "\"@module\""},
      {"seccomp.allow", "\"@process\""},
      {"seccomp.allow", "\"@network-io\""},
      {"seccomp.allow", "\"personality\""},
      {"seccomp.allow", "\"@keyring\""},
      {"seccomp.arch", "\"x86\""},
      {"seccomp.arch", "\"x32\""},
      {"seccomp.default", "\"log\""},
      {"seccomp.rule", "\"unshare\""},
      {"seccomp.rule", "\"mount\""},
      {"seccomp.nodeny", "\"clone\""},
      {"seccomp.nodeny", "\"@keyring\""},
      {"caps", "\"CAP_SYS_ADMIN\""},
      {"caps", "\"CAP_NET_ADMIN\""},
      {"caps", "\"CAP_SETUID\""},
      {"caps", "\"CAP_NET_BIND_SERVICE\""},
      {"caps", "\"CAP_DAC_OVERRIDE\""},
      {"nnp-off", ""},
      {"env-inherit", ""},
      {"session-off", ""},
      {"root", ""},
      {"no-chroot", ""},
      {"no-nproc", ""},
      {"no-core", ""},
      {"no-umask", ""},
      {"no-seccomp", ""},
      {"ipc-host", ""},
      {"net-host", ""},
      {"no-landlock", ""},
      {"landlock-fs-off", ""},
      {"caps", "\"CAP_DAC_READ_SEARCH\""},
      {"shadow-group", ""},
      {"no-audit", ""},
      {"firewall-egress-open", ""},
      {"firewall-ingress-open", ""},
  };
  constexpr size_t kCount = std::size(kGrants);
  auto build = [&](const std::vector<bool>& on) {
    auto has = [&](std::string_view section) {
      for (size_t i = 0; i < kCount; ++i) {
        if (on[i] && kGrants[i].section == section) return true;
      }
      return false;
    };
    auto list = [&](std::string_view section) {
      std::string out;
      for (size_t i = 0; i < kCount; ++i) {
        if (on[i] && kGrants[i].section == section) out += std::string(kGrants[i].text) + ", ";
      }
      return out;
    };
    std::string text = "[policy]\nname = \"variant\"\n[identity]\n";
    text += has("root") ? "user = \"root\"\n" : "user = \"nobody\"\ngroup = \"nogroup\"\n";
    if (has("shadow-group")) text += "supplementary_groups = [\"shadow\"]\n";
    if (has("nnp-off")) text += "no_new_privileges = false\n";
    text += "[capabilities]\nkeep = [" + list("caps") + "]\n";
    text += "[exec]\n";
    if (!has("no-umask")) text += "umask = \"0027\"\n";
    if (has("session-off")) text += "new_session = false\n";
    if (has("env-inherit")) text += "[environment]\nclear = false\n";
    text += "[limits]\nnofile = 64\n";
    if (!has("no-nproc")) text += "nproc = 16\n";
    if (!has("no-core")) text += "core = 0\n";
    if (!has("no-chroot")) text += "[filesystem]\nchroot = \"/srv\"\n";
    text += "[namespaces]\n";
    text += has("net-host") ? "net = \"host\"\n" : "net = \"loopback\"\n";
    if (has("ipc-host")) text += "ipc = \"host\"\n";
    // Landlock needs no_new_privileges (a validation rule), so turning that off drops it too.
    if (!has("no-landlock") && !has("nnp-off")) {
      text += has("landlock-fs-off") ? "[landlock]\nfilesystem = false\nconnect_tcp = [443]\n"
                                     : "[landlock]\nmode = \"enforce\"\n";
    }
    // The firewall counts for network-unrestricted once net is "host" (scope netns: harden
    // started in the service's namespace); the watch on /etc for sensitive-path-unwatched.
    text += "[network]\n";
    if (has("net-host")) text += "scope = \"netns\"\n";  // a namespace made outside harden
    text +=
        std::string("egress = ") + (has("firewall-egress-open") ? "\"accept\"" : "\"drop\"") + "\n";
    text += std::string("ingress = ") + (has("firewall-ingress-open") ? "\"accept\"" : "\"drop\"") +
            "\n";
    if (!has("no-audit")) text += "[[audit.watch]]\npath = \"/etc\"\npermissions = \"r\"\n";
    if (has("no-seccomp")) return text;
    text += "[seccomp]\ndefault_action = " +
            std::string(has("seccomp.default") ? "\"log\"" : "\"kill-process\"") + "\n";
    text += "allow = [\"@basic-io\", " + list("seccomp.allow") + "]\n";
    text += "architectures = [\"native\", " + list("seccomp.arch") + "]\n";
    // Denies are restrictions: a "nodeny" grant removes one from the list.
    std::string deny;
    for (const std::string_view d : {"\"clone\"", "\"@keyring\""}) {
      bool lifted = false;
      for (size_t i = 0; i < kCount; ++i) {
        lifted =
            lifted || (on[i] && kGrants[i].section == "seccomp.nodeny" && kGrants[i].text == d);
      }
      if (!lifted) deny += std::string(d) + ", ";
    }
    if (!has("seccomp.default")) text += "deny = [" + deny + "]\n";
    for (size_t i = 0; i < kCount; ++i) {
      if (on[i] && kGrants[i].section == "seccomp.rule") {
        text += "[[seccomp.rule]]\nsyscall = " + std::string(kGrants[i].text) +
                "\nargs = [{ index = 0, op = \"ne\", value = 1 }]\n";
      }
    }
    return text;
  };
  auto score = [&](const std::vector<bool>& on) { return lint_text(build(on)).exposure; };

  std::mt19937 random(20261122);
  size_t comparisons = 0;
  for (int variant = 0; variant < 60; ++variant) {
    std::vector<bool> on(kCount);
    const double density = (variant % 4 + 1) / 5.0;  // sparse to dense variants
    std::bernoulli_distribution coin(density);
    for (size_t i = 0; i < kCount; ++i)
      on[i] = coin(random);
    const double with = score(on);
    for (size_t i = 0; i < kCount; ++i) {
      if (!on[i]) continue;
      std::vector<bool> without = on;
      without[i] = false;
      const double less = score(without);
      INFO("variant " << variant << " without grant " << i << ": " << kGrants[i].section << " "
                      << kGrants[i].text << "\n"
                      << build(on));
      CHECK(less <= with);
      ++comparisons;
    }
  }
  CHECK(comparisons > 300);
}
