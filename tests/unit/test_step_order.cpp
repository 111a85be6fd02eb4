// The enforcement order, asserted call by call through the recording seam.
#include <catch2/catch.hpp>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <sys/prctl.h>

#include <algorithm>

#include "enforcer/steps.hpp"
#include "tests/support/recording_sys.hpp"

using namespace harden;
using harden::test::RecordingSys;

namespace {

PlanData full_plan() {
  PlanData plan;
#if defined(__x86_64__)
  plan.audit_arch = 0xc000003e;  // AUDIT_ARCH_X86_64
#endif
  plan.policy_name = "order";
  plan.policy_file = "order.toml";
  plan.credentials = {true, 65534, 65534, {4}};
  plan.capabilities.keep = 1ULL << 10;  // CAP_NET_BIND_SERVICE
  plan.seccomp.enabled = true;
  plan.seccomp.program = {sock_filter{0x06, 0, 0, 0x7fff0000}};  // ret ALLOW
  plan.limits = {{RLIMIT_NOFILE, 64, 128}};
  plan.exec.umask = 027;
  plan.exec.working_directory = "/work";
  plan.filesystem.chroot = "/jail";
  plan.cgroup.memory_max = 64 << 20;
  plan.cgroup.pids_max = 32;
  plan.landlock.enabled = true;
  plan.landlock.scopes = 3;  // abstract unix sockets and signals
  plan.landlock.restrict_connect = true;
  plan.landlock.connect_tcp = {443};
  return plan;
}

ExecContext context_for(const PlanData& plan) {
  const std::vector<std::string> command{"/bin/target"};
  char* no_env[] = {nullptr};
  auto ctx = prepare_exec(plan, command, no_env);
  REQUIRE(ctx.has_value());
  ctx->kernel_last_cap = 12;  // keep the expected list short
  ctx->keep_fds = {5};
  // A hybrid host: memory on v1, pids on v2 (the real layout is the host's).
  ctx->cgroup = {CgroupHierarchy{"/cg/memory/own", false}, CgroupHierarchy{"/cg/unified", true},
                 std::nullopt, ""};
  return std::move(*ctx);
}

std::string bits(unsigned long value) {
  return std::to_string(value);
}

}  // namespace

