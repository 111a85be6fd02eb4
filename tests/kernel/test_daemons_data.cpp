// The shipped data daemon policies (redis.toml and postgresql.toml on database.toml,
// memcached.toml on threaded.toml) under the real harden binary with the real Debian daemons:
// each test starts the daemon on a loopback port the test picks, with its data in a temporary
// directory, talks to it with its real client, runs a day-two operation (a background save and
// an AOF rewrite, a warm restart, an index build and crash recovery), shows from inside that a
// forbidden action is refused, stops it with the expected status and checks that nothing is
// left behind (processes, nft table, files).
//
// The daemon runs under a small overlay the test writes next to its data: it extends the
// shipped policy (found through HARDEN_POLICY_PATH = policies/) and changes only what a test
// must change: the policy's name (so its firewall table is the test's own), the data directory
// (read-write, in place of the shipped one) and the Landlock port. Everything else (user,
// syscalls, view, namespaces, limits, environment, firewall) is the shipped policy's.
//
// A daemon whose Debian package is absent skips (CI installs them: .ci/install-deps.sh).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/daemons.hpp"
#include "tests/support/harness.hpp"

using namespace harden::test;
using namespace harden::test::daemons;
using namespace std::chrono_literals;

TEST_CASE(
    "redis: BGSAVE and an AOF rewrite complete, a module from its data directory cannot be "
    "mapped, CONFIG SET dir cannot leave the view",
    "[daemon][root]") {
  require_root();
  const std::string server = "/usr/bin/redis-server";
  const std::string cli = find_program("redis-cli");
  if (!path_exists(server) || cli.empty())
    skip("needs redis-server and redis-cli (apt-get install redis-server redis-tools)");

  DaemonBox box("redis", "redis");
  FirewallDown firewall{box.overlay};
  const int port = free_loopback_port();
  const std::string d = box.data;
  // A real shared object, copied into the data directory (noexec in the view): the module an
  // attacker who can write there would load.
  const std::string library = "/usr/lib/x86_64-linux-gnu/libz.so.1";
  if (!path_exists(library)) skip("needs " + library + " as a stand-in module");
  copy_file(library, d + "/module.so", 0755);
  box.own_data();
  box.write_overlay("redis.toml", "[filesystem]\nread_write = [{ path = \"" + d +
                                      "\", noexec = true }]\n[landlock]\nrefer = [\"" + d +
                                      "\"]\nbind_tcp = [" + std::to_string(port) + "]\n");

  // The attacker's configuration: CONFIG SET of protected settings and MODULE LOAD enabled,
  // so that only the sandbox stands in the way.
  Background redis(box.harden_argv({server,
                                    "--port",
                                    std::to_string(port),
                                    "--bind",
                                    "127.0.0.1",
                                    "--dir",
                                    d,
                                    "--save",
                                    "",
                                    "--appendonly",
                                    "no",
                                    "--daemonize",
                                    "no",
                                    "--logfile",
                                    "",
                                    "--unixsocket",
                                    "",
                                    "--enable-protected-configs",
                                    "yes",
                                    "--enable-module-command",
                                    "yes"}),
                   box.dir.file("redis.log"), policy_path_env());
  auto cmd = [&](std::vector<std::string> words) {
    std::vector<std::string> argv{cli, "-p", std::to_string(port)};
    argv.insert(argv.end(), words.begin(), words.end());
    RunOptions options;
    options.timeout = 10s;
    return run(argv, options).out;
  };
  REQUIRE(wait_until([&] { return cmd({"PING"}) == "PONG\n"; }, 20s));
  INFO(redis.describe());
  const pid_t main = daemon_host_pid(redis.pid());
  REQUIRE(main > 0);
  check_confined(main, uid_of("redis"));

  // 200 keys through one client (one process, not 200).
  {
    std::string sets;
    for (int i = 0; i < 200; ++i)
      sets += "SET key" + std::to_string(i) + " value" + std::to_string(i) + "\n";
    RunOptions options;
    options.stdin_data = sets;
    options.timeout = 20s;
    RunResult loaded = run({cli, "-p", std::to_string(port)}, options);
    REQUIRE(loaded.exited(0));
    CHECK(cmd({"DBSIZE"}) == "200\n");
  }

  // Day two: a background save (a forked child writes dump.rdb and renames it into place).
  REQUIRE(cmd({"BGSAVE"}).find("Background saving started") != std::string::npos);
  CHECK(wait_until(
      [&] {
        return cmd({"INFO", "persistence"}).find("rdb_bgsave_in_progress:0") != std::string::npos;
      },
      15s));
  CHECK(cmd({"INFO", "persistence"}).find("rdb_last_bgsave_status:ok") != std::string::npos);
  CHECK(path_exists(d + "/dump.rdb"));
  // And an AOF rewrite, which renames its base file across directories (Landlock REFER).
  REQUIRE(cmd({"BGREWRITEAOF"}).find("rewriting started") != std::string::npos);
  CHECK(wait_until(
      [&] {
        return cmd({"INFO", "persistence"}).find("aof_rewrite_in_progress:0") != std::string::npos;
      },
      15s));
  CHECK(cmd({"INFO", "persistence"}).find("aof_last_bgrewrite_status:ok") != std::string::npos);
  CHECK(path_exists(d + "/appendonlydir/appendonly.aof.1.base.rdb"));

  // Forbidden from inside, through redis's own commands: a module written into the data
  // directory cannot be mapped executable (noexec), and CONFIG SET dir cannot reach a host
  // directory redis could write on the host (/var/tmp, mode 1777).
  CHECK(cmd({"MODULE", "LOAD", d + "/module.so"}).find("ERR") != std::string::npos);
  CHECK(wait_until(
      [&] {
        return redis.log().find("failed to map segment from shared object") != std::string::npos;
      },
      5s));
  CHECK(cmd({"MODULE", "LOAD", library}).find("ERR") != std::string::npos);  // not a module
  CHECK(cmd({"CONFIG", "SET", "dir", "/var/tmp"}).find("ERR") != std::string::npos);
  CHECK(cmd({"CONFIG", "GET", "dir"}).find(d) != std::string::npos);
  CHECK(box.as_user({"test", "-w", "/var/tmp"}).exited(0));  // the control: the host would

  // The data survive a clean stop: SHUTDOWN SAVE, exit 0, and every process gone.
  const std::vector<pid_t> all = descendants(redis.pid());
  (void)cmd({"SHUTDOWN", "SAVE"});
  REQUIRE(redis.wait(20s));
  CHECK(redis.exit_code() == 0);
  CHECK(wait_until([&] { return !any_alive(all); }, 5s));
  CHECK(redis.log().find("SIGSYS") == std::string::npos);
  CHECK(redis.log().find("seccomp denied") == std::string::npos);

  box.check_down();
}

