// harden as a systemd service, in a real systemd booted as PID 1 of its own namespaces:
// Type=notify becomes active only after the target's READY=1, socket activation hands the
// target the socket systemd holds (and nothing else), signals from systemctl reach the target
// and the status systemd records is the target's; the service's /proc/PID/status shows the
// policy. The native export of policies/strict.toml runs its static program in a jail under
// systemd alone: as nobody, with no_new_privs and the filter, in a jail without /proc or /sys,
// clone3 answered ENOSYS and W+X memory refused. Exported drop-ins are checked by
// systemd-analyze (test_export_consumers.cpp).
#include <catch2/catch.hpp>

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdio>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/booted_systemd.hpp"
#include "tests/support/harness.hpp"

using namespace harden::test;

namespace {

// The probe runs as nobody: it needs a directory nobody can enter.
struct ServiceFiles {
  TempDir dir{"harden-sd-svc"};
  std::string probe, policy, trigger;
  ServiceFiles() {
    dir.chmod(0755);
    probe = dir.file("probe");
    copy_file(probe_binary(), probe);
    trigger = dir.file("ready-trigger");
    policy = write_policy(dir, "svc", R"([policy]
name = "sd-service"

[identity]
user = "nobody"
group = "nogroup"

[capabilities]
keep = []

[seccomp]
default_action = "kill-process"
allow = ["@system-service"]
deny = ["@privileged"]

[limits]
nofile = 321
)");
  }
  std::string exec_start(const std::string& probe_args) const {
    return "StandardOutput=append:" + dir.file("output") +
           "\nStandardError=append:" + dir.file("output") + "\nExecStart=" + harden_binary() +
           " --policy " + policy + " -- " + probe + " " + probe_args + "\n";
  }
};

std::map<std::string, std::string> status_of(const BootedSystemd& sd, const std::string& unit) {
  const std::string pid = sd.property(unit, "MainPID");
  REQUIRE(pid != "0");
  return parse_probe(read_file(sd.host_path("/proc/" + pid + "/status")));
}

void check_policy_state(const std::map<std::string, std::string>& status,
                        const std::string& uid = "65534") {
  CHECK(split_fields(status.at("Uid")) == std::vector<std::string>{uid, uid, uid, uid});
  CHECK(status.at("CapEff") == "0000000000000000");
  CHECK(status.at("CapBnd") == "0000000000000000");
  CHECK(status.at("NoNewPrivs") == "1");
  CHECK(status.at("Seccomp") == "2");
}

uint16_t unique_port(int offset) {
  return static_cast<uint16_t>(20000 + (getpid() * 7 + offset) % 30000);
}

}  // namespace

TEST_CASE("Type=notify under harden is active only after the target's READY=1", "[systemd][root]") {
  BootedSystemd sd;
  ServiceFiles files;
  const std::string unit = "harden-notify.service";
  sd.install_unit(unit,
                  "[Unit]\nDefaultDependencies=no\n[Service]\nType=notify\nTimeoutStartSec=60\n" +
                      files.exec_start("sd-notify " + files.trigger));
  REQUIRE(sd.systemctl({"start", "--no-block", unit}).exited(0));
  // The target runs (harden has exec'ed it: the main pid is the probe), but has not said
  // READY=1 yet: the unit must still be starting.
  REQUIRE(sd.wait_for(unit, "SubState", "start"));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  INFO(sd.console());
  CHECK(sd.property(unit, "ActiveState") == "activating");
  const std::string pid = sd.property(unit, "MainPID");
  CHECK(std::filesystem::read_symlink(sd.host_path("/proc/" + pid + "/exe")) == files.probe);

  write_file(files.trigger, "go");
  CHECK(sd.wait_for(unit, "ActiveState", "active"));
  CHECK(sd.property(unit, "StatusText") == "harden probe ready");
  check_policy_state(status_of(sd, unit));

  // systemctl stop: SIGTERM reaches the target, whose status (100 + 15) systemd records.
  sd.systemctl({"stop", unit});
  CHECK(sd.wait_for(unit, "ActiveState", "failed"));
  CHECK(sd.property(unit, "ExecMainStatus") == "115");
  CHECK(sd.property(unit, "ExecMainCode") == "1");  // CLD_EXITED: the target exited itself
}

