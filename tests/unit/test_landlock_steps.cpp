// The Landlock and cgroup layers through the recording seam: which rights are handled on
// which ABI, what enforce and best-effort do on a short ABI, the exec lock's resolution of
// the target and its interpreter, and the compiler's rules for [landlock], [ipc], [cgroup].
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "compiler/compile.hpp"
#include "compiler/compile_layers.hpp"
#include "enforcer/layers.hpp"
#include "plan/landlock_abi.hpp"
#include "policy/policy_reader.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/recording_sys.hpp"

using namespace harden;
using harden::test::RecordingSys;
namespace ll = harden::landlock_abi;

namespace {

PlanData landlock_plan() {
  PlanData plan;
#if defined(__x86_64__)
  plan.audit_arch = 0xc000003e;  // AUDIT_ARCH_X86_64
#endif
  plan.policy_name = "ll";
  plan.policy_file = "ll.toml";
  plan.exec.new_session = false;
  plan.landlock.enabled = true;
  plan.landlock.restrict_fs = true;
  plan.landlock.paths = {{"/usr", ll::kRead, false, {"ll.toml", 6, 9}},
                         {"/etc/host.conf", ll::kWrite, false, {"ll.toml", 7, 10}}};
  plan.landlock.restrict_bind = true;
  plan.landlock.bind_tcp = {8080};
  plan.landlock.scopes = ll::kScopeSignal;
  return plan;
}

ExecContext context_for(const PlanData& plan, std::vector<std::string> command) {
  char path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
  char* env[] = {path, nullptr};
  auto ctx = prepare_exec(plan, command, env);
  REQUIRE(ctx.has_value());
  return std::move(*ctx);
}

std::string hex(uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

// The calls of the layers under test; the other steps (capabilities, fds, ...) always run.
std::vector<std::string> landlock_calls(const std::vector<std::string>& calls) {
  std::vector<std::string> out;
  for (const std::string& c : calls) {
    if (c.rfind("landlock_", 0) == 0 || c.rfind("open_path", 0) == 0 || c.rfind("execve", 0) == 0) {
      out.push_back(c);
    }
  }
  return out;
}

bool has_prefix(const std::vector<std::string>& calls, std::string_view prefix) {
  return std::any_of(calls.begin(), calls.end(),
                     [&](const std::string& c) { return c.rfind(prefix, 0) == 0; });
}

}  // namespace

TEST_CASE("landlock on ABI 7 handles every right the policy asks for", "[landlock][steps]") {
  const Plan plan = validated_plan(landlock_plan()).value();
  ExecContext ctx = context_for(plan.data(), {"/bin/target-that-is-not-there"});
  RecordingSys sys;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
  const std::vector<std::string> expected{
      "landlock_create_ruleset fs=" + hex(ll::fs_rights_for(7)) + " net=0x1 scoped=0x2",
      "open_path /usr", "landlock_add_rule ruleset /usr " + hex(ll::kRead),
      "open_path /etc/host.conf",
      // a file: only the rights Landlock allows on files
      "landlock_add_rule ruleset /etc/host.conf " +
          hex(ll::kFsReadFile | ll::kFsWriteFile | ll::kFsTruncate | ll::kFsIoctlDev),
      "landlock_add_rule ruleset port 8080 0x1", "landlock_restrict_self ruleset log-new-exec",
      "execve /bin/target-that-is-not-there"};
  CHECK(landlock_calls(sys.calls) == expected);
  CHECK(ll::fs_rights_for(7) == 0xffff);
}

TEST_CASE("landlock enforce on a short ABI stops before any rule", "[landlock][steps]") {
  const Plan plan = validated_plan(landlock_plan()).value();
  ExecContext ctx = context_for(plan.data(), {"/bin/target"});
  RecordingSys sys;
  sys.abi = 3;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kLandlock);
  CHECK(landlock_calls(sys.calls).empty());
}

TEST_CASE("landlock best-effort masks by ABI and drops what is missing", "[landlock][steps]") {
  PlanData data = landlock_plan();
  data.landlock.best_effort = true;
  const Plan plan = validated_plan(data).value();
  RecordingSys sys;

  SECTION("ABI 3: filesystem without ioctl_dev, no ports, no scopes") {
    sys.abi = 3;
    ExecContext ctx = context_for(plan.data(), {"/bin/target"});
    CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
    const auto calls = landlock_calls(sys.calls);
    REQUIRE_FALSE(calls.empty());
    CHECK(calls.front() == "landlock_create_ruleset fs=0x7fff net=0x0 scoped=0x0");
    CHECK_FALSE(has_prefix(sys.calls, "landlock_add_rule ruleset port"));
    CHECK(has_prefix(sys.calls, "landlock_restrict_self"));
  }
  SECTION("no Landlock at all: nothing is applied, the target still runs") {
    sys.abi = -1;
    ExecContext ctx = context_for(plan.data(), {"/bin/target"});
    CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
    CHECK(landlock_calls(sys.calls) == std::vector<std::string>{"execve /bin/target"});
  }
}

