// Identity escapes through the recording seam: (id_t)-1 refused at every door (compiler, plan
// reader, verify-plan), the credentials read-back, the loginuid and keyring steps, and lint's
// runs-as-root rule judging resolved ids. The kernel tests (test_identity_escapes.cpp) run the
// same attacks against the real binary.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "compiler/compile.hpp"
#include "enforcer/steps.hpp"
#include "lint/lint.hpp"
#include "plan/plan_io.hpp"
#include "policy/policy_reader.hpp"
#include "tests/support/recording_sys.hpp"

using namespace harden;
using harden::test::RecordingSys;

namespace {

constexpr uint32_t kUnchanged = static_cast<uint32_t>(-1);

PlanData nobody_plan() {
  PlanData plan;
  plan.audit_arch = native_audit_arch();
  plan.policy_name = "creds";
  plan.policy_file = "creds.toml";
  plan.credentials = {true, 65534, 65534, {4, 100}};
  return plan;
}

// Runs the whole enforcement on the recorder; returns the exit code and what went to stderr.
struct Outcome {
  int code = 0;
  std::string err;
};

Outcome enforce(const PlanData& data, RecordingSys& sys) {
  const Plan plan = validated_plan(data).value();
  const std::vector<std::string> command{"/bin/target"};
  char* no_env[] = {nullptr};
  auto ctx = prepare_exec(plan.data(), command, no_env);
  REQUIRE(ctx.has_value());
  char name[] = "/tmp/harden-unit-stderr-XXXXXX";
  const int capture = mkstemp(name);
  REQUIRE(capture >= 0);
  unlink(name);
  const int saved = dup(STDERR_FILENO);
  dup2(capture, STDERR_FILENO);
  Outcome out;
  out.code = enforce_and_exec(plan, *ctx, sys);
  dup2(saved, STDERR_FILENO);
  close(saved);
  char buffer[4096];
  const ssize_t n = pread(capture, buffer, sizeof buffer, 0);
  close(capture);
  if (n > 0) out.err.assign(buffer, static_cast<size_t>(n));
  return out;
}

bool called(const RecordingSys& sys, std::string_view prefix) {
  return std::ranges::any_of(sys.calls,
                             [&](const std::string& c) { return c.starts_with(prefix); });
}

std::span<const unsigned char> span_of(const std::string& bytes) {
  return {reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()};
}

}  // namespace

TEST_CASE("the credentials step reads back exactly the plan's ids or stops the launch",
          "[credentials]") {
  RecordingSys sys;
  SECTION("ids as planned: the launch goes on to execve") {
    const Outcome out = enforce(nobody_plan(), sys);
    INFO(out.err);
    CHECK(out.code == exit_code::kNotFound);  // the recorder's execve
    CHECK(called(sys, "execve"));
  }
  SECTION("set calls that succeed but change nothing") {
    sys.keep_ids = true;
    const Outcome out = enforce(nobody_plan(), sys);
    CHECK(out.code == exit_code::kCredentials);
    CHECK(out.err.find("step 'credentials' failed: read back: real/effective/saved uid are "
                       "0/0/0, the plan says 65534") != std::string::npos);
    CHECK_FALSE(called(sys, "capget"));  // nothing after the failed step
    CHECK_FALSE(called(sys, "execve"));
  }
  SECTION("one supplementary group more than the plan's") {
    sys.extra_groups = {0};
    const Outcome out = enforce(nobody_plan(), sys);
    CHECK(out.code == exit_code::kCredentials);
    CHECK(out.err.find("read back: the supplementary groups are [0,4,100], the plan says "
                       "[4,100]") != std::string::npos);
    CHECK_FALSE(called(sys, "capget"));
    CHECK_FALSE(called(sys, "execve"));
  }
  SECTION("more groups than the plan has room for") {
    sys.extra_groups = {0, 27};
    const Outcome out = enforce(nobody_plan(), sys);
    CHECK(out.code == exit_code::kCredentials);
    CHECK(out.err.find("more supplementary groups than the plan's 2") != std::string::npos);
  }
}

