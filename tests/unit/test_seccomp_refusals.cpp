// The promise behind every refusing [[seccomp.rule]]: no rule that refuses is ever dropped or
// hidden by something that allows the same call. For every policy of the corpus
// (tests/policies/valid, policies/, examples/) and for generated ones (random allow, deny and
// rule combinations, seeded, so a failure reproduces), the compiled BPF is run in the evaluator
// on argument values that satisfy each rule: a refusing rule's values are refused, an allow
// rule's values are allowed unless a refusing rule also matches them.
#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <filesystem>
#include <optional>
#include <random>

#include "compiler/seccomp.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/constants.hpp"
#include "policy/policy_reader.hpp"

using namespace harden;
namespace fs = std::filesystem;

namespace {

using Args = std::array<uint64_t, 6>;

uint64_t value_of(const ArgValue& value) {
  if (value.number) return *value.number;
  return evaluate_constant_expression(value.symbol).value_or(0);
}

bool is_wide(const SeccompArg& arg) {
  return arg.width && arg.width->value == 64;
}

// What the comparison means (harden.toml(5)): 32-bit by default, on the low half only.
bool holds(const SeccompArg& arg, uint64_t x) {
  uint64_t v = value_of(arg.value);
  uint64_t m = arg.mask ? value_of(*arg.mask) : 0;
  if (!is_wide(arg)) {
    x &= 0xffffffffu;
    v &= 0xffffffffu;
    m &= 0xffffffffu;
  }
  const std::string& op = arg.op.value;
  if (op == "eq") return x == v;
  if (op == "ne") return x != v;
  if (op == "lt") return x < v;
  if (op == "le") return x <= v;
  if (op == "gt") return x > v;
  if (op == "ge") return x >= v;
  return (x & m) == v;
}

bool matches(const SeccompRule& rule, const Args& args) {
  return std::ranges::all_of(rule.args, [&](const SeccompArg& arg) {
    return holds(arg, args[static_cast<size_t>(arg.index.value)]);
  });
}

// Values that satisfy every condition of the rule, with random bits where the rule does not
// look (the upper half of a 32-bit argument included); nullopt when none is found.
std::optional<Args> witness(const SeccompRule& rule, std::mt19937_64& random) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    Args args{};
    for (auto& a : args)
      a = attempt % 2 == 0 ? 0 : random();
    for (const SeccompArg& arg : rule.args) {
      const auto i = static_cast<size_t>(arg.index.value);
      const uint64_t v = value_of(arg.value);
      const uint64_t noise = is_wide(arg) ? 0 : (attempt % 3 == 0 ? 0 : random() << 32);
      const std::string& op = arg.op.value;
      uint64_t low = v;
      if (op == "ne" || op == "gt") low = v + 1 + random() % 3;
      if (op == "lt") low = v - 1 - random() % 3;
      if (op == "masked-eq") low = v | (random() & ~value_of(*arg.mask));
      if (attempt > 8 && (op != "eq")) low = random();
      args[i] = is_wide(arg) ? low : ((low & 0xffffffffu) | noise);
    }
    if (matches(rule, args)) return args;
  }
  return std::nullopt;
}

bool allows(uint32_t action) {
  const uint32_t kind = action & SECCOMP_RET_ACTION_FULL;
  return kind == SECCOMP_RET_ALLOW || kind == SECCOMP_RET_LOG;
}

bool permissive(const std::string& action) {
  return action == "allow" || action == "log";
}

uint32_t run(const SeccompPlan& plan, const std::string& syscall, const Args& args) {
  const int nr = seccomp_syscall_resolve_name(syscall.c_str());
  auto action =
      evaluate_seccomp_program(plan.program, make_seccomp_data(AUDIT_ARCH_X86_64, nr, args));
  INFO((action ? "" : action.error()));
  REQUIRE(action.has_value());
  return *action;
}

// Checks one compiled section; returns how many rule values were tried.
int check_section(const SeccompSection& section, const SeccompPlan& plan, std::mt19937_64& random) {
  const SeccompDecisions decisions = seccomp_decisions(section);
  int tried = 0;
  const auto refused_by_some_rule = [&](const std::string& name, const Args& args) {
    return std::ranges::any_of(decisions.rules, [&](const SeccompRule& r) {
      return r.syscall.value == name && !permissive(r.action.value) && matches(r, args);
    });
  };
  // The policy's own refusing rules, and every refusing rule the filter applies.
  std::vector<const SeccompRule*> refusing;
  for (const SeccompRule& rule : section.rules)
    if (!permissive(rule.action.value)) refusing.push_back(&rule);
  for (const SeccompRule& rule : decisions.rules)
    if (!permissive(rule.action.value)) refusing.push_back(&rule);
  for (const SeccompRule* rule : refusing) {
    if (seccomp_syscall_resolve_name(rule->syscall.value.c_str()) < 0) continue;
    for (int sample = 0; sample < 4; ++sample) {
      const auto args = witness(*rule, random);
      if (!args) break;
      ++tried;
      INFO(rule->pos.file << ":" << rule->pos.line << " " << rule->syscall.value << " "
                          << rule->action.value << " args " << (*args)[0] << " " << (*args)[1]
                          << " " << (*args)[2]);
      CHECK_FALSE(allows(run(plan, rule->syscall.value, *args)));
    }
  }
  for (const SeccompRule& rule : decisions.rules) {
    if (!permissive(rule.action.value)) continue;
    if (seccomp_syscall_resolve_name(rule.syscall.value.c_str()) < 0) continue;
    for (int sample = 0; sample < 4; ++sample) {
      const auto args = witness(rule, random);
      if (!args) break;
      ++tried;
      INFO(rule.pos.file << ":" << rule.pos.line << " allow " << rule.syscall.value << " args "
                         << (*args)[0] << " " << (*args)[1] << " " << (*args)[2]);
      CHECK(allows(run(plan, rule.syscall.value, *args)) ==
            !refused_by_some_rule(rule.syscall.value, *args));
    }
  }
  return tried;
}

