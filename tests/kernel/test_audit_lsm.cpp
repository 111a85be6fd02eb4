// The audit and LSM layers and the AppArmor exporter against the real kernel and tools:
// audit rules read back with auditctl after each apply and after down, a record with the
// policy's key read from the kernel's audit multicast group, LSM labels refused (or warned
// about) while AppArmor and SELinux are inactive, and generated profiles checked by
// apparmor_parser. Every rule a test adds carries its own policy name and is removed by an
// RAII guard, so nothing stays behind and no rule of anyone else is touched.
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "enforcer/host.hpp"
#include "enforcer/steps.hpp"
#include "tests/kernel/audit_support.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/netns.hpp"

using namespace harden::test;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> audit_lines_with(const std::string& needle) {
  const RunResult listed = run({"auditctl", "-l"});
  REQUIRE(listed.exited(0));
  std::vector<std::string> lines;
  std::istringstream in(listed.out);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) lines.push_back(line);
  }
  return lines;
}

// The kernel's read-only audit multicast group: every record, as text.
class AuditMulticast {
 public:
  AuditMulticast() : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT)) {
    if (!fd_) skip("no NETLINK_AUDIT socket: the kernel has no audit support");
    sockaddr_nl address{};
    address.nl_family = AF_NETLINK;
    address.nl_groups = AUDIT_NLGRP_READLOG;
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      FAIL("cannot join the audit multicast group: " << std::strerror(errno));
    }
  }

  // The first record of `type` whose text contains `needle`, or "" after the timeout.
  std::string wait_for(uint16_t type, const std::string& needle, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<char> buffer(1 << 16);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{fd_.get(), POLLIN, 0};
      if (::poll(&pfd, 1, 200) <= 0) continue;
      const ssize_t received = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
      if (received <= 0) continue;
      int n = static_cast<int>(received);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(h, n);
           h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_type != type) continue;
        const std::string text(static_cast<const char*>(NLMSG_DATA(h)), NLMSG_PAYLOAD(h, 0));
        if (text.find(needle) != std::string::npos) return text;
      }
    }
    return "";
  }

 private:
  Fd fd_;
};

std::string hex_of(const std::string& text) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string audit_policy(const std::string& name, const std::string& watched) {
  return "[policy]\nname = \"" + name + R"("
[identity]
user = "65534"
group = "65534"
[[audit.watch]]
path = ")" +
         watched + R"("
permissions = "rw"
key = ")" +
         name + R"(-file"
[[audit.syscall]]
syscalls = ["ptrace", "kexec_load"]
)";
}

}  // namespace

TEST_CASE("audit rules are added once, kept on restart and removed by down", "[audit]") {
  require_root();
  TempDir dir;
  dir.chmod(0755);
  const std::string watched = dir.file("secret");
  write_file(watched, "s3cret\n", 0644);
  const std::string name = unique_name("aud");
  AuditRulesGuard guard(name);
  const std::string policy = write_policy(dir, "audit", audit_policy(name, watched));
  const std::string owner = "harden:" + name;

  for (int start = 1; start <= 2; ++start) {
    INFO("start " << start);
    const RunResult result =
        run_harden({"--policy", policy, "--", probe_binary(), "write-stdout", "ran"});
    INFO(result.describe());
    REQUIRE(result.exited(0));
    const std::vector<std::string> lines = audit_lines_with(owner);
    INFO("auditctl -l:\n" << run({"auditctl", "-l"}).out);
    REQUIRE(lines.size() == 2);  // no duplicates after the second start
    const auto watch = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.find("-w " + watched + " -p rw") != std::string::npos;
    });
    CHECK(watch != lines.end());
    const auto syscall = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.find("-S ptrace,kexec_load") != std::string::npos ||
             l.find("-S kexec_load,ptrace") != std::string::npos;
    });
    CHECK(syscall != lines.end());
    if (syscall != lines.end()) CHECK(syscall->find("-F uid=65534") != std::string::npos);
  }
  const RunResult status = run_harden({"status"});
  CHECK(status.out.find(owner + ": -w " + watched) != std::string::npos);

  const RunResult down = run_harden({"down", "--policy", policy});
  INFO(down.describe());
  CHECK(down.exited(0));
  CHECK(down.out.find("removed 2 audit rule(s)") != std::string::npos);
  CHECK(audit_lines_with(owner).empty());
}

TEST_CASE("a rule dropped from the policy is removed on the next start", "[audit]") {
  require_root();
  TempDir dir;
  const std::string watched = dir.file("secret");
  write_file(watched, "x", 0644);
  const std::string name = unique_name("aud");
  AuditRulesGuard guard(name);
  const std::string policy = write_policy(dir, "audit", audit_policy(name, watched));
  REQUIRE(run_harden({"--policy", policy, "--", probe_binary(), "write-stdout", "ran"}).exited(0));
  REQUIRE(audit_lines_with("harden:" + name).size() == 2);
  // Same policy without the syscall rule.
  write_policy(dir, "audit",
               "[policy]\nname = \"" + name + "\"\n[[audit.watch]]\npath = \"" + watched + "\"\n");
  REQUIRE(run_harden({"--policy", policy, "--", probe_binary(), "write-stdout", "ran"}).exited(0));
  const std::vector<std::string> lines = audit_lines_with("harden:" + name);
  REQUIRE(lines.size() == 1);
  CHECK(lines.front().find("-p rwxa") != std::string::npos);
}