TEST_CASE("a plan holding (uid_t)-1 or (gid_t)-1 is refused before anything is applied",
          "[credentials][plan]") {
  PlanData plan = nobody_plan();
  std::string which;
  SECTION("uid") {
    plan.credentials.uid = kUnchanged;
    which = "uid";
  }
  SECTION("gid") {
    plan.credentials.gid = kUnchanged;
    which = "gid";
  }
  SECTION("supplementary group") {
    plan.credentials.supplementary_groups = {4, kUnchanged};
    which = "supplementary group";
  }
  INFO(which);
  CHECK(plan_contents_refusal(plan).find("the plan's " + which + " 4294967295 is (id_t)-1") == 0);

  // No Plan can hold it: validated_plan(), the only way to make one (the compiler's, the
  // reader's and a test's), refuses it, so the enforcer never sees it (its verify-plan step
  // checks again all the same).
  const auto made = validated_plan(plan);
  REQUIRE_FALSE(made.has_value());
  CHECK(made.error().find("4294967295 is (id_t)-1") != std::string::npos);

  // The plan reader: the same contents sealed with a valid checksum.
  const std::string bytes = plan_data_to_bytes(plan);
  const auto read = plan_from_bytes(span_of(bytes));
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().find("4294967295 is (id_t)-1") != std::string::npos);

  // Without an identity change the ids are not used, and 0 is a plain id.
  PlanData keep = nobody_plan();
  keep.credentials = {false, kUnchanged, kUnchanged, {}};
  CHECK(plan_contents_refusal(keep).empty());
  CHECK(plan_from_bytes(span_of(plan_to_bytes(validated_plan(nobody_plan()).value()))).has_value());
}

TEST_CASE("the loginuid step settles the audit login uid before the target runs", "[loginuid]") {
  RecordingSys sys;
  PlanData plan = nobody_plan();
  SECTION("unset: the target's uid is written, first thing after verify-plan") {
    const Outcome out = enforce(plan, sys);
    REQUIRE(!sys.calls.empty());
    CHECK(sys.calls.front() == "write /proc/self/loginuid 65534");
    CHECK(sys.files["/proc/self/loginuid"] == "65534");
    CHECK(out.code == exit_code::kNotFound);
  }
  SECTION("unset, no [identity]: harden's own uid") {
    plan.credentials = {};
    sys.euid = 1000;
    (void)enforce(plan, sys);
    CHECK(sys.calls.front() == "write /proc/self/loginuid 1000");
  }
  SECTION("set: the same value again (a fresh audit session)") {
    sys.files["/proc/self/loginuid"] = "1000\n";
    (void)enforce(plan, sys);
    CHECK(sys.calls.front() == "write /proc/self/loginuid 1000");
  }
  SECTION("set and unchangeable (EPERM): left as it is, the launch goes on") {
    sys.files["/proc/self/loginuid"] = "1000";
    sys.fail_call = "write /proc/self/loginuid";
    const Outcome out = enforce(plan, sys);
    CHECK(out.code == exit_code::kNotFound);
    CHECK(called(sys, "execve"));
  }
  SECTION("unset but the write fails: fail closed") {
    sys.fail_call = "write /proc/self/loginuid";
    const Outcome out = enforce(plan, sys);
    CHECK(out.code == exit_code::kLoginuid);
    CHECK(out.err.find("step 'loginuid' failed: writing 65534 to /proc/self/loginuid (it was "
                       "unset)") != std::string::npos);
    CHECK(sys.calls.size() == 1);
  }
  SECTION("set, failing otherwise than EPERM: fail closed") {
    sys.files["/proc/self/loginuid"] = "1000";
    sys.fail_call = "write /proc/self/loginuid";
    sys.fail_errno = EIO;
    CHECK(enforce(plan, sys).code == exit_code::kLoginuid);
  }
  SECTION("no /proc at all: harden cannot know, fail closed") {
    sys.files.clear();
    const Outcome out = enforce(plan, sys);
    CHECK(out.code == exit_code::kLoginuid);
    CHECK(sys.calls.empty());
  }
  SECTION("/proc without loginuid (kernel without audit): nothing to settle") {
    sys.files = {{"/proc/self/status", "Name: x\n"}};
    CHECK(enforce(plan, sys).code == exit_code::kNotFound);
  }
  SECTION("garbage in the file: fail closed") {
    sys.files["/proc/self/loginuid"] = "12ab";
    CHECK(enforce(plan, sys).code == exit_code::kLoginuid);
  }
}