TEST_CASE("steps run in the documented order, seccomp last before execve", "[steps]") {
  const Plan plan = validated_plan(full_plan()).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  const int code = enforce_and_exec(plan, ctx, sys);
  CHECK(code == exit_code::kNotFound);  // the recorder's execve fails with ENOENT

  const unsigned long keep = 1UL << 10;
  const unsigned long with_setpcap = keep | (1UL << 8);
  std::vector<std::string> expected{"host_guard_start",
                                    "write /proc/self/loginuid 65534",
                                    "mkdir /cg/memory/own/harden",
                                    "host_guard_note 90 cgroup /cg/memory/own/harden",
                                    "mkdir /cg/memory/own/harden/order-100",
                                    "host_guard_note 90 cgroup /cg/memory/own/harden/order-100",
                                    "write /cg/memory/own/harden/order-100/memory.limit_in_bytes "
                                    "67108864",
                                    "write /cg/memory/own/harden/order-100/"
                                    "memory.memsw.limit_in_bytes 67108864",
                                    "mkdir /cg/unified/harden",
                                    "host_guard_note 90 cgroup /cg/unified/harden",
                                    "write /cg/unified/cgroup.subtree_control +pids",
                                    "write /cg/unified/harden/cgroup.subtree_control +pids",
                                    "mkdir /cg/unified/harden/order-100",
                                    "host_guard_note 90 cgroup /cg/unified/harden/order-100",
                                    "write /cg/unified/harden/order-100/pids.max 32",
                                    "write /cg/memory/own/harden/order-100/cgroup.procs 100",
                                    "write /cg/unified/harden/order-100/cgroup.procs 100",
                                    "setsid",
                                    "join_session_keyring",
                                    "chdir /jail",
                                    "chroot .",
                                    "chdir /",
                                    "setrlimit 7 64 128",
                                    "umask 23",
                                    "prctl 27",
                                    "prctl 28 " + bits(SECBIT_NO_SETUID_FIXUP),
                                    "setgroups 4",
                                    "setresgid 65534",
                                    "setresuid 65534",
                                    "capget"};
  for (int cap = 0; cap <= 12; ++cap) {
    if (cap != 10) expected.push_back("prctl 24 " + std::to_string(cap));  // PR_CAPBSET_DROP
  }
  expected.insert(
      expected.end(),
      {"capset " + bits(with_setpcap) + " " + bits(with_setpcap) + " " + bits(keep),
       "prctl 47 4",     // PR_CAP_AMBIENT, CLEAR_ALL
       "prctl 47 2 10",  // PR_CAP_AMBIENT, RAISE, CAP_NET_BIND_SERVICE
       "prctl 28 " + bits(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                          SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                          SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED),
       "capset " + bits(keep) + " " + bits(keep) + " " + bits(keep),
       "prctl 38 1",  // PR_SET_NO_NEW_PRIVS
       "landlock_create_ruleset fs=0x0 net=0x2 scoped=0x3",
       "landlock_add_rule ruleset port 443 0x2", "landlock_restrict_self ruleset log-new-exec",
       // Every leaked fd is closed before the working directory is resolved, and it is opened
       // inside the root without magic links, then entered by fd.
       "close_range 3 4", "close_range 6 89", "close_range 92 4294967295", "open_path /",
       "open_in_root / /work =100", "fchdir 100", "reset_signals", "seccomp 1 0",
       "execve /bin/target",
       // The recorder's execve fails: the rollback guardian is told, and undoes.
       "host_guard_finish 90 91"});
  CHECK(sys.calls == expected);
}

TEST_CASE("the step table is in the order the design requires", "[steps]") {
  std::vector<std::string_view> names;
  for (const Step& step : enforcement_steps()) {
    names.push_back(step.name);
    CHECK_FALSE(step.why.empty());
    CHECK(step.exit_code >= 200);
  }
  REQUIRE(!names.empty());
  CHECK(names.front() == "verify-plan");
  CHECK(names.back() == "seccomp");
  auto at = [&](std::string_view n) {
    return std::find(names.begin(), names.end(), n) - names.begin();
  };
  CHECK(at("credentials") < at("capabilities"));
  CHECK(at("capabilities") < at("no-new-privs"));
  CHECK(at("filesystem") < at("credentials"));
  CHECK(at("limits") < at("capabilities"));
  CHECK(at("fds") < at("seccomp"));
  CHECK(at("fds") < at("working-directory"));          // no leaked directory fd to resolve through
  CHECK(at("credentials") < at("working-directory"));  // reached as the target user
  CHECK(at("session") < at("signals"));        // after every fork: the supervisor blocks before it
  CHECK(at("signals") < at("seccomp"));        // the filter need not allow rt_sigaction
  CHECK(at("cgroup") < at("namespaces"));      // host pid and root; a cgroup ns rooted at it
  CHECK(at("cgroup") < at("session"));         // a supervisor stays within the limits
  CHECK(at("cgroup") < at("mounts"));          // /sys/fs/cgroup is still visible
  CHECK(at("mounts") < at("landlock"));        // rules name paths of the final view
  CHECK(at("filesystem") < at("landlock"));    // rules name paths of the final view
  CHECK(at("no-new-privs") < at("landlock"));  // restrict_self needs it without CAP_SYS_ADMIN
  CHECK(at("mdwe") < at("seccomp"));           // the filter need not allow prctl
  CHECK(at("landlock") < at("seccomp"));
  CHECK(at("audit") < at("namespaces"));
  CHECK(at("host-guard") < at("audit"));   // before the first host change
  CHECK(at("host-guard") < at("cgroup"));  // outside the launch's cgroup, which it removes
  CHECK(at("nftables") < at("namespaces"));
  CHECK(at("namespaces") < at("nftables-netns"));
  CHECK(at("nftables-netns") < at("session"));
  CHECK(at("session") < at("lsm"));
  CHECK(at("lsm") < at("mounts"));
  CHECK(at("lsm") < at("filesystem"));
  CHECK(at("cgroup") < at("nftables"));  // a launch cgroup exists before rules name it
  // loginuid: CAP_AUDIT_CONTROL of the initial user namespace, and one audit session shared
  // by supervisor and target.
  CHECK(at("verify-plan") < at("loginuid"));
  CHECK(at("loginuid") < at("namespaces"));
  CHECK(at("loginuid") < at("session"));
  // keyring: in the target's own process, before the uid change.
  CHECK(at("session") < at("keyring"));
  CHECK(at("keyring") < at("credentials"));
  // Exit codes are distinct so a script can tell which layer failed.
  std::vector<int> codes;
  for (const Step& step : enforcement_steps())
    codes.push_back(step.exit_code);
  std::sort(codes.begin(), codes.end());
  CHECK(std::adjacent_find(codes.begin(), codes.end()) == codes.end());
}