namespace {

// One memcached text-protocol exchange on a fresh connection.
std::string memcached(int port, const std::string& request, const std::string& until) {
  return tcp_exchange(port, request, until);
}

}  // namespace

TEST_CASE("memcached: a warm restart keeps the cache, threads only, its root holds no host file",
          "[daemon][root]") {
  require_root();
  const std::string server = "/usr/bin/memcached";
  if (!path_exists(server)) skip("needs memcached (apt-get install memcached)");

  DaemonBox box("memcached", "memcache");
  FirewallDown firewall{box.overlay};
  const int port = free_loopback_port();
  const std::string d = box.data;
  box.own_data();
  box.write_overlay("memcached.toml", "[filesystem]\nread_write = [{ path = \"" + d +
                                          "\", noexec = true }]\n[landlock]\nbind_tcp = [" +
                                          std::to_string(port) + "]\n");
  const std::vector<std::string> command{
      server, "-l", "127.0.0.1", "-p", std::to_string(port), "-U", "0", "-m",
      "64",   "-t", "4",         "-e", d + "/memory_file"};

  std::vector<pid_t> first_run;
  {
    Background mc(box.harden_argv(command), box.dir.file("memcached-1.log"), policy_path_env());
    REQUIRE(wait_until(
        [&] { return memcached(port, "version\r\n", "\r\n").starts_with("VERSION"); }, 20s));
    INFO(mc.describe());
    const pid_t main = daemon_host_pid(mc.pid());
    REQUIRE(main > 0);
    check_confined(main, uid_of("memcache"));
    // Threads only: the daemon has no child process, and its threads are there.
    CHECK(descendants(main).empty());
    CHECK(std::stoi(proc_status_field(main, "Threads")) > 4);
    // Its root is the constructed one: no /etc/passwd, no /home, no /var/tmp.
    const std::string root = "/proc/" + std::to_string(main) + "/root";
    CHECK(path_exists(root + "/usr/bin/memcached"));
    CHECK_FALSE(path_exists(root + "/etc/passwd"));
    CHECK_FALSE(path_exists(root + "/home"));
    CHECK_FALSE(path_exists(root + "/var/tmp"));
    CHECK_FALSE(path_exists(root + "/bin/sh"));

    CHECK(memcached(port, "set greeting 0 0 5\r\nhello\r\n", "\r\n") == "STORED\r\n");
    CHECK(memcached(port, "get greeting\r\n", "END\r\n") ==
          "VALUE greeting 0 5\r\nhello\r\nEND\r\n");

    // Day two: SIGUSR1 asks for a graceful stop that keeps the cache in its memory file.
    first_run = descendants(mc.pid());
    mc.signal(SIGUSR1);
    REQUIRE(mc.wait(20s));
    CHECK(mc.exit_code() == 0);
    CHECK(mc.log().find("seccomp denied") == std::string::npos);
  }
  CHECK(wait_until([&] { return !any_alive(first_run); }, 5s));
  CHECK(path_exists(d + "/memory_file.meta"));
  // memcached validates the saved stop time against its clock, in whole seconds, and refuses a
  // restart in the same second it stopped ("restart incompatible due to setting for
  // [stop_time]"): wait for the clock to move.
  std::this_thread::sleep_for(2s);

  Background mc(box.harden_argv(command), box.dir.file("memcached-2.log"), policy_path_env());
  REQUIRE(wait_until([&] { return memcached(port, "version\r\n", "\r\n").starts_with("VERSION"); },
                     20s));
  INFO(mc.describe());
  CHECK(memcached(port, "get greeting\r\n", "END\r\n") == "VALUE greeting 0 5\r\nhello\r\nEND\r\n");
  const std::vector<pid_t> all = descendants(mc.pid());
  mc.signal(SIGTERM);
  REQUIRE(mc.wait(20s));
  CHECK(mc.exit_code() == 0);
  CHECK(wait_until([&] { return !any_alive(all); }, 5s));

  box.check_down();
}

