// Landlock, the exec lock and the IPC scopes, read back from inside the sandbox. The probe
// runs as root (no [identity]) wherever a refusal must not be explainable by file modes or
// uids: root passes every DAC and kill() check, so EACCES/EPERM can only come from
// Landlock. Every refusal has a control run without the layer that succeeds.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "compiler/compile.hpp"
#include "enforcer/steps.hpp"
#include "tests/support/harness.hpp"

extern char** environ;

using namespace harden::test;

namespace {

constexpr auto kTimeout = std::chrono::seconds(20);
constexpr int kExitLandlock = 215;

// The probe copied into a directory of its own, and policies next to it.
struct Box {
  TempDir dir{"harden-landlock"};
  std::string probe;
  Box() {
    dir.chmod(0755);
    probe = dir.file("probe");
    copy_file(probe_binary(), probe, 0755);
  }
  std::string policy(const std::string& body, const std::string& name = "ll") const {
    return write_policy(dir, name, "[policy]\nname = \"ll\"\n\n" + body);
  }
};

RunResult sandboxed(const std::string& policy, std::vector<std::string> command) {
  std::vector<std::string> args{"--policy", policy, "--"};
  args.insert(args.end(), command.begin(), command.end());
  return run_harden(std::move(args), {.timeout = kTimeout});
}

std::string errno_of(const RunResult& r) {
  return parse_probe(r.out)["errno"];
}

// A file descriptor that closes itself.
struct Socket {
  int fd = -1;
  explicit Socket(int f) : fd(f) { REQUIRE(fd >= 0); }
  ~Socket() { ::close(fd); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
};

// A TCP listener on 127.0.0.1 at a port the kernel picks.
struct TcpListener {
  Socket socket{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  int port = 0;
  TcpListener() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(socket.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(socket.fd, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(socket.fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
};

// A port nobody listens on right now (bound and released).
int free_port() {
  const TcpListener probe_port;
  return probe_port.port;
}

// A listening abstract UNIX socket, "\0name".
struct AbstractListener {
  std::string name = unique_name("harden-abstract");
  Socket socket{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  AbstractListener() {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path + 1, name.data(), name.size());
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    REQUIRE(::bind(socket.fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(::listen(socket.fd, 16) == 0);
  }
};

// A host process the sandbox must not be able to signal; killed and reaped on every path.
struct Canary {
  pid_t pid = -1;
  Canary() {
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (;;)
        ::pause();
    }
  }
  ~Canary() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  [[nodiscard]] bool alive() const {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) == 0;
  }
};

// Moves this test process into a fresh network namespace with only loopback up, and back
// when it goes: port rules are then tested against nothing but Landlock, whatever firewall
// the host (or another test) has installed.
class PrivateLoopback {
 public:
  PrivateLoopback() : host_(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) {
    REQUIRE(host_ >= 0);
    REQUIRE(::unshare(CLONE_NEWNET) == 0);
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    ifreq ifr{};
    std::strcpy(ifr.ifr_name, "lo");
    const bool up = ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 &&
                    (ifr.ifr_flags |= IFF_UP, ::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
    ::close(fd);
    REQUIRE(up);
  }
  ~PrivateLoopback() {
    ::setns(host_, CLONE_NEWNET);
    ::close(host_);
  }
  PrivateLoopback(const PrivateLoopback&) = delete;
  PrivateLoopback& operator=(const PrivateLoopback&) = delete;

 private:
  int host_;
};

}  // namespace

TEST_CASE("landlock: a read outside the allowed paths fails with EACCES", "[landlock][root]") {
  require_root();
  Box box;
  box.dir.mkdir("allowed");
  box.dir.mkdir("other");
  box.dir.mkdir("rw");
  write_file(box.dir.file("allowed/data"), "in\n");
  write_file(box.dir.file("other/data"), "out\n");
  const std::string policy = box.policy("[landlock]\nread = [\"" + box.dir.file("allowed") +
                                        "\"]\nwrite = [\"" + box.dir.file("rw") + "\"]\n");
  const std::string control = box.policy("", "control");

  RunResult inside = sandboxed(policy, {box.probe, "open", box.dir.file("allowed/data")});
  INFO(inside.describe());
  CHECK(inside.exited(kProbeExitOk));

  RunResult outside = sandboxed(policy, {box.probe, "open", box.dir.file("other/data")});
  INFO(outside.describe());
  CHECK(outside.exited(kProbeExitErrno));
  CHECK(errno_of(outside) == "EACCES");
  RunResult outside_control = sandboxed(control, {box.probe, "open", box.dir.file("other/data")});
  CHECK(outside_control.exited(kProbeExitOk));

  // read grants no write; write does.
  RunResult write_ro = sandboxed(policy, {box.probe, "open", box.dir.file("allowed/data"), "w"});
  CHECK(errno_of(write_ro) == "EACCES");
  RunResult write_rw = sandboxed(policy, {box.probe, "write", box.dir.file("rw/new"), "x"});
  INFO(write_rw.describe());
  CHECK(write_rw.exited(kProbeExitOk));
  CHECK(read_file(box.dir.file("rw/new")) == "x");
}

TEST_CASE("landlock: a rule path that does not exist stops the launch", "[landlock][root]") {
  require_root();
  Box box;
  const std::string marker = box.dir.file("ran");
  const std::string missing = box.dir.file("no-such-dir");
  const std::string text = "[landlock]\nread = [\"" + missing + "\"]\n";
  const std::string policy = box.policy(text);
  RunResult r = sandboxed(policy, {box.probe, "write", marker, "x"});
  INFO(r.describe());
  CHECK(r.exited(kExitLandlock));
  CHECK(r.err.find("step 'landlock' failed") != std::string::npos);
  CHECK(r.err.find(missing) != std::string::npos);
  CHECK(r.err.find(policy + ":5:9") != std::string::npos);  // where the path was written
  CHECK_FALSE(path_exists(marker));
}

TEST_CASE("exec lock: nothing runs after the target, /bin/sh fails with EACCES",
          "[landlock][exec-lock][root]") {
  require_root();
  Box box;
  // Everything readable, so the only thing missing for /bin/sh is the execute right.
  const std::string policy = box.policy("[landlock]\nread = [\"/\"]\n");
  const std::string control = box.policy("", "control");

  // The total lock: not even the target itself again (test_escapes.cpp says why).
  RunResult self = sandboxed(policy, {box.probe, "exec", box.probe, "write-stdout", "again\n"});
  INFO(self.describe());
  CHECK(self.exited(kProbeExitErrno));
  CHECK(errno_of(self) == "EACCES");
  // Listed in execute, it may.
  const std::string again =
      box.policy("[landlock]\nread = [\"/\"]\nexecute = [\"" + box.probe + "\"]\n", "again");
  RunResult listed_self =
      sandboxed(again, {box.probe, "exec", box.probe, "write-stdout", "again\n"});
  INFO(listed_self.describe());
  CHECK(listed_self.exited(kProbeExitOk));
  CHECK(listed_self.out == "again\n");

  RunResult shell = sandboxed(policy, {box.probe, "exec", "/bin/sh", "-c", "exit 0"});
  INFO(shell.describe());
  CHECK(shell.exited(kProbeExitErrno));
  CHECK(errno_of(shell) == "EACCES");
  RunResult shell_control = sandboxed(control, {box.probe, "exec", "/bin/sh", "-c", "exit 0"});
  CHECK(shell_control.exited(0));

  SECTION("a dynamic target found in PATH gets its ELF interpreter") {
    RunResult dynamic = sandboxed(policy, {"sh", "-c", "exit 3"});
    INFO(dynamic.describe());
    CHECK(dynamic.exited(3));
    // ...but the shell cannot start another program.
    RunResult child = sandboxed(policy, {"sh", "-c", "/bin/true"});
    CHECK(child.exited(126));
  }
  SECTION("programs listed in execute may run, with their interpreter") {
    const std::string more =
        box.policy("[landlock]\nread = [\"/\"]\nexecute = [\"/bin/sh\"]\n", "more");
    RunResult listed = sandboxed(more, {box.probe, "exec", "/bin/sh", "-c", "exit 4"});
    INFO(listed.describe());
    CHECK(listed.exited(4));
  }
}

TEST_CASE("landlock: TCP bind and connect only on the listed ports", "[landlock][net][root]") {
  require_root();
  const PrivateLoopback netns;
  Box box;
  const TcpListener allowed, denied;
  const int bind_ok = free_port();
  int bind_denied = free_port();
  if (bind_denied == bind_ok) bind_denied = free_port();
  const std::string policy =
      box.policy("[landlock]\nfilesystem = false\nconnect_tcp = [" + std::to_string(allowed.port) +
                 "]\nbind_tcp = [" + std::to_string(bind_ok) + "]\n");
  const std::string control = box.policy("", "control");
  const std::string a = std::to_string(allowed.port), d = std::to_string(denied.port);

  CHECK(sandboxed(policy, {box.probe, "connect-tcp", "127.0.0.1", a}).exited(kProbeExitOk));
  RunResult refused = sandboxed(policy, {box.probe, "connect-tcp", "127.0.0.1", d});
  INFO(refused.describe());
  CHECK(errno_of(refused) == "EACCES");
  CHECK(sandboxed(control, {box.probe, "connect-tcp", "127.0.0.1", d}).exited(kProbeExitOk));

  CHECK(sandboxed(policy, {box.probe, "bind-tcp", std::to_string(bind_ok)}).exited(kProbeExitOk));
  RunResult bind_refused = sandboxed(policy, {box.probe, "bind-tcp", std::to_string(bind_denied)});
  CHECK(errno_of(bind_refused) == "EACCES");
  CHECK(sandboxed(control, {box.probe, "bind-tcp", std::to_string(bind_denied)})
            .exited(kProbeExitOk));
}

TEST_CASE("ipc scopes: abstract sockets and signals outside the sandbox are refused",
          "[landlock][ipc][root]") {
  require_root();
  Box box;
  const AbstractListener listener;
  const Canary canary;
  const std::string pid = std::to_string(canary.pid);
  const std::string policy =
      box.policy("[ipc]\nabstract_unix_sockets = \"deny\"\nsignals = \"deny\"\n");
  const std::string control = box.policy("", "control");

  // Control: without the scopes, both reach the host (signal 0 checks without delivering).
  CHECK(sandboxed(control, {box.probe, "connect-abstract", listener.name}).exited(kProbeExitOk));
  CHECK(sandboxed(control, {box.probe, "kill", pid, "0"}).exited(kProbeExitOk));

  RunResult connect = sandboxed(policy, {box.probe, "connect-abstract", listener.name});
  INFO(connect.describe());
  CHECK(connect.exited(kProbeExitErrno));
  CHECK(errno_of(connect) == "EPERM");
  RunResult kill = sandboxed(policy, {box.probe, "kill", pid, std::to_string(SIGKILL)});
  INFO(kill.describe());
  CHECK(kill.exited(kProbeExitErrno));
  CHECK(errno_of(kill) == "EPERM");
  CHECK(canary.alive());
  // The scope is only about the outside: the target may still signal itself.
  RunResult self = sandboxed(policy, {box.probe, "kill", "0", "0"});
  CHECK(self.exited(kProbeExitOk));
}

namespace {

// The real enforcer with the real syscalls, except that landlock_abi() reports an older
// kernel: the seam through which an ABI shortfall is tested on a new kernel.
class OldKernelSys final : public harden::RealSys {
 public:
  explicit OldKernelSys(int abi) : abi_(abi) {}
  int landlock_abi() override {
    if (abi_ < 0) errno = EOPNOTSUPP;
    return abi_;
  }

 private:
  int abi_;
};

struct Launch {
  int exit_code = -1;
  std::string err;
};

// Compiles and runs a policy in a forked child through enforce_and_exec with OldKernelSys.
Launch launch_on_old_kernel(const std::string& policy, int abi, std::vector<std::string> command,
                            const TempDir& dir) {
  const std::string err_file = dir.file("stderr-" + unique_name("abi"));
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const int fd = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::dup2(fd, STDERR_FILENO) < 0) ::_exit(99);
    const int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, STDOUT_FILENO);
    harden::Diagnostics diags;
    std::optional<harden::Plan> plan = harden::compile_policy_file(policy, diags);
    if (!plan) ::_exit(98);
    auto ctx = harden::prepare_exec(plan->data(), command, environ);
    if (!ctx) ::_exit(97);
    OldKernelSys sys(abi);
    ::_exit(harden::enforce_and_exec(*plan, *ctx, sys));
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  Launch out;
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  out.err = read_file(err_file);
  return out;
}

}  // namespace

TEST_CASE("landlock ABI shortfall: enforce fails closed, best-effort says what it dropped",
          "[landlock][abi][root]") {
  require_root();
  Box box;
  const Canary canary;
  const std::string marker = box.dir.file("ran");
  const std::string scopes = "[ipc]\nabstract_unix_sockets = \"deny\"\nsignals = \"deny\"\n";

  SECTION("enforce on ABI 5 refuses a policy that needs the ABI 6 scopes") {
    const std::string policy = box.policy(scopes);
    Launch r = launch_on_old_kernel(policy, 5, {box.probe, "write", marker, "x"}, box.dir);
    INFO(r.err);
    CHECK(r.exit_code == kExitLandlock);
    CHECK(r.err.find("Landlock ABI is 5") != std::string::npos);
    CHECK(r.err.find("abstract unix socket scope (ABI 6), signal scope (ABI 6)") !=
          std::string::npos);
    CHECK(r.err.find("the target was not started") != std::string::npos);
    CHECK_FALSE(path_exists(marker));
  }
  SECTION("enforce without Landlock at all refuses too") {
    const std::string policy = box.policy("[landlock]\nread = [\"/\"]\n");
    Launch r = launch_on_old_kernel(policy, -1, {box.probe, "write", marker, "x"}, box.dir);
    INFO(r.err);
    CHECK(r.exit_code == kExitLandlock);
    CHECK(r.err.find("no Landlock (disabled at boot)") != std::string::npos);
    CHECK_FALSE(path_exists(marker));
  }
  SECTION("best-effort on ABI 3 drops the port rules and scopes, keeps the filesystem") {
    const std::string policy =
        box.policy("[landlock]\nmode = \"best-effort\"\nread = [\"/\"]\nwrite = [\"" +
                   box.dir.path() + "\"]\nconnect_tcp = [1]\n\n" + scopes);
    Launch r = launch_on_old_kernel(policy, 3, {box.probe, "kill", std::to_string(canary.pid), "0"},
                                    box.dir);
    INFO(r.err);
    CHECK(r.exit_code == kProbeExitOk);  // the signal scope was dropped: the kill got through
    CHECK(r.err.find("harden: landlock (best-effort): this kernel's Landlock ABI is 3; dropped: "
                     "tcp bind/connect port rules (ABI 4), ioctl on devices (ABI 5), abstract "
                     "unix socket scope (ABI 6), signal scope (ABI 6)") != std::string::npos);
    // What ABI 3 can do is still enforced: the exec lock.
    Launch shell =
        launch_on_old_kernel(policy, 3, {box.probe, "exec", "/bin/sh", "-c", "exit 0"}, box.dir);
    CHECK(shell.exit_code == kProbeExitErrno);
  }
}

TEST_CASE("landlock with a constructed root: rules derived from the view, exec lock",
          "[landlock][exec-lock][root]") {
  require_root();
  Box box;
  const std::string policy =
      box.policy("[filesystem]\nread_only = [\"/usr\", \"/lib\", \"/lib64\", \"/bin\", \"" +
                 box.dir.path() + "\"]\ntmpfs = [\"/tmp\"]\n\n[landlock]\n");
  // tmpfs is writable in the view, so the derived rule lets the target write there.
  RunResult write = sandboxed(policy, {box.probe, "write", "/tmp/x", "hi"});
  INFO(write.describe());
  CHECK(write.exited(kProbeExitOk));
  // /bin/sh is in the view but not the target: EACCES from the exec lock.
  RunResult shell = sandboxed(policy, {box.probe, "exec", "/bin/sh", "-c", "exit 0"});
  INFO(shell.describe());
  CHECK(errno_of(shell) == "EACCES");
  // A dynamic target found in PATH inside the view runs: it and its loader were mapped to
  // their bind sources and locked open before the root was built.
  RunResult dynamic = sandboxed(policy, {"sh", "-c", "exit 5"});
  INFO(dynamic.describe());
  CHECK(dynamic.exited(5));
}