TEST_CASE("a failing Landlock call names the rule and stops the launch", "[landlock][steps]") {
  const Plan plan = validated_plan(landlock_plan()).value();
  ExecContext ctx = context_for(plan.data(), {"/bin/target"});
  RecordingSys sys;
  sys.fail_call = "open_path /etc/host.conf";
  sys.fail_errno = ENOENT;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kLandlock);
  CHECK_FALSE(has_prefix(sys.calls, "landlock_restrict_self"));
  CHECK_FALSE(has_prefix(sys.calls, "execve"));
}

TEST_CASE("the exec lock resolves the target in PATH and finds its ELF interpreter",
          "[landlock][exec-lock]") {
  const int true_fd = ::open("/usr/bin/true", O_RDONLY | O_CLOEXEC);
  REQUIRE(true_fd >= 0);
  const std::optional<std::string> interp = enforce::landlock::interpreter_of(true_fd);
  ::close(true_fd);
  REQUIRE(interp.has_value());  // a dynamic program on every Debian

  const Plan plan = validated_plan(landlock_plan()).value();
  ExecContext ctx = context_for(plan.data(), {"true"});
  CHECK(ctx.exec_path == "/usr/bin/true");
  REQUIRE(ctx.exec_lock.size() == 2);
  CHECK(ctx.exec_lock[0].path == "/usr/bin/true");
  CHECK(ctx.exec_lock[1].path == *interp);

  RecordingSys sys;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
  // Execute (and read, which the kernel checks with it) on exactly those two files, and the
  // exec is of the resolved path, not a new PATH search.
  char resolved[4096];
  REQUIRE(::realpath(interp->c_str(), resolved) != nullptr);
  const auto calls = landlock_calls(sys.calls);
  REQUIRE(calls.size() > 3);
  CHECK(calls[1] == "landlock_add_rule ruleset /usr/bin/true " + hex(ll::kExecute));
  CHECK(calls[2] == "landlock_add_rule ruleset " + std::string(resolved) + " " + hex(ll::kExecute));
  CHECK(sys.calls.back() == "execve /usr/bin/true");
}

TEST_CASE("interpreters: #! line, static binary", "[landlock][exec-lock]") {
  harden::test::TempDir dir;
  harden::test::write_file(dir.file("script"), "#!  /bin/sh -e\necho\n", 0755);
  const int script = ::open(dir.file("script").c_str(), O_RDONLY | O_CLOEXEC);
  CHECK(enforce::landlock::interpreter_of(script) == std::optional<std::string>("/bin/sh"));
  ::close(script);
  const int probe = ::open(harden::test::probe_binary().c_str(), O_RDONLY | O_CLOEXEC);
  CHECK_FALSE(enforce::landlock::interpreter_of(probe).has_value());  // built -static
  ::close(probe);
}

TEST_CASE("landlock rules derived from a chroot view", "[landlock][policy]") {
  FilesystemPlan fs;
  CHECK(derive_view_rules(fs).empty());
  fs.chroot = "/srv/jail";
  const auto rules = derive_view_rules(fs);
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].path == "/");  // the jail's root, as the target sees it after chroot
  CHECK(rules[0].access == ll::kWrite);
}

TEST_CASE("derived rules never grant write on /proc", "[landlock][policy][steps]") {
  SECTION("a constructed root's proc mount is only readable (through \"/\")") {
    FilesystemPlan fs;
    fs.constructed_root = true;
    fs.view = {{ViewKind::proc, "/proc", "", false, false, 0, 0, {"v.toml", 4, 1}},
               {ViewKind::tmpfs, "/tmp", "", false, false, 0, 01777, {"v.toml", 5, 1}}};
    const auto rules = derive_view_rules(fs);
    REQUIRE(rules.size() == 2);
    CHECK(rules[0].path == "/");
    CHECK(rules[0].access == ll::kRead);
    CHECK(rules[1].path == "/tmp");  // a writable mount keeps its write rule
  }
  SECTION("a chroot's \"/\" write rule is split around /proc when applied") {
    PlanData data = landlock_plan();
    data.filesystem.chroot = "/";  // the target is looked up inside it at prepare time
    data.landlock.paths = derive_view_rules(data.filesystem);
    data.landlock.restrict_bind = false;
    data.landlock.scopes = 0;
    const Plan plan = validated_plan(data).value();
    ExecContext ctx = context_for(plan.data(), {"/bin/true"});
    RecordingSys sys;
    sys.directories["/"] = {"bin", "proc", "data", "app.conf"};  // symlinks are never listed
    CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
    const uint64_t guarded = ll::kFsWriteFile | ll::kFsTruncate | ll::kFsIoctlDev;
    const uint64_t handled = ll::fs_rights_for(sys.abi);
    const uint64_t file_rights =
        ll::kFsExecute | ll::kFsWriteFile | ll::kFsReadFile | ll::kFsTruncate | ll::kFsIoctlDev;
    const auto calls = landlock_calls(sys.calls);
    const auto rule = [&](const std::string& path, uint64_t access) {
      return "landlock_add_rule ruleset " + path + " " + hex(access & handled);
    };
    CHECK(std::ranges::find(calls, rule("/", ll::kWrite & ~guarded)) != calls.end());
    CHECK(std::ranges::find(calls, rule("/bin", ll::kWrite)) != calls.end());
    CHECK(std::ranges::find(calls, rule("/data", ll::kWrite)) != calls.end());
    CHECK(std::ranges::find(calls, rule("/app.conf", ll::kWrite & file_rights)) != calls.end());
    CHECK_FALSE(has_prefix(calls, "open_path /proc"));
    CHECK_FALSE(has_prefix(calls, "landlock_add_rule ruleset /proc"));
    // Everything granted on "/" itself leaves out the rights that matter on procfs.
    for (const std::string& c : calls) {
      if (c.rfind("landlock_add_rule ruleset / ", 0) == 0) {
        CHECK(c == rule("/", ll::kWrite & ~guarded));
      }
    }
  }
}