TEST_CASE("memory_deny_write_execute: PR_SET_MDWE after no_new_privs, before seccomp",
          "[steps][mdwe]") {
  const std::string mdwe = "prctl 65 1";  // PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
  PlanData data = full_plan();
  data.exec.memory_deny_write_execute = true;
  const Plan plan = validated_plan(data).value();
  {
    RecordingSys sys;
    ExecContext ctx = context_for(plan.data());
    CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
    const auto at = [&](const std::string& call) {
      return std::find(sys.calls.begin(), sys.calls.end(), call) - sys.calls.begin();
    };
    REQUIRE(std::count(sys.calls.begin(), sys.calls.end(), mdwe) == 1);
    CHECK(at("prctl 38 1") < at(mdwe));  // PR_SET_NO_NEW_PRIVS
    CHECK(at(mdwe) < at("seccomp 1 0"));
  }
  {
    // A kernel without PR_SET_MDWE (before 6.3) answers EINVAL: the launch stops there.
    RecordingSys sys;
    sys.fail_call = "prctl 65";
    sys.fail_errno = EINVAL;
    ExecContext ctx = context_for(plan.data());
    CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kMemoryDenyWriteExecute);
    CHECK(sys.calls.at(sys.calls.size() - 2) == mdwe);
    CHECK(sys.calls.back() == "host_guard_finish 90 91");  // the cgroup is undone
  }
  {
    // Off, the default: no such call.
    RecordingSys sys;
    const Plan off = validated_plan(full_plan()).value();
    ExecContext ctx = context_for(off.data());
    CHECK(enforce_and_exec(off, ctx, sys) == exit_code::kNotFound);
    CHECK(std::count(sys.calls.begin(), sys.calls.end(), mdwe) == 0);
  }
}

TEST_CASE("a failing step stops everything after it and names its exit code", "[steps]") {
  const Plan plan = validated_plan(full_plan()).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  sys.fail_call = "setresuid";
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kCredentials);
  CHECK(sys.calls.at(sys.calls.size() - 2) == "setresuid 65534");
  CHECK(sys.calls.back() == "host_guard_finish 90 91");  // the cgroup is undone
  CHECK(std::none_of(sys.calls.begin(), sys.calls.end(), [](const std::string& c) {
    return c.rfind("execve", 0) == 0 || c.rfind("seccomp", 0) == 0;
  }));
}

TEST_CASE("a plan for another architecture is refused before any change", "[steps]") {
  PlanData data = full_plan();
  data.audit_arch = 0x40000003;  // AUDIT_ARCH_I386
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kVerifyPlan);
  CHECK(sys.calls.empty());
}

