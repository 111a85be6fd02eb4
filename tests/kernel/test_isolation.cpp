// Namespaces, the constructed root and the PID init, through the real harden binary with the
// probe inside. Each check reads back something that cannot happen by chance: an errno the
// call never returns on the host, host IPC objects that exist but are not visible, a pid
// number, a mount table.
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "enforcer/steps.hpp"
#include "tests/kernel/isolation_support.hpp"
#include "tests/support/harness.hpp"

using namespace harden::test;

TEST_CASE("IPC: host System V objects and POSIX queues are invisible inside", "[ipc][root]") {
  require_root();
  Jail jail;
  HostIpc host(unique_name("harden-ipc"));
  const std::string policy = jail.policy("ipc-private", "");

  RunResult r = run_harden({"--policy", policy, "--", jail.probe(), "ipc-open",
                            std::to_string(host.key()), host.queue()});
  INFO(r.describe());
  REQUIRE(r.exited(kProbeExitOk));
  auto s = parse_probe(r.out);
  CHECK(s["shm"] == "ENOENT");
  CHECK(s["msg"] == "ENOENT");
  CHECK(s["sem"] == "ENOENT");
  CHECK(s["mq"] == "ENOENT");

  // The same probe with ipc = "host" sees all four: the objects are there to be found.
  const std::string shared = jail.policy("ipc-host", "[namespaces]\nipc = \"host\"\n");
  RunResult control = run_harden({"--policy", shared, "--", jail.probe(), "ipc-open",
                                  std::to_string(host.key()), host.queue()});
  INFO(control.describe());
  auto c = parse_probe(control.out);
  CHECK(c["shm"] == "ok");
  CHECK(c["msg"] == "ok");
  CHECK(c["sem"] == "ok");
  CHECK(c["mq"] == "ok");
}

TEST_CASE("IPC: what the sandbox creates is gone for the host", "[ipc][root]") {
  require_root();
  Jail jail;
  HostIpc names(unique_name("harden-ipc"), /*create=*/false);
  const std::string policy = jail.policy("ipc-create", "");
  RunResult r = run_harden({"--policy", policy, "--", jail.probe(), "ipc-create",
                            std::to_string(names.key()), names.queue()});
  INFO(r.describe());
  REQUIRE(r.exited(kProbeExitOk));
  auto s = parse_probe(r.out);
  CHECK(s["shm"] == "ok");
  CHECK(s["msg"] == "ok");
  CHECK(s["sem"] == "ok");
  CHECK(s["mq"] == "ok");
  CHECK(::shmget(names.key(), 0, 0) == -1);
  CHECK(::msgget(names.key(), 0) == -1);
  CHECK(::semget(names.key(), 0, 0) == -1);
  const mqd_t q = ::mq_open(names.queue().c_str(), O_RDONLY);
  CHECK(q == static_cast<mqd_t>(-1));
  if (q != static_cast<mqd_t>(-1)) ::mq_close(q);
}

TEST_CASE("UTS and network namespaces: own hostname, only lo, and it is up", "[namespaces][root]") {
  require_root();
  Jail jail;
  const std::string policy =
      jail.policy("uts-net", "[namespaces]\nhostname = \"harden-box\"\nnet = \"loopback\"\n");
  RunResult r = run_harden({"--policy", policy, "--", jail.probe(), "status"});
  INFO(r.describe());
  REQUIRE(r.exited(kProbeExitOk));
  CHECK(parse_probe(r.out)["hostname"] == "harden-box");
  // lo is up: a TCP connect to a closed port on 127.0.0.1 is refused at once (with lo down
  // it would fail with ENETUNREACH).
  RunResult c =
      run_harden({"--policy", policy, "--", jail.probe(), "connect-tcp", "127.0.0.1", "9"});
  INFO(c.describe());
  CHECK(parse_probe(c.out)["errno"] == "ECONNREFUSED");
  RunResult links = run_harden({"--policy", policy, "--", jail.probe(), "cat", "/proc/net/dev"});
  INFO(links.describe());
  auto lines = probe_values(links.out, "line");
  REQUIRE(lines.size() == 3);  // two header lines and lo
  CHECK(lines[2].find("lo:") != std::string::npos);
}

