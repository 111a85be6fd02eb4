// The shipped daemon policies (policies/*.toml on policies/base/{daemon,forking,threaded,
// database,dns}.toml) under the real harden binary with the real Debian daemons: each test starts
// the daemon on a loopback port the test picks, with its data in a temporary directory, talks
// to it with its real client, runs a day-two operation (a reload, a background save, an index
// build and crash recovery, a reload of a DNS server), shows from inside that a forbidden action is
// refused, stops it with the expected status and checks that nothing is left behind (processes, nft
// table, files).
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

namespace {

const std::string kNginx = "/usr/sbin/nginx";

std::vector<std::string> policy_path_env() {
  return {"HARDEN_POLICY_PATH=" + source_dir() + "/policies"};
}

// A temporary directory for one daemon: enterable by the daemon's user, the data directory
// inside it owned by that user, and the overlay policy beside it.
struct DaemonBox {
  TempDir dir;
  std::string user;
  std::string data;
  std::string name;  // the overlay policy's name: its nft table is harden_<name>
  std::string overlay;

  DaemonBox(const std::string& prefix, std::string daemon_user)
      : dir(prefix), user(std::move(daemon_user)), name(unique_name("t-" + prefix)) {
    dir.chmod(0755);
    data = dir.mkdir("data", 0750);
  }
  // Gives the data directory (and everything in it) to the daemon's user.
  void own_data() const {
    RunResult r = run({"chown", "-R", user + ":", data});
    if (!r.exited(0)) throw std::runtime_error("chown: " + r.describe());
  }
  // Writes the overlay: the shipped policy with the data directory and port changed.
  void write_overlay(const std::string& shipped, const std::string& extra_toml) {
    overlay = write_policy(
        dir, "overlay",
        "[policy]\nname = \"" + name + "\"\nextends = [\"" + shipped + "\"]\n" + extra_toml);
  }
  [[nodiscard]] std::vector<std::string> harden_argv(std::vector<std::string> command) const {
    std::vector<std::string> argv{harden_binary(), "--policy", overlay, "--"};
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
  }
  // Runs a command on the host as the daemon's user (a control: the host would let it).
  [[nodiscard]] RunResult as_user(std::vector<std::string> command,
                                  std::chrono::milliseconds timeout = 30s) const {
    std::vector<std::string> argv{"setpriv", "--reuid",        user, "--regid",
                                  user,      "--clear-groups", "--"};
    argv.insert(argv.end(), command.begin(), command.end());
    RunOptions options;
    options.timeout = timeout;
    options.clear_env = true;
    options.env = {"PATH=/usr/bin:/bin"};
    return run(argv, options);
  }
};

// Removes the overlay's firewall table (harden down) when the test ends, pass or fail.
struct FirewallDown {
  const DaemonBox& box;
  ~FirewallDown() {
    if (box.overlay.empty()) return;
    RunOptions options;
    options.env = policy_path_env();
    (void)run_harden({"down", "--policy", box.overlay}, options);
  }
};

bool nft_table_exists(const std::string& policy_name) {
  return run({"nft", "list", "table", "inet", "harden_" + policy_name}).exited(0);
}

bool any_alive(const std::vector<pid_t>& pids) {
  for (pid_t p : pids)
    if (::kill(p, 0) == 0) return true;
  return false;
}

// The daemon's main process as the host sees it: harden -> PID 1 of the namespace -> target.
pid_t daemon_host_pid(pid_t harden) {
  std::vector<pid_t> below = descendants(harden);
  return below.size() >= 2 ? below[1] : -1;
}

// What /proc says of a confined daemon process: its user, no capability, no new privileges, a
// seccomp filter, and a PID namespace of its own (NSpid has two levels).
void check_confined(pid_t pid, const std::string& uid) {
  INFO("pid " << pid);
  const std::string uids = proc_status_field(pid, "Uid");
  CHECK(split_fields(uids) == std::vector<std::string>{uid, uid, uid, uid});
  CHECK(proc_status_field(pid, "CapEff") == "0000000000000000");
  CHECK(proc_status_field(pid, "CapPrm") == "0000000000000000");
  CHECK(proc_status_field(pid, "CapBnd") == "0000000000000000");
  CHECK(proc_status_field(pid, "NoNewPrivs") == "1");
  CHECK(proc_status_field(pid, "Seccomp") == "2");
  CHECK(split_fields(proc_status_field(pid, "NSpid")).size() == 2);
}

std::string http_get(int port, const std::string& path) {
  RunResult r = run({"curl", "-s", "-m", "5", "-w", "\n%{http_code}",
                     "http://127.0.0.1:" + std::to_string(port) + path});
  return r.out;
}

std::string uid_of(const std::string& user) {
  RunResult r = run({"id", "-u", user});
  return r.exited(0) ? std::string(r.out.substr(0, r.out.find('\n'))) : std::string();
}

}  // namespace

