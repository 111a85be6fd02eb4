// A launch that does not reach execve leaves the host as it found it: for each host step
// (audit, nftables, cgroup), a later step is made to fail (an LSM label the kernel refuses, a
// working directory that does not exist, a program that cannot be found) before and after the
// privilege drop, with and without a supervisor, and the host's state is read back with the
// real tools: `auditctl -l`, `nft list tables` / `list table`, the cgroup tree. Every object a
// test makes has a unique name and is removed by an RAII guard, whatever happens.
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "enforcer/host.hpp"
#include "enforcer/steps.hpp"
#include "plan/nft_script.hpp"
#include "tests/kernel/audit_support.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/netns.hpp"

using namespace harden::test;
namespace fs = std::filesystem;
namespace exit_code = harden::exit_code;

namespace {

constexpr auto kTimeout = std::chrono::seconds(30);

// Every policy below runs the target as this user: the host steps' policies need one.
const std::string kIdentity = "[identity]\nuser = \"65534\"\ngroup = \"65534\"\n";

// The ways a launch is made to fail after the host steps, and the code it must end with.
struct Failure {
  std::string what;
  std::string policy;                // policy text appended to the host step's
  std::vector<std::string> options;  // harden options before --policy
  std::string program;               // the target ("" : the probe)
  int code;
};

std::vector<Failure> failures(const std::string& probe) {
  return {
      // Before any fork or privilege drop.
      {"an LSM label the kernel refuses",
       "[lsm]\napparmor_profile = \"harden-no-such\"\n",
       {},
       "",
       exit_code::kLsm},
      // After the uid change: harden can no longer undo anything itself.
      {"a working directory that does not exist",
       "[exec]\nworking_directory = "
       "\"/harden-no-such-dir\"\n",
       {},
       "",
       exit_code::kWorkingDirectory},
      {"a program that cannot be found, under the seccomp filter",
       "[seccomp]\ndefault_action = "
       "\"errno:EPERM\"\nallow = [\"@system-service\"]\n",
       {},
       probe + ".no-such-program",
       exit_code::kNotFound},
      // A filter that allows little more than execve: waiting for the guardian must need
      // nothing else (close or read would be killed, and the exit status lost).
      {"a program that cannot be found, under a filter that kills nearly everything",
       "[seccomp]\ndefault_action = \"kill-process\"\nallow = [\"@default\", \"write\"]\n",
       {},
       probe + ".no-such-program",
       exit_code::kNotFound},
      {"a program that cannot be executed (no execute permission)",
       "",
       {},
       probe + ".plain",
       exit_code::kCannotExecute},
      // In the child of a supervisor.
      {"a working directory that does not exist, supervised",
       "[exec]\nworking_directory = "
       "\"/harden-no-such-dir\"\n",
       {"--supervise"},
       "",
       exit_code::kWorkingDirectory},
  };
}

RunResult launch(const std::vector<std::string>& prefix, const std::string& policy,
                 const Failure& failure, const std::string& probe, const std::string& marker) {
  std::vector<std::string> argv = prefix;
  argv.push_back(harden_binary());
  argv.insert(argv.end(), failure.options.begin(), failure.options.end());
  argv.insert(argv.end(), {"--policy", policy, "--"});
  if (failure.program.empty()) {
    argv.insert(argv.end(), {probe, "touch", marker});
  } else {
    argv.push_back(failure.program);
  }
  return run(argv, {.timeout = kTimeout});
}

// Polls until `now()` equals `before` (the guardian removes a cgroup once the launch's last
// process has left it); returns the last value seen. Generous: under a sanitizer and a busy
// machine the launch's processes take seconds to exit (ASan's exit work) and leave it; and
// longer than the guardian's own wait (30 s), so a guardian that gives up is seen giving up.
std::vector<std::string> settled(const std::vector<std::string>& before,
                                 const std::function<std::vector<std::string>()>& now) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  auto seen = now();
  while (seen != before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    seen = now();
  }
  return seen;
}

struct Box {
  TempDir dir{"harden-rollback"};
  std::string probe, marker;
  Box() {
    dir.chmod(0755);
    probe = dir.file("probe");
    copy_file(probe_binary(), probe, 0755);
    write_file(probe + ".plain", "#!/bin/sh\nexit 0\n", 0644);  // see failures()
    marker = dir.file("target-ran");
  }
};

// ---- audit ---------------------------------------------------------------------------------

std::string auditctl_list() {
  const RunResult listed = run({"auditctl", "-l"});
  REQUIRE(listed.exited(0));
  return listed.out;
}

// ---- cgroup --------------------------------------------------------------------------------