TEST_CASE("socket activation through harden: the target serves the socket systemd holds",
          "[systemd][root]") {
  const std::string type = GENERATE(std::string("simple"), std::string("exec"));
  BootedSystemd sd;
  ServiceFiles files;
  const uint16_t port = unique_port(type == "simple" ? 1 : 2);
  const std::string name = "harden-listen";
  sd.install_unit(name + ".socket",
                  "[Unit]\nDefaultDependencies=no\n[Socket]\nListenStream=127.0.0.1:" +
                      std::to_string(port) + "\nFileDescriptorName=web\n");
  sd.install_unit(name + ".service", "[Unit]\nDefaultDependencies=no\n[Service]\nType=" + type +
                                         "\n" + files.exec_start("sd-listen"));
  REQUIRE(sd.systemctl({"start", name + ".socket"}).exited(0));
  INFO("type " << type << "\n" << sd.console());

  // The first connection starts the service; systemd hands it the listening socket.
  const std::string report = sd.connect_and_read(port);
  INFO(report);
  INFO(sd.systemctl({"status", name + ".service", name + ".socket"}).out);
  INFO("service output: " << (path_exists(files.dir.file("output"))
                                  ? read_file(files.dir.file("output"))
                                  : ""));
  const auto seen = parse_probe(report);
  REQUIRE(seen.count("listen-pid-matches"));
  CHECK(seen.at("listen-pid-matches") == "yes");
  CHECK(parse_fd_list(seen.at("fds")) == std::vector<int>{0, 1, 2, 3});
  std::map<std::string, std::string> env;
  for (const auto& [key, value] : probe_env(report))
    env[key] = value;
  CHECK(env.at("LISTEN_FDS") == "1");
  CHECK(env.at("LISTEN_FDNAMES") == "web");
  CHECK(env.at("LISTEN_PID") == seen.at("pid"));
  // Nothing else of systemd's environment leaks through the cleared environment.
  CHECK(env.count("INVOCATION_ID") == 0);
  CHECK(env.count("JOURNAL_STREAM") == 0);
  CHECK(env.size() == 3);
  CHECK(seen.at("rlimit_nofile") == "321 321");
  check_policy_state(status_of(sd, name + ".service"));
  CHECK(sd.property(name + ".service", "MainPID") == seen.at("pid"));

  // A second connection is served by the same process from the same socket.
  CHECK(parse_probe(sd.connect_and_read(port)).at("pid") == seen.at("pid"));

  if (type == "simple") {
    sd.systemctl({"stop", name + ".service"});
    CHECK(sd.wait_for(name + ".service", "ActiveState", "failed"));
    CHECK(sd.property(name + ".service", "ExecMainStatus") == "115");  // SIGTERM
  } else {
    sd.systemctl({"kill", "--signal=SIGUSR1", name + ".service"});
    CHECK(sd.wait_for(name + ".service", "ActiveState", "failed"));
    CHECK(sd.property(name + ".service", "ExecMainStatus") == "110");  // SIGUSR1
  }
}

TEST_CASE("NOTIFY_SOCKET reaches the target unless the policy says pass_notify_socket = false",
          "[systemd][environment]") {
  TempDir dir;
  auto env_of = [&](const std::string& exec_section) {
    const std::string policy = write_policy(
        dir, unique_name("notify"),
        "[policy]\nname = \"notify\"\n" + exec_section + "[environment]\nclear = false\n");
    const RunResult r = run_harden({"--policy", policy, "--", probe_binary(), "status"},
                                   {.env = {"NOTIFY_SOCKET=/run/systemd/notify", "LISTEN_FDS=2",
                                            "LISTEN_PID=1", "LISTEN_FDNAMES=a:b"}});
    INFO(r.describe());
    REQUIRE(r.exited(0));
    std::map<std::string, std::string> env;
    for (const auto& [key, value] : probe_env(r.out))
      env[key] = value;
    return env;
  };
  const auto passed = env_of("");
  CHECK(passed.at("NOTIFY_SOCKET") == "/run/systemd/notify");
  // LISTEN_PID names another process: the fds are not harden's, so neither are the
  // variables, even with clear = false (they would describe fds the target does not have).
  CHECK(passed.count("LISTEN_FDS") == 0);
  CHECK(passed.count("LISTEN_FDNAMES") == 0);
  CHECK(passed.count("LISTEN_PID") == 0);
  const auto withheld = env_of("[exec]\npass_notify_socket = false\n");
  CHECK(withheld.count("NOTIFY_SOCKET") == 0);
}

