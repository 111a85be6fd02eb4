// @service, the curated default syscall set, under the real binary: a threaded, forking
// Python HTTP daemon serves a page over loopback, while in the same policy TIOCSTI (with and
// without high bits in the request) and unshare(CLONE_NEWUSER) are refused by the kernel. And
// the refusing rule that used to disappear (issue 12 item 2): allow ioctl except TIOCSTI,
// errno:EPERM for TIOCLINUX, default errno:EPERM; TIOCLINUX must be answered EPERM by the
// filter, not ENOTTY by the tty layer.
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/harness.hpp"

using namespace harden::test;

namespace {

constexpr auto kTimeout = std::chrono::seconds(60);
constexpr const char* kNrIoctl = "16";     // x86_64
constexpr const char* kNrUnshare = "272";  // x86_64
constexpr const char* kTiocsti = "0x5412";
constexpr const char* kTiocstiHighBits = "0xffffffff00005412";
constexpr const char* kTioclinux = "0x541c";
constexpr const char* kCloneNewuser = "0x10000000";
constexpr const char* kCloneFiles = "0x400";

// A service policy on @service, written to lint clean: the findings that are not about the
// system-call filter are suppressed with reasons, so any seccomp finding fails the test.
const char* kServicePolicy = R"([policy]
name = "service-group"

[exec]
umask = "0027"

[identity]
user = "nobody"
group = "nogroup"
supplementary_groups = []
no_new_privileges = true

[capabilities]
keep = []

[seccomp]
default_action = "kill-process"
architectures = ["native"]
allow = ["@service"]

[limits]
nofile = 256
nproc = 512
core = 0

[environment]
clear = true
keep = []
set = { PATH = "/usr/bin:/bin" }

[lint]
allow = [
  { rule = "filesystem-unrestricted", reason = "the test is about the system-call filter" },
  { rule = "exec-lock-off", reason = "the test is about the system-call filter" },
  { rule = "landlock-off", reason = "the test is about the system-call filter" },
  { rule = "network-unrestricted", reason = "the daemon serves loopback" },
]
)";

// The daemon: ThreadingHTTPServer on an ephemeral loopback port (a thread per request), a
// forked child that fetches the page, and a subprocess; it prints what each saw.
const char* kDaemon = R"py(import http.server, os, subprocess, sys, threading, urllib.request

BODY = b"served under @service\n"

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
port = server.server_address[1]
threading.Thread(target=server.serve_forever, daemon=True).start()

pid = os.fork()
if pid == 0:
    page = urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=20).read()
    os._exit(0 if page == BODY else 3)
_, status = os.waitpid(pid, 0)
print("fork-fetch:", os.waitstatus_to_exitcode(status))
page = urllib.request.urlopen("http://127.0.0.1:%d/x" % port, timeout=20).read()
print("thread-fetch:", page.decode().strip())
child = subprocess.run([sys.executable, "-c", "print('from a subprocess')"],
                       capture_output=True, timeout=20)
print("subprocess:", child.stdout.decode().strip())
server.shutdown()
print("done")
)py";

struct Box {
  TempDir dir{"harden-service"};
  std::string probe;
  Box() {
    dir.chmod(0755);
    probe = dir.file("probe");
    copy_file(probe_binary(), probe, 0755);
  }
};

RunResult sandboxed(const std::string& policy, std::vector<std::string> command) {
  std::vector<std::string> args{"--policy", policy, "--"};
  args.insert(args.end(), command.begin(), command.end());
  RunOptions options;
  options.timeout = kTimeout;
  return run_harden(std::move(args), options);
}

}  // namespace

