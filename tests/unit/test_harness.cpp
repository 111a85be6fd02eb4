// The test harness itself: if run() or parse_probe() were wrong, every kernel test would be
// checking the wrong thing.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <system_error>

#include <catch2/catch.hpp>

#include "tests/support/harness.hpp"

using namespace harden::test;

TEST_CASE("run captures stdout, stderr and the exit code", "[harness]") {
  RunResult r = run({"/bin/sh", "-c", "echo hi; echo err >&2; exit 3"});
  INFO(r.describe());
  CHECK(r.out == "hi\n");
  CHECK(r.err == "err\n");
  CHECK(r.exit_code == 3);
  CHECK(r.term_signal == 0);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exited(3));
}

TEST_CASE("run looks a bare program name up in PATH", "[harness]") {
  RunResult r = run({"sh", "-c", "exit 0"});
  CHECK(r.exited(0));
}

TEST_CASE("run reports death by signal", "[harness]") {
  RunResult r = run({"/bin/sh", "-c", "kill -TERM $$; sleep 5"});
  INFO(r.describe());
  CHECK(r.term_signal == SIGTERM);
  CHECK(r.exit_code == -1);
  CHECK(r.killed_by(SIGTERM));
  CHECK_FALSE(r.timed_out);
}

TEST_CASE("run kills a program that outlives its timeout", "[harness]") {
  auto start = std::chrono::steady_clock::now();
  RunResult r = run({"/bin/sleep", "30"}, {.timeout = std::chrono::milliseconds(300)});
  auto elapsed = std::chrono::steady_clock::now() - start;
  INFO(r.describe());
  CHECK(r.timed_out);
  CHECK(r.term_signal == SIGKILL);
  CHECK(elapsed < std::chrono::seconds(5));
}

TEST_CASE("run does not wait for a grandchild that keeps the pipes open", "[harness]") {
  auto start = std::chrono::steady_clock::now();
  // The shell exits at once; its background child holds stdout for 30 seconds.
  RunResult r = run({"/bin/sh", "-c", "echo parent; sleep 30 & exit 4"},
                    {.timeout = std::chrono::seconds(20)});
  auto elapsed = std::chrono::steady_clock::now() - start;
  INFO(r.describe());
  CHECK(r.exited(4));
  CHECK(r.out == "parent\n");
  CHECK_FALSE(r.timed_out);
  CHECK(elapsed < std::chrono::seconds(10));
}

TEST_CASE("run feeds stdin without deadlocking on large output", "[harness]") {
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 97)
    big[i] = '\n';
  RunResult r = run({"/bin/cat"}, {.stdin_data = big, .timeout = std::chrono::seconds(20)});
  CHECK(r.exited(0));
  CHECK(r.out.size() == big.size());
  CHECK(r.out == big);
}

TEST_CASE("run gives /dev/null as stdin by default", "[harness]") {
  RunResult r = run({"/bin/cat"}, {.timeout = std::chrono::seconds(10)});
  CHECK(r.exited(0));
  CHECK(r.out.empty());
  CHECK_FALSE(r.timed_out);
}

TEST_CASE("run sets, replaces and clears the environment", "[harness]") {
  SECTION("cleared, then exactly the given variables in order") {
    RunResult r = run({"/usr/bin/env"}, {.env = {"A=1", "B=two words"}, .clear_env = true});
    INFO(r.describe());
    CHECK(r.exited(0));
    CHECK(r.out == "A=1\nB=two words\n");
  }
  SECTION("inherited, with one variable replaced rather than duplicated") {
    ::setenv("HARDEN_HARNESS_PROBE_VAR", "old", 1);
    RunResult r = run({"/usr/bin/env"}, {.env = {"HARDEN_HARNESS_PROBE_VAR=new"}});
    ::unsetenv("HARDEN_HARNESS_PROBE_VAR");
    INFO(r.describe());
    CHECK(r.out.find("HARDEN_HARNESS_PROBE_VAR=new\n") != std::string::npos);
    CHECK(r.out.find("HARDEN_HARNESS_PROBE_VAR=old") == std::string::npos);
    CHECK(r.out.find("PATH=") != std::string::npos);
  }
}

