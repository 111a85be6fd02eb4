// Rootless mode: an unprivileged user (created for the test, removed after it even when the
// test fails) runs one policy with every namespace and a constructed root, and the same
// read-backs as the root tests hold.
#include <pwd.h>
#include <sys/shm.h>

#include <string>

#include <catch2/catch.hpp>

#include "enforcer/steps.hpp"
#include "tests/kernel/isolation_support.hpp"
#include "tests/support/harness.hpp"

using namespace harden::test;

namespace {

// useradd on construction, userdel on destruction.
class TestUser {
 public:
  TestUser() : name_(unique_name("hdn")) {
    // Short: user names are limited to 32 characters.
    if (name_.size() > 31) name_ = name_.substr(0, 31);
    const std::string useradd = find_program("useradd");
    if (useradd.empty()) skip("no useradd(8) to create an unprivileged user");
    RunResult r = run({useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent",
                       "--shell", "/usr/sbin/nologin", "--user-group", name_});
    if (!r.exited(0)) throw std::runtime_error("useradd failed: " + r.describe());
    const passwd* pw = ::getpwnam(name_.c_str());
    if (!pw) throw std::runtime_error("useradd made no " + name_);
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
  }
  ~TestUser() {
    const std::string userdel = find_program("userdel");
    if (!userdel.empty()) (void)run({userdel, name_});
  }
  TestUser(const TestUser&) = delete;
  TestUser& operator=(const TestUser&) = delete;

  uid_t uid() const { return uid_; }
  gid_t gid() const { return gid_; }

  // argv run as this user, with no supplementary groups and no capabilities.
  RunResult run_as(std::vector<std::string> argv) const {
    const std::string setpriv = find_program("setpriv");
    if (setpriv.empty()) skip("no setpriv(1) to drop to an unprivileged user");
    std::vector<std::string> full{setpriv, "--reuid=" + std::to_string(uid_),
                                  "--regid=" + std::to_string(gid_), "--clear-groups", "--"};
    full.insert(full.end(), argv.begin(), argv.end());
    return run(full, {.timeout = std::chrono::seconds(30)});
  }

 private:
  std::string name_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace

TEST_CASE("rootless: an unprivileged user gets every namespace and a constructed root",
          "[rootless][root]") {
  require_root();  // to create the user; harden itself runs unprivileged
  TestUser user;
  Jail jail;
  HostIpc host(unique_name("harden-rl"));
  const std::string policy =
      jail.root_policy("rootless", "",
                       "[namespaces]\npid = true\nnet = \"loopback\"\nhostname = \"rootless-box\"\n"
                       "cgroup = true\n[exec]\nworking_directory = \"/tmp\"\n");

  RunResult status =
      user.run_as({harden_binary(), "--policy", policy, "--", jail.probe(), "status"});
  INFO(status.describe());
  REQUIRE(status.exited(kProbeExitOk));
  auto s = parse_probe(status.out);
  // The one-to-one map: the target is the user, not root, with no capability left.
  CHECK(split_fields(s["Uid"]) == std::vector<std::string>(4, std::to_string(user.uid())));
  CHECK(split_fields(s["Gid"]) == std::vector<std::string>(4, std::to_string(user.gid())));
  CHECK(s["CapEff"] == "0000000000000000");
  CHECK(s["CapBnd"] == "0000000000000000");
  CHECK(s["NoNewPrivs"] == "1");
  CHECK(s["pid"] == "2");
  CHECK(s["ppid"] == "1");
  CHECK(s["hostname"] == "rootless-box");
  CHECK(s["cwd"] == "/tmp");

  RunResult map = user.run_as(
      {harden_binary(), "--policy", policy, "--", jail.probe(), "cat", "/proc/self/uid_map"});
  INFO(map.describe());
  CHECK(split_fields(probe_values(map.out, "line").at(0)) ==
        std::vector<std::string>{std::to_string(user.uid()), std::to_string(user.uid()), "1"});

  RunResult ro = user.run_as(
      {harden_binary(), "--policy", policy, "--", jail.probe(), "write", jail.bin() + "/x", "x"});
  INFO(ro.describe());
  CHECK(parse_probe(ro.out)["errno"] == "EROFS");
  RunResult absent =
      user.run_as({harden_binary(), "--policy", policy, "--", jail.probe(), "open", "/etc/passwd"});
  CHECK(parse_probe(absent.out)["errno"] == "ENOENT");
  RunResult mounts = user.run_as(
      {harden_binary(), "--policy", policy, "--", jail.probe(), "cat", "/proc/self/mountinfo"});
  for (const std::string& line : probe_values(mounts.out, "line")) {
    INFO(line);
    CHECK(line.find(" shared:") == std::string::npos);
  }
  RunResult ls =
      user.run_as({harden_binary(), "--policy", policy, "--", jail.probe(), "ls", "/proc"});
  std::vector<std::string> pids;
  for (const std::string& e : probe_values(ls.out, "entry")) {
    if (!e.empty() && std::isdigit(static_cast<unsigned char>(e[0]))) pids.push_back(e);
  }
  CHECK(pids == std::vector<std::string>{"1", "2"});

  // The host's IPC objects are out of sight (the user could not open them anyway: mode
  // 0600 root; ENOENT, not EACCES, shows they are not there at all).
  RunResult ipc = user.run_as({harden_binary(), "--policy", policy, "--", jail.probe(), "ipc-open",
                               std::to_string(host.key()), host.queue()});
  INFO(ipc.describe());
  auto i = parse_probe(ipc.out);
  CHECK(i["shm"] == "ENOENT");
  CHECK(i["msg"] == "ENOENT");
  CHECK(i["sem"] == "ENOENT");
  CHECK(i["mq"] == "ENOENT");
}

TEST_CASE("rootless: a step that needs host root fails closed and says why", "[rootless][root]") {
  require_root();
  TestUser user;
  Jail jail;
  // Switching to another user needs privileges over the host's ids.
  const std::string policy = jail.policy("rootless-identity", "[identity]\nuser = \"root\"\n");
  RunResult r = user.run_as(
      {harden_binary(), "--policy", policy, "--", jail.probe(), "write-stdout", "TARGET-RAN"});
  INFO(r.describe());
  CHECK(r.exited(harden::exit_code::kCredentials));
  CHECK(r.err.find("rootless") != std::string::npos);
  CHECK(r.out.find("TARGET-RAN") == std::string::npos);
}