TEST_CASE("constructed root: read-only binds, absent host paths, a writable tmpfs",
          "[filesystem][root]") {
  require_root();
  Jail jail;
  const std::string rw = jail.dir.mkdir("rw", 0755);
  const std::string policy = jail.root_policy("root-view", "read_write = [\"" + rw + "\"]\n");

  RunResult ro =
      run_harden({"--policy", policy, "--", jail.probe(), "write", jail.bin() + "/x", "x"});
  INFO(ro.describe());
  CHECK(ro.exited(kProbeExitErrno));
  CHECK(parse_probe(ro.out)["errno"] == "EROFS");

  RunResult root = run_harden({"--policy", policy, "--", jail.probe(), "touch", "/new-file"});
  INFO(root.describe());
  CHECK(parse_probe(root.out)["errno"] == "EROFS");

  RunResult tmp = run_harden({"--policy", policy, "--", jail.probe(), "write", "/tmp/x", "x"});
  INFO(tmp.describe());
  CHECK(tmp.exited(kProbeExitOk));

  RunResult shared =
      run_harden({"--policy", policy, "--", jail.probe(), "write", rw + "/out", "hi"});
  INFO(shared.describe());
  CHECK(shared.exited(kProbeExitOk));
  CHECK(read_file(rw + "/out") == "hi");

  for (const std::string& host_path : {std::string("/etc/passwd"), jail.dir.file("marker"),
                                       std::string("/root"), std::string("/var")}) {
    INFO(host_path);
    RunResult absent = run_harden({"--policy", policy, "--", jail.probe(), "open", host_path});
    CHECK(parse_probe(absent.out)["errno"] == "ENOENT");
  }
  RunResult top = run_harden({"--policy", policy, "--", jail.probe(), "ls", "/"});
  INFO(top.describe());
  auto entries = probe_values(top.out, "entry");
  // The probe's directory and rw/ live under /tmp on the host, so inside they sit in the
  // tmpfs at /tmp; nothing else of the host is there.
  CHECK(entries == std::vector<std::string>{"dev", "proc", "tmp"});

  RunResult sys = run_harden(
      {"--policy", policy, "--", jail.probe(), "write", "/proc/sys/kernel/hostname", "x"});
  INFO(sys.describe());
  CHECK(parse_probe(sys.out)["errno"] == "EROFS");
}

TEST_CASE("constructed root: no shared propagation, old root gone", "[filesystem][root]") {
  require_root();
  Jail jail;
  const std::string policy = jail.root_policy("root-mounts", "");
  RunResult r = run_harden({"--policy", policy, "--", jail.probe(), "cat", "/proc/self/mountinfo"});
  INFO(r.describe());
  REQUIRE(r.exited(kProbeExitOk));
  auto lines = probe_values(r.out, "line");
  REQUIRE(lines.size() >= 5);
  for (const std::string& line : lines) {
    INFO(line);
    CHECK(line.find(" shared:") == std::string::npos);
    CHECK(line.find(" master:") == std::string::npos);
    // Every mount is nosuid; the device binds are the only ones without nodev.
    CHECK(line.find("nosuid") != std::string::npos);
    if (line.find(" /dev/") == std::string::npos) CHECK(line.find("nodev") != std::string::npos);
  }
  // The root is the tmpfs, read-only; nothing of the host's root is mounted anywhere.
  bool root_found = false;
  for (const std::string& line : lines) {
    const auto fields = split_fields(line);
    if (fields.size() > 4 && fields[4] == "/") {
      root_found = true;
      CHECK(line.find(" - tmpfs ") != std::string::npos);
      CHECK(fields[5].starts_with("ro,"));
    }
  }
  CHECK(root_found);
}

TEST_CASE("constructed root: chdir(\"..\") and a second chroot cannot reach the host",
          "[filesystem][root]") {
  require_root();
  Jail jail;
  write_file(jail.dir.file("marker"), "host only");
  const std::string policy = jail.root_policy(
      "root-escape", "",
      "[capabilities]\nkeep = [\"CAP_SYS_CHROOT\"]\n[exec]\nworking_directory = \"/tmp\"\n");
  RunResult r = run_harden(
      {"--policy", policy, "--", jail.probe(), "chroot-escape", jail.dir.file("marker")});
  INFO(r.describe());
  REQUIRE(r.exited(kProbeExitOk));
  auto s = parse_probe(r.out);
  CHECK(s["chroot"] == "ok");  // the attempt was real
  CHECK(s["chroot_dot"] == "ok");
  CHECK(s["escaped"] == "no");
}

