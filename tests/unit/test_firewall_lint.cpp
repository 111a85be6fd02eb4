// Lint and firewalls for real services: lint and validate read the policy, not the machine
// (validate --host asks the machine); the exposure keeps telling strict from stricter; the
// default network scope without a namespace is a validation error; the nftables step leaves a
// sealed table alone and seals what it installs; errno rules answer quietly unless asked.
#include <linux/audit.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/compile.hpp"
#include "enforcer/layers.hpp"
#include "enforcer/seccomp_notify.hpp"
#include "lint/lint.hpp"
#include "plan/nft_script.hpp"
#include "plan/plan_io.hpp"
#include "policy/policy_reader.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/recording_sys.hpp"

namespace fs = std::filesystem;
using namespace harden;
using harden::test::RecordingSys;
using namespace harden::test;

namespace {

// Names nothing on any machine has: the test must not depend on this one either.
constexpr std::string_view kServerPolicy = R"([policy]
name = "pg"
[identity]
user = "harden-test-no-such-user"
group = "harden-test-no-such-group"
[filesystem]
read_only = ["/usr", "/harden-test-missing/lib"]
read_write = ["/var/lib/harden-test-postgresql"]
[namespaces]
mount = true
[[audit.watch]]
path = "/harden-test-missing-dir/postgresql.conf"
permissions = "w"
)";

std::optional<Plan> compile_text(const std::string& text, Diagnostics& diags, HostChecks host,
                                 const std::string& name = "p.toml") {
  const std::optional<Policy> policy = read_policy_text(text, name, diags);
  REQUIRE(policy);
  return compile_policy(*policy, diags, CompileOptions{host});
}