TEST_CASE("a process-group leader forks a supervisor before setsid", "[steps][session]") {
  PlanData data = full_plan();
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  sys.pgrp = sys.pid;
  sys.fail_call = "chdir /jail";  // stop right after the session (and cgroup) steps
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kFilesystem);
  // The cgroup step comes first (the supervisor shares the target's limits), then the fork.
  const auto fork = std::find(sys.calls.begin(), sys.calls.end(), "fork_supervised");
  REQUIRE(fork != sys.calls.end());
  CHECK(*(fork - 1) == "write /cg/unified/harden/order-100/cgroup.procs 100");
  CHECK(std::vector<std::string>(fork, sys.calls.end()) ==
        std::vector<std::string>{"fork_supervised", "setsid", "join_session_keyring", "chdir /jail",
                                 "host_guard_finish 90 91"});  // the cgroup is undone
  CHECK(ctx.under_supervisor);
}

TEST_CASE("a supervised launch forks even a session leader and hands the listener over last",
          "[steps][session][supervise]") {
  PlanData data = full_plan();
  data.cgroup = {};    // no step before the session: the fork must be the very first call
  data.landlock = {};  // no [landlock]: the signal scope is added for the supervisor's sake
  // errno for everything but one call: answers the supervisor gives and reports.
  data.seccomp.program = {{BPF_LD | BPF_W | BPF_ABS, 0, 0, 0},
                          {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 39},
                          {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW},
                          {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | EPERM}};
  const Plan plan = validated_plan(data).value();
  char* no_env[] = {nullptr};
  const std::vector<std::string> command{"/bin/target"};
  auto ctx = prepare_exec(plan.data(), command, no_env, {.supervise = true});
  REQUIRE(ctx.has_value());
  ctx->kernel_last_cap = 12;
  RecordingSys sys;
  sys.sid = sys.pid;  // already leads its session: without --supervise there would be no fork
  CHECK(enforce_and_exec(plan, *ctx, sys) == exit_code::kNotFound);
  REQUIRE(sys.calls.size() > 4);
  CHECK(sys.calls[0] == "write /proc/self/loginuid 65534");
  CHECK(sys.calls[1] == "fork_supervised");
  CHECK(sys.last_setup.listener);
  CHECK(sys.calls[2] == "join_session_keyring");
  // A session leader without a terminal (systemd's case) gives the target its session.
  CHECK(std::find(sys.calls.begin(), sys.calls.end(), "setsid") == sys.calls.end());
  // The target may not signal the supervisor that answers it: a Landlock signal scope.
  CHECK(std::find(sys.calls.begin(), sys.calls.end(),
                  "landlock_create_ruleset fs=0x0 net=0x0 scoped=0x2") != sys.calls.end());
  const std::vector<std::string> tail(sys.calls.end() - 3, sys.calls.end());
  CHECK(tail == std::vector<std::string>{"seccomp_listener 4 0", "hand_over_listener 7",
                                         "execve /bin/target"});
  CHECK(std::none_of(sys.calls.begin(), sys.calls.end(),
                     [](const std::string& c) { return c.rfind("seccomp ", 0) == 0; }));
}

TEST_CASE("kills stay the kernel's: the filter is loaded as is, the kill records opened first",
          "[steps][session][supervise]") {
  PlanData data = full_plan();
  data.cgroup = {};
  data.seccomp.program = {{BPF_LD | BPF_W | BPF_ABS, 0, 0, 0},
                          {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 39},
                          {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW},
                          {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS}};
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  ctx.supervise = true;
  RecordingSys sys;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
  REQUIRE(sys.calls.size() > 2);
  CHECK(sys.calls[0] == "write /proc/self/loginuid 65534");
  CHECK(sys.calls[1] == "open_kill_record_reader");  // before any namespace
  CHECK(sys.calls[2] == "fork_supervised");
  CHECK_FALSE(sys.last_setup.listener);
  CHECK(sys.calls.end()[-2] == "seccomp 4 0");
}

