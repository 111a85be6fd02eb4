// The decision model (plan/seccomp_model.hpp) is the one answer to "what does this policy
// allow?": for every policy of the corpus and for generated ones, the model and the compiled BPF
// (run in the evaluator) give the same action for every call the native architecture has, on
// values that satisfy each case and on probe values (zeros, all ones, namespace flags, address
// families, random bits). Plus the cases the exporters once got wrong.
#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <seccomp.h>

#include <random>

#include "compiler/compile.hpp"
#include "compiler/seccomp.hpp"
#include "compiler/syscall_groups.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/plan_io.hpp"
#include "policy/policy_reader.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/seccomp_corpus.hpp"

using namespace harden;

namespace {

struct Agreement {
  int calls = 0;
  int evaluations = 0;
};

// Every native call, each case's witnesses and the probe values: BPF == model.
Agreement check_agreement(const CompiledSeccomp& compiled, std::mt19937_64& random) {
  Agreement out;
  const std::vector<test::Args> probes = test::probe_arguments(random);
  for (const std::string& name : native_syscall_names()) {
    const int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr < 0) continue;
    std::vector<test::Args> tries = probes;
    if (const SyscallDecision* call = compiled.model.find(name)) {
      for (const SeccompCase& c : call->cases) {
        if (auto args = test::case_witness(c, random)) tries.push_back(*args);
      }
    }
    ++out.calls;
    for (const test::Args& args : tries) {
      const auto bpf = evaluate_seccomp_program(compiled.plan.program,
                                                make_seccomp_data(native_audit_arch(), nr, args));
      REQUIRE(bpf.has_value());
      const uint32_t model = compiled.model.decide(name, args);
      INFO(name << " args " << args[0] << " " << args[1] << " " << args[2] << ": BPF "
                << describe_seccomp_action(*bpf) << ", model " << describe_seccomp_action(model));
      CHECK(*bpf == model);
      ++out.evaluations;
    }
  }
  return out;
}

CompiledSeccomp compile_text(const std::string& text) {
  test::TempDir dir;
  const std::string path = dir.file("p.toml");
  test::write_file(path, text);
  Diagnostics diags;
  const std::optional<Policy> policy = read_policy(path, diags);
  REQUIRE(policy);
  CompiledSeccomp compiled = compile_seccomp_model(policy->seccomp, diags);
  INFO(render_all(diags));
  REQUIRE_FALSE(diags.has_errors());
  return compiled;
}

}  // namespace

TEST_CASE("seccomp model: agrees with the compiled BPF over the policy corpus",
          "[seccomp][model]") {
  std::mt19937_64 random(7);
  int policies = 0;
  Agreement total;
  for (const auto& file : test::policy_corpus()) {
    Diagnostics diags;
    const std::optional<Policy> policy = read_policy(file.string(), diags);
    if (!policy || !policy->seccomp.present || diags.has_errors()) continue;
    const CompiledSeccomp compiled = compile_seccomp_model(policy->seccomp, diags);
    if (diags.has_errors()) continue;  // the corpus of invalid policies
    INFO(file);
    const Agreement a = check_agreement(compiled, random);
    total.calls += a.calls;
    total.evaluations += a.evaluations;
    ++policies;
  }
  CHECK(policies >= 15);
  CHECK(total.evaluations >= 60000);
}

TEST_CASE("seccomp model: agrees with the compiled BPF on generated policies", "[seccomp][model]") {
  const uint64_t seed = 20270101;
  std::mt19937_64 random(seed);
  int compiled_count = 0;
  for (int n = 0; n < 60; ++n) {
    const SeccompSection section = test::generated_section(random);
    Diagnostics diags;
    const CompiledSeccomp compiled = compile_seccomp_model(section, diags);
    if (diags.has_errors()) continue;
    ++compiled_count;
    INFO("seed " << seed << ", policy " << n);
    check_agreement(compiled, random);
  }
  CHECK(compiled_count >= 40);
}

TEST_CASE("seccomp model: a condition that always holds allows the call unconditionally",
          "[seccomp][model]") {
  const CompiledSeccomp c = compile_text(R"(
[policy]
name = "t"
[seccomp]
allow = ["@basic-io"]
[[seccomp.rule]]
syscall = "socket"
action = "allow"
args = [{ index = 0, op = "ge", value = 0 }]
)");
  const SyscallDecision* socket = c.model.find("socket");
  REQUIRE(socket);
  CHECK(socket->always_allowed());
  CHECK(c.model.always_allowed("socket"));
  CHECK(c.model.decide("socket", {12345}) == SECCOMP_RET_ALLOW);
}

TEST_CASE("seccomp model: @service's clone is allowed only without namespace flags",
          "[seccomp][model]") {
  const CompiledSeccomp c = compile_text(R"(
[policy]
name = "t"
[seccomp]
allow = ["@service"]
)");
  const SyscallDecision* clone = c.model.find("clone");
  REQUIRE(clone);
  CHECK(clone->conditionally_allowed());
  CHECK(seccomp_action_permits(c.model.decide("clone", {0x3d0f00})));  // pthread_create's flags
  CHECK_FALSE(seccomp_action_permits(c.model.decide("clone", {0x10000000})));  // CLONE_NEWUSER
  // The case names the allow entry that brought it.
  REQUIRE_FALSE(clone->cases.empty());
  CHECK(clone->cases.front().why.what.find("@service") != std::string::npos);
  CHECK(clone->cases.front().why.origin.line == 5);
}

TEST_CASE("seccomp model: the denial report origins are the model's", "[seccomp][model]") {
  const CompiledSeccomp c = compile_text(R"(
[policy]
name = "t"
[seccomp]
allow = ["@basic-io", "kill"]
deny = ["kill"]
[[seccomp.rule]]
syscall = "ioctl"
action = "errno:EPERM"
args = [{ index = 1, op = "eq", value = 0x5412 }]
)");
  const int kill_nr = seccomp_syscall_resolve_name("kill");
  const int ioctl_nr = seccomp_syscall_resolve_name("ioctl");
  bool deny_named = false;
  bool rule_named = false;
  for (const SeccompOrigin& o : c.plan.origins) {
    deny_named |= o.nr == static_cast<uint32_t>(kill_nr) && o.what == "deny" && o.origin.line == 6;
    rule_named |= o.nr == static_cast<uint32_t>(ioctl_nr) && o.what == "[[seccomp.rule]]" &&
                  o.origin.line == 7 && seccomp_action_errno_value(o.action) == EPERM;
  }
  CHECK(deny_named);
  CHECK(rule_named);
  CHECK(c.model.find("kill")->otherwise_why.what == "deny");
}
