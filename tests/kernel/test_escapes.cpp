// Attack tests: a hostile target trying to walk out of what the policy grants through harden's
// own machinery (its supervisor, its session handling, its exec lock). Each case is an attack
// that worked against an earlier harden; the test proves it no longer does.
#include <catch2/catch.hpp>

#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <string>

#include "tests/support/harness.hpp"

using namespace harden::test;

namespace {

constexpr auto kTimeout = std::chrono::seconds(20);

// The probe where a dropped user can run it, and a policy around it.
struct Box {
  TempDir dir{"harden-escape"};
  std::string probe;
  Box() {
    dir.chmod(0755);
    probe = dir.file("probe");
    copy_file(probe_binary(), probe, 0755);
  }
  std::string policy(const std::string& name, const std::string& body) const {
    return write_policy(dir, name, "[policy]\nname = \"" + name + "\"\n\n" + body);
  }
};

const std::string kNobody = "[identity]\nuser = \"nobody\"\ngroup = \"nogroup\"\n\n";
const std::string kKillSeccomp =
    "[seccomp]\ndefault_action = \"kill-process\"\nallow = [\"@system-service\"]\n";
const std::string kErrnoSeccomp =
    "[seccomp]\ndefault_action = \"errno:EACCES\"\nallow = [\"@system-service\"]\n";

// The two ways harden keeps a supervisor: --supervise, and PID 1 of a PID namespace.
struct Supervised {
  const char* name;
  std::string extra_policy;
  std::vector<std::string> flags;
};
const Supervised kSupervised[] = {
    {"--supervise", "", {"--supervise"}},
    {"pid = true", "[namespaces]\npid = true\nmount = true\n\n", {}},
};

RunResult launch(const std::string& policy, const std::vector<std::string>& flags,
                 const std::vector<std::string>& command) {
  std::vector<std::string> args{"--policy", policy};
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back("--");
  args.insert(args.end(), command.begin(), command.end());
  return run_harden(args, {.timeout = kTimeout});
}

// The kernel's kill: the target dies of SIGSYS. Under a PID namespace PID 1 cannot die of a
// signal and exits with 128 + SIGSYS, which the outer supervisor passes on.
bool killed_by_filter(const RunResult& r) {
  return r.killed_by(SIGSYS) || r.exited(128 + SIGSYS);
}

}  // namespace

TEST_CASE("a kill verdict is the kernel's: no thread, signal or orphan survives it",
          "[escape][supervise][root]") {
  require_root();
  Box box;
  for (const Supervised& how : kSupervised) {
    INFO(how.name);
    const std::string policy = box.policy("kill", kNobody + how.extra_policy + kKillSeccomp);
    // ptrace (101) is not in @system-service.
    SECTION(std::string("a second thread makes the call: ") + how.name) {
      RunResult r = launch(policy, how.flags, {box.probe, "dodge", "thread", "101"});
      INFO(r.describe());
      CHECK(killed_by_filter(r));
      CHECK(r.out.find("thread_returned") == std::string::npos);
      CHECK(r.out.find("main_alive") == std::string::npos);
    }
    SECTION(std::string("a signal handler without SA_RESTART interrupts the wait: ") + how.name) {
      RunResult r = launch(policy, how.flags, {box.probe, "dodge", "eintr", "101"});
      INFO(r.describe());
      CHECK(killed_by_filter(r));
      CHECK(r.out.find("eintr_returned") == std::string::npos);
    }
    SECTION(std::string("a call of another ABI (x32) from a thread: ") + how.name) {
      RunResult r = launch(policy, how.flags, {box.probe, "dodge", "thread", "0x40000027"});
      INFO(r.describe());
      CHECK(killed_by_filter(r));
      CHECK(r.out.find("thread_returned") == std::string::npos);
    }
  }
  SECTION("an orphan left behind after the target exits") {
    const std::string policy = box.policy("orphan", kNobody + kKillSeccomp);
    RunResult r = launch(policy, {"--supervise"}, {box.probe, "dodge", "orphan", "101"});
    INFO(r.describe());
    CHECK(r.exited(kProbeExitOk));
    // The orphan's output is captured (the harness reads until every writer is gone)...
    REQUIRE(r.out.find("orphan_calling: 101") != std::string::npos);
    // ...and its denied call never came back.
    CHECK(r.out.find("orphan_returned") == std::string::npos);
  }
}

TEST_CASE("errno answers from the supervisor cannot be turned into ENOSYS",
          "[escape][supervise][root]") {
  require_root();
  Box box;
  SECTION("a target with the supervisor's uid cannot signal it (Landlock signal scope)") {
    const std::string policy = box.policy("same-uid", kErrnoSeccomp);  // no [identity]: root
    RunResult r = launch(policy, {"--supervise"}, {box.probe, "dodge", "kill-parent", "101"});
    INFO(r.describe());
    CHECK(r.exited(kProbeExitOk));
    const auto seen = parse_probe(r.out);
    CHECK(seen.at("kill_parent") == "failed");
    CHECK(seen.at("kill_parent_errno") == "EPERM");
    CHECK(seen.at("after_kill_errno") == "EACCES");  // the policy's answer, not ENOSYS
  }
  SECTION("an orphan is still answered after the target exits") {
    const std::string policy = box.policy("orphan-errno", kNobody + kErrnoSeccomp);
    RunResult r = launch(policy, {"--supervise"}, {box.probe, "dodge", "orphan", "101"});
    INFO(r.describe());
    REQUIRE(r.out.find("orphan_calling: 101") != std::string::npos);
    CHECK(parse_probe(r.out)["orphan_errno"] == "EACCES");
  }
}