TEST_CASE("[landlock], [ipc] and [cgroup] compile into the plan", "[landlock][policy]") {
  Diagnostics diags;
  auto policy = read_policy_text(
      "[policy]\nname = \"x\"\n[ipc]\nsignals = \"deny\"\n"
      "[cgroup]\nmemory = \"1G\"\npids = 10\ncpu = \"250%\"\nsystemd = \"nest\"\n",
      "x.toml", diags);
  REQUIRE(policy);
  auto plan = compile_policy(*policy, diags);
  INFO(render_all(diags));
  REQUIRE(plan);
  const LandlockPlan& landlock = (*plan)->landlock;
  CHECK(landlock.enabled);
  CHECK_FALSE(landlock.restrict_fs);  // only [ipc]: the filesystem is left alone
  CHECK(landlock.scopes == ll::kScopeSignal);
  CHECK_FALSE(landlock.best_effort);
  const CgroupPlan& cgroup = (*plan)->cgroup;
  CHECK(cgroup.memory_max == std::optional<uint64_t>(1ULL << 30));
  CHECK(cgroup.pids_max == std::optional<uint64_t>(10));
  CHECK(cgroup.cpu_quota_us == std::optional<uint64_t>(250000));
  CHECK(cgroup.under_systemd == CgroupPlan::UnderSystemd::kNest);
}

TEST_CASE("REFER is not part of write, only [landlock] refer grants it", "[landlock][policy]") {
  CHECK((ll::kWrite & ll::kFsRefer) == 0);
  FilesystemPlan fs;
  fs.chroot = "/srv/jail";
  for (const LandlockPathRule& rule : derive_view_rules(fs))
    CHECK((rule.access & ll::kFsRefer) == 0);

  Diagnostics diags;
  auto policy = read_policy_text(
      "[policy]\nname = \"r\"\n[landlock]\nwrite = [\"/srv\"]\nrefer = [\"/srv/spool\"]\n",
      "r.toml", diags);
  REQUIRE(policy);
  auto plan = compile_policy(*policy, diags);
  INFO(render_all(diags));
  REQUIRE(plan);
  std::vector<std::pair<std::string, uint64_t>> rules;
  for (const LandlockPathRule& rule : (*plan)->landlock.paths)
    rules.emplace_back(rule.path, rule.access);
  CHECK(rules == std::vector<std::pair<std::string, uint64_t>>{{"/srv", ll::kWrite},
                                                               {"/srv/spool", ll::kFsRefer}});
  // REFER is still handled, so it is denied wherever it is not granted.
  PlanData data = landlock_plan();
  const Plan handled = validated_plan(data).value();
  ExecContext ctx = context_for(handled.data(), {"/bin/target"});
  RecordingSys sys;
  CHECK(enforce_and_exec(handled, ctx, sys) == exit_code::kNotFound);
  CHECK(landlock_calls(sys.calls).front() ==
        "landlock_create_ruleset fs=" + hex(ll::fs_rights_for(7)) + " net=0x1 scoped=0x2");
  CHECK((ll::fs_rights_for(7) & ll::kFsRefer) != 0);
}

TEST_CASE("refer needs filesystem = true", "[landlock][policy]") {
  Diagnostics diags;
  auto policy = read_policy_text(
      "[policy]\nname = \"r\"\n[landlock]\nfilesystem = false\nrefer = [\"/srv\"]\n"
      "connect_tcp = [443]\n",
      "r.toml", diags);
  REQUIRE(policy);
  CHECK_FALSE(compile_policy(*policy, diags));
  CHECK(render_all(diags).find("r.toml:5:10: error: path rules need filesystem = true") !=
        std::string::npos);
}
