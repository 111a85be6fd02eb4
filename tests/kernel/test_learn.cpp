// harden learn on the real kernel: a workload with a thread, a grandchild and an exec'd program
// is learned, and each of the calls made only there is in the draft; the draft validates, lints
// without errors, and runs the workload, while a call never seen is killed; a file read is
// granted and a secret beside it is not; a bound port becomes a Landlock bind rule; --merge adds
// a run; SIGTERM to harden reaches the target and the draft is still written; and a Python HTTP
// server learned while serving one request serves again under its draft. Error paths: no
// command, a bad base (125 with file:line:col), an output that cannot be written.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/harness.hpp"

using namespace harden::test;

namespace {

constexpr auto kTimeout = std::chrono::seconds(120);
constexpr const char* kNrSysinfo = "99";  // x86_64; never made by the workload's own process
constexpr const char* kNrSyslog = "103";  // x86_64; made by nothing

// A port nobody listens on now, for the workload to bind.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The nft table a draft's firewall installs, removed whatever happens.
struct TableGuard {
  std::string name;
  ~TableGuard() { (void)run_harden({"down", name}); }
};

// A workload directory every user may enter: the probe, three readable files, a secret.
struct Workload {
  TempDir dir{"harden-learn"};
  std::string probe, data, secret;
  std::vector<std::string> files;
  Workload() {
    dir.chmod(0755);
    probe = dir.file("probe");
    copy_file(probe_binary(), probe, 0755);
    data = dir.mkdir("data", 0755);
    for (const char* name : {"a.txt", "b.txt", "c.txt"}) {
      files.push_back(data + "/" + name);
      write_file(files.back(), std::string("content of ") + name + "\n", 0644);
    }
    // Readable by the target through its group (nogroup), not by everyone: a secret, never
    // read by the workload.
    secret = data + "/secret.key";
    write_file(secret, "the secret\n", 0640);
    REQUIRE(::chown(secret.c_str(), 0, 65534) == 0);
  }
  std::vector<std::string> command(int port) const {
    std::vector<std::string> out{probe, "learn-workload", std::to_string(port), probe};
    out.insert(out.end(), files.begin(), files.end());
    return out;
  }
};

RunResult learn(std::vector<std::string> options, const std::vector<std::string>& command) {
  std::vector<std::string> args{"learn"};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back("--");
  args.insert(args.end(), command.begin(), command.end());
  RunOptions run_options;
  run_options.timeout = kTimeout;
  return run_harden(std::move(args), run_options);
}

RunResult under(const std::string& policy, const std::vector<std::string>& command) {
  std::vector<std::string> args{"--policy", policy, "--"};
  args.insert(args.end(), command.begin(), command.end());
  RunOptions options;
  options.timeout = kTimeout;
  return run_harden(std::move(args), options);
}

// The value of a TOML array key ("read = [ ... ]") as written in the draft.
std::string array_of(const std::string& text, const std::string& key) {
  const size_t at = text.find("\n" + key + " = [");
  if (at == std::string::npos) return {};
  const size_t end = text.find(']', at);
  return text.substr(at, end - at + 1);
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// The draft's comments joined back into lines (the writer wraps them at about 96 columns).
std::string unwrapped(std::string text) {
  for (size_t at = 0; (at = text.find("\n# ", at)) != std::string::npos;)
    text.replace(at, 3, " ");
  return text;
}

// harden started in the background, its output in files, for signals while it runs.
class Background {
 public:
  Background(const TempDir& dir, std::vector<std::string> args)
      : out_(dir.file("bg.out")), err_(dir.file("bg.err")) {
    args.insert(args.begin(), harden_binary());
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setpgid(0, 0);
      const int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int in = ::open("/dev/null", O_RDONLY);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Background() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  std::string out() const { return path_exists(out_) ? read_file(out_) : ""; }
  std::string err() const { return path_exists(err_) ? read_file(err_) : ""; }
  bool wait_for_output(const std::string& needle, std::chrono::seconds limit) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (contains(out(), needle)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  // The wait status, or -1 after `limit`.
  int wait(std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace

TEST_CASE(
    "learn: a thread, a grandchild and an exec'd program are all recorded, and the draft "
    "runs the workload",
    "[kernel][root][learn]") {
  require_root();
  Workload w;
  const std::string name = unique_name("learn");
  TableGuard table{name};
  const std::string draft = w.dir.file("draft.toml");
  const int port = free_port();

  // Without harden the workload works: the draft must keep it working.
  RunResult bare = run(w.command(port));
  INFO(bare.describe());
  REQUIRE(bare.exited(0));

  RunResult learned = learn({"--name", name, "-o", draft}, w.command(port));
  INFO(learned.describe());
  REQUIRE(learned.exited(0));
  CHECK(contains(learned.out, "workload: ok"));
  const std::string text = read_file(draft);
  INFO(text);

  SECTION("calls made only in a thread, a grandchild and an exec'd program are in the draft") {
    CHECK(contains(text, "\"sched_getparam\""));  // the second thread
    CHECK(contains(text, "\"getpriority\""));     // the grandchild
    CHECK(contains(text, "\"sysinfo\""));         // the exec'd program
    // Attributed to the program that made it, and the exec'd program is listed.
    CHECK(contains(array_of(text, "execute"), w.probe));
  }
  SECTION("files read are granted, the unread secret beside them is not") {
    const std::string read = array_of(text, "read");
    for (const std::string& file : w.files)
      CHECK(contains(read, file));
    CHECK_FALSE(contains(read, "secret.key"));
    CHECK_FALSE(contains(read, "\"" + w.data + "\""));  // the directory would grant it
    CHECK(contains(unwrapped(text), "secret.key is readable by the target but not by everyone"));
  }
  SECTION("the bound port is a Landlock bind rule, and sockets have argument rules") {
    CHECK(contains(text, "bind_tcp = [" + std::to_string(port) + "]"));
    CHECK(contains(text, "value = \"AF_INET\""));
    CHECK(contains(text, "syscall = \"clone\""));
  }
  SECTION("it validates, lints without errors, runs the workload, and kills what was not seen") {
    RunResult validate = run_harden({"validate", draft});
    INFO(validate.describe());
    CHECK(validate.exited(0));
    RunResult lint = run_harden({"lint", draft});
    INFO(lint.describe());
    CHECK(contains(lint.out, "(0 errors,"));
    RunResult rerun = under(draft, w.command(port));
    INFO(rerun.describe());
    CHECK(rerun.exited(0));
    CHECK(contains(rerun.out, "workload: ok"));
    // sysinfo was seen, but only in the exec'd program: allowed everywhere, so it runs.
    RunResult seen = under(draft, {w.probe, "syscall", kNrSysinfo, "0"});
    INFO(seen.describe());
    CHECK_FALSE(seen.killed_by(SIGSYS));
    // syslog was never made: the kernel kills it (and the probe's way there was all seen).
    RunResult unseen = under(draft, {w.probe, "syscall", kNrSyslog, "3", "0", "0"});
    INFO(unseen.describe());
    CHECK(unseen.killed_by(SIGSYS));
    // The secret stays unreadable under the draft, though its modes let nobody's group read it.
    RunResult secret = under(draft, {w.probe, "cat", w.secret});
    INFO(secret.describe());
    CHECK_FALSE(contains(secret.out, "the secret"));
  }
}

TEST_CASE(
    "learn: under a base with a PID namespace and a constructed root, the outer harden "
    "records and writes the draft where the caller is",
    "[kernel][root][learn]") {
  require_root();
  Workload w;
  const std::string name = unique_name("pidns");
  const std::string base = write_policy(w.dir, "base", R"([policy]
name = ")" + name + R"("

[identity]
user = "nobody"
group = "nogroup"
supplementary_groups = []

[namespaces]
pid = true
net = "loopback"

[filesystem]
read_only = [")" + w.dir.path() + R"("]
proc = true
dev = "minimal"

[limits]
nofile = 256
nproc = 256
core = 0
)");
  const int port = free_port();
  // A relative -o: the target's pivot_root moves the supervisor's root too, and the draft must
  // still land in the caller's directory on the host.
  std::vector<std::string> args{"learn", "--policy", base, "-o", "relative.toml", "--"};
  for (const std::string& word : w.command(port))
    args.push_back(word);
  RunOptions options;
  options.timeout = kTimeout;
  options.working_dir = w.dir.path();
  RunResult learned = run_harden(args, options);
  INFO(learned.describe());
  REQUIRE(learned.exited(0));
  const std::string draft = w.dir.file("relative.toml");
  REQUIRE(path_exists(draft));
  const std::string text = read_file(draft);
  INFO(text);
  CHECK(contains(text, "\"sched_getparam\""));
  CHECK(contains(text, "\"getpriority\""));
  CHECK(contains(text, "\"sysinfo\""));
  CHECK(contains(text, "pid = true"));
  CHECK(contains(text, "scope = \"netns\""));
  RunResult rerun = under(draft, w.command(port));
  INFO(rerun.describe());
  CHECK(rerun.exited(0));
  CHECK(contains(rerun.out, "workload: ok"));
}

TEST_CASE("learn --merge: a second run's calls and files join the first run's draft",
          "[kernel][root][learn]") {
  require_root();
  Workload w;
  const std::string name = unique_name("merge");
  TableGuard table{name};
  const std::string draft = w.dir.file("merged.toml");
  RunResult first = learn({"--name", name, "-o", draft}, {w.probe, "cat", w.files[0]});
  INFO(first.describe());
  REQUIRE(first.exited(0));
  const std::string before = read_file(draft);
  CHECK_FALSE(contains(before, "\"sysinfo\""));
  CHECK_FALSE(contains(before, w.files[1]));

  RunResult second = learn({"--merge", draft}, {w.probe, "learn-exec"});
  INFO(second.describe());
  REQUIRE(second.exited(0));
  RunResult third = learn({"--merge", draft}, {w.probe, "cat", w.files[1]});
  INFO(third.describe());
  REQUIRE(third.exited(0));
  const std::string after = read_file(draft);
  INFO(after);
  CHECK(contains(after, "from 3 runs"));
  CHECK(contains(after, "\"sysinfo\""));                 // second run
  CHECK(contains(array_of(after, "read"), w.files[0]));  // first run, kept
  CHECK(contains(array_of(after, "read"), w.files[1]));  // third run
  // The first run's command stays the draft's.
  CHECK(contains(after, "command = [\"" + w.probe + "\", \"cat\""));
  // Every run's program runs under the merged draft.
  for (const auto& command : {std::vector<std::string>{w.probe, "cat", w.files[0]},
                              std::vector<std::string>{w.probe, "learn-exec"},
                              std::vector<std::string>{w.probe, "cat", w.files[1]}}) {
    RunResult r = under(draft, command);
    INFO(r.describe());
    CHECK(r.exited(0));
  }
}

TEST_CASE("learn: SIGTERM to harden reaches the target, and the draft is still written",
          "[kernel][root][learn]") {
  require_root();
  Workload w;
  const std::string draft = w.dir.file("term.toml");
  Background harden(w.dir, {"learn", "--name", unique_name("term"), "-o", draft, "--", w.probe,
                            "wait-signal", "60"});
  REQUIRE(harden.wait_for_output("ready:", std::chrono::seconds(30)));
  harden.signal(SIGTERM);
  const int status = harden.wait(std::chrono::seconds(30));
  INFO(harden.out() + harden.err());
  REQUIRE(status != -1);
  // The probe blocks SIGTERM and takes it with sigtimedwait: it saw it, and exited 0.
  CHECK(contains(harden.out(), "signal: TERM"));
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  REQUIRE(path_exists(draft));
  CHECK(contains(read_file(draft), "\"rt_sigtimedwait\""));
}

TEST_CASE(
    "learn: python3 -m http.server learned while serving one request serves under its "
    "draft",
    "[kernel][root][learn]") {
  require_root();
  const std::string python = "/usr/bin/python3";
  const std::string curl = find_program("curl");
  if (!path_exists(python) || curl.empty()) skip("needs /usr/bin/python3 and curl");
  TempDir dir{"harden-learn-http"};
  dir.chmod(0755);
  const std::string www = dir.mkdir("www", 0755);
  write_file(www + "/index.html", "learned page\n", 0644);
  const std::string name = unique_name("http");
  TableGuard table{name};
  const std::string draft = dir.file("http.toml");
  const std::string port = std::to_string(free_port());
  const std::vector<std::string> server{python,   "-m",        "http.server", port,
                                        "--bind", "127.0.0.1", "--directory", www};
  const auto serve_once = [&](std::vector<std::string> args) {
    Background harden(dir, std::move(args));
    RunResult page;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      page = run({curl, "-sf", "--max-time", "10", "http://127.0.0.1:" + port + "/index.html"});
    } while (!page.exited(0) && std::chrono::steady_clock::now() < deadline);
    harden.signal(SIGINT);
    const int status = harden.wait(std::chrono::seconds(30));
    INFO(harden.err());
    CHECK(status != -1);
    return page;
  };
  std::vector<std::string> learn_args{"learn", "--name", name, "-o", draft, "--"};
  learn_args.insert(learn_args.end(), server.begin(), server.end());
  RunResult learned = serve_once(learn_args);
  INFO(learned.describe());
  REQUIRE(learned.exited(0));
  REQUIRE(path_exists(draft));
  const std::string text = read_file(draft);
  INFO(text);
  CHECK(contains(text, "bind_tcp = [" + port + "]"));
  RunResult validate = run_harden({"validate", draft});
  INFO(validate.describe());
  CHECK(validate.exited(0));
  RunResult lint = run_harden({"lint", draft});
  INFO(lint.describe());
  CHECK(contains(lint.out, "(0 errors,"));

  std::vector<std::string> run_args{"--policy", draft, "--"};
  run_args.insert(run_args.end(), server.begin(), server.end());
  RunResult served = serve_once(run_args);
  INFO(served.describe());
  CHECK(served.exited(0));
  CHECK(contains(served.out, "learned page"));
}

TEST_CASE("learn: usage and base-policy errors stop before anything runs", "[kernel][learn]") {
  TempDir dir{"harden-learn-errors"};
  const std::string marker = dir.file("ran");
  const std::vector<std::string> touch{"/usr/bin/touch", marker};

  SECTION("no command after --") {
    RunResult r = run_harden({"learn", "-o", dir.file("d.toml")});
    INFO(r.describe());
    CHECK(r.exited(125));
    CHECK(contains(r.err, "give it after --"));
  }
  SECTION("a command without --") {
    RunResult r = run_harden({"learn", "-o", dir.file("d.toml"), "/usr/bin/touch", marker});
    INFO(r.describe());
    CHECK(r.exited(125));
    CHECK(contains(r.err, "put the command to learn after --"));
  }
  SECTION("a bad base policy: 125 with file:line:col") {
    const std::string base =
        write_policy(dir, "bad", "[policy]\nname = \"bad\"\n\n[seccomp]\nallow = [\"opne\"]\n");
    RunResult r = learn({"--policy", base, "-o", dir.file("d.toml")}, touch);
    INFO(r.describe());
    CHECK(r.exited(125));
    CHECK(contains(r.err, base + ":5:10: error"));
    CHECK(contains(r.err, "'open'"));
  }
  SECTION("an output that cannot be written") {
    RunResult r = learn({"-o", "/proc/harden-learn-draft.toml"}, touch);
    INFO(r.describe());
    CHECK(r.exited(125));
    CHECK(contains(r.err, "cannot write the draft /proc/harden-learn-draft.toml"));
    RunResult missing = learn({"-o", dir.file("no/such/dir/d.toml")}, touch);
    INFO(missing.describe());
    CHECK(missing.exited(125));
  }
  SECTION("a --merge file that is not a policy") {
    const std::string broken = write_policy(dir, "broken", "[policy]\nname = 3\n");
    RunResult r = learn({"--merge", broken}, touch);
    INFO(r.describe());
    CHECK(r.exited(125));
    CHECK(contains(r.err, broken + ":2:"));
  }
  CHECK_FALSE(path_exists(marker));  // nothing ran
}