bool has_error_at(const Diagnostics& diags, uint32_t line, uint32_t column, std::string_view text) {
  return std::ranges::any_of(diags.all(), [&](const Diagnostic& d) {
    return d.severity == Severity::error && d.pos.line == line && d.pos.column == column &&
           d.message.find(text) != std::string::npos;
  });
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("lint and validate do not depend on the machine, validate --host does", "[lint][host]") {
  // The premise: this machine has none of these.
  REQUIRE_FALSE(fs::exists("/var/lib/harden-test-postgresql"));
  REQUIRE_FALSE(fs::exists("/harden-test-missing-dir"));

  Diagnostics skipped;
  const auto plan = compile_text(std::string(kServerPolicy), skipped, HostChecks::skip);
  INFO(render_all(skipped));
  REQUIRE(plan);
  CHECK_FALSE(skipped.has_errors());
  // A placeholder that is neither root nor "unchanged"; the plan is only read.
  CHECK(plan->data().credentials.uid == kUnresolvedId);
  CHECK(plan->data().credentials.gid == kUnresolvedId);

  Diagnostics checked;
  CHECK_FALSE(compile_text(std::string(kServerPolicy), checked, HostChecks::check));
  INFO(render_all(checked));
  CHECK(has_error_at(checked, 4, 8, "unknown user 'harden-test-no-such-user'"));
  CHECK(has_error_at(checked, 5, 9, "unknown group 'harden-test-no-such-group'"));
  CHECK(has_error_at(checked, 7, 22, "bind source '/harden-test-missing/lib'"));
  CHECK(has_error_at(checked, 8, 15, "bind source '/var/lib/harden-test-postgresql'"));
  CHECK(has_error_at(checked, 12, 8, "its directory '/harden-test-missing-dir' does not exist"));

  // "root" is root on every machine: it is never a placeholder.
  Diagnostics root;
  const auto as_root =
      compile_text("[policy]\nname = \"r\"\n[identity]\nuser = \"root\"\n", root, HostChecks::skip);
  REQUIRE(as_root);
  CHECK(as_root->data().credentials.uid == 0);

  // The command line: lint and validate by default, validate --host and lint --host.
  TempDir dir;
  const std::string file = write_policy(dir, "pg", std::string(kServerPolicy));
  RunResult validate = run_harden({"validate", file});
  INFO(validate.describe());
  CHECK(validate.exited(0));
  CHECK(validate.out.find(file + ": ok") != std::string::npos);

  RunResult lint = run_harden({"lint", "--fail-on", "none", "--threshold", "10", file});
  INFO(lint.describe());
  CHECK(lint.exited(0));
  CHECK(lint.out.find("error: unknown user") == std::string::npos);

  RunResult host = run_harden({"validate", "--host", file});
  INFO(host.describe());
  CHECK(host.exited(125));
  CHECK(host.err.find(file + ":4:8: error: unknown user 'harden-test-no-such-user'") !=
        std::string::npos);
  CHECK(host.err.find(file + ":8:15: error: bind source '/var/lib/harden-test-postgresql'") !=
        std::string::npos);
  CHECK(host.err.find(file + ":12:8: error: cannot watch") != std::string::npos);

  RunResult lint_host = run_harden({"lint", "--host", file});
  INFO(lint_host.describe());
  CHECK(lint_host.exited(125));  // invalid on this host

  // A chroot that is not there: the same.
  const std::string jail = write_policy(
      dir, "jail", "[policy]\nname = \"jail\"\n[filesystem]\nchroot = \"/harden-test-no-jail\"\n");
  CHECK(run_harden({"validate", jail}).exited(0));
  host = run_harden({"validate", "--host", jail});
  INFO(host.describe());
  CHECK(host.exited(125));
  CHECK(host.err.find(jail + ":4:10: error: chroot directory '/harden-test-no-jail'") !=
        std::string::npos);
}

TEST_CASE("the default network scope without a network namespace is a validation error",
          "[network]") {
  Diagnostics diags;
  CHECK_FALSE(compile_text("[policy]\nname = \"n\"\n[network]\negress = \"drop\"\n", diags,
                           HostChecks::skip));
  INFO(render_all(diags));
  REQUIRE(diags.error_count() == 1);
  const Diagnostic& error = diags.all().front();
  CHECK(error.pos.line == 3);
  CHECK(error.pos.column == 1);
  CHECK(error.hint.find("net = \"private\"") != std::string::npos);
  CHECK(error.hint.find("scope = \"uid\"") != std::string::npos);

  // With a namespace of its own, the default is fine.
  Diagnostics own;
  CHECK(compile_text(
      "[policy]\nname = \"n\"\n[namespaces]\nnet = \"private\"\n[network]\negress = \"drop\"\n",
      own, HostChecks::skip));
  // Written out, it is a choice (a namespace made outside harden): a warning, and the launch
  // still refuses the host's namespace.
  Diagnostics explicit_scope;
  CHECK(compile_text("[policy]\nname = \"n\"\n[network]\nscope = \"netns\"\negress = \"drop\"\n",
                     explicit_scope, HostChecks::skip));
  INFO(render_all(explicit_scope));
  CHECK(std::ranges::any_of(explicit_scope.all(), [](const Diagnostic& d) {
    return d.severity == Severity::warning && d.pos.line == 4 && d.pos.column == 9;
  }));
}

TEST_CASE("scope cgroup without a path targets the launch cgroup", "[network]") {
  Diagnostics diags;
  const auto plan = compile_text(
      "[policy]\nname = \"cg\"\n[network]\nscope = \"cgroup\"\negress = \"reject\"\n"
      "[[network.allow]]\ndirection = \"egress\"\nprotocol = \"tcp\"\nports = [80]\n",
      diags, HostChecks::check);
  INFO(render_all(diags));
  REQUIRE(plan);
  const NetworkPlan& net = plan->data().network;
  CHECK(net.launch_cgroup);
  CHECK(net.ruleset.find(std::string(kNftLaunchCgroupToken) + " tcp dport 80 accept") !=
        std::string::npos);
  // The launch writes the match in; the digest changes with it.
  const auto a = nft_launch_ruleset(net.ruleset, "socket cgroupv2 level 3 \"a/harden/cg\"");
  const auto b = nft_launch_ruleset(net.ruleset, "socket cgroupv2 level 3 \"b/harden/cg\"");
  CHECK(a.text.find("socket cgroupv2 level 3 \"a/harden/cg\" tcp dport 80 accept") !=
        std::string::npos);
  CHECK(a.text.find("@HARDEN") == std::string::npos);
  CHECK(a.digest.size() == kNftPlanDigestChars);
  CHECK(a.digest != b.digest);
  CHECK(a.digest ==
        nft_launch_ruleset(net.ruleset, "socket cgroupv2 level 3 \"a/harden/cg\"").digest);
  CHECK(a.text.find("plan " + a.digest + "\"") != std::string::npos);
}

TEST_CASE("a table's comment names its uid and plan digest", "[network]") {
  Diagnostics diags;
  const auto plan = compile_text(
      "[policy]\nname = \"u\"\n[identity]\nuser = \"65534\"\ngroup = \"65534\"\n[network]\n"
      "scope = \"uid\"\negress = \"drop\"\n",
      diags, HostChecks::check);
  INFO(render_all(diags));
  REQUIRE(plan);
  const auto launched = nft_launch_ruleset(plan->data().network.ruleset, {});
  const size_t at = launched.text.find("comment \"");
  REQUIRE(at != std::string::npos);
  const std::string comment =
      launched.text.substr(at + 9, launched.text.find('"', at + 9) - at - 9);
  CHECK(comment.size() <= 128);  // nft's limit for a comment
  CHECK(nft_comment_field(comment, kNftUidWord) == "65534");
  CHECK(nft_comment_field(comment, kNftPlanWord) == launched.digest);
  CHECK(nft_comment_field("harden policy x; plan abc", kNftUidWord).empty());
}

namespace {

PlanData firewall_plan(NetworkScope scope) {
  PlanData plan;
  plan.audit_arch = native_audit_arch();
  plan.policy_name = "fw";
  plan.policy_file = "fw.toml";
  plan.credentials.change_ids = true;
  plan.credentials.uid = 1234;
  plan.credentials.gid = 1234;
  plan.network.enabled = true;
  plan.network.scope = scope;
  plan.network.table = "harden_fw";
  plan.network.ruleset = "table inet harden_fw {\n\tcomment \"harden policy fw; uid 1234; plan " +
                         std::string(kNftPlanToken) + "\"\n}\n";
  return plan;
}

std::vector<std::string> nft_calls(const RecordingSys& sys) {
  std::vector<std::string> out;
  std::ranges::copy_if(sys.calls, std::back_inserter(out),
                       [](const std::string& c) { return c.starts_with("nft_"); });
  return out;
}

}  // namespace

TEST_CASE("the nftables step leaves a sealed table alone and seals what it installs",
          "[network][rollback]") {
  const Plan plan = validated_plan(firewall_plan(NetworkScope::uid)).value();
  const std::vector<std::string> command{"/bin/target"};
  char* no_env[] = {nullptr};

  SECTION("sealed for this ruleset: no save, no transaction") {
    auto ctx = prepare_exec(plan.data(), command, no_env);
    REQUIRE(ctx);
    RecordingSys sys;
    sys.nft_sealed = true;
    REQUIRE(enforce::nftables::apply(plan.data(), sys, *ctx));
    CHECK(nft_calls(sys) == std::vector<std::string>{"nft_tables_filtering_uid harden_fw",
                                                     "nft_table_sealed harden_fw"});
  }
  SECTION("not sealed (absent, another plan's, edited): saved, replaced, sealed") {
    auto ctx = prepare_exec(plan.data(), command, no_env);
    REQUIRE(ctx);
    RecordingSys sys;
    REQUIRE(enforce::nftables::apply(plan.data(), sys, *ctx));
    CHECK(nft_calls(sys) ==
          std::vector<std::string>{"nft_tables_filtering_uid harden_fw",
                                   "nft_table_sealed harden_fw", "nft_save_table harden_fw",
                                   "nft_replace_table harden_fw", "nft_seal_table harden_fw"});
  }
  SECTION("a failed replace fails the step, and nothing is sealed") {
    auto ctx = prepare_exec(plan.data(), command, no_env);
    REQUIRE(ctx);
    RecordingSys sys;
    sys.fail_call = "nft_replace_table";
    sys.fail_errno = EINVAL;
    CHECK_FALSE(enforce::nftables::apply(plan.data(), sys, *ctx));
    CHECK(std::ranges::find(sys.calls, "nft_seal_table harden_fw") == sys.calls.end());
  }
  SECTION("a launch-cgroup plan without the cgroup step's match is refused") {
    PlanData data = firewall_plan(NetworkScope::cgroup);
    data.network.launch_cgroup = true;
    const Plan cgroup_plan = validated_plan(data).value();
    auto ctx = prepare_exec(cgroup_plan.data(), command, no_env);
    REQUIRE(ctx);
    RecordingSys sys;
    const auto result = enforce::nftables::apply(cgroup_plan.data(), sys, *ctx);
    REQUIRE_FALSE(result);
    CHECK(result.error().detail.find("made no launch cgroup") != std::string::npos);
    CHECK(nft_calls(sys).empty());
  }
}

TEST_CASE("errno rules answer quietly unless report = true", "[seccomp][notify]") {
  // socket(AF_PACKET) answered EAFNOSUPPORT by a rule; ptrace by the default action's errno.
  auto plan_for = [](const std::string& report) {
    Diagnostics diags;
    const std::string text =
        "[policy]\nname = \"q\"\n[seccomp]\ndefault_action = \"errno:EPERM\"\n"
        "allow = [\"@basic-io\", \"socket\"]\n[[seccomp.rule]]\nsyscall = \"socket\"\n"
        "action = \"errno:EAFNOSUPPORT\"\nargs = [{ index = 0, op = \"eq\", value = \"AF_PACKET\" "
        "}]\n" +
        report;
    return compile_text(text, diags, HostChecks::check);
  };
  seccomp_notif packet{};
  packet.pid = 7;
  packet.data.arch = native_audit_arch();
  packet.data.nr = SYS_socket;
  packet.data.args[0] = AF_PACKET;
  seccomp_notif ptrace_call = packet;
  ptrace_call.data.nr = SYS_ptrace;
  ptrace_call.data.args[0] = 0;

  const auto quiet = plan_for("");
  REQUIRE(quiet);
  enforce::seccomp_notify::JudgeState state{};
  auto verdict = enforce::seccomp_notify::judge(quiet->data(), state, packet);
  CHECK(verdict.error == EAFNOSUPPORT);
  CHECK(verdict.report.empty());
  // The default action's errno is not a rule's purpose: reported.
  verdict = enforce::seccomp_notify::judge(quiet->data(), state, ptrace_call);
  CHECK(verdict.error == EPERM);
  CHECK(verdict.report.find("seccomp denied ptrace") != std::string::npos);

  const auto loud = plan_for("report = true\n");
  REQUIRE(loud);
  verdict = enforce::seccomp_notify::judge(loud->data(), state, packet);
  CHECK(verdict.error == EAFNOSUPPORT);
  CHECK(verdict.report.find("seccomp denied socket") != std::string::npos);
  CHECK(verdict.report.find("p.toml:6:1") != std::string::npos);

  // A wrong type is an error with its position.
  Diagnostics diags;
  const std::optional<Policy> bad = read_policy_text(
      "[policy]\nname = \"q\"\n[seccomp]\nallow = [\"@basic-io\"]\n[[seccomp.rule]]\n"
      "syscall = \"socket\"\naction = \"errno:EPERM\"\nreport = \"yes\"\n",
      "bad.toml", diags);
  CHECK_FALSE(bad);
  INFO(render_all(diags));
  CHECK(has_error_at(diags, 8, 10, "report"));
}

namespace {

double exposure_of(const std::string& text, const std::string& name = "step.toml") {
  Diagnostics diags;
  const std::optional<Policy> policy = read_policy_text(text, name, diags);
  INFO(render_all(diags) << text);
  REQUIRE(policy);
  const std::optional<Plan> plan = compile_policy(*policy, diags, CompileOptions{HostChecks::skip});
  INFO(render_all(diags) << text);
  REQUIRE(plan);
  return lint_policy(*policy, plan->data(), diags).exposure;
}

}  // namespace

TEST_CASE("exposure keeps telling strict from stricter", "[lint][score]") {
  // Each step adds one restriction to the one before; every step must lower the score.
  const std::string strict = R"([policy]
name = "ladder"
[identity]
user = "65534"
group = "65534"
[exec]
umask = "0077"
[limits]
nofile = 256
nproc = 64
core = 0
[namespaces]
net = "loopback"
pid = true
[filesystem]
read_only = ["/usr", "/lib", "/etc/ssl/certs"]
proc = true
[landlock]
mode = "enforce"
[seccomp]
default_action = "kill-process"
allow = ["@service"]
[[audit.watch]]
path = "/etc"
permissions = "r"
)";
  const std::vector<std::pair<std::string, std::string>> steps{
      {"strict", strict},
      {"+ a memory limit", strict + "[cgroup]\nmemory = \"256M\"\n"},
      {"+ pids and cpu limits", strict + "[cgroup]\nmemory = \"256M\"\npids = 64\ncpu = \"50%\"\n"},
      {"+ IPC scopes", strict + "[cgroup]\nmemory = \"256M\"\npids = 64\ncpu = \"50%\"\n[ipc]\n"
                                "abstract_unix_sockets = \"deny\"\nsignals = \"deny\"\n"},
      {"+ socket families", strict +
                                "[cgroup]\nmemory = \"256M\"\npids = 64\ncpu = \"50%\"\n[ipc]\n"
                                "abstract_unix_sockets = \"deny\"\nsignals = \"deny\"\n"
                                "[[seccomp.rule]]\nsyscall = \"socket\"\n"
                                "args = [{ index = 0, op = \"eq\", value = \"AF_UNIX\" }]\n"},
      {"+ uts, ipc, cgroup namespaces",
       strict + "[cgroup]\nmemory = \"256M\"\npids = 64\ncpu = \"50%\"\n[ipc]\n"
                "abstract_unix_sockets = \"deny\"\nsignals = \"deny\"\n"
                "[[seccomp.rule]]\nsyscall = \"socket\"\n"
                "args = [{ index = 0, op = \"eq\", value = \"AF_UNIX\" }]\n"},
  };
  // The last step adds namespaces to the [namespaces] table of the base.
  std::vector<std::pair<std::string, std::string>> ladder = steps;
  std::string& last = ladder.back().second;
  last.replace(last.find("pid = true\n"), 11, "pid = true\nuts = true\ncgroup = true\n");

  double before = 11;
  for (const auto& [what, text] : ladder) {
    const double score = exposure_of(text);
    INFO(what << ": " << score << " after " << before << "\n" << text);
    CHECK(score < before);
    before = score;
  }
  CHECK(before > 0.0);  // something is still open: not every syscall is closed

  // The shipped policies, made stricter step by step through extends.
  TempDir dir;
  fs::create_directory(dir.file("base"));
  for (const auto& entry :
       fs::directory_iterator(fs::path(HARDEN_SOURCE_DIR) / "policies" / "base"))
    fs::copy_file(entry.path(), fs::path(dir.file("base")) / entry.path().filename());
  for (const std::string shipped : {"http-server", "static-binary"}) {
    const fs::path source = fs::path(HARDEN_SOURCE_DIR) / "policies" / (shipped + ".toml");
    if (!fs::exists(source)) continue;
    std::ofstream(dir.file(shipped + ".toml")) << read_file(source);
    const double base = exposure_of(read_file(source), source.string());
    const std::string head =
        "[policy]\nname = \"" + shipped + "-x\"\nextends = [\"" + shipped + ".toml\"]\n";
    const std::string cgroup = "[cgroup]\nmemory = \"512M\"\npids = 128\ncpu = \"100%\"\n";
    const std::string ipc = "[ipc]\nabstract_unix_sockets = \"deny\"\nsignals = \"deny\"\n";
    // The exposure of a policy extending the shipped one, and how open it leaves IPC scopes.
    struct Scored {
      double exposure;
      double ipc_open;
    };
    auto at = [&](const std::string& name, const std::string& text) {
      const std::string path = dir.file(name + ".toml");
      std::ofstream(path) << text;
      Diagnostics diags;
      const std::optional<Policy> policy = read_policy(path, diags);
      INFO(render_all(diags) << text);
      REQUIRE(policy);
      const std::optional<Plan> plan =
          compile_policy(*policy, diags, CompileOptions{HostChecks::skip});
      INFO(render_all(diags) << text);
      REQUIRE(plan);
      double ipc_open = -1;
      for (const SurfacePart& part : residual_surface(plan->data())) {
        if (part.name == "ipc-scopes") ipc_open = part.open;
      }
      return Scored{lint_policy(*policy, plan->data(), diags).exposure, ipc_open};
    };
    const Scored with_cgroup = at(shipped + "-cg", head + cgroup);
    const Scored with_ipc = at(shipped + "-ipc", head + cgroup + ipc);
    INFO(shipped << ": " << base << " > " << with_cgroup.exposure << " > " << with_ipc.exposure
                 << " (IPC open " << with_cgroup.ipc_open << ", then " << with_ipc.ipc_open << ")");
    CHECK(with_cgroup.exposure < base);
    CHECK(with_ipc.ipc_open == 0);
    // A shipped policy whose base already denies both scopes gains nothing, and must not lose
    // either; one that left them open scores lower.
    if (with_cgroup.ipc_open > 0) {
      CHECK(with_ipc.exposure < with_cgroup.exposure);
    } else {
      CHECK(with_ipc.exposure == with_cgroup.exposure);
    }
  }
}

