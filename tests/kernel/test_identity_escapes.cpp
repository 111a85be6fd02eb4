// Attacks on who the target is, run against the real harden binary (issue 11, items 1, 5, 6):
//  - a uid or gid of 4294967295, (id_t)-1, which setresuid/setresgid read as "unchanged": in a
//    policy and in a crafted sealed plan, the target must never start (it would run as root);
//  - a target whose audit loginuid is unset sets it itself (the kernel allows that once,
//    without privilege), to have its audit records name another user;
//  - a target reads a secret the caller keeps in its session keyring.
// Each attack is first shown to work without harden (or with the ids it would get), so a pass
// cannot come from a broken probe.
#include <unistd.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "plan/plan_io.hpp"
#include "tests/support/harness.hpp"

using namespace harden::test;

namespace {

constexpr auto kTimeout = std::chrono::seconds(20);
constexpr int kExitPolicyError = 125;
constexpr int kExitVerifyPlan = 200;
constexpr int kHelperCannotSetLoginuid = 99;

const std::string kSeccomp =
    "[seccomp]\ndefault_action = \"kill-process\"\nallow = [\"@system-service\"]\n";

struct Box {
  TempDir dir{"harden-identity"};
  std::string probe;
  std::string marker;  // the target creates it if it ever runs; only root could
  Box() {
    dir.chmod(0755);
    probe = dir.file("probe");
    copy_file(probe_binary(), probe, 0755);
    marker = dir.mkdir("out", 0755) + "/target-ran";
  }
  std::string policy(const std::string& name, const std::string& identity) const {
    return write_policy(dir, name,
                        "[policy]\nname = \"" + name + "\"\n\n[identity]\n" + identity +
                            "no_new_privileges = true\n\n[capabilities]\nkeep = []\n\n" + kSeccomp);
  }
};

// 1-based line:column of the first occurrence of needle in the file.
std::string position_of(const std::string& file, const std::string& needle) {
  const std::string text = read_file(file);
  const size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  const size_t line_start =
      text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
  return std::to_string(1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n')) +
         ":" + std::to_string(at - line_start + 1);
}

std::span<const unsigned char> span_of(const std::string& bytes) {
  return {reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()};
}

// Runs argv from a shell whose audit loginuid is `loginuid` ("4294967295": unset) and prints
// its session id as `caller_sessionid`. A root test may unset or change a set loginuid
// (CAP_AUDIT_CONTROL); when the kernel refuses (loginuid_immutable), the test is skipped.
RunResult run_with_loginuid(const std::string& loginuid, std::vector<std::string> argv) {
  std::vector<std::string> command{
      "sh", "-c",
      "[ \"$(cat /proc/self/loginuid)\" = \"$0\" ] || { printf %s \"$0\" > /proc/self/loginuid "
      "|| exit " +
          std::to_string(kHelperCannotSetLoginuid) +
          "; }; printf 'caller_sessionid: %s\\n' \"$(cat /proc/self/sessionid)\"; exec \"$@\"",
      loginuid};
  command.insert(command.end(), argv.begin(), argv.end());
  RunResult r = run(command, {.timeout = kTimeout});
  if (r.exited(kHelperCannotSetLoginuid)) {
    skip("cannot give the caller the loginuid " + loginuid + " (" + r.err + ")");
  }
  return r;
}

}  // namespace

TEST_CASE("a uid or gid of 4294967295 in a policy is refused, and the target never runs",
          "[identity][root]") {
  require_root();
  if (!path_exists("/proc/self/loginuid")) skip("this kernel has no audit loginuid");
  Box box;
  std::string identity;
  std::string needle;
  SECTION("user") {
    identity = "user = \"4294967295\"\ngroup = \"nogroup\"\n";
    needle = "\"4294967295\"";
  }
  SECTION("group") {
    identity = "user = \"nobody\"\ngroup = \"4294967295\"\n";
    needle = "\"4294967295\"";
  }
  SECTION("supplementary group") {
    identity = "user = \"nobody\"\ngroup = \"nogroup\"\nsupplementary_groups = [4294967295]\n";
    needle = "4294967295]";
  }
  const std::string policy = box.policy("unchanged", identity);
  const RunResult r =
      run_harden({"--policy", policy, "--", box.probe, "touch", box.marker}, {.timeout = kTimeout});
  INFO(r.describe());
  CHECK(r.exited(kExitPolicyError));
  CHECK(r.err.find(policy + ":" + position_of(policy, needle) + ": error:") != std::string::npos);
  CHECK(r.err.find("'leave unchanged'") != std::string::npos);
  CHECK(r.err.find("hint:") != std::string::npos);
  CHECK_FALSE(path_exists(box.marker));

  // harden lint and harden validate refuse it the same way.
  const RunResult lint = run_harden({"lint", policy}, {.timeout = kTimeout});
  INFO(lint.describe());
  CHECK_FALSE(lint.exited(0));
  CHECK((lint.out + lint.err).find("leave unchanged") != std::string::npos);
}

TEST_CASE("a sealed plan carrying uid or gid 4294967295 is refused before any step",
          "[identity][sealed][root]") {
  require_root();
  Box box;
  const std::string policy = box.policy("sealed", "user = \"nobody\"\ngroup = \"nogroup\"\n");
  const std::string plan_path = box.dir.file("good.plan");
  RunResult compiled =
      run_harden({"compile", policy, "-o", plan_path, "--plan-only"}, {.timeout = kTimeout});
  INFO(compiled.describe());
  REQUIRE(compiled.exited(0));
  const std::string bytes = read_file(plan_path);
  auto decoded = harden::plan_from_bytes(span_of(bytes));
  REQUIRE(decoded.has_value());
  harden::PlanData data = decoded->data();

  // Sanity: the untouched plan runs the target, as nobody (who may not create the marker).
  const RunResult ok =
      run_harden({"run", "--plan", plan_path, "--", box.probe, "ids"}, {.timeout = kTimeout});
  INFO(ok.describe());
  REQUIRE(ok.exited(kProbeExitOk));
  REQUIRE(parse_probe(ok.out)["uid"] == "65534 65534 65534");

  SECTION("uid") {
    data.credentials.uid = static_cast<uid_t>(-1);
  }
  SECTION("gid") {
    data.credentials.gid = static_cast<gid_t>(-1);
  }
  SECTION("supplementary group") {
    data.credentials.supplementary_groups = {static_cast<gid_t>(-1)};
  }
  // Encoded by the plan writer itself, so the checksum and every header field are right.
  const std::string crafted = box.dir.file("crafted.plan");
  write_file(crafted, harden::plan_data_to_bytes(data), 0644);
  const RunResult r = run_harden({"run", "--plan", crafted, "--", box.probe, "touch", box.marker},
                                 {.timeout = kTimeout});
  INFO(r.describe());
  CHECK(r.exited(kExitVerifyPlan));
  CHECK(r.err.find("4294967295 is (id_t)-1") != std::string::npos);
  CHECK_FALSE(path_exists(box.marker));
}

TEST_CASE("the target cannot set its own audit loginuid", "[identity][audit][root]") {
  require_root();
  if (!path_exists("/proc/self/loginuid")) skip("this kernel has no audit loginuid");
  Box box;
  const std::string policy = box.policy("loginuid", "user = \"nobody\"\ngroup = \"nogroup\"\n");

  SECTION("started with loginuid unset, as services are") {
    // The attack works on an unset loginuid: a task (here the unsandboxed probe) sets it.
    const RunResult control = run_with_loginuid("4294967295", {box.probe, "loginuid", "1000"});
    INFO(control.describe());
    REQUIRE(control.exited(kProbeExitOk));
    REQUIRE(parse_probe(control.out)["loginuid_after"] == "1000");

    const RunResult r = run_with_loginuid(
        "4294967295", {harden_binary(), "--policy", policy, "--", box.probe, "loginuid", "1000"});
    INFO(r.describe());
    auto s = parse_probe(r.out);
    CHECK(r.exited(kProbeExitErrno));
    CHECK(s["errno"] == "EPERM");
    CHECK(s["loginuid"] == "65534");  // the target's uid, written by harden
    CHECK(s["caller_sessionid"] == "4294967295");
    CHECK(s["sessionid"] != "4294967295");  // a session of the launch's own
    CHECK_FALSE(s["sessionid"].empty());
  }
  SECTION("started by a logged-in user: that user stays, in a fresh audit session") {
    const RunResult r = run_with_loginuid(
        "1000", {harden_binary(), "--policy", policy, "--", box.probe, "loginuid", "0"});
    INFO(r.describe());
    auto s = parse_probe(r.out);
    CHECK(r.exited(kProbeExitErrno));
    CHECK(s["errno"] == "EPERM");
    CHECK(s["loginuid"] == "1000");
    CHECK_FALSE(s["caller_sessionid"].empty());
    CHECK(s["sessionid"] != s["caller_sessionid"]);
  }
}

TEST_CASE("the caller's session keyring does not reach the target", "[identity][keyring][root]") {
  require_root();
  Box box;
  const std::string description = unique_name("harden-test-key");
  const std::string secret = "s3cret-" + description;
  const auto with_key = [&](std::vector<std::string> command) {
    std::vector<std::string> argv{box.probe, "key-session", description, secret};
    argv.insert(argv.end(), command.begin(), command.end());
    return run(argv, {.timeout = kTimeout});
  };
  // The attack works without harden: the key is read, and found through @s.
  const RunResult control = with_key({box.probe, "key-read", "{key}", description});
  INFO(control.describe());
  if (control.exited(kProbeExitErrno)) skip("no keyrings on this kernel: " + control.out);
  REQUIRE(control.exited(kProbeExitOk));
  REQUIRE(parse_probe(control.out)["read"] == secret);

  std::string identity;
  SECTION("a target running as nobody") {
    identity = "user = \"nobody\"\ngroup = \"nogroup\"\n";
  }
  SECTION("a target keeping the caller's uid") {
    identity = "";
  }
  const std::string policy = box.policy("keyring", identity);
  const RunResult r = with_key(
      {harden_binary(), "--policy", policy, "--", box.probe, "key-read", "{key}", description});
  INFO(r.describe());
  REQUIRE(r.exited(kProbeExitOk));
  auto s = parse_probe(r.out);
  CHECK(r.out.find(secret) == std::string::npos);
  CHECK(s["read_errno"] == "EACCES");
  CHECK(s["search_errno"] == "ENOKEY");
}

TEST_CASE("Landlock rules derived from a chroot never grant write on its /proc",
          "[identity][landlock][root]") {
  require_root();
  Box box;
  const std::string jail = box.dir.mkdir("jail", 0755);
  box.dir.mkdir("jail/proc", 0555);
  box.dir.mkdir("jail/data", 0777);
  copy_file(probe_binary(), jail + "/probe", 0755);
  const std::string policy = write_policy(
      box.dir, "chroot-proc",
      "[policy]\nname = \"chroot-proc\"\n\n[identity]\nuser = \"nobody\"\ngroup = \"nogroup\"\n\n"
      "[filesystem]\nchroot = \"" +
          jail + "\"\n\n[landlock]\n\n" + kSeccomp);
  // The kernel's procfs in the jail, in a mount namespace of the test's own.
  const auto in_jail = [&](std::vector<std::string> command) {
    std::vector<std::string> argv{"unshare",
                                  "--mount",
                                  "--propagation",
                                  "private",
                                  "sh",
                                  "-c",
                                  "mount -t proc proc \"$0/proc\" && exec \"$@\"",
                                  jail,
                                  harden_binary(),
                                  "--policy",
                                  policy,
                                  "--"};
    argv.insert(argv.end(), command.begin(), command.end());
    return run(argv, {.timeout = kTimeout});
  };
  // The derived rule still grants write in the rest of the jail.
  const RunResult data = in_jail({"/probe", "write", "/data/file", "ok"});
  INFO(data.describe());
  REQUIRE(data.exited(kProbeExitOk));
  // A file of its own the process may write by its mode (comm): Landlock must refuse it.
  const RunResult comm = in_jail({"/probe", "write", "/proc/self/comm", "pwned"});
  INFO(comm.describe());
  CHECK(comm.exited(kProbeExitErrno));
  CHECK(parse_probe(comm.out)["errno"] == "EACCES");
}
