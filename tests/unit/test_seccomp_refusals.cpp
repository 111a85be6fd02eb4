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
#include "tests/support/seccomp_corpus.hpp"

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
int check_section(const SeccompSection& section, const CompiledSeccomp& compiled,
                  std::mt19937_64& random) {
  const SeccompPlan& plan = compiled.plan;
  const SeccompModel& model = compiled.model;
  int tried = 0;
  const auto refused_by_some_case = [&](const std::string& name, const Args& args) {
    const SyscallDecision* call = model.find(name);
    return call && std::ranges::any_of(call->cases, [&](const SeccompCase& c) {
             return !allows(c.action) && c.holds(args);
           });
  };
  // The policy's own refusing rules, read from the policy: none is ever lost.
  for (const SeccompRule& rule : section.rules) {
    if (permissive(rule.action.value)) continue;
    if (seccomp_syscall_resolve_name(rule.syscall.value.c_str()) < 0) continue;
    for (int sample = 0; sample < 4; ++sample) {
      const auto args = witness(rule, random);
      if (!args) break;
      ++tried;
      INFO(rule.pos.file << ":" << rule.pos.line << " " << rule.syscall.value << " "
                         << rule.action.value << " args " << (*args)[0] << " " << (*args)[1] << " "
                         << (*args)[2]);
      CHECK_FALSE(allows(run(plan, rule.syscall.value, *args)));
    }
  }
  // Every case the filter applies (the groups' conditions included): a refusing one refuses,
  // an allowing one allows unless a refusing one also matches.
  for (const SyscallDecision& call : model.calls) {
    if (call.native_nr < 0) continue;
    for (const SeccompCase& c : call.cases) {
      for (int sample = 0; sample < 4; ++sample) {
        const auto args = test::case_witness(c, random);
        if (!args) break;
        ++tried;
        INFO(c.why.origin.file << ":" << c.why.origin.line << " " << call.name << " "
                               << describe_seccomp_action(c.action) << " args " << (*args)[0] << " "
                               << (*args)[1] << " " << (*args)[2]);
        if (allows(c.action)) {
          CHECK(allows(run(plan, call.name, *args)) == !refused_by_some_case(call.name, *args));
        } else {
          CHECK_FALSE(allows(run(plan, call.name, *args)));
        }
      }
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
    const CompiledSeccomp compiled = compile_seccomp_model(policy->seccomp, diags);
    INFO(file << "\n" << render_all(diags));
    REQUIRE_FALSE(diags.has_errors());
    ++policies;
    tried += check_section(policy->seccomp, compiled, random);
  }
  CHECK(policies >= 5);
  CHECK(tried >= 20);
}

TEST_CASE("seccomp refusals: generated policies never lose a refusing rule",
          "[seccomp][property]") {
  // Seeded: a failure names its seed and policy number, and reproduces.
  const uint64_t seed = 20261206;
  std::mt19937_64 random(seed);
  int compiled = 0;
  int tried = 0;
  for (int n = 0; n < 300; ++n) {
    const SeccompSection s = test::generated_section(random);
    Diagnostics diags;
    const CompiledSeccomp result = compile_seccomp_model(s, diags);
    if (diags.has_errors()) continue;  // e.g. two 64-bit comparisons of one argument
    ++compiled;
    INFO("seed " << seed << ", policy " << n);
    tried += check_section(s, result, random);
  }
  CHECK(compiled >= 200);
  CHECK(tried >= 500);
}