TEST_CASE("run starts the program in the given working directory", "[harness]") {
  TempDir dir;
  RunResult r = run({"/bin/pwd", "-P"}, {.working_dir = dir.path()});
  INFO(r.describe());
  CHECK(r.out == std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST_CASE("run passes exactly stdio and the requested leaked descriptors", "[harness]") {
  RunResult r = run_probe({"status"}, {.leaked_fds = {5, 7}, .timeout = std::chrono::seconds(10)});
  INFO(r.describe());
  REQUIRE(r.exited(kProbeExitOk));
  auto status = parse_probe(r.out);
  REQUIRE(status.contains("fds"));
  CHECK(parse_fd_list(status["fds"]) == std::vector<int>{0, 1, 2, 5, 7});

  RunResult plain = run_probe({"status"}, {.timeout = std::chrono::seconds(10)});
  CHECK(parse_fd_list(parse_probe(plain.out)["fds"]) == std::vector<int>{0, 1, 2});
}

TEST_CASE("run can make the program a process-group leader", "[harness]") {
  RunResult plain = run_probe({"status"}, {.timeout = std::chrono::seconds(10)});
  auto p = parse_probe(plain.out);
  CHECK(p["pid"] == std::to_string(plain.pid));
  CHECK(p["pgid"] == std::to_string(::getpgid(0)));

  RunResult leader =
      run_probe({"status"}, {.new_process_group = true, .timeout = std::chrono::seconds(10)});
  INFO(leader.describe());
  auto l = parse_probe(leader.out);
  CHECK(l["pid"] == std::to_string(leader.pid));
  CHECK(l["pgid"] == std::to_string(leader.pid));
  CHECK(l["sid"] == std::to_string(::getsid(0)));
}

TEST_CASE("run throws when the program cannot be started", "[harness]") {
  CHECK_THROWS_AS(run({"/nonexistent/harden-no-such-program"}), std::system_error);
  TempDir dir;
  CHECK_THROWS_AS(run({"/bin/true"}, {.working_dir = dir.file("missing")}), std::system_error);
}

TEST_CASE("parse_probe reads key: value lines", "[harness]") {
  const std::string output =
      "Uid:\t65534\t65534\t65534\t65534\n"
      "CapEff:\t0000000000000400\n"
      "fds: 0,1,2,5\n"
      "cwd: /a dir/with: colon  \n"
      "env: PATH=/usr/bin:/bin\n"
      "env: EMPTY=\n"
      "errno: ENOSYS\n"
      "errno: EPERM\n"
      "no colon here\n"
      ": no key\n"
      "last: line without newline";
  auto m = parse_probe(output);
  CHECK(m["Uid"] == "65534\t65534\t65534\t65534");
  CHECK(split_fields(m["Uid"]) == std::vector<std::string>(4, "65534"));
  CHECK(m["CapEff"] == "0000000000000400");
  CHECK(m["cwd"] == "/a dir/with: colon");
  CHECK(m["errno"] == "ENOSYS");  // the first of repeated keys
  CHECK(m["env"] == "PATH=/usr/bin:/bin");
  CHECK(m["last"] == "line without newline");
  CHECK_FALSE(m.contains("no colon here"));
  CHECK_FALSE(m.contains(""));
  CHECK(parse_fd_list(m["fds"]) == std::vector<int>{0, 1, 2, 5});
  CHECK(parse_fd_list("").empty());
  CHECK_THROWS(parse_fd_list("0,x"));
  CHECK(probe_values(output, "errno") == std::vector<std::string>{"ENOSYS", "EPERM"});

  auto env = probe_env(output);
  REQUIRE(env.size() == 2);
  CHECK(env[0] == std::pair<std::string, std::string>{"PATH", "/usr/bin:/bin"});
  CHECK(env[1] == std::pair<std::string, std::string>{"EMPTY", ""});
}

TEST_CASE("TempDir is removed with its contents, and write_policy names files", "[harness]") {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    CHECK(path.starts_with("/tmp/"));
    dir.mkdir("a/b/c", 0750);
    write_file(dir.file("a/b/c/f"), "data");
    CHECK(read_file(dir.file("a/b/c/f")) == "data");
    std::string policy = write_policy(dir, "p", "[policy]\nname = \"p\"\n");
    CHECK(policy == dir.file("p.toml"));
    CHECK(read_file(policy) == "[policy]\nname = \"p\"\n");
    CHECK(write_policy(dir, "q.toml", "") == dir.file("q.toml"));
    copy_file(policy, dir.file("copy"), 0700);
    CHECK(read_file(dir.file("copy")) == read_file(policy));
    CHECK(path_exists(path));
  }
  CHECK_FALSE(path_exists(path));
}

TEST_CASE("unique_name does not repeat", "[harness]") {
  std::set<std::string> names;
  for (int i = 0; i < 100; ++i)
    names.insert(unique_name("t"));
  CHECK(names.size() == 100);
  CHECK(unique_name("nft").starts_with("nft-" + std::to_string(::getpid()) + "-"));
}

namespace {

struct SkipOutcome {
  int status;
  std::string err;
};

// Calls skip() in a forked child (it exits the process) and reports what it did.
SkipOutcome skip_in_child(const char* must_run) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::dup2(fds[1], 2);
    int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, 1);  // Catch's reporter, should the failure reach it
    if (must_run != nullptr)
      ::setenv("HARDEN_TESTS_MUST_RUN", must_run, 1);
    else
      ::unsetenv("HARDEN_TESTS_MUST_RUN");
    try {
      TempDir live("harden-skip-test");
      write_file(live.file("f"), "x");
      std::fprintf(stderr, "tempdir: %s\n", live.path().c_str());
      skip("no frobnicator");
    } catch (...) {
      ::_exit(99);  // FAIL throws inside a test case
    }
  }
  ::close(fds[1]);
  std::string err;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
    err.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {status, err};
}

}  // namespace

TEST_CASE("skip exits with the skip code, or fails when tests must run", "[harness]") {
  SkipOutcome skipped = skip_in_child(nullptr);
  CHECK(WIFEXITED(skipped.status));
  CHECK(WEXITSTATUS(skipped.status) == HARDEN_SKIP_CODE);
  CHECK(skipped.err.find("\nSKIPPED: no frobnicator\n") != std::string::npos);
  // skip() exits without unwinding: the harness must still remove live TempDirs.
  auto dir = parse_probe(skipped.err)["tempdir"];
  REQUIRE(dir.starts_with("/tmp/harden-skip-test-"));
  CHECK_FALSE(path_exists(dir));

  SkipOutcome not_one = skip_in_child("0");
  CHECK(WEXITSTATUS(not_one.status) == HARDEN_SKIP_CODE);

  SkipOutcome must = skip_in_child("1");
  CHECK(WIFEXITED(must.status));
  CHECK(WEXITSTATUS(must.status) != HARDEN_SKIP_CODE);
  CHECK(WEXITSTATUS(must.status) != 0);
  CHECK(must.err.find("must run: no frobnicator") != std::string::npos);
}
