// The shipped web-facing daemon policies (nginx.toml on forking.toml, http-server.toml and
// haproxy.toml on threaded.toml) under the real harden binary with the real Debian daemons: each
// test starts the daemon on a loopback port the test picks, with its data in a temporary
// directory, talks to it with its real client, runs a day-two operation (a reload, content
// changed under it, a soft stop with a request in flight), shows from inside that a forbidden
// action is refused, stops it with the expected status and checks that nothing is left behind.
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

}  // namespace

TEST_CASE("nginx: serves, reloads on SIGHUP, cannot read a host secret nor reach an upstream",
          "[daemon][root]") {
  require_root();
  if (!path_exists(kNginx)) skip("needs nginx (apt-get install nginx)");
  if (find_program("curl").empty()) skip("needs curl");

  DaemonBox box("nginx", "www-data");
  FirewallDown firewall{box.overlay};
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
    "python http.server: serves content changed under it, a symlink to a host secret "
    "leads nowhere, SIGINT stops it with 0",
    "[daemon][root]") {
  require_root();
  const std::string python = "/usr/bin/python3";
  if (!path_exists(python)) skip("needs " + python);
  if (find_program("curl").empty()) skip("needs curl");

  DaemonBox box("pyhttp", "www-data");
  FirewallDown firewall{box.overlay};
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

  box.check_down();
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
  FirewallDown firewall{box.overlay};
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

  box.check_down();
}