TEST_CASE("the keyring step joins a fresh session keyring after the fork, before the uid change",
          "[keyring]") {
  RecordingSys sys;
  SECTION("order") {
    (void)enforce(nobody_plan(), sys);
    const auto at = [&](std::string_view call) {
      return std::ranges::find_if(sys.calls,
                                  [&](const std::string& c) { return c.starts_with(call); }) -
             sys.calls.begin();
    };
    REQUIRE(called(sys, "join_session_keyring"));
    CHECK(at("setsid") < at("join_session_keyring"));
    CHECK(at("join_session_keyring") < at("setgroups"));
  }
  SECTION("a refused join stops the launch") {
    sys.fail_call = "join_session_keyring";
    const Outcome out = enforce(nobody_plan(), sys);
    CHECK(out.code == exit_code::kKeyring);
    CHECK(out.err.find("step 'keyring' failed") != std::string::npos);
    CHECK_FALSE(called(sys, "setresuid"));
  }
  SECTION("a kernel without keys (ENOSYS) has nothing to leak") {
    sys.fail_call = "join_session_keyring";
    sys.fail_errno = ENOSYS;
    CHECK(enforce(nobody_plan(), sys).code == exit_code::kNotFound);
  }
}

TEST_CASE("runs-as-root judges the resolved ids, not how the policy spells them", "[lint]") {
  const std::string text =
      "[policy]\nname = \"ids\"\n\n[identity]\nuser = \"nobody\"\ngroup = \"nogroup\"\n"
      "supplementary_groups = [\"100\", \"00\"]\n";
  Diagnostics diags;
  const std::optional<Policy> policy = read_policy_text(text, "ids.toml", diags);
  REQUIRE(policy.has_value());
  const std::optional<Plan> plan = compile_policy(*policy, diags);
  REQUIRE(plan.has_value());
  const auto root_findings = [&](const PlanData& data) {
    std::vector<LintFinding> out;
    for (const LintFinding& f : lint_policy(*policy, data, diags).findings) {
      if (f.rule == "runs-as-root") out.push_back(f);
    }
    return out;
  };
  // "00" is gid 0: found, and pointed at where it is written (line 7, column 32).
  const std::vector<LintFinding> group_root = root_findings(plan->data());
  REQUIRE(group_root.size() == 1);
  CHECK(group_root[0].pos.line == 7);
  CHECK(group_root[0].pos.column == 32);

  // A plan whose uid is (uid_t)-1 keeps the caller's uid: root, for a service.
  PlanData unchanged = plan->data();
  unchanged.credentials.uid = kUnchanged;
  unchanged.credentials.supplementary_groups = {100};
  const std::vector<LintFinding> uid_root = root_findings(unchanged);
  REQUIRE(uid_root.size() == 1);
  CHECK(uid_root[0].pos.line == 5);
}

TEST_CASE("groups without a user are an error at their line, an empty list too", "[compile]") {
  // A base such as policies/base/daemon.toml says "no supplementary groups" and leaves the user
  // to the policy that extends it; compiled on its own, it must be refused, not crash.
  for (const char* groups : {"supplementary_groups = []", "supplementary_groups = [\"adm\"]"}) {
    INFO(groups);
    Diagnostics diags;
    const auto policy = read_policy_text(
        std::string("[policy]\nname = \"p\"\n\n[identity]\n") + groups + "\n", "p.toml", diags);
    REQUIRE(policy);
    CHECK_FALSE(compile_policy(*policy, diags));
    const std::string text = render_all(diags);
    CHECK(text.find("p.toml:5:") != std::string::npos);
    CHECK(text.find("groups are set but 'identity.user' is not") != std::string::npos);
  }
}