TEST_CASE("a constructed root gets systemd's notify socket bound in",
          "[systemd][filesystem][root]") {
  require_root();
  TempDir dir("harden-notify-root");
  dir.chmod(0755);
  const std::string bin = dir.mkdir("bin");
  const std::string probe = bin + "/probe";
  copy_file(probe_binary(), probe);
  // A stand-in for systemd's /run/systemd/notify: a datagram socket outside the new root.
  const std::string socket_path = dir.file("notify.sock");
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string policy = write_policy(dir, "root",
                                          "[policy]\nname = \"notify-root\"\n"
                                          "[filesystem]\nread_only = [\"" +
                                              bin + "\"]\n");
  // The probe waits for its trigger (its own binary, present), notifies, then runs until the
  // harness's timeout ends it.
  const RunResult r =
      run_harden({"--policy", policy, "--", probe, "sd-notify", probe},
                 {.env = {"NOTIFY_SOCKET=" + socket_path}, .timeout = std::chrono::seconds(2)});
  INFO(r.describe());
  CHECK(r.out.find("sd-notify: sent") != std::string::npos);
  char buffer[256] = {};
  const ssize_t n = recv(fd, buffer, sizeof buffer - 1, MSG_DONTWAIT);
  close(fd);
  CHECK(std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0) ==
        "READY=1\nSTATUS=harden probe ready");
}

namespace {

// The native export of policies/strict.toml, with the policy's chroot moved to a jail of the
// test's own holding only the static probe, installed as a drop-in of a unit in the booted
// systemd. Each run starts the unit with the probe's arguments and waits for it to end.
// policies/strict.toml runs under a uid and gid of its own that need no account under
// harden; systemd's User= does want one, as any real deployment would create. The test makes
// it (uniquely named) when the machine has none, and removes it afterwards.
constexpr uid_t kStrictId = 64900;

class StrictAccount {
 public:
  StrictAccount() {
    if (::getpwuid(kStrictId) && ::getgrgid(kStrictId)) return;  // the host already has one
    if (::getpwuid(kStrictId) || ::getgrgid(kStrictId)) {
      skip("uid or gid " + std::to_string(kStrictId) + " is half taken on this machine");
    }
    name_ = unique_name("hdns").substr(0, 31);
    const std::string id = std::to_string(kStrictId);
    const RunResult group = run({"groupadd", "--system", "--gid", id, name_});
    if (!group.exited(0)) throw std::runtime_error("groupadd failed: " + group.describe());
    const RunResult user =
        run({"useradd", "--system", "--uid", id, "--gid", id, "--no-create-home", "--home-dir",
             "/nonexistent", "--shell", "/usr/sbin/nologin", name_});
    if (!user.exited(0)) {
      (void)run({"groupdel", name_});
      throw std::runtime_error("useradd failed: " + user.describe());
    }
  }
  ~StrictAccount() {
    if (name_.empty()) return;
    (void)run({"userdel", name_});
    (void)run({"groupdel", name_});  // userdel may have taken it already
  }
  StrictAccount(const StrictAccount&) = delete;
  StrictAccount& operator=(const StrictAccount&) = delete;

 private:
  std::string name_;  // empty when the account was there before
};

struct NativeStrictUnit {
  StrictAccount account;
  const BootedSystemd& sd;
  TempDir dir{"harden-sd-native"};
  std::string jail, policy, output;
  std::string name = "harden-native";

  explicit NativeStrictUnit(const BootedSystemd& booted) : sd(booted) {
    dir.chmod(0755);
    jail = dir.mkdir("jail");
    copy_file(probe_binary(), jail + "/probe", 0755);
    output = dir.file("output");
    // A base must lie in the policy's directory tree (or the search path): copy it there.
    copy_file(source_dir() + "/policies/strict.toml", dir.file("strict.toml"), 0644);
    policy = write_policy(dir, "strict-native",
                          "[policy]\nname = \"strict-native\"\nextends = "
                          "[\"strict.toml\"]\n[filesystem]\nchroot = \"" +
                              jail + "\"\n");
  }

  // Installs the unit for `args` (ExecStart inside the jail) and returns the drop-in.
  std::string install(const std::string& type, const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"export", "--format", "systemd", "--native",
                                  policy,   "--",       "/probe"};
    argv.insert(argv.end(), args.begin(), args.end());
    const RunResult exported = run_harden(argv);
    INFO(exported.describe());
    REQUIRE(exported.exited(0));
    sd.install_unit(name + ".service", "[Unit]\nDefaultDependencies=no\n[Service]\nType=" + type +
                                           "\nStandardOutput=truncate:" + output +
                                           "\nStandardError=append:" + output +
                                           "\nExecStart=/bin/false\n");
    std::filesystem::create_directories(sd.host_path("/run/systemd/system/" + name + ".service.d"));
    sd.install_unit(name + ".service.d/harden.conf", exported.out);
    return exported.out;
  }

  std::string output_text() const { return path_exists(output) ? read_file(output) : ""; }
};

}  // namespace