TEST_CASE(
    "postgresql: a 200,000-row index build, crash recovery after SIGKILL of the postmaster, "
    "no shell for COPY PROGRAM, no host file for pg_read_file",
    "[daemon][root]") {
  require_root();
  const std::string bin = "/usr/lib/postgresql/15/bin";
  const std::string psql = find_program("psql");
  if (!path_exists(bin + "/postgres") || !path_exists(bin + "/initdb") || psql.empty())
    skip("needs PostgreSQL 15 and psql (apt-get install postgresql postgresql-client)");

  DaemonBox box("postgresql", "postgres");
  FirewallDown firewall{box.overlay};
  const int port = free_loopback_port();
  const std::string d = box.data;
  const std::string cluster = d + "/cluster";
  const std::string secret_path = "/var/tmp/" + unique_name("harden-pg-secret");
  RemoveFile secret{secret_path};
  const std::string secret_text = "secret-" + unique_name("s");
  write_file(secret_path, secret_text, 0644);
  box.dir.mkdir("data/sock", 0755);
  box.own_data();
  box.write_overlay("postgresql.toml", "[filesystem]\nread_write = [{ path = \"" + d +
                                           "\", noexec = true }]\n[landlock]\nbind_tcp = [" +
                                           std::to_string(port) + "]\n");

  // The cluster is made outside the sandbox, as Debian's pg_createcluster would.
  RunResult initdb = box.as_user({bin + "/initdb", "-D", cluster, "-A", "trust", "-U", "postgres",
                                  "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"},
                                 120s);
  REQUIRE(initdb.exited(0));

  const std::vector<std::string> command{bin + "/postgres",
                                         "-D",
                                         cluster,
                                         "-p",
                                         std::to_string(port),
                                         "-c",
                                         "listen_addresses=127.0.0.1",
                                         "-c",
                                         "unix_socket_directories=" + d + "/sock"};
  auto sql = [&](const std::string& statement) {
    RunOptions options;
    options.timeout = 120s;
    return run({psql, "-h", "127.0.0.1", "-p", std::to_string(port), "-U", "postgres", "-qAtX",
                "-v", "ON_ERROR_STOP=1", "-c", statement},
               options);
  };
  auto ready = [&] { return sql("SELECT 1").out == "1\n"; };

  std::vector<pid_t> first_run;
  {
    Background pg(box.harden_argv(command), box.dir.file("postgres-1.log"), policy_path_env());
    REQUIRE(wait_until(ready, 60s));
    INFO(pg.describe());
    const pid_t postmaster = daemon_host_pid(pg.pid());
    REQUIRE(postmaster > 0);
    check_confined(postmaster, uid_of("postgres"));

    // Day two: a large index build (parallel maintenance workers are forked backends).
    RunResult load =
        sql("CREATE TABLE t(id int, v text); "
            "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 200000) g; "
            "CREATE INDEX t_v ON t(v); SELECT count(*) FROM t");
    INFO(load.describe());
    CHECK(load.out == "200000\n");
    CHECK(descendants(postmaster).size() >= 4);  // checkpointer, writers, autovacuum, ...

    // Forbidden from inside, with the superuser's own tools: no shell for COPY ... PROGRAM,
    // and a host file postgres may read on the host is not in its view.
    RunResult program = sql("COPY (SELECT 1) TO PROGRAM 'touch " + d + "/pwned'");
    CHECK_FALSE(program.exited(0));
    CHECK(program.err.find("could not execute command") != std::string::npos);
    CHECK(pg.log().find("exec lock: pid") != std::string::npos);  // harden's report
    CHECK_FALSE(path_exists(d + "/pwned"));
    RunResult read = sql("SELECT pg_read_file('" + secret_path + "')");
    CHECK_FALSE(read.exited(0));
    CHECK(read.err.find("No such file or directory") != std::string::npos);
    CHECK(read.out.find(secret_text) == std::string::npos);
    CHECK(box.as_user({"cat", secret_path}).out == secret_text);  // the control

    // A crash: SIGKILL of the postmaster. PID 1 reports 128+9 and the kernel ends the rest
    // of the namespace (every backend).
    first_run = descendants(pg.pid());
    REQUIRE(::kill(postmaster, SIGKILL) == 0);
    REQUIRE(pg.wait(20s));
    CHECK(pg.exit_code() == 128 + SIGKILL);
  }
  CHECK(wait_until([&] { return !any_alive(first_run); }, 10s));

  // Restart: crash recovery from the WAL, and the index answers.
  Background pg(box.harden_argv(command), box.dir.file("postgres-2.log"), policy_path_env());
  REQUIRE(wait_until(ready, 60s));
  INFO(pg.describe());
  CHECK(pg.log().find("automatic recovery in progress") != std::string::npos);
  CHECK(sql("SET enable_seqscan = off; SELECT id FROM t WHERE v = md5('77777')").out == "77777\n");
  CHECK(sql("SELECT count(*) FROM t").out == "200000\n");
  CHECK(sql("DROP TABLE t").exited(0));

  // Fast shutdown (SIGINT): exit 0, nothing left.
  const std::vector<pid_t> all = descendants(pg.pid());
  pg.signal(SIGINT);
  REQUIRE(pg.wait(30s));
  CHECK(pg.exit_code() == 0);
  CHECK(wait_until([&] { return !any_alive(all); }, 10s));
  CHECK(pg.log().find("seccomp denied") == std::string::npos);

  box.check_down();
}