// Where launches put their cgroups (own cgroup + /harden) for each v1 controller line or the
// v2 one, with the entries of this policy's launches and whether the base exists.
std::vector<std::string> cgroup_tree(const std::string& name) {
  std::vector<std::string> out;
  std::istringstream lines(read_file("/proc/self/cgroup"));
  for (std::string line; std::getline(lines, line);) {
    const size_t first = line.find(':'), second = line.find(':', first + 1);
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    std::string mount;
    if (controllers == "pids" || controllers == "memory") {
      mount = "/sys/fs/cgroup/" + controllers;
    } else if (controllers.empty()) {
      mount = path_exists("/sys/fs/cgroup/unified/cgroup.controllers") ? "/sys/fs/cgroup/unified"
                                                                       : "/sys/fs/cgroup";
    } else {
      continue;
    }
    const std::string base = mount + (path == "/" ? "" : path) + "/harden";
    out.push_back(base + (path_exists(base) ? " exists" : " absent"));
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(base, ec)) {
      const std::string entry_name = entry.path().filename().string();
      if (entry_name.rfind(name + "-", 0) == 0) out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// For a failure message: the processes still in the launch cgroups of `tree`, with their state
// and command, so a cgroup that outlives its launch says who keeps it.
std::string who_is_in(const std::vector<std::string>& tree) {
  std::string out;
  for (const std::string& entry : tree) {
    if (entry.find(' ') != std::string::npos) continue;
    out += entry + " holds:";
    std::istringstream pids(read_file(entry + "/cgroup.procs"));
    for (std::string pid; std::getline(pids, pid);) {
      std::string stat;
      try {
        stat = read_file("/proc/" + pid + "/stat");
      } catch (const std::exception&) {
        stat = "(gone)";
      }
      out += " [" + stat.substr(0, stat.find(')') + 4) + "]";
    }
    out += "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("rollback: a refused launch leaves no audit rule behind, and keeps those it found",
          "[rollback][audit][root]") {
  require_root();
  Box box;
  const std::string name = unique_name("rba");
  AuditRulesGuard guard(name);
  const std::string rules = "[policy]\nname = \"" + name + "\"\n" + kIdentity +
                            "[[audit.watch]]\npath = \"" + box.dir.file("watched") +
                            "\"\n[[audit.syscall]]\nsyscalls = " + "[\"kexec_load\"]\n";
  for (const Failure& failure : failures(box.probe)) {
    INFO(failure.what);
    const std::string policy = write_policy(box.dir, "audit", rules + failure.policy);
    const std::string before = auditctl_list();
    REQUIRE(before.find("harden:" + name) == std::string::npos);
    const RunResult r = launch({}, policy, failure, box.probe, box.marker);
    INFO(r.describe());
    CHECK(r.exited(failure.code));
    CHECK_FALSE(path_exists(box.marker));
    CHECK(r.err.find("cannot undo") == std::string::npos);
    CHECK(auditctl_list() == before);
  }

  // Rules that were there before the launch are not its to remove.
  const std::string policy = write_policy(box.dir, "audit", rules);
  REQUIRE(run_harden({"--policy", policy, "--", box.probe, "write-stdout", "ran"}).exited(0));
  const std::string installed = auditctl_list();
  REQUIRE(installed.find("harden:" + name) != std::string::npos);
  const Failure refused = failures(box.probe)[1];
  const RunResult r = launch({}, write_policy(box.dir, "audit", rules + refused.policy), refused,
                             box.probe, box.marker);
  INFO(r.describe());
  CHECK(r.exited(refused.code));
  CHECK(auditctl_list() == installed);
}

TEST_CASE("rollback: a refused launch removes the nft table it made, restores one it replaced",
          "[rollback][nftables][root]") {
  require_root();
  Box box;
  TestNetns ns;
  const std::string name = unique_name("rbn");
  const std::string table = "harden_" + name;
  const std::string firewall = "[policy]\nname = \"" + name + "\"\n" + kIdentity +
                               "[network]\nscope = \"uid\"\negress = \"accept\"\n"
                               "[[network.allow]]\ndirection = \"egress\"\nprotocol = \"tcp\"\n"
                               "ports = [8080]\n";
  const auto list = [&](const std::string& command) {
    std::string out;
    ns.in([&] {
      auto result = harden::host::nft_run(command);
      out = result ? *result : "ERROR: " + result.error();
    });
    return out;
  };
  // Within the test's namespace nothing of anyone else's is touched; `nft` itself reads back.
  const auto nft_tables = [&] {
    std::vector<std::string> argv = ns.nsenter_prefix();
    argv.insert(argv.end(), {"nft", "list", "tables"});
    const RunResult listed = run(argv);
    REQUIRE(listed.exited(0));
    return listed.out;
  };
  for (const Failure& failure : failures(box.probe)) {
    INFO(failure.what);
    const std::string policy = write_policy(box.dir, "nft", firewall + failure.policy);
    const std::string before = nft_tables();
    REQUIRE(before.find(table) == std::string::npos);
    const RunResult r = launch(ns.nsenter_prefix(), policy, failure, box.probe, box.marker);
    INFO(r.describe());
    CHECK(r.exited(failure.code));
    CHECK_FALSE(path_exists(box.marker));
    CHECK(r.err.find("cannot undo") == std::string::npos);
    CHECK(nft_tables() == before);
  }

  // A table of the same name that was there before comes back as it was.
  REQUIRE(list("table inet " + table + " {\n chain keep {\n counter comment \"before\"\n }\n}\n") ==
          "");
  const std::string before = list("list table inet " + table);
  REQUIRE(before.find("comment \"before\"") != std::string::npos);
  const Failure refused = failures(box.probe)[1];
  const RunResult r =
      launch(ns.nsenter_prefix(), write_policy(box.dir, "nft", firewall + refused.policy), refused,
             box.probe, box.marker);
  INFO(r.describe());
  CHECK(r.exited(refused.code));
  CHECK(list("list table inet " + table) == before);
}

TEST_CASE("rollback: a refused launch removes the cgroups it made", "[rollback][cgroup][root]") {
  require_root();
  Box box;
  const std::string name = unique_name("rbc");
  const std::string limits =
      "[policy]\nname = \"" + name + "\"\n" + kIdentity + "[cgroup]\npids = 16\n";
  const std::string probe_cgroup = run_probe({"cgroup-file", "pids", "cgroup.procs"}).out;
  if (probe_cgroup.find("cgroup.procs") == std::string::npos) {
    skip("this host has no cgroup hierarchy with the 'pids' controller");
  }
  struct Cleanup {
    std::string name;
    ~Cleanup() {
      for (const std::string& entry : cgroup_tree(name)) {
        if (entry.find(" ") == std::string::npos) ::rmdir(entry.c_str());
      }
    }
  } cleanup{name};
  for (const Failure& failure : failures(box.probe)) {
    INFO(failure.what);
    const std::string policy = write_policy(box.dir, "cg", limits + failure.policy);
    const std::vector<std::string> before = cgroup_tree(name);
    const RunResult r = launch({}, policy, failure, box.probe, box.marker);
    INFO(r.describe());
    CHECK(r.exited(failure.code));
    CHECK_FALSE(path_exists(box.marker));
    CHECK(r.err.find("cannot undo") == std::string::npos);
    const std::vector<std::string> after = settled(before, [&] { return cgroup_tree(name); });
    INFO(who_is_in(after));
    CHECK(after == before);
  }
  // Control: a launch that runs keeps its cgroup (removed by a later launch once empty).
  const RunResult ran = run_harden(
      {"--policy", write_policy(box.dir, "cg", limits), "--", box.probe, "cgroup-file", "pids"});
  INFO(ran.describe());
  REQUIRE(ran.exited(kProbeExitOk));
  CHECK(parse_probe(ran.out)["cgroup"].find("/harden/" + name + "-") != std::string::npos);
}

TEST_CASE("rollback: harden killed before execve leaves no audit rule and no cgroup behind",
          "[rollback][audit][cgroup][root]") {
  require_root();
  Box box;
  const std::string name = unique_name("rbk");
  AuditRulesGuard guard(name);
  struct Cleanup {
    std::string name;
    ~Cleanup() {
      for (const std::string& entry : cgroup_tree(name)) {
        if (entry.find(" ") == std::string::npos) ::rmdir(entry.c_str());
      }
    }
  } cleanup{name};
  // The attacker's timing, made exact: a parent filter kills harden (SIGSYS, no clean-up of
  // its own runs) at its first fchdir(2), the working-directory step, after the uid change.
  const std::string policy =
      write_policy(box.dir, "killed",
                   "[policy]\nname = \"" + name + "\"\n" + kIdentity +
                       "[exec]\nworking_directory = \"/\"\n[cgroup]\npids = 16\n"
                       "[[audit.watch]]\npath = \"" +
                       box.dir.file("watched") + "\"\n");
  const std::string audit_before = auditctl_list();
  const std::vector<std::string> tree_before = cgroup_tree(name);
  const RunResult r =
      run({probe_binary(), "kill-on-syscall", std::to_string(SYS_fchdir), harden_binary(),
           "--policy", policy, "--", box.probe, "touch", box.marker},
          {.timeout = kTimeout});
  INFO(r.describe());
  CHECK(r.killed_by(SIGSYS));
  CHECK_FALSE(path_exists(box.marker));
  CHECK(settled({audit_before}, [] { return std::vector<std::string>{auditctl_list()}; }) ==
        std::vector<std::string>{audit_before});
  CHECK(settled(tree_before, [&] { return cgroup_tree(name); }) == tree_before);
}