TEST_CASE("the native export of policies/strict.toml runs its static program in systemd",
          "[systemd][export][root]") {
  BootedSystemd sd;
  NativeStrictUnit unit(sd);
  const std::string service = unit.name + ".service";

  SECTION("the program runs to success, as the policy's own uid") {
    const std::string drop_in = unit.install("oneshot", {"ids"});
    INFO(drop_in);
    const RunResult started = sd.systemctl({"start", service});
    INFO(started.describe() << "\n"
                            << sd.systemctl({"status", service}).out << "\n"
                            << sd.console() << "\noutput:\n"
                            << unit.output_text());
    CHECK(started.exited(0));
    CHECK(sd.property(service, "Result") == "success");
    CHECK(sd.property(service, "ExecMainStatus") == "0");
    auto seen = parse_probe(unit.output_text());
    CHECK(seen["uid"] == "64900 64900 64900");
    CHECK(seen["gid"] == "64900 64900 64900");
    // systemd's initgroups() lists the primary group among the supplementary ones: no group
    // beyond the gid the process has anyway.
    CHECK((seen["groups"] == "" || seen["groups"] == "64900"));
  }

  SECTION("while it runs, the kernel shows the policy's state") {
    unit.install("exec", {"sleep", "60"});
    REQUIRE(sd.systemctl({"start", service}).exited(0));
    REQUIRE(sd.wait_for(service, "ActiveState", "active"));
    const auto status = status_of(sd, service);
    INFO(unit.output_text());
    check_policy_state(status, std::to_string(kStrictId));
    CHECK(status.at("CapPrm") == "0000000000000000");
    CHECK(status.at("CapAmb") == "0000000000000000");
    // The jail as harden shows it: systemd mounted none of the host's API file systems in.
    const std::string mountinfo =
        read_file(sd.host_path("/proc/" + sd.property(service, "MainPID") + "/mountinfo"));
    INFO(mountinfo);
    std::map<std::string, std::string> type_at;  // mount point -> file system type
    std::istringstream lines(mountinfo);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::string id, parent, device, root, point;
      fields >> id >> parent >> device >> root >> point;
      std::istringstream after(line.substr(line.find(" - ") + 3));
      after >> type_at[point];
    }
    for (const auto& [point, type] : type_at) {
      INFO(point);
      CHECK(type != "proc");
      CHECK(type != "sysfs");
      CHECK_FALSE(type.starts_with("cgroup"));
    }
    CHECK(type_at["/dev"] == "tmpfs");  // PrivateDevices=' own, not the host's devtmpfs
    sd.systemctl({"stop", service});
  }

  SECTION("clone3 answers ENOSYS, as under harden") {
    unit.install("oneshot", {"clone3"});
    sd.systemctl({"start", service});
    INFO(unit.output_text());
    CHECK(sd.property(service, "ExecMainCode") == "1");  // exited, not killed by SIGSYS
    CHECK(sd.property(service, "ExecMainStatus") == std::to_string(kProbeExitErrno));
    CHECK(parse_probe(unit.output_text())["errno"] == "ENOSYS");
  }

  SECTION("MemoryDenyWriteExecute refuses writable and executable memory") {
    unit.install("oneshot", {"wx-memory"});
    sd.systemctl({"start", service});
    INFO(unit.output_text());
    CHECK(sd.property(service, "ExecMainStatus") == std::to_string(kProbeExitErrno));
    auto seen = parse_probe(unit.output_text());
    CHECK(seen["mmap_wx"] == "errno EPERM");  // systemd's seccomp answer (harden's is EACCES)
    CHECK(seen["mprotect_exec"] == "errno EPERM");
  }
}

