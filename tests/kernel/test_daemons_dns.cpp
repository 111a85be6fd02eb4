// The shipped DNS daemon policies (unbound.toml and dnsmasq.toml on dns.toml) under the real
// harden binary with the real Debian daemons: each test starts the daemon on a loopback port the
// test picks, with its zones in a temporary directory, asks it with dig over UDP and TCP,
// reloads it, shows that it can serve no host file and forward to no upstream off port 53,
// stops it with the expected status and checks that nothing is left behind.
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
  FirewallDown firewall{box.overlay};
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

  box.check_down();
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
  FirewallDown firewall{box.overlay};
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

  box.check_down();
}
