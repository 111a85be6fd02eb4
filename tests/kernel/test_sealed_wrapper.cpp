// Compiled wrappers, sealed plans and denial reports, through the real binaries: a wrapper
// (harden compile -o) and a plan file (harden run --plan) give the probe exactly what
// `harden --policy` gives it; damaged or foreign plans never start the target; a supervised
// launch names the denied syscall and the policy line that denied it.
#include <linux/audit.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "plan/plan_file.hpp"
#include "plan/plan_io.hpp"
#include "plan/sha256.hpp"
#include "tests/support/harness.hpp"

using namespace harden::test;

namespace {

constexpr auto kTimeout = std::chrono::seconds(20);
constexpr int kExitVerifyPlan = 200;
constexpr int kExitPolicyError = 125;

// A strict service policy; `seccomp` is the [seccomp] body so tests can put lines where they
// want to find them again.
std::string policy_text(const std::string& probe, const std::string& seccomp) {
  return "[policy]\nname = \"sealed\"\n\n"
         "[exec]\ncommand = [\"" +
         probe +
         "\", \"status\"]\numask = \"0027\"\n\n"
         "[identity]\nuser = \"nobody\"\ngroup = \"nogroup\"\nsupplementary_groups = [100]\n\n"
         "[capabilities]\nkeep = [\"CAP_NET_BIND_SERVICE\"]\n\n"
         "[limits]\nnofile = 512\ncore = 0\n\n"
         "[environment]\nkeep = [\"LANG\"]\nset = { PATH = \"/usr/bin:/bin\", MODE = \"sealed\" "
         "}\n\n"
         "[seccomp]\n" +
         seccomp;
}

const std::string kStrictSeccomp =
    "default_action = \"kill-process\"\nallow = [\"@system-service\"]\n";

struct Box {
  TempDir dir{"harden-sealed"};
  std::string probe;
  std::string policy;
  explicit Box(const std::string& seccomp = kStrictSeccomp) {
    dir.chmod(0755);
    probe = dir.file("probe");
    copy_file(probe_binary(), probe, 0755);
    policy = write_policy(dir, "sealed", policy_text(probe, seccomp));
  }
  // harden compile; returns the output's path.
  std::string compile(const std::string& name, bool plan_only = false) const {
    const std::string out = dir.file(name);
    std::vector<std::string> args{"compile", policy, "-o", out};
    if (plan_only) args.emplace_back("--plan-only");
    RunResult r = run_harden(args, {.timeout = kTimeout});
    INFO(r.describe());
    REQUIRE(r.exited(0));
    return out;
  }
};

// What the kernel enforces, as the probe reads it back; pid-dependent lines left out.
std::vector<std::string> enforced(const RunResult& r) {
  static const std::vector<std::string> kKeys{
      "Uid",           "Gid",          "Groups",      "CapInh",     "CapPrm", "CapEff",
      "CapBnd",        "CapAmb",       "NoNewPrivs",  "Seccomp",    "umask",  "fds",
      "rlimit_nofile", "rlimit_nproc", "rlimit_core", "securebits", "cwd"};
  auto s = parse_probe(r.out);
  std::vector<std::string> lines;
  for (const std::string& key : kKeys)
    lines.push_back(key + ": " + s[key]);
  for (const std::string& env : probe_values(r.out, "env"))
    lines.push_back("env: " + env);
  return lines;
}

std::string read_bytes(const std::string& path) {
  return read_file(path);
}

std::string resealed(std::string bytes) {
  const size_t signed_size = bytes.size() - harden::kPlanChecksumSize;
  const auto digest =
      harden::sha256({reinterpret_cast<const unsigned char*>(bytes.data()), signed_size});
  bytes.replace(signed_size, digest.size(), reinterpret_cast<const char*>(digest.data()),
                digest.size());
  return bytes;
}

// The refusal every damaged plan must produce: status 200, a message, no target.
void check_refused(const RunResult& r, const std::string& marker, const std::string& why) {
  INFO(r.describe());
  CHECK(r.exited(kExitVerifyPlan));
  CHECK(r.err.find(why) != std::string::npos);
  CHECK(r.err.find("the target was not started") != std::string::npos);
  CHECK_FALSE(path_exists(marker));
}

// 1-based line:column of the first occurrence of needle in the file.
std::string position_of(const std::string& file, const std::string& needle) {
  const std::string text = read_file(file);
  const size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  const size_t line_start =
      text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
  return std::to_string(1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n')) +
         ":" + std::to_string(at - line_start + 1);
}

}  // namespace

TEST_CASE("a compiled wrapper and a plan file enforce exactly what harden --policy does",
          "[sealed][root]") {
  require_root();
  Box box;
  const std::string wrapper = box.compile("svc-wrapper");
  const std::string plan = box.compile("svc.plan", true);
  const RunOptions env{
      .env = {"LANG=C.UTF-8", "SECRET=leak"}, .clear_env = true, .timeout = kTimeout};

  RunResult direct = run_harden({"--policy", box.policy, "--", box.probe, "status"}, env);
  INFO(direct.describe());
  REQUIRE(direct.exited(kProbeExitOk));
  const auto expected = enforced(direct);
  // The read-back is the policy's, not an unconfined process's.
  CHECK(parse_probe(direct.out)["Uid"].starts_with("65534"));
  CHECK(parse_probe(direct.out)["Seccomp"] == "2");

  RunResult sealed = run({wrapper, "--", box.probe, "status"}, env);
  INFO(sealed.describe());
  REQUIRE(sealed.exited(kProbeExitOk));
  CHECK(enforced(sealed) == expected);

  RunResult from_plan = run_harden({"run", "--plan", plan, "--", box.probe, "status"}, env);
  INFO(from_plan.describe());
  REQUIRE(from_plan.exited(kProbeExitOk));
  CHECK(enforced(from_plan) == expected);

  // Without a command, the policy's own exec.command runs.
  RunResult own = run({wrapper}, env);
  INFO(own.describe());
  REQUIRE(own.exited(kProbeExitOk));
  CHECK(enforced(own) == expected);

  // And the filter is the policy's: a call outside @system-service still kills.
  RunResult killed = run({wrapper, "--", box.probe, "ptrace"}, env);
  INFO(killed.describe());
  CHECK(killed.killed_by(SIGSYS));
}

TEST_CASE("a damaged, foreign or unprotected plan never starts the target", "[sealed][root]") {
  require_root();
  Box box;
  const std::string wrapper = box.compile("svc-wrapper");
  const std::string plan = box.compile("svc.plan", true);
  // Where nobody may create the marker the target would leave.
  const std::string marker = box.dir.mkdir("out", 0777) + "/target-ran";
  const std::vector<std::string> touch{box.probe, "touch", marker};
  const std::string wrapper_bytes = read_bytes(wrapper);
  const std::string plan_bytes = read_bytes(plan);
  // The plan inside the wrapper sits just before the footer.
  const size_t plan_at = wrapper_bytes.size() - harden::kSealFooterSize - plan_bytes.size();
  REQUIRE(wrapper_bytes.compare(plan_at, plan_bytes.size(), plan_bytes) == 0);

  // Sanity: the untouched wrapper does run the target.
  RunResult ok = run([&] {
    std::vector<std::string> argv{wrapper, "--"};
    argv.insert(argv.end(), touch.begin(), touch.end());
    return argv;
  }());
  INFO(ok.describe());
  REQUIRE(ok.exited(kProbeExitOk));
  REQUIRE(path_exists(marker));
  REQUIRE(::unlink(marker.c_str()) == 0);

  auto run_wrapper = [&](const std::string& bytes, mode_t mode = 0755) {
    const std::string damaged = box.dir.file("damaged-wrapper");
    write_file(damaged, bytes, mode);
    std::vector<std::string> argv{damaged, "--"};
    argv.insert(argv.end(), touch.begin(), touch.end());
    return run(argv, {.timeout = kTimeout});
  };
  auto run_plan = [&](const std::string& bytes, mode_t mode = 0644) {
    const std::string damaged = box.dir.file("damaged.plan");
    write_file(damaged, bytes, mode);
    std::vector<std::string> argv{"run", "--plan", damaged, "--"};
    argv.insert(argv.end(), touch.begin(), touch.end());
    return run_harden(argv, {.timeout = kTimeout});
  };

  SECTION("a flipped byte in the wrapper's plan") {
    std::string bytes = wrapper_bytes;
    bytes[plan_at + harden::kPlanHeaderSize + 10] ^= 0x01;
    check_refused(run_wrapper(bytes), marker, "checksum does not match");
  }
  SECTION("a wrapper cut short") {
    check_refused(run_wrapper(wrapper_bytes.substr(0, wrapper_bytes.size() - 100)), marker,
                  "no plan is sealed into this file");
  }
  SECTION("a wrapper whose plan lost bytes but kept its footer") {
    std::string bytes = wrapper_bytes;
    bytes.erase(plan_at + 60, 16);
    check_refused(run_wrapper(bytes), marker, "does not fit the file");
  }
  SECTION("a wrapper others may write") {
    check_refused(run_wrapper(wrapper_bytes, 0777), marker, "writable by its group or by others");
  }
  SECTION("a wrapper or plan owned by nobody, or in a directory others may write") {
    const std::string theirs = box.dir.file("theirs-wrapper");
    write_file(theirs, wrapper_bytes, 0755);
    REQUIRE(::chown(theirs.c_str(), 65534, 65534) == 0);
    std::vector<std::string> argv{theirs, "--"};
    argv.insert(argv.end(), touch.begin(), touch.end());
    check_refused(run(argv, {.timeout = kTimeout}), marker, "owned by uid 65534");
    const std::string open_dir = box.dir.mkdir("open", 0777);
    REQUIRE(::chmod(open_dir.c_str(), 0777) == 0);
    const std::string exposed = open_dir + "/svc-wrapper";
    write_file(exposed, wrapper_bytes, 0755);
    argv[0] = exposed;
    check_refused(run(argv, {.timeout = kTimeout}), marker, "not sticky");
    const std::string exposed_plan = open_dir + "/svc.plan";
    write_file(exposed_plan, plan_bytes, 0644);
    std::vector<std::string> plan_argv{"run", "--plan", exposed_plan, "--"};
    plan_argv.insert(plan_argv.end(), touch.begin(), touch.end());
    check_refused(run_harden(plan_argv, {.timeout = kTimeout}), marker, "not sticky");
  }
  SECTION("a plan for another architecture") {
    std::string bytes = plan_bytes;
    const uint32_t foreign = AUDIT_ARCH_AARCH64;
    std::memcpy(bytes.data() + 12, &foreign, 4);
    check_refused(run_plan(resealed(bytes)), marker, "compiled for aarch64");
  }
  SECTION("a plan of another schema") {
    std::string bytes = plan_bytes;
    bytes[8] = 99;
    check_refused(run_plan(resealed(bytes)), marker, "plan schema version 99");
  }
  SECTION("a truncated plan file") {
    check_refused(run_plan(plan_bytes.substr(0, plan_bytes.size() / 2)), marker, "truncated");
  }
  SECTION("a tampered plan file") {
    std::string bytes = plan_bytes;
    bytes[bytes.size() / 2] ^= 0x40;
    check_refused(run_plan(bytes), marker, "checksum does not match");
  }
  SECTION("a plan file its group may write") {
    check_refused(run_plan(plan_bytes, 0664), marker, "writable by its group or by others");
  }
}

TEST_CASE("harden compile refuses what it cannot seal", "[sealed]") {
  Box box;
  const std::string wrapper = box.compile("svc-wrapper");
  SECTION("a stub that is already a wrapper") {
    RunResult r = run_harden({"compile", box.policy, "-o", box.dir.file("w2"), "--stub", wrapper},
                             {.timeout = kTimeout});
    INFO(r.describe());
    CHECK(r.exited(1));
    CHECK(r.err.find("already a compiled wrapper") != std::string::npos);
  }
  SECTION("a stub that is not harden-exec") {
    RunResult r = run_harden({"compile", box.policy, "-o", box.dir.file("w2"), "--stub", box.probe},
                             {.timeout = kTimeout});
    INFO(r.describe());
    CHECK(r.exited(1));
    CHECK(r.err.find("is not the harden-exec stub") != std::string::npos);
    CHECK_FALSE(path_exists(box.dir.file("w2")));
  }
  SECTION("an invalid policy writes nothing") {
    const std::string bad = write_policy(box.dir, "bad", "[policy]\nname = \"bad\"\n[nope]\n");
    RunResult r = run_harden({"compile", bad, "-o", box.dir.file("w3")}, {.timeout = kTimeout});
    INFO(r.describe());
    CHECK(r.exited(125));
    CHECK_FALSE(path_exists(box.dir.file("w3")));
  }
  SECTION("a wrapper given something other than --") {
    RunResult r = run({wrapper, "oops"}, {.timeout = kTimeout});
    INFO(r.describe());
    CHECK(r.exited(kExitPolicyError));
    CHECK(r.err.find("usage:") != std::string::npos);
  }
}

TEST_CASE("a supervised launch reports a denied syscall with the policy line behind it",
          "[sealed][supervise][root]") {
  require_root();
  SECTION("kill-process: the target dies of SIGSYS, the report names ptrace and the line") {
    // The kernel kills; its audit record (sent only while auditing is on) names the call.
    const AuditingOn auditing;
    Box box;
    const std::string where = box.policy + ":" + position_of(box.policy, "\"kill-process\"");
    for (const bool sealed : {false, true}) {
      INFO((sealed ? "wrapper" : "harden --policy"));
      RunResult r =
          sealed ? run({box.compile("svc-wrapper"), "--supervise", "--", box.probe, "ptrace"},
                       {.timeout = kTimeout})
                 : run_harden({"--policy", box.policy, "--supervise", "--", box.probe, "ptrace"},
                              {.timeout = kTimeout});
      INFO(r.describe());
      CHECK(r.killed_by(SIGSYS));
      CHECK(parse_probe(r.out)["calling"] == "ptrace");
      CHECK(r.err.find("seccomp denied ptrace (nr 101) in pid ") != std::string::npos);
      CHECK(r.err.find("kill-process, from default_action at " + where) != std::string::npos);
    }
  }
  SECTION("errno: the call fails with the policy's errno and the target carries on") {
    Box box("default_action = \"errno:EACCES\"\nallow = [\"@system-service\"]\n");
    const std::string where = box.policy + ":" + position_of(box.policy, "\"errno:EACCES\"");
    RunResult r = run_harden(
        {"run", "--policy", box.policy, "--supervise", "--", box.probe, "syscall", "101", "0"},
        {.timeout = kTimeout});
    INFO(r.describe());
    CHECK(r.exited(kProbeExitErrno));
    CHECK(parse_probe(r.out)["errno"] == "EACCES");
    CHECK(r.err.find("seccomp denied ptrace (nr 101)") != std::string::npos);
    CHECK(r.err.find("args (0x0, 0x0, 0x0, 0x0, 0x0, 0x0)") != std::string::npos);
    CHECK(r.err.find("errno:EACCES, from default_action at " + where) != std::string::npos);
  }
  SECTION("a deny entry is named rather than the default action") {
    Box box(
        "default_action = \"errno:EPERM\"\nallow = [\"@system-service\"]\ndeny = [\"mkdir\"]\n");
    const std::string where = box.policy + ":" + position_of(box.policy, "\"mkdir\"");
    RunResult r = run_harden(
        {"--policy", box.policy, "--supervise", "--", box.probe, "syscall", "83", "0", "0"},
        {.timeout = kTimeout});
    INFO(r.describe());
    CHECK(r.exited(kProbeExitErrno));
    CHECK(parse_probe(r.out)["errno"] == "EPERM");
    CHECK(r.err.find("seccomp denied mkdir (nr 83)") != std::string::npos);
    CHECK(r.err.find("from deny at " + where) != std::string::npos);
  }
  SECTION("an errno a [[seccomp.rule]] answers on purpose is quiet unless report = true") {
    // socket(AF_PACKET, SOCK_RAW) answered EAFNOSUPPORT by a rule, as a service that probes
    // for it at every start would be; the default action's errno is still reported.
    const std::string rule =
        "default_action = \"errno:EPERM\"\nallow = [\"@system-service\"]\n"
        "[[seccomp.rule]]\nsyscall = \"socket\"\naction = \"errno:EAFNOSUPPORT\"\n"
        "args = [{ index = 0, op = \"eq\", value = \"AF_PACKET\" }]\n";
    for (const bool report : {false, true}) {
      INFO("report = " << report);
      Box box(rule + (report ? "report = true\n" : ""));
      for (const bool sealed : {false, true}) {
        INFO((sealed ? "wrapper" : "harden --policy"));
        const std::vector<std::string> command{box.probe, "socket", "17", "3"};
        std::vector<std::string> argv =
            sealed ? std::vector<std::string>{box.compile("q-wrapper"), "--supervise", "--"}
                   : std::vector<std::string>{harden_binary(), "--policy", box.policy,
                                              "--supervise", "--"};
        argv.insert(argv.end(), command.begin(), command.end());
        RunResult r = run(argv, {.timeout = kTimeout});
        INFO(r.describe());
        CHECK(r.exited(kProbeExitErrno));
        CHECK(parse_probe(r.out)["errno"] == "EAFNOSUPPORT");
        CHECK((r.err.find("seccomp denied socket") != std::string::npos) == report);
      }
    }
  }
  SECTION("allowed calls are not reported and the status is the target's") {
    Box box;
    RunResult r = run_harden({"--policy", box.policy, "--supervise", "--", box.probe, "status"},
                             {.timeout = kTimeout});
    INFO(r.describe());
    CHECK(r.exited(kProbeExitOk));
    CHECK(r.err.find("seccomp denied") == std::string::npos);
    // The supervisor is the parent: the probe is not harden's pid.
    CHECK(parse_probe(r.out)["ppid"] == std::to_string(r.pid));
  }
}