TEST_CASE("an access to a watched file produces a record with the key", "[audit]") {
  require_root();
  AuditMulticast records;
  const AuditingOn enabled;
  TempDir dir;
  dir.chmod(0755);
  const std::string watched = dir.file("watched");
  write_file(watched, "data\n", 0644);
  const std::string name = unique_name("aud");
  AuditRulesGuard guard(name);
  const std::string policy = write_policy(dir, "audit", audit_policy(name, watched));

  const RunResult result =
      run_harden({"--policy", policy, "--", probe_binary(), "open", watched, "r"});
  INFO(result.describe());
  REQUIRE(result.exited(0));
  // Two keys are stored \x01-joined, so the kernel prints the field hex-encoded.
  const std::string keys = hex_of(name + "-file\x01harden:" + name);
  const std::string record =
      records.wait_for(AUDIT_SYSCALL, "key=" + keys, std::chrono::seconds(5));
  INFO("expected key=" << keys);
  REQUIRE_FALSE(record.empty());
  CHECK(record.find("uid=65534") != std::string::npos);  // the target, not harden
  CHECK(record.find("success=yes") != std::string::npos);
}

TEST_CASE("audit rules that cannot be added stop the launch with the audit exit code", "[audit]") {
  require_root();
  if (find_program("unshare").empty()) skip("no unshare(1) to drop CAP_AUDIT_CONTROL with");
  TempDir dir;
  dir.chmod(0755);
  const std::string marker = dir.file("target-ran");
  const std::string name = unique_name("aud");
  AuditRulesGuard guard(name);
  const std::string policy = write_policy(
      dir, "audit",
      "[policy]\nname = \"" + name + "\"\n[[audit.watch]]\npath = \"" + dir.file("x") + "\"\n");
  // Root of a user namespace has no CAP_AUDIT_CONTROL over the host's audit rules.
  const RunResult result = run({"unshare", "--user", "--map-root-user", harden_binary(), "--policy",
                                policy, "--", probe_binary(), "touch", marker});
  INFO(result.describe());
  CHECK(result.exited(harden::exit_code::kAudit));
  CHECK(result.err.find("step 'audit' failed") != std::string::npos);
  CHECK_FALSE(path_exists(marker));
  CHECK(audit_lines_with("harden:" + name).empty());
}

TEST_CASE("an LSM label while the LSM is inactive refuses to start the target", "[lsm]") {
  require_root();
  struct Case {
    std::string key, value, lsm;
  };
  const std::vector<Case> cases{{"apparmor_profile", "harden-test", "AppArmor"},
                                {"selinux_context", "system_u:system_r:httpd_t:s0", "SELinux"}};
  for (const Case& c : cases) {
    INFO(c.lsm);
    RunResult active = c.lsm == "AppArmor" ? run({"sh", "-c", "aa-enabled -q"})
                                           : run({"sh", "-c", "selinuxenabled"});
    if (active.exited(0)) skip(c.lsm + " is active here; this test needs it inactive");
    TempDir dir;
    const std::string marker = dir.file("target-ran");
    const std::string base =
        "[policy]\nname = \"lsm\"\n[lsm]\n" + c.key + " = \"" + c.value + "\"\n";
    const RunResult refused = run_harden(
        {"--policy", write_policy(dir, "strict", base), "--", probe_binary(), "touch", marker});
    INFO(refused.describe());
    CHECK(refused.exited(harden::exit_code::kLsm));
    CHECK(refused.err.find(c.lsm + " is not active on this kernel") != std::string::npos);
    CHECK(refused.err.find(c.key + " = \"" + c.value + "\"") != std::string::npos);
    CHECK_FALSE(path_exists(marker));

    const RunResult warned =
        run_harden({"--policy", write_policy(dir, "opt", base + "optional = true\n"), "--",
                    probe_binary(), "touch", marker});
    INFO(warned.describe());
    CHECK(warned.exited(0));
    CHECK(warned.err.find("harden: warning: " + c.lsm + " is not active") != std::string::npos);
    CHECK(path_exists(marker));
  }
}

TEST_CASE("every generated AppArmor profile passes apparmor_parser, and a broken one fails",
          "[apparmor]") {
  const std::string parser = find_program("apparmor_parser");
  if (parser.empty()) skip("apparmor_parser is not installed (package apparmor)");
  TempDir dir;
  std::vector<fs::path> policies;
  for (const auto& entry : fs::directory_iterator(source_dir() + "/tests/policies/valid")) {
    if (entry.path().extension() == ".toml") policies.push_back(entry.path());
  }
  std::sort(policies.begin(), policies.end());
  REQUIRE(policies.size() >= 3);
  std::string last_profile;
  for (const fs::path& policy : policies) {
    INFO(policy.filename().string());
    const std::string profile = dir.file(policy.stem().string() + ".aa");
    const RunResult exported =
        run_harden({"export", "--format", "apparmor", policy.string(), "-o", profile});
    INFO(exported.describe());
    REQUIRE(exported.exited(0));
    last_profile = read_file(profile);
    CHECK(last_profile.find("profile harden-") != std::string::npos);
    const RunResult parsed = run({parser, "-Q", "-K", profile});
    INFO(parsed.describe());
    CHECK(parsed.exited(0));
  }
  // The same text with one rule's comma gone must be refused, or the check above proves nothing.
  std::string broken = last_profile;
  const size_t rule = broken.find("  /** rwlk,");
  REQUIRE(rule != std::string::npos);
  broken.erase(rule + 10, 1);
  write_file(dir.file("broken.aa"), broken);
  const RunResult parsed = run({parser, "-Q", "-K", dir.file("broken.aa")});
  CHECK_FALSE(parsed.exited(0));
}