TEST_CASE("a session leader with a controlling terminal still gives the target a new session",
          "[steps][session]") {
  PlanData data = full_plan();
  data.cgroup = {};
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  sys.sid = sys.pid;
  sys.pgrp = sys.pid;
  SECTION("with a terminal: fork, then setsid in the child") {
    sys.controlling_terminal = true;
    CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
    REQUIRE(sys.calls.size() > 3);
    CHECK(sys.calls[1] == "fork_supervised");
    CHECK(sys.calls[2] == "setsid");
  }
  SECTION("without one (a systemd service): no fork, no setsid") {
    CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
    CHECK(std::find(sys.calls.begin(), sys.calls.end(), "fork_supervised") == sys.calls.end());
    CHECK(std::find(sys.calls.begin(), sys.calls.end(), "setsid") == sys.calls.end());
  }
}

TEST_CASE("a filter with nothing to report is loaded as is, even under a supervisor",
          "[steps][supervise]") {
  PlanData data = full_plan();  // its program only allows
  data.cgroup = {};             // only the loginuid step before the session
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  ctx.supervise = true;
  RecordingSys sys;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
  CHECK(sys.calls[1] == "fork_supervised");  // after the loginuid step, before any other
  CHECK(sys.calls.end()[-2] == "seccomp 1 0");
}

TEST_CASE("without CAP_SETPCAP, dropping nothing is allowed only with no_new_privs",
          "[steps][capabilities]") {
  PlanData data = full_plan();
  data.credentials.change_ids = false;
  data.capabilities.keep = 0;
  data.filesystem.chroot.clear();
  RecordingSys sys;
  sys.caps = {};
  sys.sid = sys.pid;
  {
    const Plan plan = validated_plan(data).value();
    ExecContext ctx = context_for(plan.data());
    CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);  // reached execve
  }
  data.no_new_privs = false;
  sys.calls.clear();
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kCapabilities);
}

namespace {

PlanData host_plan(NetworkScope scope) {
  PlanData plan = full_plan();
  plan.cgroup = {};  // its calls are asserted elsewhere; keep the host steps' list short
  plan.network = {true, scope, "harden_order", "table inet harden_order {}\n", false};
  plan.audit.owner_key = "harden:order";
  plan.audit.rules = {AuditRule{}, AuditRule{}};
  plan.lsm.apparmor_profile = "harden-order";
  plan.lsm.selinux_context = "system_u:system_r:order_t:s0";
  return plan;
}

std::vector<std::string> calls_until_chroot(const std::vector<std::string>& calls) {
  const auto end = std::find(calls.begin(), calls.end(), "chdir /jail");
  return {calls.begin(), end};
}

}  // namespace

