// cgroup limits, read back from inside: the probe finds its own cgroup through
// /proc/self/cgroup and reads the limit files there, and a fork bomb stops at pids.max.
// Whichever of v2 or v1 carries a controller on this host is what gets checked.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/harness.hpp"

using namespace harden::test;

namespace {

constexpr auto kTimeout = std::chrono::seconds(20);
constexpr int kExitCgroup = 214;

struct Box {
  TempDir dir{"harden-cgroup"};
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

RunResult sandboxed(const std::string& policy, std::vector<std::string> command,
                    std::vector<std::string> env = {}) {
  std::vector<std::string> args{"--policy", policy, "--"};
  args.insert(args.end(), command.begin(), command.end());
  return run_harden(std::move(args), {.env = std::move(env), .timeout = kTimeout});
}

// The value of whichever of the v2 and v1 file names the probe found.
std::string limit(const std::map<std::string, std::string>& probe, const char* v2, const char* v1) {
  if (const auto it = probe.find(v2); it != probe.end()) return it->second;
  if (const auto it = probe.find(v1); it != probe.end()) return it->second;
  return "(neither " + std::string(v2) + " nor " + std::string(v1) + ")";
}

std::string first_line_of(const std::string& path) {
  const std::string text = read_file(path);
  return text.substr(0, text.find('\n'));
}

void require_controller(const std::string& controller) {
  RunResult r = run_probe({"cgroup-file", controller, "cgroup.procs"});
  if (parse_probe(r.out).count("cgroup.procs") == 0) {
    skip("this host has no cgroup hierarchy with the '" + controller + "' controller");
  }
}

}  // namespace

TEST_CASE("cgroup: memory, pids and cpu limits are set on the target's own cgroup",
          "[cgroup][root]") {
  require_root();
  for (const char* c : {"memory", "pids", "cpu"})
    require_controller(c);
  Box box;
  const std::string name = unique_name("cg");
  const std::string policy =
      box.policy(name, "[cgroup]\nmemory = \"64M\"\npids = 16\ncpu = \"50%\"\n");

  RunResult mem = sandboxed(
      policy, {box.probe, "cgroup-file", "memory", "memory.max", "memory.limit_in_bytes"});
  INFO(mem.describe());
  REQUIRE(mem.exited(kProbeExitOk));
  auto m = parse_probe(mem.out);
  CHECK(m["cgroup"].find("/harden/" + name + "-") != std::string::npos);
  CHECK(limit(m, "memory.max", "memory.limit_in_bytes") == std::to_string(64 << 20));

  RunResult pids = sandboxed(policy, {box.probe, "cgroup-file", "pids", "pids.max"});
  auto p = parse_probe(pids.out);
  CHECK(p["cgroup"].find("/harden/" + name + "-") != std::string::npos);
  CHECK(p["pids.max"] == "16");

  RunResult cpu =
      sandboxed(policy, {box.probe, "cgroup-file", "cpu", "cpu.max", "cpu.cfs_quota_us"});
  auto c = parse_probe(cpu.out);
  const std::string quota = limit(c, "cpu.max", "cpu.cfs_quota_us");
  CHECK((quota == "50000 100000" || quota == "50000"));
}

TEST_CASE("cgroup: a fork bomb stops at pids.max with EAGAIN", "[cgroup][root]") {
  require_root();
  require_controller("pids");
  Box box;
  const std::string name = unique_name("bomb");
  const std::string policy = box.policy(name, "[cgroup]\npids = 8\n");
  const std::string control = box.policy(name + "-control", "");

  RunResult bounded = sandboxed(policy, {box.probe, "fork-many", "64"});
  INFO(bounded.describe());
  CHECK(bounded.exited(kProbeExitErrno));
  auto b = parse_probe(bounded.out);
  CHECK(b["errno"] == "EAGAIN");
  CHECK(std::stoi(b["forked"]) == 7);  // 8 processes: the probe and 7 children

  RunResult free = sandboxed(control, {box.probe, "fork-many", "64"});
  INFO(free.describe());
  CHECK(free.exited(kProbeExitOk));
  CHECK(parse_probe(free.out)["forked"] == "64");
}

TEST_CASE("cgroup: a launch removes empty cgroups whose process is gone", "[cgroup][root]") {
  require_root();
  require_controller("pids");
  Box box;
  const std::string name = unique_name("stale");
  const std::string policy = box.policy(name, "[cgroup]\npids = 8\n");
  // Where launches put their cgroups: harden/ under the pids cgroup we are in.
  RunResult where = run_probe({"cgroup-file", "pids"});
  auto w = parse_probe(where.out);
  REQUIRE(w["version"] == "1");  // this host's pids controller; the path below assumes v1
  std::string own = w["cgroup"] == "/" ? "" : w["cgroup"];
  const std::string base = "/sys/fs/cgroup/pids" + own + "/harden";
  ::mkdir(base.c_str(), 0755);

  // A cgroup named after a process that has exited.
  const pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);
  const std::string stale = base + "/" + name + "-" + std::to_string(gone);
  REQUIRE(::mkdir(stale.c_str(), 0755) == 0);
  struct RemoveGuard {
    std::string path;
    ~RemoveGuard() { ::rmdir(path.c_str()); }
  } guard{stale};

  RunResult r = sandboxed(policy, {box.probe, "cgroup-file", "pids"});
  INFO(r.describe());
  CHECK(r.exited(kProbeExitOk));
  CHECK_FALSE(path_exists(stale));
  // The cgroup of the launch that just ended is empty now and goes with the next launch.
  const std::string previous = base + parse_probe(r.out)["cgroup"].substr(own.size() + 7);
  CHECK(path_exists(previous));
  CHECK(sandboxed(policy, {box.probe, "cgroup-file", "pids"}).exited(kProbeExitOk));
  CHECK_FALSE(path_exists(previous));
}

TEST_CASE("cgroup: INVOCATION_ID set by the caller outside systemd turns no limit off",
          "[cgroup][systemd][root]") {
  require_root();
  require_controller("pids");
  require_controller("memory");
  if (first_line_of("/proc/1/comm") == "systemd") {
    skip("PID 1 is systemd here; this test needs a caller outside any systemd unit");
  }
  Box box;
  // Before: INVOCATION_ID alone made harden believe it ran in a unit; "leave" then skipped
  // every limit without a word, and the default refused the launch.
  for (const std::string mode : {"", "systemd = \"leave\"\n", "systemd = \"fail\"\n"}) {
    INFO("policy: " << mode);
    const std::string name = unique_name("inv");
    const std::string policy = box.policy(name, "[cgroup]\nmemory = \"64M\"\npids = 8\n" + mode);
    RunResult pids = sandboxed(policy, {box.probe, "cgroup-file", "pids", "pids.max"},
                               {"INVOCATION_ID=0123abcd"});
    INFO(pids.describe());
    REQUIRE(pids.exited(kProbeExitOk));
    auto p = parse_probe(pids.out);
    CHECK(p["cgroup"].find("/harden/" + name + "-") != std::string::npos);
    CHECK(p["pids.max"] == "8");
    CHECK(pids.err.find("INVOCATION_ID is set, but harden is not in a unit's cgroup") !=
          std::string::npos);
    RunResult mem = sandboxed(
        policy, {box.probe, "cgroup-file", "memory", "memory.max", "memory.limit_in_bytes"},
        {"INVOCATION_ID=0123abcd"});
    INFO(mem.describe());
    REQUIRE(mem.exited(kProbeExitOk));
    CHECK(limit(parse_probe(mem.out), "memory.max", "memory.limit_in_bytes") ==
          std::to_string(64 << 20));
  }
}