std::vector<fs::path> corpus() {
  std::vector<fs::path> files;
  const fs::path root(HARDEN_SOURCE_DIR);
  for (const fs::path& dir :
       {root / "tests/policies/valid", root / "policies", root / "examples"}) {
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file() && entry.path().extension() == ".toml") {
        files.push_back(entry.path());
      }
    }
  }
  std::ranges::sort(files);
  return files;
}

}  // namespace

TEST_CASE("seccomp refusals: every refusing rule of the corpus is refused by its filter",
          "[seccomp][property]") {
  std::mt19937_64 random(11);
  int policies = 0;
  int tried = 0;
  for (const fs::path& file : corpus()) {
    Diagnostics diags;
    const std::optional<Policy> policy = read_policy(file.string(), diags);
    if (!policy || !policy->seccomp.present) continue;
    const SeccompPlan plan = compile_seccomp(policy->seccomp, diags);
    INFO(file << "\n" << render_all(diags));
    REQUIRE_FALSE(diags.has_errors());
    ++policies;
    tried += check_section(policy->seccomp, plan, random);
  }
  CHECK(policies >= 5);
  CHECK(tried >= 20);
}

TEST_CASE("seccomp refusals: generated policies never lose a refusing rule",
          "[seccomp][property]") {
  // Seeded: a failure names its seed and policy number, and reproduces.
  const uint64_t seed = 20261206;
  std::mt19937_64 random(seed);
  const std::vector<std::string> groups{"@service",    "@system-service", "@basic-io",
                                        "@process",    "@network-io",     "@ipc",
                                        "@file-system"};
  const std::vector<std::string> calls{"ioctl", "socket", "clone",  "personality", "prctl",
                                       "write", "kill",   "openat", "unshare",     "fcntl"};
  const std::vector<std::string> actions{"allow",        "allow",        "log",  "errno:EPERM",
                                         "errno:EACCES", "kill-process", "trap", "kill-thread"};
  const std::vector<std::string> defaults{"kill-process", "errno:EPERM", "trap", "errno:EACCES"};
  const std::vector<std::string> ops{"eq", "ne", "lt", "le", "gt", "ge", "masked-eq"};
  const std::vector<uint64_t> values{0,
                                     1,
                                     2,
                                     3,
                                     0x5412 /* TIOCSTI */,
                                     0x541c /* TIOCLINUX */,
                                     0x10000000 /* CLONE_NEWUSER */,
                                     0xffffffff,
                                     0x80000000};
  const auto pick = [&random](const auto& from) { return from[random() % from.size()]; };
  int compiled = 0;
  int tried = 0;
  for (int n = 0; n < 300; ++n) {
    SeccompSection s;
    s.present = true;
    s.pos = {"generated.toml", 1, 1};
    s.default_action = LocatedString{pick(defaults), {"generated.toml", 2, 1}};
    for (uint64_t i = random() % 3; i > 0; --i)
      s.allow.push_back({pick(groups), {"generated.toml", 3, static_cast<uint32_t>(i)}});
    for (uint64_t i = random() % 3; i > 0; --i)
      s.allow.push_back({pick(calls), {"generated.toml", 4, static_cast<uint32_t>(i)}});
    for (uint64_t i = random() % 3; i > 0; --i)
      s.deny.push_back({pick(calls), {"generated.toml", 5, static_cast<uint32_t>(i)}});
    const uint64_t rules = 1 + random() % 5;
    for (uint64_t r = 0; r < rules; ++r) {
      const SourcePos pos{"generated.toml", static_cast<uint32_t>(10 + r), 1};
      SeccompRule rule{{pick(calls), pos}, {}, {pick(actions), pos}, pos};
      for (uint64_t a = random() % 3; a > 0; --a) {
        SeccompArg arg;
        arg.index = {static_cast<int64_t>(random() % 3), pos};
        arg.op = {pick(ops), pos};
        const uint64_t value = pick(values);
        if (arg.op.value == "masked-eq") {
          const uint64_t mask = value | (random() & 0xffff);
          arg.mask = ArgValue{mask, {}, pos};
          arg.value = {value & mask & (random() % 2 ? ~0ull : 0), {}, pos};
        } else {
          arg.value = {value, {}, pos};
        }
        if (random() % 6 == 0) arg.width = Located<int64_t>{64, pos};
        arg.pos = pos;
        rule.args.push_back(arg);
      }
      s.rules.push_back(std::move(rule));
    }
    Diagnostics diags;
    const SeccompPlan plan = compile_seccomp(s, diags);
    if (diags.has_errors()) continue;  // e.g. two 64-bit comparisons of one argument
    ++compiled;
    INFO("seed " << seed << ", policy " << n);
    tried += check_section(s, plan, random);
  }
  CHECK(compiled >= 200);
  CHECK(tried >= 500);
}
