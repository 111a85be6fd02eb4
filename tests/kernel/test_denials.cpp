// harden denials: a target that harden exec'd in place (no supervisor stays to report) dies
// of SIGSYS, and the shell says only "Bad system call"; a Landlock denial is only an EACCES.
// The kernel's own audit records name the call or the access and path; harden denials reads
// them back (the kill with the policy line that decided it), or follows them as they happen.
// A line forged into the kernel log is not believed.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include <catch2/catch.hpp>

#include "enforcer/sys.hpp"
#include "tests/support/daemons.hpp"
#include "tests/support/harness.hpp"

using namespace harden::test;
using nlohmann::json;

namespace {

// A directory the probe's user can enter, the probe in it, and a policy that kills every call
// outside @system-service (ptrace among them), line 4 column 18 its default action.
struct Denied {
  TempDir dir;
  std::string probe;
  std::string policy;
  explicit Denied(const std::string& prefix) : dir(prefix) {
    dir.chmod(0755);
    probe = dir.file("probe");
    copy_file(probe_binary(), probe, 0755);
    policy = write_policy(dir, "denied",
                          "[policy]\nname = \"denied\"\n[seccomp]\ndefault_action = "
                          "\"kill-process\"\nallow = [\"@system-service\"]\n");
  }
};

}  // namespace

TEST_CASE("denials: a kill without a supervisor is named afterwards, with its policy line",
          "[denials][root]") {
  require_root();
  const Denied denied{"harden-denials"};
  const std::string& probe = denied.probe;
  const std::string& policy = denied.policy;
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
  CHECK(none.out.find("no seccomp kill or Landlock denial recorded") != std::string::npos);
}

// Every JSON line of a --follow log that reports `key` ("kill", "landlock") and satisfies
// `wanted`: the object under that key.
std::vector<json> followed(const std::string& log, const std::string& key,
                           const std::function<bool(const json&)>& wanted) {
  std::vector<json> found;
  size_t at = 0;
  while (at < log.size()) {
    const size_t end = std::min(log.find('\n', at), log.size());
    const std::string line = log.substr(at, end - at);
    at = end + 1;
    if (line.empty() || line.front() != '{') continue;
    const json item = json::parse(line, nullptr, false);
    if (item.is_object() && item.contains(key) && wanted(item[key])) found.push_back(item[key]);
  }
  return found;
}

std::vector<json> followed_denials(const std::string& log, const std::string& path) {
  return followed(log, "landlock", [&](const json& denial) { return denial["path"] == path; });
}

std::vector<json> followed_kills(const std::string& log, pid_t pid) {
  return followed(log, "kill", [&](const json& kill) { return kill["pid"] == pid; });
}

TEST_CASE(
    "denials: a Landlock denial is named as it happens, with the access right, the path and "
    "who made the domain",
    "[denials][landlock][root]") {
  require_root();
  if (harden::RealSys{}.landlock_abi() < 7) {
    skip("this kernel's Landlock has no audit records (ABI 7, Linux 6.15)");
  }
  TempDir dir{"harden-denials-landlock"};
  dir.chmod(0755);
  dir.mkdir("allowed");
  dir.mkdir("outside");
  const std::string probe = dir.file("probe");
  copy_file(probe_binary(), probe, 0755);
  const std::string policy =
      write_policy(dir, "walled",
                   "[policy]\nname = \"walled\"\n[landlock]\nread = [\"/\"]\nwrite = [\"" +
                       dir.file("allowed") + "\"]\n");
  const std::string refused = dir.file("outside/new-file");
  const AuditingOn auditing;
  // Two readers of the audit netlink at once, one in JSON and one in words: each gets every
  // record (the kernel log would drop some beyond ten lines in five seconds).
  daemons::Background as_json({harden_binary(), "denials", "--follow", "--format", "json"},
                              dir.file("follow.json"));
  daemons::Background as_text({harden_binary(), "denials", "--follow", "--policy", policy},
                              dir.file("follow.txt"));
  const auto listening = [](daemons::Background& follower) {
    return daemons::wait_until([&] {
      return follower.log().find("following the kernel's audit records") != std::string::npos;
    });
  };
  REQUIRE(listening(as_json));
  REQUIRE(listening(as_text));
  // A Landlock policy that reads "/" locks exec, so harden stays as a supervisor and the
  // domain's maker (the pid in the record) is its child, which became the target.
  const RunResult r = run_harden({"--policy", policy, "--", probe, "write", refused, "x"});
  INFO(r.describe());
  CHECK_FALSE(path_exists(refused));
  CHECK(r.out.find("EACCES") != std::string::npos);
  std::vector<json> denials;
  CHECK(daemons::wait_until([&] {
    denials = followed_denials(as_json.log(), dir.file("outside"));
    return !denials.empty();
  }));
  as_json.signal(SIGTERM);
  as_text.signal(SIGTERM);
  REQUIRE(as_json.wait(std::chrono::seconds(10)));
  REQUIRE(as_text.wait(std::chrono::seconds(10)));
  INFO(as_json.describe());
  INFO(as_text.describe());
  CHECK(as_json.exit_code() == 0);  // stopped by SIGTERM is a normal end
  CHECK(as_text.exit_code() == 0);
  REQUIRE(denials.size() == 1);  // one denial, each record once
  const json& denial = denials.front();
  CHECK(denial["blockers"].get<std::string>().find("fs.make_reg") != std::string::npos);
  CHECK(denial["source"] == "audit netlink");
  CHECK(denial["comm"] == "harden");  // the maker, before it executed the target
  const int maker = denial["pid"].get<int>();
  CHECK(maker > r.pid);  // harden's child
  // In words, with what the policy says of it.
  const std::string words = as_text.log();
  CHECK(words.find("pid " + std::to_string(maker) +
                   " (harden): refused by Landlock (fs.make_reg") != std::string::npos);
  CHECK(words.find("\"" + dir.file("outside") + "\"") != std::string::npos);
  CHECK(words.find("no [landlock] rule of the policy grants") != std::string::npos);
}

