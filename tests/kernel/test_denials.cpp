// harden denials: a target that harden exec'd in place (no supervisor stays to report) dies
// of SIGSYS, and the shell says only "Bad system call". The kernel's own audit record of the
// kill names the call; harden denials reads it back and adds the policy line that decided it.
#include <signal.h>
#include <sys/syscall.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/support/harness.hpp"

using namespace harden::test;
using nlohmann::json;

TEST_CASE("denials: a kill without a supervisor is named afterwards, with its policy line",
          "[denials][root]") {
  require_root();
  TempDir dir{"harden-denials"};
  dir.chmod(0755);
  const std::string probe = dir.file("probe");
  copy_file(probe_binary(), probe, 0755);
  const std::string policy =
      write_policy(dir, "denied",
                   "[policy]\nname = \"denied\"\n[seccomp]\ndefault_action = \"kill-process\"\n"
                   "allow = [\"@system-service\"]\n");
  // Without an audit daemon the kernel prints its records to the kernel log, rate-limited
  // (kauditd_printk_skb): on a busy machine one may be dropped, so the kill is repeated a few
  // times, spaced beyond the limit's burst. Auditing must be on while the kill happens.
  RunResult r;
  RunResult d;
  json kills;
  for (int launch = 0; launch < 6 && kills.empty(); ++launch) {
    if (launch > 0) std::this_thread::sleep_for(std::chrono::seconds(2));
    // Asked again each time: a test running beside this one may turn auditing off for a while.
    const AuditingOn auditing;
    r = run_harden({"--policy", policy, "--", probe, "syscall", std::to_string(SYS_ptrace)});
    INFO(r.describe());
    REQUIRE(r.killed_by(SIGSYS));
    // No supervisor: harden became the target, so the pid the shell knows is the one killed.
    CHECK(r.err.find("harden: the target was killed") == std::string::npos);
    for (int attempt = 0; attempt < 20 && kills.empty(); ++attempt) {
      // kauditd writes the record asynchronously.
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      d = run_harden(
          {"denials", "--pid", std::to_string(r.pid), "--policy", policy, "--format", "json"});
      kills = json::parse(d.out)["kills"];
    }
  }
  INFO(d.describe());
  REQUIRE(d.exited(0));
  REQUIRE(kills.size() == 1);
  CHECK(kills[0]["pid"] == r.pid);
  CHECK(kills[0]["nr"] == SYS_ptrace);
  CHECK(kills[0]["syscall"] == "ptrace");
  CHECK(kills[0]["signal"] == SIGSYS);
  CHECK(kills[0]["decided_by"] == "default_action");
  CHECK(kills[0]["origin"] == policy + ":4:18");

  RunResult text = run_harden({"denials", "--pid", std::to_string(r.pid), "--policy", policy});
  CHECK(text.exited(0));
  CHECK(text.out.find("killed by its seccomp filter at ptrace (syscall " +
                      std::to_string(SYS_ptrace) + ")") != std::string::npos);

  // A pid with no kill: nothing found, exit 1.
  RunResult none = run_harden({"denials", "--pid", "99999999"});
  CHECK(none.exited(1));
  CHECK(none.out.find("no seccomp kill recorded") != std::string::npos);
}
