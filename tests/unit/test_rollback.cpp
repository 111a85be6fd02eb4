// Rollback of host state, through the recording seam: what the host steps tell the guardian,
// that a failed launch hands the undoing to it, and the order in which changes are undone.
#include <catch2/catch.hpp>

#include <algorithm>

#include "enforcer/layers.hpp"
#include "tests/support/recording_sys.hpp"

using namespace harden;
using harden::test::RecordingSys;

namespace {

PlanData host_plan() {
  PlanData plan;
#if defined(__x86_64__)
  plan.audit_arch = 0xc000003e;  // AUDIT_ARCH_X86_64
#endif
  plan.policy_name = "rb";
  plan.policy_file = "rb.toml";
  plan.audit.owner_key = "harden:rb";
  plan.audit.rules.resize(2);
  plan.cgroup.pids_max = 8;
  plan.network.enabled = true;
  plan.network.scope = NetworkScope::uid;
  plan.network.table = "harden_rb";
  plan.exec.working_directory = "/nowhere";
  return plan;
}

ExecContext context_for(const PlanData& plan) {
  const std::vector<std::string> command{"/bin/target"};
  char* no_env[] = {nullptr};
  auto ctx = prepare_exec(plan, command, no_env);
  REQUIRE(ctx.has_value());
  ctx->cgroup = {std::nullopt, CgroupHierarchy{"/cg/pids/own", false}, std::nullopt, ""};
  return std::move(*ctx);
}

std::vector<std::string> with_prefix(const std::vector<std::string>& calls, std::string_view p) {
  std::vector<std::string> out;
  std::copy_if(calls.begin(), calls.end(), std::back_inserter(out),
               [&](const std::string& c) { return c.starts_with(p); });
  return out;
}

}  // namespace

TEST_CASE("host steps tell the guardian each change, and a failed launch leaves the undoing to it",
          "[rollback]") {
  const Plan plan = validated_plan(host_plan()).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  sys.audit_changes = {{HostChange::Kind::audit_rule_added, "A", std::nullopt}};
  sys.nft_saved = "table inet harden_rb { }\n";
  sys.fail_call = "open_in_root";  // the working-directory step, after every host step
  sys.fail_errno = ENOENT;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kWorkingDirectory);

  REQUIRE_FALSE(sys.calls.empty());
  CHECK(sys.calls.front() == "host_guard_start");  // before the first host step
  CHECK(with_prefix(sys.calls, "host_guard_note") ==
        std::vector<std::string>{"host_guard_note 90 audit+ A",
                                 "host_guard_note 90 cgroup /cg/pids/own/harden",
                                 "host_guard_note 90 cgroup /cg/pids/own/harden/rb-100",
                                 "host_guard_note 90 nft harden_rb =table inet harden_rb { }\n"});
  // The table is saved before it is replaced, and noted before the transaction.
  const auto at = [&](std::string_view call) {
    return std::find(sys.calls.begin(), sys.calls.end(), call) - sys.calls.begin();
  };
  CHECK(at("nft_save_table harden_rb") < at("nft_replace_table harden_rb"));
  CHECK(sys.calls.back() == "host_guard_finish 90 91");
  CHECK(with_prefix(sys.calls, "undo").empty());  // the guardian's work, not harden's
}

TEST_CASE("the guardian's fds stay open until execve", "[rollback]") {
  PlanData data = host_plan();
  data.exec.working_directory.clear();
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  // The recorder's execve fails (ENOENT): the guardian is told, as for a failed step.
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
  // The guardian's fds survive the fds step (close-on-exec, they end with execve).
  CHECK(with_prefix(sys.calls, "close_range") ==
        std::vector<std::string>{"close_range 3 89", "close_range 92 4294967295"});
  CHECK(with_prefix(sys.calls, "undo").empty());
  CHECK(sys.calls.back() == "host_guard_finish 90 91");
}

TEST_CASE("without a guardian no host step runs", "[rollback]") {
  const Plan plan = validated_plan(host_plan()).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  sys.guard = false;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kHostGuard);
  CHECK(sys.calls == std::vector<std::string>{"host_guard_start"});
}

TEST_CASE("a plan without host steps forks no guardian", "[rollback]") {
  PlanData data;
#if defined(__x86_64__)
  data.audit_arch = 0xc000003e;
#endif
  data.policy_name = "plain";
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
  CHECK(with_prefix(sys.calls, "host_guard").empty());
}

TEST_CASE("when the guardian is lost harden undoes by itself, newest first, cgroups last",
          "[rollback]") {
  const Plan plan = validated_plan(host_plan()).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  sys.audit_changes = {{HostChange::Kind::audit_rule_added, "A", std::nullopt},
                       {HostChange::Kind::audit_rule_removed, "B", std::nullopt}};
  sys.fail_call = "host_guard_note";
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kAudit);
  // Both rules were recorded though the first note failed; nothing else ran.
  CHECK(with_prefix(sys.calls, "undo") ==
        std::vector<std::string>{"undo audit- B", "undo audit+ A"});
  CHECK(with_prefix(sys.calls, "mkdir").empty());
}

TEST_CASE("undo goes newest first, the cgroups once everything else is undone", "[rollback]") {
  RecordingSys sys;
  const std::vector<HostChange> changes{
      {HostChange::Kind::audit_rule_added, "A", std::nullopt},
      {HostChange::Kind::cgroup_dir, "/cg/harden", std::nullopt},
      {HostChange::Kind::cgroup_dir, "/cg/harden/x-1", std::nullopt},
      {HostChange::Kind::nft_table, "harden_x", std::nullopt},
  };
  const auto errors =
      enforce::rollback::undo(sys, changes, [&] { sys.calls.emplace_back("(between)"); });
  CHECK(errors.empty());
  CHECK(sys.calls == std::vector<std::string>{"undo nft harden_x (none)", "undo audit+ A",
                                              "(between)", "undo cgroup /cg/harden/x-1",
                                              "undo cgroup /cg/harden"});
  sys.calls.clear();
  sys.fail_call = "undo cgroup /cg/harden/x-1";
  const auto failed = enforce::rollback::undo(sys, changes, [] {});
  REQUIRE(failed.size() == 1);
  CHECK(failed.front().find("cannot undo cgroup /cg/harden/x-1") != std::string::npos);
  CHECK(sys.calls.back() == "undo cgroup /cg/harden");  // the others are still tried
}