TEST_CASE("cgroup limits in a real systemd unit are refused by default or left to it by name",
          "[systemd][cgroup][root]") {
  BootedSystemd sd;
  TempDir dir{"harden-sd-cg"};
  dir.chmod(0755);
  const std::string probe = dir.file("probe");
  copy_file(probe_binary(), probe);
  const std::string limits = "[policy]\nname = \"sd-cg\"\n[cgroup]\npids = 8\nmemory = \"64M\"\n";
  struct Case {
    std::string unit, policy_text, status;
  };
  const std::vector<Case> cases{
      {"harden-cg-fail.service", limits, "214"},
      {"harden-cg-leave.service", limits + "systemd = \"leave\"\n", "0"},
  };
  for (const Case& c : cases) {
    INFO(c.unit);
    const std::string policy = write_policy(dir, c.unit, c.policy_text);
    const std::string output = dir.file(c.unit + ".out");
    sd.install_unit(c.unit,
                    "[Unit]\nDefaultDependencies=no\n[Service]\nType=oneshot\n"
                    "StandardOutput=append:" +
                        output + "\nStandardError=append:" + output +
                        "\nExecStart=" + harden_binary() + " --policy " + policy + " -- " + probe +
                        " cat /proc/self/cgroup\n");
    (void)sd.systemctl({"start", c.unit});
    INFO(sd.console());
    CHECK(sd.property(c.unit, "ExecMainStatus") == c.status);
    const std::string out = path_exists(output) ? read_file(output) : "";
    INFO(out);
    if (c.status == "214") {
      CHECK(out.find("step 'cgroup' failed: harden runs in systemd unit " + c.unit) !=
            std::string::npos);
      CHECK(out.find("0::") == std::string::npos);  // the target never ran
    } else {
      // No limit is dropped without a word, and the target stays in the unit's own cgroup.
      CHECK(out.find("harden: warning: [cgroup] systemd = \"leave\": harden runs in systemd unit " +
                     c.unit) != std::string::npos);
      CHECK(out.find("memory (MemoryMax=), pids (TasksMax=)") != std::string::npos);
      CHECK(out.find("/" + c.unit + "\n") != std::string::npos);
      CHECK(out.find("/harden/") == std::string::npos);
    }
  }
}

// issue 13: @service allows clone only without namespace flags. The native export once left
// clone out of SystemCallFilter=, and the first thread of the service died of SIGSYS. Now the
// call is allowed and RestrictNamespaces=yes says the rest: Python's threaded http.server
// (ThreadingHTTPServer, a thread per request) serves under systemd alone, and stops cleanly.
TEST_CASE("a threaded service serves under the native export of a policy with a clone rule",
          "[systemd][export][root]") {
  const std::string python = "/usr/bin/python3";
  if (access(python.c_str(), X_OK) != 0) skip("no " + python + " (apt-get install python3)");
  BootedSystemd sd;
  TempDir dir{"harden-sd-threads"};
  dir.chmod(0755);
  const uint16_t port = unique_port(31);
  const std::string policy = write_policy(dir, "threads", R"([policy]
name = "sd-threads"

[identity]
user = "nobody"
group = "nogroup"

[capabilities]
keep = []

[seccomp]
default_action = "kill-process"
architectures = ["native"]
allow = ["@service"]

# The policy's own rule on clone, AND-ed with @service's namespace condition.
[[seccomp.rule]]
syscall = "clone"
action = "allow"
args = [{ index = 0, op = "masked-eq", mask = "CLONE_NEWUSER", value = 0 }]
)");
  const RunResult exported = run_harden({"export", "--format", "systemd", "--native", policy, "--",
                                         python, "-m", "http.server", std::to_string(port),
                                         "--bind", "127.0.0.1", "--directory", dir.path()});
  INFO(exported.describe());
  REQUIRE(exported.exited(0));
  const std::string& drop_in = exported.out;
  CHECK(drop_in.find("RestrictNamespaces=yes\n") != std::string::npos);
  CHECK(drop_in.find(" clone ") != std::string::npos);  // on an allow line
  write_file(dir.file("hello.txt"), "served under systemd\n");
  const std::string unit = "harden-threads-" + std::to_string(getpid());
  const std::string service = unit + ".service";
  sd.install_unit(service, "[Unit]\nDefaultDependencies=no\n" + drop_in +
                               "StandardError=append:" + dir.file("log") + "\n");
  const RunResult started = sd.systemctl({"start", service});
  INFO(started.describe() << drop_in << "\n"
                          << sd.systemctl({"status", service}).out << "\n"
                          << sd.console());
  REQUIRE(started.exited(0));
  std::string reply;
  for (int attempt = 0; attempt < 50 && reply.empty(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    reply = sd.connect_and_read(port, "GET /hello.txt HTTP/1.0\r\nHost: x\r\n\r\n");
  }
  INFO("reply: " << reply << "\nlog: "
                 << (std::filesystem::exists(dir.file("log")) ? read_file(dir.file("log"))
                                                              : std::string()));
  CHECK(reply.starts_with("HTTP/1.0 200"));
  CHECK(reply.find("served under systemd") != std::string::npos);
  // A second request: a second thread.
  CHECK(sd.connect_and_read(port, "GET /hello.txt HTTP/1.0\r\n\r\n").starts_with("HTTP/1.0 200"));
  CHECK(sd.property(service, "ActiveState") == "active");
  CHECK(sd.systemctl({"stop", service}).exited(0));
  // Stopped by SIGTERM, which Python does not catch: not a SIGSYS.
  CHECK(sd.property(service, "Result") == "success");
  CHECK(sd.property(service, "ExecMainStatus") != "31");
}