TEST_CASE(
    "denials: --follow names a kill with the line of its policy, and not with the line of "
    "a policy that allows the call",
    "[denials][root]") {
  require_root();
  const Denied denied{"harden-denials-follow-kill"};
  const TempDir& dir = denied.dir;
  const std::string& probe = denied.probe;
  const std::string& policy = denied.policy;
  // Another policy, which allows ptrace: a kill of ptrace cannot have been its doing.
  const std::string other =
      write_policy(dir, "other",
                   "[policy]\nname = \"other\"\n[seccomp]\ndefault_action = \"kill-process\"\n"
                   "allow = [\"@system-service\", \"ptrace\"]\n");
  const AuditingOn auditing;
  daemons::Background mine(
      {harden_binary(), "denials", "--follow", "--format", "json", "--policy", policy},
      dir.file("mine.json"));
  daemons::Background theirs(
      {harden_binary(), "denials", "--follow", "--format", "json", "--policy", other},
      dir.file("theirs.json"));
  for (daemons::Background* follower : {&mine, &theirs}) {
    REQUIRE(daemons::wait_until([&] {
      return follower->log().find("following the kernel's audit records") != std::string::npos;
    }));
  }
  const RunResult r =
      run_harden({"--policy", policy, "--", probe, "syscall", std::to_string(SYS_ptrace)});
  INFO(r.describe());
  REQUIRE(r.killed_by(SIGSYS));
  std::vector<json> by_mine, by_theirs;
  CHECK(daemons::wait_until([&] {
    by_mine = followed_kills(mine.log(), r.pid);
    by_theirs = followed_kills(theirs.log(), r.pid);
    return !by_mine.empty() && !by_theirs.empty();
  }));
  mine.signal(SIGTERM);
  theirs.signal(SIGTERM);
  REQUIRE(mine.wait(std::chrono::seconds(10)));
  REQUIRE(theirs.wait(std::chrono::seconds(10)));
  INFO(mine.describe());
  INFO(theirs.describe());
  REQUIRE(by_mine.size() == 1);
  CHECK(by_mine[0]["syscall"] == "ptrace");
  CHECK(by_mine[0]["decided_by"] == "default_action");
  CHECK(by_mine[0]["origin"] == policy + ":4:18");
  CHECK(by_mine[0]["source"] == "audit netlink");
  REQUIRE(by_theirs.size() == 1);
  CHECK_FALSE(by_theirs[0].contains("decided_by"));
  CHECK(by_theirs[0]["policy_answer"] == "allow");
}

TEST_CASE("denials: --follow refuses what it cannot do, before it starts", "[denials][root]") {
  require_root();
  // --audit-log names a file to read afterwards; with --follow it would be ignored.
  const RunResult both = run_harden({"denials", "--follow", "--audit-log", "/var/log/x"});
  CHECK(both.exited(2));  // a usage error, as for every subcommand that launches nothing
  CHECK_FALSE(both.err.empty());
  // Outside the initial user namespace the kernel refuses the audit group: one message, exit 1.
  const std::string unshare = find_program("unshare");
  REQUIRE_FALSE(unshare.empty());  // util-linux, essential on Debian
  const RunResult inside =
      run({unshare, "--user", "--map-root-user", harden_binary(), "denials", "--follow"},
          RunOptions{.timeout = std::chrono::seconds(10)});
  INFO(inside.describe());
  CHECK(inside.exited(1));
  CHECK(inside.err.find("cannot follow the kernel's audit records") != std::string::npos);
}

TEST_CASE("denials: a kill record written into the kernel log from user space is not believed",
          "[denials][root]") {
  require_root();
  // A process with write access to /dev/kmsg forges the kernel's record of a kill of a pid
  // of its choice, in the kernel's own words (and with the kernel's priority prefix, which
  // the kernel files under the user facility anyway).
  const pid_t victim = 4194301;
  const std::string forged =
      "<5>audit: type=1326 audit(1796570863.104:4242): auid=0 uid=0 "
      "gid=0 ses=1 subj=unconfined pid=" +
      std::to_string(victim) +
      " comm=\"forged\" exe=\"/forged\" sig=31 arch=c000003e "
      "syscall=101 compat=0 ip=0x0 code=0x80000000";
  {
    const int kmsg = ::open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    REQUIRE(kmsg >= 0);
    const ssize_t written = ::write(kmsg, forged.data(), forged.size());
    ::close(kmsg);
    REQUIRE(written == static_cast<ssize_t>(forged.size()));
  }
  RunResult d = run_harden({"denials", "--pid", std::to_string(victim), "--format", "json",
                            "--audit-log", "/nonexistent"});
  INFO(d.describe());
  CHECK(d.exited(1));
  CHECK(json::parse(d.out)["kills"].empty());
}