TEST_CASE("constructed root: a symlink planted at a mount target stops the launch",
          "[filesystem][root]") {
  require_root();
  Jail jail;
  // A writable directory of the service, where an earlier run replaced its cache directory
  // with a link to a host directory.
  const std::string data = jail.dir.mkdir("data", 0755);
  const std::string victim = jail.dir.mkdir("victim", 0755);
  write_file(victim + "/keep", "untouched");
  REQUIRE(::symlink(victim.c_str(), (data + "/cache").c_str()) == 0);
  const std::string policy = jail.policy(
      "root-symlink", "[filesystem]\nread_only = [\"" + jail.bin() + "\"]\nread_write = [\"" +
                          data + "\"]\ntmpfs = [\"" + data + "/cache\"]\n");
  RunResult r = run_harden({"--policy", policy, "--", jail.probe(), "write-stdout", "TARGET-RAN"});
  INFO(r.describe());
  CHECK(r.exited(harden::exit_code::kMounts));
  CHECK(r.err.find("symlink") != std::string::npos);
  CHECK(r.err.find("the target was not started") != std::string::npos);
  CHECK(r.out.find("TARGET-RAN") == std::string::npos);
  CHECK(read_file(victim + "/keep") == "untouched");
}

TEST_CASE("PID namespace: the target is PID 2 under harden as PID 1 and sees no host process",
          "[pid][root]") {
  require_root();
  Jail jail;
  const std::string policy = jail.root_policy("pid-view", "", "[namespaces]\npid = true\n");
  RunResult r = run_harden({"--policy", policy, "--", jail.probe(), "status"});
  INFO(r.describe());
  REQUIRE(r.exited(kProbeExitOk));
  auto s = parse_probe(r.out);
  CHECK(s["pid"] == "2");
  CHECK(s["ppid"] == "1");
  RunResult ls = run_harden({"--policy", policy, "--", jail.probe(), "ls", "/proc"});
  INFO(ls.describe());
  std::vector<std::string> pids;
  for (const std::string& e : probe_values(ls.out, "entry")) {
    if (!e.empty() && std::isdigit(static_cast<unsigned char>(e[0]))) pids.push_back(e);
  }
  CHECK(pids == std::vector<std::string>{"1", "2"});
}

TEST_CASE("PID namespace: exit codes propagate, a signal death comes back as 128+signal",
          "[pid][root]") {
  require_root();
  Jail jail;
  const std::string policy = jail.policy("pid-exit", "[namespaces]\npid = true\n");
  RunResult code = run_harden({"--policy", policy, "--", jail.probe(), "syscall", "231", "42"});
  INFO(code.describe());
  CHECK(code.exited(42));
  RunResult killed = run_harden({"--policy", policy, "--", jail.probe(), "kill", "0", "15"});
  INFO(killed.describe());
  CHECK(killed.exited(128 + SIGTERM));
}

TEST_CASE("PID namespace: harden as PID 1 adopts and reaps orphans", "[pid][root]") {
  require_root();
  Jail jail;
  const std::string policy = jail.root_policy("pid-orphans", "", "[namespaces]\npid = true\n");
  RunResult r = run_harden({"--policy", policy, "--", jail.probe(), "orphan"});
  INFO(r.describe());
  REQUIRE(r.exited(kProbeExitOk));
  auto s = parse_probe(r.out);
  CHECK(s["orphan_ppid"] == "1");
  CHECK(s["orphan_reaped"] == "yes");
}

TEST_CASE("PID namespace: signals to harden reach the target", "[pid][root]") {
  require_root();
  Jail jail;
  const std::string policy = jail.policy("pid-signals", "[namespaces]\npid = true\n");
  for (const int sig : {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGINT}) {
    INFO("signal " << sig);
    SignalledRun r = run_and_signal(
        {harden_binary(), "--policy", policy, "--", jail.probe(), "wait-signal", "20"}, sig);
    INFO(r.out);
    CHECK(r.status_exited);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find(std::string("signal: ") + sigabbrev_np(sig)) != std::string::npos);
  }
}

TEST_CASE("PID namespace: Ctrl-C at a terminal reaches the target once", "[pid][root]") {
  require_root();
  Jail jail;
  const std::string policy = jail.policy("pid-ctrl-c", "[namespaces]\npid = true\n");
  // The terminal signals harden's whole foreground group; harden forwards what it gets.
  SignalledRun r = run_and_signal(
      {harden_binary(), "--policy", policy, "--", jail.probe(), "count-signals", "1"}, SIGINT,
      SignalTarget::process_group);
  INFO(r.out);
  CHECK(r.status_exited);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("signals: 1\n") != std::string::npos);
}

TEST_CASE("PID namespace: when harden dies, the target dies", "[pid][root]") {
  require_root();
  Jail jail;
  const std::string policy = jail.policy("pid-deathsig", "[namespaces]\npid = true\n");
  SignalledRun r = run_and_signal(
      {harden_binary(), "--policy", policy, "--", jail.probe(), "wait-signal", "20"}, SIGKILL);
  CHECK(r.term_signal == SIGKILL);
  REQUIRE(r.target_pid > 0);
  // The target's host pid, read before the kill, is gone shortly after.
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    gone = ::kill(r.target_pid, 0) != 0;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(gone);
}