TEST_CASE("nginx: serves, reloads on SIGHUP, cannot read a host secret nor reach an upstream",
          "[daemon][root]") {
  require_root();
  if (!path_exists(kNginx)) skip("needs nginx (apt-get install nginx)");
  if (find_program("curl").empty()) skip("needs curl");

  DaemonBox box("nginx", "www-data");
  FirewallDown firewall{box};
  const int port = free_loopback_port();
  const int upstream_port = free_loopback_port();
  const std::string d = box.data;

  // A secret on the host that www-data may read there (0644, outside the view).
  const std::string secret_path = "/var/tmp/" + unique_name("harden-nginx-secret");
  RemoveFile secret{secret_path};
  const std::string secret_text = "secret-" + unique_name("s");
  write_file(secret_path, secret_text, 0644);

  auto config = [&](const std::string& extra_location) {
    return "worker_processes 2;\npid " + d + "/nginx.pid;\nerror_log stderr notice;\n" +
           "events { worker_connections 64; }\nhttp {\n  access_log " + d + "/access.log;\n" +
           "  client_body_temp_path " + d + "/body;\n  proxy_temp_path " + d + "/proxy;\n" +
           "  fastcgi_temp_path " + d + "/fastcgi;\n  uwsgi_temp_path " + d + "/uwsgi;\n" +
           "  scgi_temp_path " + d +
           "/scgi;\n  server {\n    listen 127.0.0.1:" + std::to_string(port) + ";\n    root " + d +
           "/www;\n" + "    location = /secret { alias " + secret_path + "; }\n" +
           "    location /upstream { proxy_pass http://127.0.0.1:" + std::to_string(upstream_port) +
           "; }\n" + extra_location + "  }\n}\n";
  };
  box.dir.mkdir("data/www");
  write_file(d + "/www/index.html", "served by nginx under harden\n");
  write_file(d + "/nginx.conf", config(""));
  box.own_data();
  box.write_overlay("nginx.toml", "[filesystem]\nread_write = [{ path = \"" + d +
                                      "\", noexec = true }]\n[landlock]\nbind_tcp = [" +
                                      std::to_string(port) + "]\n");

  // The control: on the host, www-data reads the secret.
  RunResult control = box.as_user({"cat", secret_path});
  REQUIRE(control.exited(0));
  REQUIRE(control.out == secret_text);

  Background nginx(
      box.harden_argv({kNginx, "-e", "stderr", "-g", "daemon off;", "-c", d + "/nginx.conf"}),
      box.dir.file("nginx.log"), policy_path_env());
  REQUIRE(wait_until([&] { return http_get(port, "/").ends_with("\n200"); }, 20s));
  INFO(nginx.describe());
  CHECK(http_get(port, "/") == "served by nginx under harden\n\n200");

  const pid_t master = daemon_host_pid(nginx.pid());
  REQUIRE(master > 0);
  check_confined(master, uid_of("www-data"));
  const std::vector<pid_t> processes = descendants(nginx.pid());
  CHECK(processes.size() >= 4);  // PID 1, the master, two workers

  SECTION("a host secret, an upstream and an exec are refused; SIGHUP reloads; SIGQUIT stops") {
    // The secret is not in the view: 404, and not a byte of it.
    const std::string answer = http_get(port, "/secret");
    CHECK(answer.ends_with("\n404"));
    CHECK(answer.find(secret_text) == std::string::npos);

    // An upstream on loopback: Landlock (connect_tcp = []) and the firewall refuse the
    // connection, nginx answers 502 and the upstream never sees it.
    {
      Background upstream({"/usr/bin/python3", "-c",
                           "import socket,sys\ns=socket.socket()\n"
                           "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                           "s.bind(('127.0.0.1'," +
                               std::to_string(upstream_port) +
                               "))\ns.listen(8)\ns.settimeout(4)\n"
                               "try:\n  c,_=s.accept()\n  print('accepted')\n"
                               "except socket.timeout:\n  print('nothing')\n"},
                          box.dir.file("upstream.log"));
      std::this_thread::sleep_for(300ms);
      CHECK(http_get(port, "/upstream").ends_with("\n502"));
      REQUIRE(upstream.wait(10s));
      CHECK(upstream.log() == "nothing\n");
    }

    // The master's root is the constructed one: no shell to run, no host files. (nginx's own
    // exec, the live upgrade on SIGUSR2, cannot be used to show the exec lock: nginx ignores
    // the signal while its parent is the one it started with, harden's init.)
    const std::string root = "/proc/" + std::to_string(master) + "/root";
    CHECK(path_exists(root + "/usr/sbin/nginx"));
    CHECK(path_exists(root + "/etc/nginx/nginx.conf"));
    CHECK_FALSE(path_exists(root + "/bin/sh"));
    CHECK_FALSE(path_exists(root + "/etc/passwd"));
    CHECK_FALSE(path_exists(root + secret_path));

    // Day two: a new location in the configuration, SIGHUP, and the new workers serve it.
    CHECK(http_get(port, "/reloaded").ends_with("\n404"));
    write_file(d + "/nginx.conf",
               config("    location = /reloaded { return 200 \"reloaded\\n\"; }\n"));
    nginx.signal(SIGHUP);
    CHECK(wait_until([&] { return http_get(port, "/reloaded") == "reloaded\n\n200"; }, 15s));
    CHECK(http_get(port, "/") == "served by nginx under harden\n\n200");
    check_confined(daemon_host_pid(nginx.pid()), uid_of("www-data"));

    // Graceful stop: exit 0, every process gone.
    const std::vector<pid_t> all = descendants(nginx.pid());
    nginx.signal(SIGQUIT);
    REQUIRE(nginx.wait(20s));
    CHECK(nginx.exit_code() == 0);
    CHECK(nginx.term_signal() == 0);
    CHECK(wait_until([&] { return !any_alive(all); }, 5s));
    CHECK(nginx.log().find("SIGSYS") == std::string::npos);
    CHECK(nft_table_exists(box.name));
  }
  RunOptions down_options;
  down_options.env = policy_path_env();
  RunResult down = run_harden({"down", "--policy", box.overlay}, down_options);
  CHECK(down.exited(0));
  CHECK_FALSE(nft_table_exists(box.name));
}

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
  FirewallDown firewall{box};
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

  RunOptions down_options;
  down_options.env = policy_path_env();
  CHECK(run_harden({"down", "--policy", box.overlay}, down_options).exited(0));
  CHECK_FALSE(nft_table_exists(box.name));
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
  FirewallDown firewall{box};
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

  RunOptions down_options;
  down_options.env = policy_path_env();
  CHECK(run_harden({"down", "--policy", box.overlay}, down_options).exited(0));
  CHECK_FALSE(nft_table_exists(box.name));
}

TEST_CASE(
    "python http.server: serves content changed under it, a symlink to a host secret "
    "leads nowhere, SIGINT stops it with 0",
    "[daemon][root]") {
  require_root();
  const std::string python = "/usr/bin/python3";
  if (!path_exists(python)) skip("needs " + python);
  if (find_program("curl").empty()) skip("needs curl");

  DaemonBox box("pyhttp", "www-data");
  FirewallDown firewall{box};
  const int port = free_loopback_port();
  const std::string d = box.data;
  const std::string secret_path = "/var/tmp/" + unique_name("harden-pyhttp-secret");
  RemoveFile secret{secret_path};
  const std::string secret_text = "secret-" + unique_name("s");
  write_file(secret_path, secret_text, 0644);
  write_file(d + "/index.html", "first version\n");
  box.own_data();
  REQUIRE(::symlink(secret_path.c_str(), (d + "/leak").c_str()) == 0);
  // The site is read-only in the view: the overlay lists it with the base's system paths.
  box.write_overlay("http-server.toml",
                    "[exec]\nworking_directory = \"" + d +
                        "\"\n[filesystem]\nread_only = [\"/usr\", \"/lib\", \"/lib64\", "
                        "\"/etc/ld.so.cache\", \"" +
                        d + "\"]\n[landlock]\nbind_tcp = [" + std::to_string(port) + "]\n");

  // The control: on the host, www-data reads the secret through the symlink.
  RunResult control = box.as_user({"cat", d + "/leak"});
  REQUIRE(control.exited(0));
  REQUIRE(control.out == secret_text);

  Background server(box.harden_argv({python, "-m", "http.server", std::to_string(port), "--bind",
                                     "127.0.0.1", "--directory", d}),
                    box.dir.file("server.log"), policy_path_env());
  REQUIRE(wait_until([&] { return http_get(port, "/").ends_with("\n200"); }, 20s));
  INFO(server.describe());
  CHECK(http_get(port, "/") == "first version\n\n200");
  const pid_t main = daemon_host_pid(server.pid());
  REQUIRE(main > 0);
  check_confined(main, uid_of("www-data"));

  // Forbidden from inside: the server follows the symlink, and finds nothing.
  const std::string leak = http_get(port, "/leak");
  CHECK(leak.ends_with("\n404"));
  CHECK(leak.find(secret_text) == std::string::npos);

  // Day two: content replaced under the running server is served at once.
  write_file(d + "/index.html", "second version\n");
  CHECK(http_get(port, "/") == "second version\n\n200");
  CHECK(http_get(port, "/").ends_with("\n200"));

  const std::vector<pid_t> all = descendants(server.pid());
  server.signal(SIGINT);
  REQUIRE(server.wait(20s));
  CHECK(server.exit_code() == 0);
  CHECK(server.log().find("Keyboard interrupt received, exiting.") != std::string::npos);
  CHECK(wait_until([&] { return !any_alive(all); }, 5s));

  RunOptions down_options;
  down_options.env = policy_path_env();
  CHECK(run_harden({"down", "--policy", box.overlay}, down_options).exited(0));
  CHECK_FALSE(nft_table_exists(box.name));
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
  FirewallDown firewall{box};
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

  RunOptions down_options;
  down_options.env = policy_path_env();
  CHECK(run_harden({"down", "--policy", box.overlay}, down_options).exited(0));
  CHECK_FALSE(nft_table_exists(box.name));
}

namespace {

// A dig query to 127.0.0.1:port, one try: the answer section (+short), over UDP unless `tcp`.
std::string dig(int port, const std::string& name, const std::string& type = "A",
                bool tcp = false) {
  RunOptions options;
  options.timeout = 10s;
  return run({"dig", "@127.0.0.1", "-p", std::to_string(port), "+short", "+tries=1", "+time=2",
              tcp ? "+tcp" : "+notcp", name, type},
             options)
      .out;
}

// The status of a dig query (NOERROR, SERVFAIL, ...), one try over UDP.
std::string dig_status(int port, const std::string& name) {
  RunOptions options;
  options.timeout = 10s;
  const std::string out =
      run({"dig", "@127.0.0.1", "-p", std::to_string(port), "+tries=1", "+time=3", name}, options)
          .out;
  const size_t at = out.find("status: ");
  return at == std::string::npos ? std::string() : out.substr(at + 8, out.find(',', at) - at - 8);
}

// A name server on a loopback UDP port that answers nothing: it prints "received" when a
// datagram arrives within `seconds`, else "nothing".
std::vector<std::string> udp_listener(int port, int seconds) {
  return {"/usr/bin/python3", "-c",
          "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
          "s.bind(('127.0.0.1'," +
              std::to_string(port) + "))\ns.settimeout(" + std::to_string(seconds) +
              ")\ntry:\n  s.recvfrom(512)\n  print('received')\n"
              "except socket.timeout:\n  print('nothing')\n"};
}

// A zone file: the host secret an attacker who can change a DNS daemon's configuration would
// serve (unbound's auth-zone, dnsmasq's --txt-record from a file).
std::string secret_zone(const std::string& origin, const std::string& secret) {
  return "$ORIGIN " + origin + "\n@ 3600 IN SOA ns." + origin + " root." + origin +
         " 1 3600 600 86400 60\n@ 3600 IN NS ns." + origin + "\nsecret 60 IN TXT \"" + secret +
         "\"\n";
}

}  // namespace

TEST_CASE(
    "unbound: answers over UDP and TCP, reloads through unbound-control and on SIGHUP, cannot "
    "serve a host file nor forward to an upstream off port 53",
    "[daemon][root]") {
  require_root();
  const std::string server = "/usr/sbin/unbound";
  const std::string control = find_program("unbound-control");
  if (!path_exists(server) || control.empty()) skip("needs unbound (apt-get install unbound)");
  if (find_program("dig").empty()) skip("needs dig (apt-get install bind9-dnsutils)");

  DaemonBox box("unbound", "unbound");
  FirewallDown firewall{box};
  const int port = free_loopback_port();
  const int upstream_port = free_loopback_port(2 /* SOCK_DGRAM */);
  const std::string d = box.data;

  // A host file unbound's user may read there (0644, outside the view), written as a zone.
  const std::string secret_path = "/var/tmp/" + unique_name("harden-unbound-secret");
  RemoveFile secret{secret_path};
  const std::string secret_text = "secret-" + unique_name("s");
  write_file(secret_path, secret_zone("leak.example.", secret_text), 0644);

  // In the foreground, no pid file, no user change (it runs as unbound), logs on stderr; a
  // local record, a forward zone to the test's listener (do-not-query-localhost off: only the
  // sandbox may stand in the way), a control socket in the data directory.
  auto config = [&](const std::string& address, const std::string& extra) {
    return "server:\n  interface: 127.0.0.1\n  port: " + std::to_string(port) +
           "\n  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n  directory: \"" + d +
           "\"\n  pidfile: \"\"\n  use-syslog: no\n  logfile: \"\"\n  verbosity: 1\n"
           "  do-ip6: no\n  num-threads: 2\n  do-not-query-localhost: no\n"
           "  module-config: \"iterator\"\n  local-zone: \"harden.test.\" static\n"
           "  local-data: \"www.harden.test. IN A " +
           address + "\"\n" + extra + "forward-zone:\n  name: \"up.example.\"\n" +
           "  forward-addr: 127.0.0.1@" + std::to_string(upstream_port) +
           "\nremote-control:\n  control-enable: yes\n  control-interface: \"" + d +
           "/unbound.ctl\"\n";
  };
  const std::string leak_zone = "auth-zone:\n  name: \"leak.example.\"\n  zonefile: \"" +
                                secret_path + "\"\n  for-downstream: yes\n  for-upstream: no\n";
  write_file(d + "/unbound.conf", config("192.0.2.1", ""));
  write_file(d + "/leak.conf", config("192.0.2.1", leak_zone));
  box.own_data();
  box.write_overlay("unbound.toml", "[filesystem]\nread_write = [{ path = \"" + d +
                                        "\", noexec = true }]\n[landlock]\nbind_tcp = [" +
                                        std::to_string(port) + "]\n");

  // The control: bare, as unbound, the leaking configuration serves the host file as a zone
  // and forwards to the listener.
  {
    Background listener(udp_listener(upstream_port, 6), box.dir.file("bare-upstream.log"));
    Background bare({"/usr/bin/setpriv", "--reuid", "unbound", "--regid", "unbound",
                     "--clear-groups", "--", server, "-d", "-p", "-c", d + "/leak.conf"},
                    box.dir.file("bare.log"));
    REQUIRE(wait_until([&] { return dig(port, "www.harden.test") == "192.0.2.1\n"; }, 20s));
    INFO(bare.describe());
    CHECK(dig(port, "secret.leak.example", "TXT") == "\"" + secret_text + "\"\n");
    (void)dig_status(port, "x.up.example");
    REQUIRE(listener.wait(10s));
    CHECK(listener.log() == "received\n");
    bare.signal(SIGTERM);
    REQUIRE(bare.wait(20s));
  }

  // Under the policy the same configuration fails closed: the zone file is not in the view.
  {
    Background leak(box.harden_argv({server, "-d", "-p", "-c", d + "/leak.conf"}),
                    box.dir.file("leak.log"), policy_path_env());
    REQUIRE(leak.wait(20s));
    INFO(leak.describe());
    CHECK(leak.exit_code() == 1);
    CHECK(leak.log().find("cannot open zonefile " + secret_path +
                          " for leak.example.: No such file or directory") != std::string::npos);
    CHECK(leak.log().find(secret_text) == std::string::npos);
  }

  Background unbound(box.harden_argv({server, "-d", "-p", "-c", d + "/unbound.conf"}),
                     box.dir.file("unbound.log"), policy_path_env());
  REQUIRE(wait_until([&] { return dig(port, "www.harden.test") == "192.0.2.1\n"; }, 20s));
  INFO(unbound.describe());
  CHECK(dig(port, "www.harden.test", "A", true) == "192.0.2.1\n");
  const pid_t main = daemon_host_pid(unbound.pid());
  REQUIRE(main > 0);
  check_confined(main, uid_of("unbound"));
  // Worker threads, no child process; the constructed root holds no shell and no host file.
  CHECK(descendants(main).empty());
  CHECK(std::stoi(proc_status_field(main, "Threads")) >= 2);
  const std::string root = "/proc/" + std::to_string(main) + "/root";
  CHECK(path_exists(root + "/usr/sbin/unbound"));
  CHECK(path_exists(root + "/etc/unbound"));
  CHECK_FALSE(path_exists(root + "/bin/sh"));
  CHECK_FALSE(path_exists(root + "/etc/passwd"));
  CHECK_FALSE(path_exists(root + secret_path));

  // An upstream off port 53: the firewall rejects the query, the listener hears nothing.
  {
    Background listener(udp_listener(upstream_port, 4), box.dir.file("upstream.log"));
    std::this_thread::sleep_for(300ms);
    CHECK(dig_status(port, "x.up.example") == "SERVFAIL");
    REQUIRE(listener.wait(10s));
    CHECK(listener.log() == "nothing\n");
  }

  // Day two: a changed record, reloaded through the control socket, then on SIGHUP.
  write_file(d + "/unbound.conf", config("192.0.2.2", ""));
  RunResult reload = box.as_user({control, "-c", d + "/unbound.conf", "reload"});
  INFO(reload.describe());
  CHECK(reload.exited(0));
  CHECK(reload.out == "ok\n");
  CHECK(wait_until([&] { return dig(port, "www.harden.test") == "192.0.2.2\n"; }, 15s));
  write_file(d + "/unbound.conf", config("192.0.2.3", ""));
  unbound.signal(SIGHUP);
  CHECK(wait_until([&] { return dig(port, "www.harden.test", "A", true) == "192.0.2.3\n"; }, 15s));
  check_confined(daemon_host_pid(unbound.pid()), uid_of("unbound"));

  // SIGTERM: exit 0, every process gone.
  const std::vector<pid_t> all = descendants(unbound.pid());
  unbound.signal(SIGTERM);
  REQUIRE(unbound.wait(20s));
  CHECK(unbound.exit_code() == 0);
  CHECK(wait_until([&] { return !any_alive(all); }, 5s));
  CHECK(unbound.log().find("SIGSYS") == std::string::npos);
  CHECK(unbound.log().find("seccomp denied") == std::string::npos);

  RunOptions down_options;
  down_options.env = policy_path_env();
  CHECK(run_harden({"down", "--policy", box.overlay}, down_options).exited(0));
  CHECK_FALSE(nft_table_exists(box.name));
}

TEST_CASE(
    "dnsmasq: answers from hosts files over UDP and TCP, re-reads them on SIGHUP, cannot read a "
    "host file nor forward to an upstream off port 53",
    "[daemon][root]") {
  require_root();
  const std::string server = "/usr/sbin/dnsmasq";
  if (!path_exists(server)) skip("needs dnsmasq (apt-get install dnsmasq-base)");
  if (find_program("dig").empty()) skip("needs dig (apt-get install bind9-dnsutils)");

  DaemonBox box("dnsmasq", "dnsmasq");
  FirewallDown firewall{box};
  const int port = free_loopback_port();
  const int upstream_port = free_loopback_port(2 /* SOCK_DGRAM */);
  const std::string d = box.data;

  // A host file dnsmasq's user may read there (0644, outside the view), written as a hosts
  // file: a reverse query would give the secret name away.
  const std::string secret_path = "/var/tmp/" + unique_name("harden-dnsmasq-secret");
  RemoveFile secret{secret_path};
  const std::string secret_name = unique_name("secret") + ".example";
  write_file(secret_path, "192.0.2.77 " + secret_name + "\n", 0644);
  write_file(d + "/hosts", "192.0.2.20 host.harden.test\n", 0644);
  box.own_data();
  box.write_overlay("dnsmasq.toml", "[filesystem]\nread_write = [{ path = \"" + d +
                                        "\", noexec = true }]\n[landlock]\nbind_tcp = [" +
                                        std::to_string(port) + "]\n");

  // No configuration file, no resolv.conf, no /etc/hosts: its own hosts file, the host file,
  // a local record and a forward to the test's listener.
  const std::vector<std::string> command{
      server,
      "--keep-in-foreground",
      "--conf-file=/dev/null",
      "--user=",
      "--group=",
      "--pid-file=",
      "--log-facility=-",
      "--no-resolv",
      "--no-hosts",
      "--addn-hosts=" + d + "/hosts",
      "--addn-hosts=" + secret_path,
      "--listen-address=127.0.0.1",
      "--bind-interfaces",
      "--port=" + std::to_string(port),
      "--address=/local.harden.test/192.0.2.10",
      "--server=/up.example/127.0.0.1#" + std::to_string(upstream_port)};

  // The control: bare, as dnsmasq, it reads the host file (the reverse query names the secret)
  // and forwards to the listener.
  {
    Background listener(udp_listener(upstream_port, 6), box.dir.file("bare-upstream.log"));
    std::vector<std::string> argv{"/usr/bin/setpriv", "--reuid",        "dnsmasq", "--regid",
                                  "nogroup",          "--clear-groups", "--"};
    argv.insert(argv.end(), command.begin(), command.end());
    Background bare(argv, box.dir.file("bare.log"));
    REQUIRE(wait_until([&] { return dig(port, "local.harden.test") == "192.0.2.10\n"; }, 20s));
    INFO(bare.describe());
    CHECK(dig(port, "77.2.0.192.in-addr.arpa", "PTR") == secret_name + ".\n");
    (void)dig_status(port, "x.up.example");
    REQUIRE(listener.wait(10s));
    CHECK(listener.log() == "received\n");
    bare.signal(SIGTERM);
    REQUIRE(bare.wait(20s));
  }

  Background dnsmasq(box.harden_argv(command), box.dir.file("dnsmasq.log"), policy_path_env());
  REQUIRE(wait_until([&] { return dig(port, "local.harden.test") == "192.0.2.10\n"; }, 20s));
  INFO(dnsmasq.describe());
  CHECK(dig(port, "host.harden.test") == "192.0.2.20\n");
  CHECK(dig(port, "host.harden.test", "A", true) == "192.0.2.20\n");  // a forked TCP child
  const pid_t main = daemon_host_pid(dnsmasq.pid());
  REQUIRE(main > 0);
  check_confined(main, uid_of("dnsmasq"));
  const std::string root = "/proc/" + std::to_string(main) + "/root";
  CHECK(path_exists(root + "/usr/sbin/dnsmasq"));
  CHECK_FALSE(path_exists(root + "/bin/sh"));
  CHECK_FALSE(path_exists(root + "/etc/passwd"));
  CHECK_FALSE(path_exists(root + secret_path));

  // The host file is not in the view: dnsmasq says so and the reverse query names nothing.
  CHECK(dnsmasq.log().find("failed to load names from " + secret_path +
                           ": No such file or directory") != std::string::npos);
  CHECK(dig(port, "77.2.0.192.in-addr.arpa", "PTR").find(secret_name) == std::string::npos);

  // An upstream off port 53: the firewall rejects the query, the listener hears nothing.
  {
    Background listener(udp_listener(upstream_port, 4), box.dir.file("upstream.log"));
    std::this_thread::sleep_for(300ms);
    CHECK(dig_status(port, "x.up.example") != "NOERROR");
    REQUIRE(listener.wait(10s));
    CHECK(listener.log() == "nothing\n");
  }

  // Day two: the hosts file changes, SIGHUP re-reads it (and clears the cache).
  write_file(d + "/hosts", "192.0.2.21 host.harden.test\n", 0644);
  dnsmasq.signal(SIGHUP);
  CHECK(wait_until([&] { return dig(port, "host.harden.test") == "192.0.2.21\n"; }, 15s));
  CHECK(dig(port, "host.harden.test", "A", true) == "192.0.2.21\n");
  check_confined(daemon_host_pid(dnsmasq.pid()), uid_of("dnsmasq"));

  // SIGTERM: exit 0, every process gone.
  const std::vector<pid_t> all = descendants(dnsmasq.pid());
  dnsmasq.signal(SIGTERM);
  REQUIRE(dnsmasq.wait(20s));
  CHECK(dnsmasq.exit_code() == 0);
  CHECK(dnsmasq.log().find("exiting on receipt of SIGTERM") != std::string::npos);
  CHECK(wait_until([&] { return !any_alive(all); }, 5s));
  CHECK(dnsmasq.log().find("SIGSYS") == std::string::npos);
  CHECK(dnsmasq.log().find("seccomp denied") == std::string::npos);

  RunOptions down_options;
  down_options.env = policy_path_env();
  CHECK(run_harden({"down", "--policy", box.overlay}, down_options).exited(0));
  CHECK_FALSE(nft_table_exists(box.name));
}

TEST_CASE(
    "haproxy: proxies to its backend, cannot reach another upstream, a soft stop on SIGUSR1 "
    "finishes the request in flight and exits 0",
    "[daemon][root]") {
  require_root();
  const std::string server = "/usr/sbin/haproxy";
  const std::string curl = find_program("curl");
  if (!path_exists(server)) skip("needs haproxy (apt-get install haproxy)");
  if (curl.empty()) skip("needs curl");

  DaemonBox box("haproxy", "haproxy");
  FirewallDown firewall{box};
  const int port = free_loopback_port();
  const int backend_port = free_loopback_port();
  const int forbidden_port = free_loopback_port();
  const std::string d = box.data;

  // The backend, outside harden: a threaded http.server that answers with the path, /slow
  // after 1.5 seconds.
  write_file(d + "/backend.py",
             "import http.server, sys, time\n"
             "class H(http.server.BaseHTTPRequestHandler):\n"
             "    def do_GET(self):\n"
             "        if self.path.startswith('/slow'): time.sleep(1.5)\n"
             "        body = ('backend ' + self.path + '\\n').encode()\n"
             "        self.send_response(200)\n"
             "        self.send_header('Content-Length', str(len(body)))\n"
             "        self.end_headers()\n"
             "        self.wfile.write(body)\n"
             "    def log_message(self, *a): pass\n"
             "http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H)"
             ".serve_forever()\n");
  write_file(d + "/haproxy.cfg",
             "global\n  log stderr format raw local0 info\n  maxconn 64\n  nbthread 2\n"
             "  hard-stop-after 10s\ndefaults\n  log global\n  mode http\n  option httplog\n"
             "  timeout connect 1s\n  timeout client 10s\n  timeout server 10s\n"
             "frontend fe\n  bind 127.0.0.1:" +
                 std::to_string(port) +
                 "\n  use_backend forbidden if { path_beg /forbidden }\n"
                 "  default_backend be\nbackend be\n  server s1 127.0.0.1:" +
                 std::to_string(backend_port) + "\nbackend forbidden\n  server s2 127.0.0.1:" +
                 std::to_string(forbidden_port) + "\n");
  box.own_data();
  // The servers of this configuration in place of the shipped one's: Landlock's connect port
  // and the firewall's (the shipped [[network.allow]] for 8080 stays: arrays of tables add up).
  box.write_overlay("haproxy.toml",
                    "[filesystem]\nread_write = [{ path = \"" + d +
                        "\", noexec = true }]\n[landlock]\nbind_tcp = [" + std::to_string(port) +
                        "]\nconnect_tcp = [" + std::to_string(backend_port) +
                        "]\n[[network.allow]]\ndirection = \"egress\"\nprotocol = \"tcp\"\n"
                        "ports = [" +
                        std::to_string(backend_port) + "]\naddresses = [\"127.0.0.1\"]\n");

  Background backend({"/usr/bin/python3", d + "/backend.py", std::to_string(backend_port)},
                     box.dir.file("backend.log"));
  REQUIRE(wait_until([&] { return http_get(backend_port, "/").ends_with("\n200"); }, 20s));

  Background haproxy(box.harden_argv({server, "-db", "-f", d + "/haproxy.cfg"}),
                     box.dir.file("haproxy.log"), policy_path_env());
  REQUIRE(wait_until([&] { return http_get(port, "/first") == "backend /first\n\n200"; }, 20s));
  INFO(haproxy.describe());
  const pid_t main = daemon_host_pid(haproxy.pid());
  REQUIRE(main > 0);
  check_confined(main, uid_of("haproxy"));
  // Threads only, and a constructed root with no shell and no host file.
  CHECK(descendants(main).empty());
  CHECK(std::stoi(proc_status_field(main, "Threads")) >= 2);
  const std::string root = "/proc/" + std::to_string(main) + "/root";
  CHECK(path_exists(root + "/usr/sbin/haproxy"));
  CHECK_FALSE(path_exists(root + "/bin/sh"));
  CHECK_FALSE(path_exists(root + "/etc/passwd"));

  // Another upstream on loopback: Landlock (connect_tcp) and the firewall refuse the
  // connection, haproxy answers 503 and the upstream never sees it.
  {
    Background upstream({"/usr/bin/python3", "-c",
                         "import socket\ns=socket.socket()\n"
                         "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                         "s.bind(('127.0.0.1'," +
                             std::to_string(forbidden_port) +
                             "))\ns.listen(8)\ns.settimeout(8)\n"
                             "try:\n  c,_=s.accept()\n  print('accepted')\n"
                             "except socket.timeout:\n  print('nothing')\n"},
                        box.dir.file("upstream.log"));
    std::this_thread::sleep_for(300ms);
    CHECK(http_get(port, "/forbidden").ends_with("\n503"));
    REQUIRE(upstream.wait(15s));
    CHECK(upstream.log() == "nothing\n");
  }

  // Day two: a soft stop (SIGUSR1) while a slow request is in flight. The listener closes at
  // once (a new connection is refused), the request in flight is answered, haproxy exits 0.
  const std::vector<pid_t> all = descendants(haproxy.pid());
  Background slow({curl, "-s", "-m", "10", "-w", "\n%{http_code}",
                   "http://127.0.0.1:" + std::to_string(port) + "/slow"},
                  box.dir.file("slow.log"));
  std::this_thread::sleep_for(500ms);
  haproxy.signal(SIGUSR1);
  std::this_thread::sleep_for(300ms);
  CHECK(http_get(port, "/late").ends_with("\n000"));
  REQUIRE(slow.wait(15s));
  CHECK(slow.log() == "backend /slow\n\n200");
  REQUIRE(haproxy.wait(20s));
  CHECK(haproxy.exit_code() == 0);
  CHECK(wait_until([&] { return !any_alive(all); }, 5s));
  CHECK(haproxy.log().find("SIGSYS") == std::string::npos);
  CHECK(haproxy.log().find("seccomp denied") == std::string::npos);

  RunOptions down_options;
  down_options.env = policy_path_env();
  CHECK(run_harden({"down", "--policy", box.overlay}, down_options).exited(0));
  CHECK_FALSE(nft_table_exists(box.name));
}
