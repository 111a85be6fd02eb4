// harden learn on the real kernel: a workload with a thread, a grandchild and an exec'd program
// is learned, and each of the calls made only there is in the draft; the draft validates, lints
// without errors, and runs the workload, while a call never seen is killed; a file read is
// granted and a secret beside it is not; a bound port becomes a Landlock bind rule; --merge adds
// a run; SIGTERM to harden reaches the target and the draft is still written; and a Python HTTP
// server learned while serving one request serves again under its draft; lighttpd, a Debian
// daemon no shipped policy knows, learned in one run through a day of work (log rotation,
// graceful restart) does that day again under its draft, which keeps it in its site. Error
// paths: no command, a bad base (125 with file:line:col), an output that cannot be written.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

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
  // harden with `args`, or with `through_harden` false the program args[0] itself.
  Background(const TempDir& dir, std::vector<std::string> args, bool through_harden = true)
      : out_(dir.file("bg.out")), err_(dir.file("bg.err")) {
    if (through_harden) args.insert(args.begin(), harden_binary());
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setpgid(0, 0);
      // In the scratch directory, not the test's: a clone in a directory only root may enter
      // (the tests' own) is no working directory for a daemon that drops to nobody.
      if (::chdir(dir.path().c_str()) != 0) _exit(126);
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
  pid_t pid() const { return pid_; }
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

// lighttpd (Debian's package; no policy of the library knows it) with a configuration like
// Debian's own: access and error logs, directory listings, and the MIME table from
// include_shell, which runs /bin/sh and perl at every start and every graceful restart.
// Learn's built-in base runs it as nobody, so nobody owns the log directory.
struct Lighttpd {
  static constexpr const char* kBinary = "/usr/sbin/lighttpd";
  TempDir dir{"harden-learn-lighttpd"};
  int port = free_port();
  std::string www, logs, config;
  Lighttpd() {
    dir.chmod(0755);
    www = dir.mkdir("www", 0755);
    write_file(www + "/index.html", "served by lighttpd\n", 0644);
    dir.mkdir("www/files", 0755);
    write_file(www + "/files/a.txt", "file a\n", 0644);
    logs = dir.mkdir("log", 0755);
    REQUIRE(::chown(logs.c_str(), 65534, 65534) == 0);
    // A file every user may read, outside the site, and a link to it in the site that lighttpd
    // follows (server.follow-symlink is on by default). The learning run never asks for it.
    write_file(dir.mkdir("elsewhere", 0755) + "/outside.txt", "outside the site\n", 0644);
    REQUIRE(::symlink((dir.path() + "/elsewhere/outside.txt").c_str(),
                      (www + "/outside.txt").c_str()) == 0);
    config = dir.file("lighttpd.conf");
    configure(false);
  }
  // The configuration, with the /extra/ alias a graceful restart adds, or without it.
  void configure(bool with_alias) const {
    std::string text =
        "server.modules = ( \"mod_indexfile\", \"mod_access\", \"mod_alias\", "
        "\"mod_accesslog\", \"mod_dirlisting\" )\n"
        "server.document-root = \"" +
        www +
        "\"\n"
        "server.errorlog = \"" +
        logs +
        "/error.log\"\n"
        "accesslog.filename = \"" +
        logs +
        "/access.log\"\n"
        "server.bind = \"127.0.0.1\"\n"
        "server.port = " +
        std::to_string(port) +
        "\n"
        "index-file.names = ( \"index.html\" )\n"
        "dir-listing.activate = \"enable\"\n"
        "include_shell \"/usr/share/lighttpd/create-mime.conf.pl\"\n";
    if (with_alias) text += "alias.url = ( \"/extra/\" => \"" + www + "/files/\" )\n";
    write_file(config, text, 0644);
  }
  std::vector<std::string> command() const { return {kBinary, "-D", "-f", config}; }
  RunResult get(const std::string& path) const {
    return run(
        {"curl", "-sf", "--max-time", "10", "http://127.0.0.1:" + std::to_string(port) + path});
  }
};

// What a day of lighttpd's work showed, step by step, and how long it took.
struct DayTwo {
  bool served = false, listed = false, logs_reopened = false, restarted = false, stopped = false;
  bool served_outside = false;  // the link to a file outside the site was followed
  int status = -1;
  double seconds = 0;
  std::string errors;
  bool all() const { return served && listed && logs_reopened && restarted && stopped; }
};

bool eventually(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// Starts lighttpd (under harden when `harden_args` is not empty: the signals go to harden, which
// forwards them), serves a page and a listing, rotates the access log (rename, SIGHUP), adds an
// alias by a graceful restart (SIGUSR1, which re-reads the configuration and runs include_shell
// again) and stops it gracefully (SIGINT).
// With `ask_outside`, it also asks for the link that leads out of the site.
DayTwo day_two(const Lighttpd& server, std::vector<std::string> harden_args,
               bool ask_outside = true) {
  DayTwo day;
  server.configure(false);
  for (const char* log : {"access.log", "access.log.1", "error.log"})
    ::unlink((server.logs + "/" + log).c_str());
  const bool through_harden = !harden_args.empty();
  std::vector<std::string> args = harden_args;
  if (through_harden) args.push_back("--");
  for (const std::string& word : server.command())
    args.push_back(word);
  const auto start = std::chrono::steady_clock::now();
  Background daemon(server.dir, args, through_harden);
  const std::string access_log = server.logs + "/access.log";
  day.served = eventually([&] { return server.get("/").out == "served by lighttpd\n"; },
                          std::chrono::seconds(60));
  day.listed = day.served && contains(server.get("/files/").out, "a.txt");
  if (day.listed && eventually([&] { return path_exists(access_log); }, std::chrono::seconds(10))) {
    ::rename(access_log.c_str(), (access_log + ".1").c_str());
    daemon.signal(SIGHUP);
    day.logs_reopened = eventually(
        [&] {
          return server.get("/files/a.txt").out == "file a\n" && path_exists(access_log) &&
                 contains(read_file(access_log), "/files/a.txt");
        },
        std::chrono::seconds(20));
  }
  if (day.logs_reopened) {
    server.configure(true);
    daemon.signal(SIGUSR1);
    day.restarted = eventually([&] { return server.get("/extra/a.txt").out == "file a\n"; },
                               std::chrono::seconds(30));
  }
  if (ask_outside) day.served_outside = contains(server.get("/outside.txt").out, "outside");
  daemon.signal(SIGINT);
  day.status = daemon.wait(std::chrono::seconds(30));
  day.stopped = day.status != -1 && WIFEXITED(day.status) && WEXITSTATUS(day.status) == 0;
  day.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  day.errors = daemon.err();
  if (path_exists(server.logs + "/error.log")) day.errors += read_file(server.logs + "/error.log");
  return day;
}

std::string describe(const DayTwo& day) {
  char line[256];
  std::snprintf(line, sizeof line,
                "served %d, listed %d, logs reopened %d, graceful restart %d, outside %d, "
                "stopped %d (status 0x%x), %.2f s\n",
                day.served, day.listed, day.logs_reopened, day.restarted, day.served_outside,
                day.stopped, static_cast<unsigned>(day.status), day.seconds);
  return line + day.errors;
}

// The syscalls a policy allows in some way (plainly, in a group, @default or under a rule), as
// `harden explain --format json` reads them from the decision model: a call whose action
// starts with "allow" ("allow", "allow or kill-process"); -1 when it cannot tell.
int allowed_syscalls(const std::string& policy) {
  RunResult explain = run_harden({"explain", "--format", "json", policy});
  if (!explain.exited(0)) return -1;
  const nlohmann::json plan = nlohmann::json::parse(explain.out, nullptr, false);
  if (plan.is_discarded() || !plan.contains("seccomp")) return -1;
  int count = 0;
  for (const nlohmann::json& call : plan["seccomp"].value("syscalls", nlohmann::json::array())) {
    if (call.value("action", "").starts_with("allow")) ++count;
  }
  return count;
}

// The syscalls a draft names: its allow list's entries and the calls its rules are for.
int listed_syscalls(const std::string& draft) {
  std::set<std::string> names;
  const std::string allow = array_of(draft, "allow");
  for (size_t at = 0; (at = allow.find("\n  \"", at)) != std::string::npos;) {
    at += 4;
    names.insert(allow.substr(at, allow.find('"', at) - at));
  }
  for (size_t at = 0; (at = draft.find("\nsyscall = \"", at)) != std::string::npos;) {
    at += 12;
    names.insert("rule:" + draft.substr(at, draft.find('"', at) - at));
  }
  return static_cast<int>(names.size());
}

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
  SECTION("a shipped base, which names no user: the hint to give one") {
    RunResult r = learn({"--policy", source_dir() + "/policies/base/threaded.toml"}, touch);
    INFO(r.describe());
    CHECK(r.exited(125));
    CHECK(contains(r.err, "policies/base/daemon.toml:"));
    CHECK(contains(r.err, "give the service's with --user USER"));
    RunResult no_base = learn({"--user", "nobody"}, touch);
    INFO(no_base.describe());
    CHECK(no_base.exited(125));
    CHECK(contains(no_base.err, "--user requires --policy"));
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

TEST_CASE(
    "learn: lighttpd, a daemon outside the policy library, learned through a day of work "
    "(pages, listing, log rotation by SIGHUP, graceful restart by SIGUSR1) does the same day "
    "under its strict draft, and a link out of the site leads nowhere",
    "[kernel][root][learn][daemon]") {
  require_root();
  if (!path_exists(Lighttpd::kBinary) || find_program("curl").empty() ||
      !path_exists("/usr/share/lighttpd/create-mime.conf.pl")) {
    skip("needs Debian's lighttpd package and curl (.ci/build-deps.txt)");
  }
  Lighttpd server;
  const std::string name = unique_name("lighttpd");
  TableGuard table{name};
  const std::string draft = server.dir.file("lighttpd.toml");

  // The same day without harden: the draft must keep every step of it working.
  const DayTwo bare = day_two(server, {});
  INFO("without harden: " << describe(bare));
  REQUIRE(bare.all());
  REQUIRE(bare.served_outside);  // without harden the link leads out

  // One learning run: the start and the day-two work both.
  const DayTwo learned = day_two(server, {"learn", "--name", name, "-o", draft}, false);
  INFO("harden learn: " << describe(learned));
  REQUIRE(learned.all());
  REQUIRE(path_exists(draft));
  const std::string text = read_file(draft);
  INFO(text);
  CHECK(contains(text, "default_action = \"kill"));  // kill or kill-process
  CHECK(contains(text, "bind_tcp = [" + std::to_string(server.port) + "]"));
  // include_shell's programs (it runs them at the start and at the graceful restart): the shell
  // and the perl script it runs; perl itself, the script's interpreter, is read from /usr.
  CHECK(contains(array_of(text, "execute"), "/usr/bin/dash"));
  CHECK(contains(array_of(text, "execute"), "/usr/share/lighttpd/create-mime.conf.pl"));
  RunResult validate = run_harden({"validate", draft});
  INFO(validate.describe());
  CHECK(validate.exited(0));
  RunResult lint = run_harden({"lint", draft});
  INFO(lint.describe());
  CHECK(contains(lint.out, "(0 errors,"));
  const int listed = listed_syscalls(text);
  const int allowed = allowed_syscalls(draft);
  CHECK(listed > 0);
  CHECK(allowed > listed);  // @default and the groups come on top

  // The same day under the draft, with nothing added by hand: no second learning run needed.
  const DayTwo strict = day_two(server, {"--policy", draft});
  INFO("under the draft: " << describe(strict));
  CHECK(strict.all());
  // What the run never read stays out of reach: the link out of the site leads nowhere.
  CHECK_FALSE(strict.served_outside);
  CHECK_FALSE(contains(array_of(text, "read"), "elsewhere"));

  WARN("lighttpd: a day without harden "
       << bare.seconds << " s, under harden learn " << learned.seconds << " s, under the draft "
       << strict.seconds << " s; learn runs 1, merges 0; the draft names " << listed
       << " syscalls and allows " << allowed << " with @default");
}

TEST_CASE(
    "learn: a rename from one directory to another is granted refer, and only with it does "
    "the draft run",
    "[kernel][root][learn]") {
  require_root();
  // redis's AOF rewrite renames a file made in its data directory into appendonlydir: under
  // Landlock that needs the refer right on both (EXDEV without), which learning, run without
  // Landlock, must still see.
  TempDir dir{"harden-learn-refer"};
  dir.chmod(0755);
  const std::string probe = dir.file("probe");
  copy_file(probe_binary(), probe, 0755);
  const std::string data = dir.mkdir("data", 0755);
  const std::string made = dir.mkdir("data/made", 0755);
  const std::string kept = dir.mkdir("data/kept", 0755);
  for (const std::string& d : {data, made, kept})
    REQUIRE(::chown(d.c_str(), 65534, 65534) == 0);
  const std::string from = made + "/f";
  const std::string to = kept + "/f";
  const auto fresh = [&] {
    ::unlink(to.c_str());
    write_file(from, "f\n", 0644);
    REQUIRE(::chown(from.c_str(), 65534, 65534) == 0);
  };
  const std::string name = unique_name("refer");
  TableGuard table{name};
  const std::string draft = dir.file("draft.toml");
  const std::vector<std::string> command{probe, "rename", from, to};
  fresh();
  RunResult learned = learn({"--name", name, "-o", draft}, command);
  INFO(learned.describe());
  REQUIRE(learned.exited(0));
  const std::string text = read_file(draft);
  INFO(text);
  CHECK(contains(array_of(text, "refer"), "\"" + made + "\""));
  CHECK(contains(array_of(text, "refer"), "\"" + kept + "\""));

  fresh();
  RunResult rerun = under(draft, command);
  INFO(rerun.describe());
  CHECK(rerun.exited(0));
  CHECK(path_exists(to));

  // The control: the same draft without its refer line refuses the rename with EXDEV.
  std::string without = text;
  const size_t at = without.find("\nrefer = [");
  REQUIRE(at != std::string::npos);
  without.erase(at, without.find(']', at) + 1 - at);
  const std::string stripped = write_policy(dir, "stripped", without);
  fresh();
  RunResult refused = under(stripped, command);
  INFO(refused.describe());
  CHECK_FALSE(refused.exited(0));
  CHECK(contains(refused.out, "EXDEV"));
  CHECK_FALSE(path_exists(to));
}

TEST_CASE("learn: a shipped base with --user learns as that user, and the draft names it",
          "[kernel][root][learn]") {
  require_root();
  TempDir dir{"harden-learn-user"};
  dir.chmod(0755);
  const std::string draft = dir.file("d.toml");
  // base/threaded.toml has neither a name nor a user: learn gives it the program's name and
  // the user of --user.
  RunResult r = learn(
      {"--policy", source_dir() + "/policies/base/threaded.toml", "--user", "nobody", "-o", draft},
      {"/usr/bin/id", "-u"});
  INFO(r.describe());
  REQUIRE(r.exited(0));
  CHECK(r.out == "65534\n");
  const std::string text = read_file(draft);
  INFO(text);
  CHECK(contains(text, "name = \"id\""));
  CHECK(contains(text, "user = \"nobody\""));
  RunResult rerun = under(draft, {"/usr/bin/id", "-u"});
  INFO(rerun.describe());
  CHECK(rerun.exited(0));
  CHECK(rerun.out == "65534\n");
  (void)run_harden({"down", "id"});
}
