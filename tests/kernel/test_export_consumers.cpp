// Exports checked by the programs that consume them: systemd-analyze accepts the drop-ins
// and scores the native ones; crun runs a container under an exported seccomp profile, in
// which the probe is denied the call the policy forbids and allowed the one it permits.
#include <catch2/catch.hpp>

#include <sys/syscall.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "tests/support/harness.hpp"

using namespace harden::test;
namespace fs = std::filesystem;

namespace {

// Policies shipped with harden (and the examples), each exported both ways.
std::vector<fs::path> shipped_policies() {
  std::vector<fs::path> out;
  for (const char* dir : {"policies", "examples"}) {
    const fs::path root = fs::path(source_dir()) / dir;
    if (!fs::exists(root)) continue;
    for (const auto& entry : fs::directory_iterator(root)) {
      if (entry.path().extension() == ".toml") out.push_back(entry.path());
    }
  }
  std::ranges::sort(out);
  return out;
}

// A complete unit: a [Unit] header plus the drop-in (systemd-analyze reads unit files).
std::string unit_from(const std::string& drop_in) {
  return "[Unit]\nDescription=harden export test\n" + drop_in;
}

double exposure(const std::string& output) {
  static const std::regex overall(R"(Overall exposure level for \S+: ([0-9.]+))");
  std::smatch m;
  REQUIRE(std::regex_search(output, m, overall));
  return std::stod(m[1]);
}

}  // namespace

TEST_CASE("systemd-analyze accepts every exported drop-in, and strict policies score <= 1.0",
          "[export][systemd]") {
  const std::string analyze = find_program("systemd-analyze");
  if (analyze.empty()) skip("systemd-analyze is not installed");
  const auto policies = shipped_policies();
  REQUIRE(!policies.empty());
  TempDir dir("harden-analyze");
  for (const fs::path& policy : policies) {
    for (const std::string flavour : {"--wrapper", "--native"}) {
      INFO(policy.filename().string() << " " << flavour);
      const RunResult exported = run_harden(
          {"export", "--format", "systemd", flavour, policy.string(), "--", "/usr/bin/true"});
      REQUIRE(exported.exited(0));
      const std::string unit =
          dir.file(policy.stem().string() + "-" + flavour.substr(2) + ".service");
      write_file(unit, unit_from(exported.out));
      const RunResult verify = run({analyze, "verify", unit});
      INFO(exported.out << verify.describe());
      CHECK(verify.exited(0));
      // No complaint about our unit, but one systemd makes of every unit run as nobody (the
      // examples use nobody; a real service gets a user of its own).
      std::istringstream lines(verify.err);
      for (std::string line; std::getline(lines, line);) {
        if (line.find(unit) == std::string::npos) continue;
        CHECK(line.find("Special user nobody configured") != std::string::npos);
      }
      if (flavour == "--wrapper") continue;
      const RunResult security = run({analyze, "security", "--offline=yes", unit});
      const double score = exposure(security.out);
      // The native export of a policy is far more confined than the bare unit (9.6 UNSAFE).
      CHECK(score < 5.0);
      if (policy.filename().string().starts_with("strict")) CHECK(score <= 1.0);
    }
  }
}

TEST_CASE("crun runs a container under an exported seccomp profile", "[export][oci][root]") {
  require_root();
  const std::string crun = find_program("crun");
  if (crun.empty()) skip("crun is not installed (Debian package crun)");
  TempDir dir("harden-crun");
  dir.chmod(0755);
  const std::string policy = write_policy(dir, "oci", R"([policy]
name = "oci"
[seccomp]
default_action = "errno:EPERM"
allow = ["@system-service"]
deny = ["getcpu"]
)");
  const RunResult profile = run_harden({"export", "--format", "oci-seccomp", policy});
  REQUIRE(profile.exited(0));

  const std::string bundle = dir.mkdir("bundle");
  const std::string rootfs = dir.mkdir("bundle/rootfs");
  copy_file(probe_binary(), rootfs + "/probe");
  REQUIRE(run({crun, "spec"}, {.working_dir = bundle}).exited(0));
  nlohmann::json config = nlohmann::json::parse(read_file(bundle + "/config.json"));
  config["process"]["terminal"] = false;
  config["root"]["readonly"] = true;
  config["linux"]["seccomp"] = nlohmann::json::parse(profile.out);
  auto run_in_container = [&](std::vector<std::string> args) {
    config["process"]["args"] = args;
    write_file(bundle + "/config.json", config.dump(2));
    // crun refuses hybrid cgroup hierarchies (as on these CI machines) even when it manages
    // no cgroup; a private mount namespace with a plain cgroup2 mount satisfies it.
    const std::string script =
        "mount -t cgroup2 none /sys/fs/cgroup && "
        "exec \"$0\" --cgroup-manager=disabled run --bundle \"$1\" \"$2\"";
    return run({"unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, crun,
                bundle, unique_name("harden-crun")},
               {.timeout = std::chrono::seconds(30)});
  };
  const RunResult denied = run_in_container({"/probe", "syscall", std::to_string(SYS_getcpu)});
  INFO(denied.describe());
  CHECK(denied.exited(kProbeExitErrno));
  CHECK(parse_probe(denied.out)["errno"] == "EPERM");
  const RunResult allowed = run_in_container({"/probe", "syscall", std::to_string(SYS_getppid)});
  INFO(allowed.describe());
  CHECK(allowed.exited(kProbeExitOk));
  // The profile really was loaded: the container's probe runs under a filter.
  const RunResult status = run_in_container({"/probe", "status"});
  CHECK(parse_probe(status.out)["Seccomp"] == "2");
}