TEST_CASE("host layers: audit and host-netns rules before the session, labels before the root",
          "[steps][host]") {
  for (const NetworkScope scope : {NetworkScope::uid, NetworkScope::cgroup}) {
    const Plan plan = validated_plan(host_plan(scope)).value();
    ExecContext ctx = context_for(plan.data());
    RecordingSys sys;
    sys.lsm_active = true;
    CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
    // A table that outlives the launch is looked up (other tables on the service's uid, its
    // seal), then saved, replaced and sealed.
    std::vector<std::string> expected{"host_guard_start", "write /proc/self/loginuid 65534",
                                      "audit_replace_rules harden:order 2"};
    if (scope == NetworkScope::uid) expected.emplace_back("nft_tables_filtering_uid harden_order");
    expected.insert(
        expected.end(),
        {"nft_table_sealed harden_order", "nft_save_table harden_order",
         "host_guard_note 90 nft harden_order (none)", "nft_replace_table harden_order",
         "nft_seal_table harden_order", "setsid", "join_session_keyring", "lsm_enabled apparmor",
         "lsm_set_exec_label apparmor harden-order", "lsm_enabled selinux",
         "lsm_set_exec_label selinux system_u:system_r:order_t:s0"});
    CHECK(calls_until_chroot(sys.calls) == expected);
  }
  // Scope netns: inside the sandbox's new network namespace, so after the unshare.
  PlanData data = host_plan(NetworkScope::netns);
  data.namespaces.net = true;
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  sys.lsm_active = true;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
  const auto index = [&](std::string_view prefix) {
    return std::find_if(sys.calls.begin(), sys.calls.end(),
                        [&](const std::string& c) { return c.rfind(prefix, 0) == 0; }) -
           sys.calls.begin();
  };
  CHECK(sys.calls.front() == "host_guard_start");
  CHECK(sys.calls.at(1) == "write /proc/self/loginuid 65534");
  CHECK(sys.calls.at(2) == "audit_replace_rules harden:order 2");
  CHECK(index("unshare") < index("in_initial_netns"));
  // A namespace harden made ends with the launch, its table with it: nothing to save.
  CHECK(index("nft_save_table") == static_cast<long>(sys.calls.size()));
  CHECK(index("in_initial_netns") < index("nft_replace_table harden_order"));
  CHECK(index("nft_replace_table") < index("setsid"));
  CHECK(index("setsid") < index("lsm_enabled"));
  CHECK(index("lsm_set_exec_label selinux") < index("chdir /jail"));
  CHECK(index("chdir /jail") < static_cast<long>(sys.calls.size()));
}

TEST_CASE("scope netns refuses to replace the host's own firewall", "[steps][host]") {
  const Plan plan = validated_plan(host_plan(NetworkScope::netns)).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  sys.lsm_active = true;
  sys.initial_netns = true;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNftablesNetns);
  CHECK(sys.calls.at(sys.calls.size() - 2) == "in_initial_netns");
  CHECK(sys.calls.back() == "host_guard_finish 90 91");
}

TEST_CASE("a failing host step stops the launch with its own exit code", "[steps][host]") {
  const std::vector<std::pair<std::string, int>> cases{{"audit_replace_rules", exit_code::kAudit},
                                                       {"nft_replace_table", exit_code::kNftables},
                                                       {"lsm_set_exec_label", exit_code::kLsm}};
  for (const auto& [call, code] : cases) {
    INFO(call);
    const Plan plan = validated_plan(host_plan(NetworkScope::uid)).value();
    ExecContext ctx = context_for(plan.data());
    RecordingSys sys;
    sys.lsm_active = true;
    sys.fail_call = call;
    CHECK(enforce_and_exec(plan, ctx, sys) == code);
    CHECK(sys.calls.at(sys.calls.size() - 2).rfind(call, 0) == 0);
    CHECK(sys.calls.back() == "host_guard_finish 90 91");
    CHECK(std::none_of(sys.calls.begin(), sys.calls.end(),
                       [](const std::string& c) { return c.rfind("execve", 0) == 0; }));
  }
}

TEST_CASE("an inactive LSM refuses the launch unless the label is optional", "[steps][lsm]") {
  PlanData data = host_plan(NetworkScope::uid);
  data.lsm.selinux_context.clear();
  {
    const Plan plan = validated_plan(data).value();
    ExecContext ctx = context_for(plan.data());
    RecordingSys sys;  // both LSMs inactive
    CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kLsm);
    CHECK(sys.calls.at(sys.calls.size() - 2) == "lsm_enabled apparmor");
    CHECK(sys.calls.back() == "host_guard_finish 90 91");
  }
  data.lsm.optional = true;
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);  // reached execve
  CHECK(std::none_of(sys.calls.begin(), sys.calls.end(),
                     [](const std::string& c) { return c.rfind("lsm_set_exec_label", 0) == 0; }));
}
