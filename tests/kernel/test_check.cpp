// harden check: the real binary reads a running process's state from /proc and compares it
// with a plan. A target started by harden must match its policy; the same program started by
// hand must have each difference named, with the values the kernel shows for it.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/harness.hpp"

using namespace harden::test;
using nlohmann::json;

namespace {

constexpr int kExitDifferences = 1;
constexpr int kExitUsage = 125;

// A program started in the background (stdout and stderr to a file), killed and reaped when
// the object dies, so no test leaves a sleeping process behind.
class Spawned {
 public:
  Spawned(const std::vector<std::string>& argv, const std::vector<std::string>& env,
          const std::string& log) {
    std::vector<char*> c_argv, c_env;
    for (const std::string& a : argv)
      c_argv.push_back(const_cast<char*>(a.c_str()));
    c_argv.push_back(nullptr);
    for (const std::string& e : env)
      c_env.push_back(const_cast<char*>(e.c_str()));
    c_env.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      const int in = ::open("/dev/null", O_RDONLY);
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || out < 0) ::_exit(99);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::close_range(3, ~0U, 0);
      ::execve(c_argv[0], c_argv.data(), c_env.data());
      ::_exit(98);
    }
  }
  ~Spawned() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

std::string exe_of(pid_t pid) {
  char buffer[4096];
  const std::string link = "/proc/" + std::to_string(pid) + "/exe";
  const ssize_t n = ::readlink(link.c_str(), buffer, sizeof buffer);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

// The pid running `program` at or below `pid` (harden may stay as a supervisor), once it does.
pid_t wait_for_program(pid_t pid, const std::string& program) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    std::vector<pid_t> level{pid};
    for (int depth = 0; depth < 4 && !level.empty(); ++depth) {
      std::vector<pid_t> next;
      for (const pid_t p : level) {
        if (exe_of(p) == program) return p;
        const std::string text = [&] {
          try {
            return read_file("/proc/" + std::to_string(p) + "/task/" + std::to_string(p) +
                             "/children");
          } catch (...) {
            return std::string();
          }
        }();
        for (const std::string& child : split_fields(text))
          next.push_back(std::stoi(child));
      }
      level = std::move(next);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

struct Fixture {
  TempDir dir{"harden-check"};
  std::string probe;
  std::string state;
  std::string policy;
  Fixture() {
    dir.chmod(0755);
    probe = dir.file("probe");
    copy_file(probe_binary(), probe, 0755);
    state = dir.mkdir("state", 0755);
    policy = write_policy(dir, "check",
                          "[policy]\nname = \"check\"\n"
                          "[exec]\numask = \"0027\"\n"
                          "[identity]\nuser = \"nobody\"\ngroup = \"nogroup\"\n"
                          "supplementary_groups = []\nno_new_privileges = true\n"
                          "[capabilities]\nkeep = [\"CAP_NET_BIND_SERVICE\"]\n"
                          "[seccomp]\ndefault_action = \"kill-process\"\n"
                          "allow = [\"@system-service\"]\n"
                          "[limits]\nnofile = 200\n"
                          "[environment]\nset = { CHECK_ME = \"yes\" }\n");
  }
  [[nodiscard]] std::vector<std::string> env() const {
    return {"PATH=/usr/bin:/bin", "HARDEN_STATE_DIR=" + state};
  }
};

json check_json(std::vector<std::string> args, RunResult& r, const Fixture& f) {
  args.insert(args.begin(), "check");
  args.push_back("--format");
  args.push_back("json");
  r = run_harden(args, {.env = {"HARDEN_STATE_DIR=" + f.state}});
  return json::parse(r.out);
}

const json* find_difference(const json& process, const std::string& item,
                            const std::string& detail) {
  for (const json& d : process["differences"]) {
    if (d["item"] == item && d["detail"] == detail) return &d;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("check: a target started by harden matches its policy", "[check][root]") {
  require_root();
  Fixture f;
  Spawned launch({harden_binary(), "--policy", f.policy, "--", f.probe, "sleep", "30"}, f.env(),
                 f.dir.file("launch.log"));
  const pid_t target = wait_for_program(launch.pid(), f.probe);
  INFO(read_file(f.dir.file("launch.log")));
  REQUIRE(target > 0);

  RunResult text = run_harden({"check", "--policy", f.policy, std::to_string(target)});
  INFO(text.describe());
  CHECK(text.exited(0));
  CHECK(text.out.find("matches") != std::string::npos);

  RunResult r;
  const json out = check_json({"--policy", f.policy, std::to_string(target)}, r, f);
  INFO(r.describe());
  CHECK(r.exited(0));
  REQUIRE(out["processes"].size() == 1);
  const json& p = out["processes"][0];
  CHECK(p["pid"] == target);
  CHECK(p["match"] == true);
  CHECK(p["differences"].empty());
  // Every layer this policy sets was really compared, not skipped.
  for (const char* item : {"ids", "capabilities", "no-new-privs", "seccomp", "umask", "namespaces",
                           "root", "limits", "fds", "environment", "terminal"}) {
    INFO(item);
    CHECK(std::find(p["compared"].begin(), p["compared"].end(), item) != p["compared"].end());
  }
}

TEST_CASE("check: the same program started by hand has its differences named", "[check][root]") {
  require_root();
  Fixture f;
  // Root, every capability, no filter, no no_new_privs, the caller's limits and environment,
  // and a descriptor harden would have closed.
  Spawned by_hand({f.probe, "sleep", "30"}, {"PATH=/usr/bin:/bin", "STRAY=1"},
                  f.dir.file("hand.log"));
  const pid_t target = wait_for_program(by_hand.pid(), f.probe);
  REQUIRE(target > 0);

  RunResult r;
  const json out = check_json({"--policy", f.policy, std::to_string(target)}, r, f);
  INFO(r.describe());
  CHECK(r.exited(kExitDifferences));
  REQUIRE(out["processes"].size() == 1);
  const json& p = out["processes"][0];
  CHECK(p["match"] == false);

  const passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody != nullptr);
  const json* uid = find_difference(p, "ids", "effective uid");
  REQUIRE(uid != nullptr);
  CHECK((*uid)["expected"] == std::to_string(nobody->pw_uid));
  CHECK((*uid)["actual"] == std::to_string(::geteuid()));

  const json* caps = find_difference(p, "capabilities", "CapEff (effective)");
  REQUIRE(caps != nullptr);
  CHECK((*caps)["expected"] == "CAP_NET_BIND_SERVICE");
  CHECK((*caps)["actual"].get<std::string>().find("CAP_SYS_ADMIN") != std::string::npos);

  const json* seccomp = find_difference(p, "seccomp", "seccomp mode");
  REQUIRE(seccomp != nullptr);
  CHECK((*seccomp)["actual"] == "0 (none)");
  const json* nnp = find_difference(p, "no-new-privs", "NoNewPrivs");
  REQUIRE(nnp != nullptr);
  CHECK((*nnp)["actual"] == "0");

  const json* nofile = find_difference(p, "limits", "RLIMIT_NOFILE hard");
  REQUIRE(nofile != nullptr);
  CHECK((*nofile)["expected"] == "200");
  CHECK(find_difference(p, "environment", "STRAY") != nullptr);
  const json* set = find_difference(p, "environment", "CHECK_ME");
  REQUIRE(set != nullptr);
  CHECK((*set)["actual"] == "unset");
  CHECK(find_difference(p, "namespaces", "ipc namespace") != nullptr);

  // The text form names the same differences, one per line.
  RunResult text = run_harden({"check", "--policy", f.policy, std::to_string(target)});
  CHECK(text.exited(kExitDifferences));
  CHECK(text.out.find("ids: effective uid: the plan says " + std::to_string(nobody->pw_uid) +
                      ", the process has 0") != std::string::npos);

  // --ignore leaves an item out, and only that item.
  const json ignored =
      check_json({"--policy", f.policy, "--ignore", "ids", std::to_string(target)}, r, f);
  CHECK(find_difference(ignored["processes"][0], "ids", "effective uid") == nullptr);
  CHECK(find_difference(ignored["processes"][0], "seccomp", "seccomp mode") != nullptr);
}

TEST_CASE("check --all: every recorded launch, against the plan it was launched with",
          "[check][root]") {
  require_root();
  Fixture f;
  // --supervise: harden stays as the parent; the target is found below it.
  Spawned launch(
      {harden_binary(), "--supervise", "--policy", f.policy, "--", f.probe, "sleep", "30"}, f.env(),
      f.dir.file("launch.log"));
  const pid_t target = wait_for_program(launch.pid(), f.probe);
  INFO(read_file(f.dir.file("launch.log")));
  REQUIRE(target > 0);
  REQUIRE(target != launch.pid());
  REQUIRE(path_exists(f.state + "/launches/" + std::to_string(launch.pid())));

  // A stale record: a pid that runs (this test) but started at another time.
  write_file(f.state + "/launches/" + std::to_string(::getpid()),
             "harden-launch 1\nlauncher " + std::to_string(::getpid()) +
                 " 1\nexe 1 1\nfilters 0\npolicy /nonexistent\n",
             0600);

  // The policy file changes after the launch: --all compares with what was enforced.
  write_file(f.policy, "[policy]\nname = \"changed\"\n");

  RunResult r;
  const json out = check_json({"--all"}, r, f);
  INFO(r.describe());
  CHECK(r.exited(0));
  REQUIRE(out["processes"].size() == 1);
  CHECK(out["processes"][0]["pid"] == target);
  CHECK(out["processes"][0]["match"] == true);
  CHECK(out["processes"][0]["against"].get<std::string>().find("'check'") != std::string::npos);
  // The stale record is gone, the live one stays.
  CHECK_FALSE(path_exists(f.state + "/launches/" + std::to_string(::getpid())));
  CHECK(path_exists(f.state + "/launches/" + std::to_string(launch.pid())));
}

TEST_CASE("check: usage and policy errors exit 125 with one clear message", "[check]") {
  Fixture f;
  RunResult no_plan = run_harden({"check", "1"});
  CHECK(no_plan.exited(kExitUsage));
  CHECK(no_plan.err.find("--policy FILE") != std::string::npos);

  RunResult no_pid = run_harden({"check", "--policy", f.policy});
  CHECK(no_pid.exited(kExitUsage));

  // A pid that cannot exist (above pid_max).
  RunResult gone = run_harden({"check", "--policy", f.policy, "99999999"});
  CHECK(gone.exited(kExitUsage));
  CHECK(gone.err.find("no process 99999999") != std::string::npos);

  RunResult typo = run_harden({"check", "--policy", f.policy, "--ignore", "capabilites", "1"});
  CHECK(typo.exited(kExitUsage));
  CHECK(typo.err.find("did you mean 'capabilities'") != std::string::npos);

  const std::string bad = write_policy(
      f.dir, "bad", "[policy]\nname = \"bad\"\n[identity]\nuser = \"no-such-user-x\"\n");
  RunResult invalid = run_harden({"check", "--policy", bad, "1"});
  CHECK(invalid.exited(kExitUsage));
  CHECK(invalid.err.find("bad.toml:4:") != std::string::npos);
}