TEST_CASE("with only a firewall, the guardian is forked at the first change, not before",
          "[network][rollback]") {
  const Plan plan = validated_plan(firewall_plan(NetworkScope::uid)).value();
  const std::vector<std::string> command{"/bin/target"};
  char* no_env[] = {nullptr};
  for (const bool sealed : {true, false}) {
    INFO("sealed " << sealed);
    auto ctx = prepare_exec(plan.data(), command, no_env);
    REQUIRE(ctx);
    RecordingSys sys;
    sys.nft_sealed = sealed;
    CHECK(enforce_and_exec(plan, *ctx, sys) == exit_code::kNotFound);  // the recorder's execve
    const auto at = [&](std::string_view call) {
      return std::ranges::find(sys.calls, call) - sys.calls.begin();
    };
    const auto end = static_cast<long>(sys.calls.size());
    if (sealed) {
      CHECK(at("host_guard_start") == end);  // nothing changed: no guardian
      CHECK(at("nft_replace_table harden_fw") == end);
    } else {
      // Forked before the change is noted and made.
      CHECK(at("host_guard_start") < at("nft_replace_table harden_fw"));
      CHECK(at("nft_save_table harden_fw") < at("host_guard_start"));
      CHECK(at("host_guard_finish 90 91") < end);  // the failed execve tells it
    }
  }
}