TEST_CASE("@service: a threaded, forking daemon runs, while TIOCSTI and user namespaces do not",
          "[kernel][root][seccomp]") {
  require_root();
  const std::string python = "/usr/bin/python3";
  if (!path_exists(python)) skip("needs " + python + " for the daemon");
  Box box;
  const std::string policy = write_policy(box.dir, "service", kServicePolicy);
  const std::string daemon = box.dir.file("daemon.py");
  write_file(daemon, kDaemon, 0644);

  SECTION("it lints clean") {
    RunResult lint = run_harden({"lint", policy});
    INFO(lint.describe());
    CHECK(lint.exited(0));
    CHECK(lint.out.find("dangerous-syscall") == std::string::npos);
  }
  SECTION("the daemon serves, with threads, a fork and a subprocess") {
    RunResult r = sandboxed(policy, {python, "-I", "-S", daemon});
    INFO(r.describe());
    REQUIRE(r.exited(0));
    const auto seen = parse_probe(r.out);
    CHECK(seen.at("fork-fetch") == "0");
    CHECK(seen.at("thread-fetch") == "served under @service");
    CHECK(seen.at("subprocess") == "from a subprocess");
    CHECK(r.out.find("\ndone\n") != std::string::npos);
  }
  SECTION("TIOCSTI is killed by the kernel, high request bits included") {
    for (const char* request : {kTiocsti, kTiocstiHighBits, kTioclinux}) {
      INFO(request);
      // Without harden the call fails on its own (stdin is /dev/null: ENOTTY), never SIGSYS.
      RunResult control = run_probe({"syscall", kNrIoctl, "0", request, "0"});
      INFO(control.describe());
      CHECK(control.exited(kProbeExitErrno));
      RunResult r = sandboxed(policy, {box.probe, "syscall", kNrIoctl, "0", request, "0"});
      INFO(r.describe());
      CHECK(r.killed_by(SIGSYS));
    }
    // Other requests pass: the grant is narrowed, not withdrawn.
    RunResult fionread = sandboxed(policy, {box.probe, "syscall", kNrIoctl, "0", "0x541b", "0"});
    INFO(fionread.describe());
    CHECK_FALSE(fionread.killed_by(SIGSYS));
  }
  SECTION("unshare(CLONE_NEWUSER) is killed, unshare(CLONE_FILES) runs") {
    RunResult newuser = sandboxed(policy, {box.probe, "syscall", kNrUnshare, kCloneNewuser});
    INFO(newuser.describe());
    CHECK(newuser.killed_by(SIGSYS));
    RunResult files = sandboxed(policy, {box.probe, "syscall", kNrUnshare, kCloneFiles});
    INFO(files.describe());
    CHECK(files.exited(kProbeExitOk));
  }
}

TEST_CASE("seccomp: a refusing rule with the default action is not dropped (TIOCLINUX)",
          "[kernel][root][seccomp]") {
  require_root();
  Box box;
  const std::string policy = write_policy(box.dir, "tioclinux", R"([policy]
name = "tioclinux"

[identity]
user = "nobody"
group = "nogroup"
supplementary_groups = []
no_new_privileges = true

[seccomp]
default_action = "errno:EPERM"
allow = ["@basic-io", "@default", "@signal", "@file-system", "@io-event"]

[[seccomp.rule]]
syscall = "ioctl"
args = [{ index = 1, op = "ne", value = "TIOCSTI" }]

[[seccomp.rule]]
syscall = "ioctl"
action = "errno:EPERM"
args = [{ index = 1, op = "eq", value = "TIOCLINUX" }]
)");
  RunResult validate = run_harden({"validate", policy});
  INFO(validate.describe());
  CHECK(validate.err.find("no effect") == std::string::npos);

  // Without the filter TIOCLINUX on /dev/null fails with ENOTTY.
  RunResult control = run_probe({"syscall", kNrIoctl, "0", kTioclinux, "0"});
  INFO(control.describe());
  REQUIRE(control.exited(kProbeExitErrno));
  CHECK(parse_probe(control.out)["errno"] == "ENOTTY");

  for (const char* request : {kTioclinux, "0x100000000541c"}) {
    INFO(request);
    RunResult r = sandboxed(policy, {box.probe, "syscall", kNrIoctl, "0", request, "0"});
    INFO(r.describe());
    CHECK(r.exited(kProbeExitErrno));
    CHECK(parse_probe(r.out)["errno"] == "EPERM");
  }
  // The allow rule still lets other requests reach the tty layer.
  RunResult fionread = sandboxed(policy, {box.probe, "syscall", kNrIoctl, "0", "0x541b", "0"});
  INFO(fionread.describe());
  CHECK(parse_probe(fionread.out)["errno"] != "EPERM");
}
