// harden explain through the real binary: a group's members are the table's own expansion; a
// policy's syscalls carry the allow entry or rule (and its line) that decided them, from the
// compiler's decision model, with the action the compiled filter really takes (evaluated here
// independently); the plan sealed in a wrapper, explained from its filter, agrees.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/syscall.h>
#include <nlohmann/json.hpp>

#include "compiler/compile.hpp"
#include "compiler/syscall_groups.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/nft_script.hpp"
#include "tests/support/harness.hpp"

using namespace harden::test;
using nlohmann::json;

namespace {

constexpr const char* kPolicy = R"([policy]
name = "explained"
[seccomp]
default_action = "kill-process"
allow = ["@basic-io", "sysinfo"]
deny = ["pwrite64"]
[[seccomp.rule]]
syscall = "socket"
args = [{ index = 0, op = "eq", value = "AF_UNIX" }]
[[seccomp.rule]]
syscall = "ptrace"
action = "errno:EPERM"
)";

const json* decision(const json& doc, const std::string& name) {
  for (const json& d : doc["seccomp"]["syscalls"]) {
    if (d["name"] == name) return &d;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("explain @group: the table's own members and expansion", "[explain]") {
  RunResult r = run_harden({"explain", "--format", "json", "@service"});
  INFO(r.describe());
  REQUIRE(r.exited(0));
  const json doc = json::parse(r.out);
  const auto expanded = harden::expand_syscall_group("@service");
  REQUIRE(expanded);
  REQUIRE(doc["expanded"].size() == expanded->size());
  for (size_t i = 0; i < expanded->size(); ++i)
    CHECK(doc["expanded"][i] == (*expanded)[i]);
  const harden::SyscallGroup* group = harden::find_syscall_group("@service");
  REQUIRE(group != nullptr);
  CHECK(doc["help"] == std::string(group->help));
  CHECK(doc["syscalls"].size() + doc["groups"].size() == group->members.size());
  CHECK(doc["conditions"].size() == group->conditions.size());

  RunResult text = run_harden({"explain", "@service"});
  CHECK(text.exited(0));
  CHECK(text.out.rfind("@service: " + std::string(group->help), 0) == 0);

  RunResult typo = run_harden({"explain", "@servce"});
  CHECK(typo.exited(125));
  CHECK(typo.err.find("did you mean '@service'") != std::string::npos);
}

TEST_CASE("explain POLICY: each syscall with the line that decided it", "[explain]") {
  TempDir dir{"harden-explain"};
  const std::string policy = write_policy(dir, "explained", kPolicy);
  RunResult r = run_harden({"explain", "--format", "json", policy});
  INFO(r.describe());
  REQUIRE(r.exited(0));
  const json doc = json::parse(r.out);
  CHECK(doc["policy"] == "explained");
  CHECK(doc["seccomp"]["default_action"] == "kill-process");
  CHECK(doc["seccomp"]["default_origin"]["line"] == 4);

  // The compiled filter, asked independently.
  harden::Diagnostics diags;
  const std::optional<harden::Plan> plan = harden::compile_policy_file(policy, diags);
  REQUIRE(plan);
  auto action_of = [&](int nr, std::array<uint64_t, 6> args = {}) {
    const auto a = harden::evaluate_seccomp_program(
        plan->data().seccomp.program, harden::make_seccomp_data(plan->data().audit_arch, nr, args));
    REQUIRE(a);
    return harden::describe_seccomp_action(*a);
  };

  const json* read = decision(doc, "read");
  REQUIRE(read != nullptr);
  CHECK((*read)["action"] == action_of(SYS_read));
  CHECK((*read)["action"] == "allow");
  CHECK((*read)["decided_by"] == "allowed by '@basic-io'");
  CHECK((*read)["origin"]["line"] == 5);
  CHECK((*read)["origin"]["column"] == 10);
  const json* sysinfo = decision(doc, "sysinfo");
  REQUIRE(sysinfo != nullptr);
  CHECK((*sysinfo)["decided_by"] == "allowed by 'sysinfo'");
  CHECK((*sysinfo)["origin"]["column"] == 23);
  // A call of @default is allowed by it, whatever else names it: no policy line decides it.
  const json* exit_group = decision(doc, "exit_group");
  REQUIRE(exit_group != nullptr);
  CHECK((*exit_group)["decided_by"] == "allowed by '@default'");
  CHECK((*exit_group)["origin"].is_null());

  // pwrite64 is in @basic-io but denied: the default action, by the deny entry's line.
  const json* pwrite = decision(doc, "pwrite64");
  REQUIRE(pwrite != nullptr);
  CHECK((*pwrite)["action"] == action_of(SYS_pwrite64));
  CHECK((*pwrite)["action"] == "kill-process");
  CHECK((*pwrite)["origin"]["line"] == 6);

  // socket depends on its first argument.
  const json* socket = decision(doc, "socket");
  REQUIRE(socket != nullptr);
  CHECK((*socket)["conditional"] == true);
  CHECK(action_of(SYS_socket, {AF_UNIX}) == "allow");
  CHECK(action_of(SYS_socket, {AF_INET}) == "kill-process");
  CHECK((*socket)["action"].get<std::string>().find("allow") != std::string::npos);
  CHECK((*socket)["action"].get<std::string>().find("kill-process") != std::string::npos);
  CHECK((*socket)["origin"]["line"] == 7);
  // Its cases, in the filter's order: AF_UNIX allowed by the rule, otherwise the default.
  const json& cases = (*socket)["cases"];
  REQUIRE(cases.size() == 2);
  CHECK(cases[0]["when"] == "(u32)arg0 == 0x1");
  CHECK(cases[0]["action"] == action_of(SYS_socket, {AF_UNIX}));
  CHECK(cases[0]["origin"]["line"] == 7);
  CHECK(cases[1]["when"] == "otherwise");
  CHECK(cases[1]["action"] == action_of(SYS_socket, {AF_INET}));
  CHECK(cases[1]["decided_by"] == "default_action");
  CHECK(cases[1]["origin"]["line"] == 4);

  const json* ptrace = decision(doc, "ptrace");
  REQUIRE(ptrace != nullptr);
  CHECK((*ptrace)["action"] == "errno:EPERM");
  CHECK((*ptrace)["origin"]["line"] == 10);

  // A call nothing allows is not listed: it takes the default action.
  CHECK(decision(doc, "mount") == nullptr);
  CHECK(action_of(SYS_mount) == "kill-process");

  // The text form says the same, line by line.
  RunResult text = run_harden({"explain", policy});
  CHECK(text.exited(0));
  CHECK(text.out.find("allowed by '@basic-io'  (" + policy + ":5:10)") != std::string::npos);
  CHECK(text.out.find("(u32)arg0 == 0x1: allow, [[seccomp.rule]]  (" + policy + ":7:1)") !=
        std::string::npos);
}

TEST_CASE("explain --wrapper: the sealed plan, decided as the policy is", "[explain]") {
  TempDir dir{"harden-explain-wrapper"};
  const std::string policy = write_policy(dir, "explained", kPolicy);
  const std::string wrapper = dir.file("wrapper");
  RunResult compiled = run_harden({"compile", policy, "-o", wrapper});
  INFO(compiled.describe());
  REQUIRE(compiled.exited(0));
  RunResult from_policy = run_harden({"explain", "--format", "json", policy});
  RunResult from_wrapper = run_harden({"explain", "--format", "json", "--wrapper", wrapper});
  INFO(from_wrapper.describe());
  REQUIRE(from_wrapper.exited(0));
  const json p = json::parse(from_policy.out);
  const json w = json::parse(from_wrapper.out);
  CHECK(w["policy"] == "explained");
  REQUIRE(w["seccomp"]["syscalls"].size() == p["seccomp"]["syscalls"].size());
  for (size_t i = 0; i < p["seccomp"]["syscalls"].size(); ++i) {
    const json& a = p["seccomp"]["syscalls"][i];
    const json& b = w["seccomp"]["syscalls"][i];
    INFO(a.dump());
    CHECK(a["name"] == b["name"]);
    CHECK(a["action"] == b["action"]);
    CHECK(a["conditional"] == b["conditional"]);
  }
  // Rules and deny entries keep their lines in the sealed plan.
  CHECK((*decision(w, "ptrace"))["origin"]["line"] == 10);

  // A file that is not a wrapper is refused, not explained.
  const std::string plain = dir.file("plain");
  write_file(plain, "not a wrapper", 0755);
  RunResult bad = run_harden({"explain", "--wrapper", plain});
  CHECK(bad.exited(125));
  CHECK(bad.err.find("harden explain: " + plain + ":") != std::string::npos);
}

TEST_CASE("explain POLICY: the firewall as a launch installs it", "[explain][network]") {
  TempDir dir{"harden-explain"};
  const std::string uid_policy = write_policy(dir, "fw", R"([policy]
name = "explained-fw"
[identity]
user = "65534"
group = "65534"
[network]
scope = "uid"
egress = "drop"
)");
  RunResult r = run_harden({"explain", "--format", "json", uid_policy});
  INFO(r.describe());
  REQUIRE(r.exited(0));
  const std::string ruleset = json::parse(r.out)["firewall"]["ruleset"].get<std::string>();
  // No token the launch fills in is left; the comment names the digest a launch writes (the
  // one `harden status` shows), computed here from the compiled plan.
  CHECK(ruleset.find("@HARDEN_") == std::string::npos);
  harden::Diagnostics diags;
  const std::optional<harden::Plan> plan = harden::compile_policy_file(uid_policy, diags);
  REQUIRE(plan);
  const std::string digest = harden::nft_launch_ruleset(plan->data().network.ruleset, {}).digest;
  REQUIRE(digest.size() == harden::kNftPlanDigestChars);
  CHECK(ruleset.find("uid 65534; plan " + digest + "\"") != std::string::npos);

  // On harden's own launch cgroup the match is known only at start: named, not guessed.
  const std::string cgroup_policy = write_policy(dir, "cg", R"([policy]
name = "explained-cg"
[network]
scope = "cgroup"
egress = "drop"
)");
  RunResult text = run_harden({"explain", cgroup_policy});
  INFO(text.describe());
  REQUIRE(text.exited(0));
  CHECK(text.out.find("@HARDEN_") == std::string::npos);
  CHECK(text.out.find("socket cgroupv2 level N \"<harden's launch cgroup>\"") != std::string::npos);
}