TEST_CASE("a kill is reported from the kernel's audit record", "[escape][supervise][root]") {
  require_root();
  Box box;
  const std::string policy = box.policy("report", kNobody + kKillSeccomp);
  SECTION("auditing on: the call and the policy line are named") {
    const AuditingOn auditing;
    RunResult r = launch(policy, {"--supervise"}, {box.probe, "ptrace"});
    INFO(r.describe());
    CHECK(r.killed_by(SIGSYS));
    CHECK(r.err.find("seccomp denied ptrace (nr 101) in pid ") != std::string::npos);
    CHECK(r.err.find("(probe): kill-process, from default_action at " + policy + ":9:") !=
          std::string::npos);
  }
  SECTION("auditing off: the kill is still reported, with what is missing") {
    const AuditingOn auditing_off(false);
    if (auditing_off.locked()) skip("kernel auditing is locked on (enabled 2): it cannot be off");
    RunResult r = launch(policy, {"--supervise"}, {box.probe, "ptrace"});
    INFO(r.describe());
    CHECK(r.killed_by(SIGSYS));
    CHECK(r.err.find("killed by its seccomp filter (SIGSYS)") != std::string::npos);
    CHECK(r.err.find("kernel auditing is off") != std::string::npos);
  }
}

TEST_CASE("a session leader's terminal never reaches the target (TIOCSTI)",
          "[escape][session][root]") {
  require_root();
  Box box;
  const std::string policy = box.policy("tty", kNobody + kKillSeccomp);
  // forkpty(): the child leads a new session whose controlling terminal is the pty, as under
  // script, ssh -t or tmux; it then becomes harden itself (exec).
  int master = -1;
  const pid_t child = forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(child >= 0);
  if (child == 0) {
    const std::string harden = harden_binary();
    execl(harden.c_str(), harden.c_str(), "--policy", policy.c_str(), "--", box.probe.c_str(),
          "tiocsti", "id\n", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string screen;
  for (;;) {
    pollfd ready{master, POLLIN, 0};
    if (poll(&ready, 1, 10000) <= 0) break;
    char buffer[512];
    const ssize_t n = read(master, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO once every writer is gone
    screen.append(buffer, static_cast<size_t>(n));
  }
  int status = 0;
  waitpid(child, &status, 0);
  close(master);
  INFO(screen);
  CHECK(screen.find("controlling_tty: no") != std::string::npos);
  CHECK(screen.find("tiocsti: failed") != std::string::npos);
  CHECK(screen.find("tiocsti: ok") == std::string::npos);
}

TEST_CASE("the exec lock holds against the ELF interpreter run as a program",
          "[escape][exec-lock][landlock][root]") {
  require_root();
  Box box;
  // Everything readable, so only the execute right could stop a program.
  const std::string policy = box.policy("lock", kNobody + "[landlock]\nread = [\"/\"]\n");
  const std::string marker = "pwned-" + unique_name("x");
  SECTION("ld.so started by the target cannot load another program") {
    RunResult r =
        launch(policy, {}, {"/bin/sh", "-c", "/lib64/ld-linux-x86-64.so.2 /bin/echo " + marker});
    INFO(r.describe());
    CHECK(r.out.find(marker) == std::string::npos);
    CHECK(r.exited(126));  // the shell's "cannot execute"
    CHECK(r.err.find("exec lock") != std::string::npos);
  }
  SECTION("nor can the target execute itself again") {
    RunResult r = launch(policy, {}, {box.probe, "exec", box.probe, "write-stdout", "again\n"});
    INFO(r.describe());
    CHECK(r.exited(kProbeExitErrno));
    CHECK(parse_probe(r.out)["errno"] == "EACCES");
  }
  SECTION("the target itself starts, and stays unaffected otherwise") {
    RunResult r = launch(policy, {}, {"/bin/sh", "-c", "exit 3"});
    INFO(r.describe());
    CHECK(r.exited(3));
  }
}

TEST_CASE("LISTEN_FDS naming a closed fd stops the launch", "[escape][systemd][root]") {
  require_root();
  Box box;
  const std::string policy = box.policy("listen", kNobody + kKillSeccomp);
  // fd 3 is open, 4 and 5 are not: whatever harden opened there would be kept for the target.
  const std::string line = "exec env LISTEN_PID=$$ LISTEN_FDS=3 " + harden_binary() + " --policy " +
                           policy + " -- " + box.probe + " status";
  RunResult r = run({"/bin/sh", "-c", line}, {.leaked_fds = {3}, .timeout = kTimeout});
  INFO(r.describe());
  CHECK_FALSE(r.exited(0));
  CHECK(r.err.find("LISTEN_FDS=3 names fd 4, but it is not open") != std::string::npos);
  CHECK(r.out.find("pid:") == std::string::npos);  // the target never ran
}
