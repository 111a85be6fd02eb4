// The systemd exporter as a pure function: the native translation reads the decision model (an
// argument rule it cannot express allows the call whole, named as wider, so the service still
// runs), expresses the constructed root entry by entry and names what it cannot; the wrapper's
// ExecStart survives systemd's quoting and names the installed paths.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "compiler/compile.hpp"
#include "compiler/syscall_groups.hpp"
#include "export/export.hpp"
#include "plan/nft_script.hpp"
#include "policy/policy_reader.hpp"
#include "tests/support/harness.hpp"
#include "tests/unit/export_support.hpp"

using namespace harden;
using nlohmann::json;

using namespace harden;
using harden::test::compile_text;
using harden::test::Compiled;
using nlohmann::json;

TEST_CASE(
    "systemd --native: @service's conditions become RestrictNamespaces= and "
    "LockPersonality=, ioctl is allowed whole and named as wider",
    "[export][systemd]") {
  const Compiled c = compile_text(R"([policy]
name = "native"
[exec]
command = ["/usr/sbin/web"]
[identity]
user = "nobody"
group = "nogroup"
[seccomp]
default_action = "kill-process"
allow = ["@service"]
)");
  Diagnostics diags;
  ExportOptions options;
  options.systemd_native = true;
  const auto unit = export_systemd(c.policy, c.plan, options, diags);
  REQUIRE(unit);
  INFO(*unit);
  CHECK(unit->find("RestrictNamespaces=yes\n") != std::string::npos);
  CHECK(unit->find("LockPersonality=yes\n") != std::string::npos);
  // The names on the unit's allow lines (SystemCallFilter= without '~').
  std::set<std::string> allowed;
  std::istringstream lines(*unit);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("SystemCallFilter=") || line.starts_with("SystemCallFilter=~")) continue;
    std::istringstream names(line.substr(line.find('=') + 1));
    for (std::string name; names >> name;)
      allowed.insert(name);
  }
  REQUIRE(allowed.contains("read"));
  for (const char* name : {"clone", "unshare", "personality"}) {
    INFO(name);
    CHECK(allowed.contains(name));
  }
  // systemd cannot refuse TIOCSTI alone: leaving ioctl out would kill the service at its first
  // ioctl, so the call is allowed whole and the unit says it is wider than the policy.
  CHECK(allowed.contains("ioctl"));
  CHECK(unit->find("WIDER THAN THE POLICY") != std::string::npos);
  CHECK(unit->find("argument conditions on 'ioctl'") != std::string::npos);
  CHECK(render_all(diags).find("the unit enforces a wider rule: argument conditions on 'ioctl'") !=
        std::string::npos);
  CHECK_FALSE(allowed.contains("clone3"));
  CHECK_FALSE(allowed.contains("setns"));
  CHECK_FALSE(allowed.contains("keyctl"));

  // The policy's own clone rule is AND-ed with @service's condition: still no namespace.
  const Compiled open = compile_text(R"([policy]
name = "native"
[exec]
command = ["/usr/sbin/web"]
[seccomp]
default_action = "kill-process"
allow = ["@service"]
[[seccomp.rule]]
syscall = "clone"
args = [{ index = 0, op = "masked-eq", mask = "CLONE_NEWNS", value = 0 }]
)");
  const auto wider = export_systemd(open.policy, open.plan, options, diags);
  REQUIRE(wider);
  INFO(*wider);
  CHECK(wider->find("RestrictNamespaces=yes") != std::string::npos);
}

TEST_CASE("systemd --native: argument rules it cannot express allow the call, named as wider",
          "[export][systemd]") {
  const Compiled c = compile_text(R"([policy]
name = "native"
[exec]
command = ["/usr/sbin/web", "--flag"]
[identity]
user = "nobody"
group = "nogroup"
[seccomp]
default_action = "errno:EACCES"
allow = ["@basic-io", "@network-io"]
deny = ["socket"]
[[seccomp.rule]]
syscall = "socket"
args = [{ index = 0, op = "eq", value = "AF_INET" }]
[[seccomp.rule]]
syscall = "socket"
args = [{ index = 0, op = "eq", value = "AF_UNIX" }]
[[seccomp.rule]]
syscall = "openat"
args = [{ index = 2, op = "masked-eq", mask = "O_ACCMODE", value = "O_RDONLY" }]
)");
  Diagnostics diags;
  ExportOptions options;
  options.systemd_native = true;
  const auto unit = export_systemd(c.policy, c.plan, options, diags);
  REQUIRE(unit);
  INFO(*unit);
  CHECK(unit->find("ExecStart=/usr/sbin/web --flag\n") != std::string::npos);
  CHECK(unit->find("User=nobody\n") != std::string::npos);
  CHECK(unit->find("SystemCallErrorNumber=EACCES\n") != std::string::npos);
  CHECK(unit->find("RestrictAddressFamilies=AF_INET AF_UNIX\n") != std::string::npos);
  CHECK(unit->find(" openat") != std::string::npos);  // allowed whole: the service runs
  CHECK(unit->find("WIDER THAN THE POLICY") != std::string::npos);
  CHECK(unit->find("argument conditions on 'openat'") != std::string::npos);
  const std::string text = render_all(diags);
  CHECK(text.find("test.toml:18:1: warning: the unit enforces a wider rule") != std::string::npos);
  CHECK(unit->find("CapabilityBoundingSet=\n") != std::string::npos);
  CHECK(unit->find("NoNewPrivileges=yes\n") != std::string::npos);
}

TEST_CASE("systemd --wrapper: ExecStart runs the target through harden, quoted for systemd",
          "[export][systemd]") {
  const Compiled c = compile_text("[policy]\nname = \"wrap\"\n");
  Diagnostics diags;
  ExportOptions options;
  options.harden_path = "/usr/bin/harden";
  options.policy_path = "/etc/harden/wrap.toml";
  options.command = {"/usr/bin/sh", "-c", "echo \"$HOME\" 100%"};
  const auto unit = export_systemd(c.policy, c.plan, options, diags);
  REQUIRE(unit);
  CHECK(unit->find("ExecStart=\nExecStart=/usr/bin/harden --policy /etc/harden/wrap.toml -- "
                   "/usr/bin/sh -c \"echo \\\"$$HOME\\\" 100%%\"\n") != std::string::npos);
  CHECK(unit->find("\nUser=") == std::string::npos);

  Diagnostics no_command;
  CHECK_FALSE(export_systemd(c.policy, c.plan, {}, no_command));
  CHECK(no_command.has_errors());
}

TEST_CASE("systemd --wrapper: a supervised target gets NotifyAccess=all, an exec'd one not",
          "[export][systemd]") {
  ExportOptions options;
  options.harden_path = "/usr/bin/harden";
  options.policy_path = "/etc/harden/wrap.toml";
  options.command = {"/usr/sbin/daemon"};
  const auto unit_of = [&](const std::string& body) {
    const Compiled c = compile_text("[policy]\nname = \"wrap\"\n" + body);
    Diagnostics diags;
    const auto unit = export_systemd(c.policy, c.plan, options, diags);
    REQUIRE(unit);
    return *unit;
  };
  // The total exec lock keeps harden as the supervisor: READY=1 comes from its child.
  CHECK(unit_of("[landlock]\nread = [\"/\"]\n").find("\nNotifyAccess=all\n") != std::string::npos);
  CHECK(unit_of("[namespaces]\npid = true\nmount = true\n").find("\nNotifyAccess=all\n") !=
        std::string::npos);
  // With programs listed, or without Landlock, harden execs the target in its own process.
  CHECK(unit_of("[landlock]\nread = [\"/\"]\nexecute = [\"/bin/sh\"]\n").find("NotifyAccess") ==
        std::string::npos);
  CHECK(unit_of("").find("NotifyAccess") == std::string::npos);
}

namespace {

std::string native_unit(const std::string& text, std::vector<std::string> command = {"/srv/x"}) {
  const Compiled c = compile_text(text);
  Diagnostics diags;
  ExportOptions options;
  options.systemd_native = true;
  options.command = std::move(command);
  const auto unit = export_systemd(c.policy, c.plan, options, diags);
  INFO(render_all(diags));
  REQUIRE(unit);
  return *unit;
}

bool has_line(const std::string& unit, const std::string& line) {
  return unit.find("\n" + line + "\n") != std::string::npos;
}

// The directive sits in a block of directives under a comment (its reason).
bool commented(const std::string& unit, const std::string& line) {
  std::vector<std::string> lines;
  std::istringstream in(unit);
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  auto at = std::ranges::find(lines, line);
  while (at != lines.begin()) {
    --at;
    if (at->starts_with("# ")) return true;
    if (at->find('=') == std::string::npos) return false;  // "[Service]" or a blank line
  }
  return false;
}

// A compute-only policy like policies/strict.toml, in a jail of the test's own.
std::string sealed_policy(const std::string& jail, const std::string& extra_allow = "",
                          const std::string& extra = "") {
  return "[policy]\nname = \"sealed\"\n[exec]\nmemory_deny_write_execute = true\n"
         "[identity]\nuser = \"nobody\"\ngroup = \"nogroup\"\n[capabilities]\nkeep = []\n"
         "[seccomp]\ndefault_action = \"kill-process\"\nallow = [\"@basic-io\", \"@signal\", "
         "\"newfstatat\", \"readlink\"" +
         extra_allow + "]\n[filesystem]\nchroot = \"" + jail +
         "\"\n[namespaces]\nnet = \"loopback\"\n[landlock]\nmode = \"enforce\"\n" + extra;
}

}  // namespace

TEST_CASE(
    "systemd --native: a sealed jail gets the directives its filter implies, each with "
    "its reason",
    "[export][systemd]") {
  test::TempDir jail;
  const std::string unit = native_unit(sealed_policy(jail.path()), {"/filter"});
  INFO(unit);
  for (const char* line : {"ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
                           "DevicePolicy=closed", "ProtectSystem=strict", "RestrictSUIDSGID=yes",
                           "PrivateMounts=yes", "MemoryDenyWriteExecute=yes", "IPAddressDeny=any",
                           "MountAPIVFS=no", "SystemCallFilter=~clone3:ENOSYS"}) {
    INFO(line);
    CHECK(has_line(unit, line));
    CHECK(commented(unit, line));
  }
  // A jail: nothing that makes systemd mount /proc, /sys or the host's /dev into it.
  for (const char* line :
       {"ProtectKernelTunables=yes", "ProtectControlGroups=yes", "ProtectHostname=yes",
        "ProtectProc=invisible", "ProcSubset=pid", "PrivateUsers=yes"}) {
    INFO(line);
    CHECK_FALSE(has_line(unit, line));
  }
  // nobody is shared with unrelated services: RemoveIPC= would delete their IPC objects.
  CHECK_FALSE(has_line(unit, "RemoveIPC=yes"));
  CHECK(unit.find("[landlock] path rules and the exec lock") != std::string::npos);
}

TEST_CASE("systemd --native: each implied directive disappears with what implies it",
          "[export][systemd]") {
  test::TempDir jail;
  auto without = [&](const std::string& text, std::vector<std::string> command,
                     std::initializer_list<const char*> absent,
                     std::initializer_list<const char*> present = {}) {
    const std::string unit = native_unit(text, std::move(command));
    INFO(unit);
    for (const char* line : absent) {
      INFO("absent: " << line);
      CHECK_FALSE(has_line(unit, line));
    }
    for (const char* line : present) {
      INFO("present: " << line);
      CHECK(has_line(unit, line));
    }
  };
  const std::initializer_list<const char*> hiding{"ProtectHome=yes", "PrivateTmp=yes",
                                                  "PrivateDevices=yes", "DevicePolicy=closed"};
  SECTION("open() allowed: nothing is hidden, but writes stay impossible only without it") {
    without(sealed_policy(jail.path(), ", \"openat\""), {"/filter"}, hiding);
    without(sealed_policy(jail.path(), ", \"openat\""), {"/filter"},
            {"ProtectSystem=strict", "RestrictSUIDSGID=yes"});
  }
  SECTION("no exec lock: another program could be run, so nothing is hidden") {
    without(sealed_policy(jail.path(), "", "filesystem = false\nbind_tcp = []\n"), {"/filter"},
            hiding, {"ProtectSystem=strict"});
  }
  SECTION("io_uring does what the filter does not allow") {
    // Its sockets leave only the private namespace's loopback to say anything about IP.
    without(sealed_policy(jail.path(), ", \"io_uring_setup\""), {"/filter"},
            {"ProtectHome=yes", "ProtectSystem=strict", "RestrictSUIDSGID=yes"},
            {"IPAddressDeny=any", "IPAddressAllow=localhost"});
  }
  SECTION("a write through a path, or chmod") {
    without(sealed_policy(jail.path(), ", \"unlink\""), {"/filter"}, {"ProtectSystem=strict"},
            {"RestrictSUIDSGID=yes", "ProtectHome=yes"});
    without(sealed_policy(jail.path(), ", \"fchmod\""), {"/filter"}, {"RestrictSUIDSGID=yes"},
            {"ProtectSystem=strict"});
  }
  SECTION("the target itself under a hidden directory stays visible") {
    without(sealed_policy(jail.path()), {"/tmp/filter"}, {"PrivateTmp=yes"},
            {"ProtectHome=yes", "PrivateDevices=yes"});
  }
  SECTION("sockets: the private namespace's loopback only") {
    without(sealed_policy(jail.path(), ", \"socket\""), {"/filter"}, {},
            {"IPAddressDeny=any", "IPAddressAllow=localhost"});
  }
  SECTION("CAP_SYS_ADMIN kept: mounts could reach the host") {
    without(
        "[policy]\nname = \"adm\"\n[capabilities]\nkeep = [\"CAP_SYS_ADMIN\"]\n"
        "[lint]\nallow = []\n",
        {"/bin/x"}, {"PrivateMounts=yes"});
  }
  SECTION("no memory_deny_write_execute") {
    without("[policy]\nname = \"plain\"\n", {"/bin/x"}, {"MemoryDenyWriteExecute=yes"});
  }
}

TEST_CASE("systemd --native: a user of its own, outside a jail", "[export][systemd]") {
  // uid 4242 is nobody's in particular: RemoveIPC= removes only what the service could leave,
  // which the private IPC namespace makes nothing; a user namespace takes nothing from it.
  const std::string unit = native_unit(
      "[policy]\nname = \"own\"\n[identity]\nuser = \"4242\"\ngroup = \"4242\"\n"
      "[capabilities]\nkeep = []\n[seccomp]\nallow = [\"@basic-io\", \"newfstatat\"]\n"
      "[lsm]\napparmor_profile = \"harden-own\"\noptional = true\n"
      "[network]\nscope = \"uid\"\negress = \"drop\"\n"
      "[[audit.watch]]\npath = \"/etc/passwd\"\n",
      {"/bin/x"});
  INFO(unit);
  for (const char* line :
       {"RemoveIPC=yes", "PrivateUsers=yes", "ProtectKernelTunables=yes",
        "ProtectControlGroups=yes", "ProtectHostname=yes", "AppArmorProfile=-harden-own"}) {
    INFO(line);
    CHECK(has_line(unit, line));
  }
  CHECK_FALSE(has_line(unit, "MountAPIVFS=no"));
  CHECK(unit.find("harden export --format nft") != std::string::npos);
  CHECK(unit.find("harden export --format auditctl") != std::string::npos);
}

TEST_CASE("systemd --native: a condition that always holds allows the call, as the compiler does",
          "[export][systemd]") {
  // issue 13: socket with 'ge 0' is allowed unconditionally by the filter; the export once said
  // the unit "denies 'socket' altogether".
  const Compiled c = compile_text(R"([policy]
name = "native"
[exec]
command = ["/usr/sbin/web"]
[seccomp]
default_action = "kill-process"
allow = ["@basic-io"]
[[seccomp.rule]]
syscall = "socket"
action = "allow"
args = [{ index = 0, op = "ge", value = 0 }]
)");
  Diagnostics diags;
  ExportOptions options;
  options.systemd_native = true;
  const auto unit = export_systemd(c.policy, c.plan, options, diags);
  REQUIRE(unit);
  INFO(*unit);
  CHECK(std::regex_search(*unit, std::regex("\nSystemCallFilter=([^\n]* )?socket[ \n]")));
  CHECK(unit->find("socket' altogether") == std::string::npos);
  CHECK(unit->find("argument conditions on 'socket'") == std::string::npos);
  CHECK(unit->find("RestrictAddressFamilies=none") == std::string::npos);
}

TEST_CASE("systemd --native: Environment= values keep '$' as typed", "[export][systemd]") {
  const Compiled c = compile_text(R"([policy]
name = "native"
[exec]
command = ["/usr/sbin/web", "$HOME"]
[environment]
set = { PRICE = "5$", GREETING = "hello world", PCT = "100%" }
)");
  Diagnostics diags;
  ExportOptions options;
  options.systemd_native = true;
  const auto unit = export_systemd(c.policy, c.plan, options, diags);
  REQUIRE(unit);
  INFO(*unit);
  CHECK(unit->find("Environment=PRICE=5$\n") != std::string::npos);  // not 5$$
  CHECK(unit->find("Environment=\"GREETING=hello world\"\n") != std::string::npos);
  CHECK(unit->find("Environment=PCT=100%%\n") != std::string::npos);  // a specifier otherwise
  CHECK(unit->find("ExecStart=/usr/sbin/web $$HOME\n") != std::string::npos);
}

TEST_CASE("systemd --native: without a command, a hardening-only drop-in", "[export][systemd]") {
  const Compiled c = compile_text(R"([policy]
name = "native"
[seccomp]
default_action = "kill-process"
allow = ["@service"]
)");
  Diagnostics diags;
  ExportOptions options;
  options.systemd_native = true;
  const auto unit = export_systemd(c.policy, c.plan, options, diags);
  REQUIRE(unit);
  INFO(*unit);
  CHECK(unit->find("\nExecStart=") == std::string::npos);
  CHECK(unit->find("SystemCallFilter=") != std::string::npos);
  // The wrapper needs a command: it replaces ExecStart=.
  options.systemd_native = false;
  Diagnostics wrapper_diags;
  CHECK_FALSE(export_systemd(c.policy, c.plan, options, wrapper_diags));
  CHECK(render_all(wrapper_diags).find("no command to export") != std::string::npos);
}

TEST_CASE("systemd --native: a PID namespace needs --systemd-version 257", "[export][systemd]") {
  const Compiled c = compile_text(R"([policy]
name = "native"
[exec]
command = ["/usr/sbin/web"]
[namespaces]
pid = true
)");
  ExportOptions options;
  options.systemd_native = true;
  Diagnostics diags;
  CHECK_FALSE(export_systemd(c.policy, c.plan, options, diags));
  const std::string text = render_all(diags);
  INFO(text);
  CHECK(text.find("test.toml:6:") != std::string::npos);
  CHECK(text.find("error: --native cannot express a PID namespace in systemd 252") !=
        std::string::npos);
  CHECK(text.find("--systemd-version 257") != std::string::npos);
  options.systemd_version = 257;
  Diagnostics newer;
  const auto unit = export_systemd(c.policy, c.plan, options, newer);
  REQUIRE(unit);
  CHECK(unit->find("PrivatePIDs=yes\n") != std::string::npos);
}

TEST_CASE("systemd --native: bind_tcp becomes SocketBindAllow= and SocketBindDeny=any",
          "[export][systemd]") {
  const Compiled c = compile_text(R"([policy]
name = "native"
[exec]
command = ["/usr/sbin/web"]
[landlock]
filesystem = false
bind_tcp = [8080, 8443]
)");
  ExportOptions options;
  options.systemd_native = true;
  Diagnostics diags;
  const auto unit = export_systemd(c.policy, c.plan, options, diags);
  REQUIRE(unit);
  INFO(*unit);
  CHECK(unit->find("SocketBindAllow=tcp:8080\nSocketBindAllow=tcp:8443\nSocketBindDeny=any\n") !=
        std::string::npos);
  CHECK(unit->find("- [landlock] bind_tcp") == std::string::npos);  // translated, not missing
}

// issue 14: the constructed root in systemd's words. Each view entry becomes the directive
// that makes it; ProtectSystem= (whose read-only "/" systemd 252 prefers to the empty tmpfs,
// showing the host's root) and the directives that would mount /proc and /sys into a view
// without them are never emitted; what systemd adds is named.
TEST_CASE("systemd --native: the constructed root, entry by entry", "[export][systemd]") {
  const Compiled c = compile_text(R"([policy]
name = "native"
[exec]
command = ["/usr/sbin/web"]
[identity]
user = "65534"
group = "65534"
[namespaces]
ipc = "private"
[filesystem]
read_only = ["/usr", { path = "/etc", noexec = true }]
read_write = [{ path = "/var/tmp", source = "/tmp", noexec = true }]
tmpfs = [{ path = "/run", size = "1M", mode = "0755", noexec = true }]
dev = "minimal"
)");
  ExportOptions options;
  options.systemd_native = true;
  Diagnostics diags;
  const auto unit = export_systemd(c.policy, c.plan, options, diags);
  INFO(render_all(diags));
  REQUIRE(unit);
  INFO(*unit);
  for (const char* line : {"TemporaryFileSystem=/:ro,mode=0755,nosuid,nodev\n",
                           "BindReadOnlyPaths=/usr\n", "BindReadOnlyPaths=/etc\nNoExecPaths=/etc\n",
                           "BindPaths=/tmp:/var/tmp\nNoExecPaths=/var/tmp\n",
                           "TemporaryFileSystem=/run:mode=0755,nosuid,nodev,noexec,size=1048576\n",
                           "PrivateDevices=yes\nDevicePolicy=closed\n",
                           "TemporaryFileSystem=/dev/shm:mode=1777,nosuid,nodev,noexec\n",
                           "PrivateIPC=yes\n", "ProtectHome=yes\n",
                           // /usr is a read-only bind: remounting it read-only changes nothing
                           "# the view's /usr is read-only already\nProtectSystem=yes\n",
                           // systemd's /proc and /sys covered again: the view has neither
                           "ProtectProc=invisible\nProcSubset=pid\n"
                           "BindReadOnlyPaths=/run/systemd/inaccessible/dir:/proc\n"
                           "BindReadOnlyPaths=/run/systemd/inaccessible/dir:/sys\n"}) {
    CHECK(unit->find(line) != std::string::npos);
  }
  for (const char* absent : {"ProtectSystem=strict", "ProtectSystem=full", "PrivateTmp=",
                             "ProtectKernelTunables=", "ProtectControlGroups=", "ProtectHostname=",
                             "PrivateUsers=", "BindPaths=/dev", "BindReadOnlyPaths=/dev"}) {
    INFO(absent);
    CHECK(unit->find(std::string("\n") + absent) == std::string::npos);
  }
  CHECK(unit->find("ADDED TO THE VIEW BY SYSTEMD") != std::string::npos);
  CHECK(unit->find("/run/systemd/incoming") != std::string::npos);
  CHECK(unit->find("hugepages") != std::string::npos);
  CHECK(unit->find("/proc and /sys as empty directories no one may open") != std::string::npos);
}

TEST_CASE("systemd --native: a /proc in the view gets ProtectProc= and ProcSubset=",
          "[export][systemd]") {
  const Compiled c = compile_text(R"([policy]
name = "native"
[exec]
command = ["/usr/sbin/web"]
[identity]
user = "65534"
group = "65534"
[namespaces]
pid = true
[filesystem]
read_only = ["/usr"]
proc = true
)");
  ExportOptions options;
  options.systemd_native = true;
  options.systemd_version = 257;
  Diagnostics diags;
  const auto unit = export_systemd(c.policy, c.plan, options, diags);
  INFO(render_all(diags));
  REQUIRE(unit);
  INFO(*unit);
  CHECK(unit->find("ProtectProc=invisible\nProcSubset=pid\n") != std::string::npos);
  CHECK(unit->find("ProtectKernelTunables=yes\n") != std::string::npos);
  // The masked kernel interfaces are hidden by ProcSubset=pid, not listed one by one.
  CHECK(unit->find("/proc/kcore") == std::string::npos);
  // The view's own /proc is systemd's, not covered.
  CHECK(unit->find("/run/systemd/inaccessible/dir") == std::string::npos);
  CHECK(unit->find("the host's /sys, read-only") != std::string::npos);
  CHECK(render_all(diags).find("systemd adds to the view: the host's /sys") != std::string::npos);
  // With the view's /proc systemd 252 can write the user namespace's maps: a user of the
  // policy's own without capabilities gets PrivateUsers=; /proc/sys is not in a pid subset, so
  // ProtectHostname= (which binds /proc/sys/kernel/hostname) is still left out.
  CHECK(unit->find("\nPrivateUsers=yes\n") != std::string::npos);
  CHECK(unit->find("\nProtectHostname=") == std::string::npos);
}

TEST_CASE("systemd --native: restrict_suid_sgid becomes RestrictSUIDSGID=, its rules no wider call",
          "[export][systemd]") {
  const std::string policy = R"([policy]
name = "native"
[exec]
command = ["/usr/sbin/web"]
[identity]
user = "65534"
group = "65534"
[seccomp]
allow = ["@service"]
)";
  ExportOptions options;
  options.systemd_native = true;
  for (const bool restricted : {true, false}) {
    INFO("restrict_suid_sgid = " << restricted);
    const Compiled c = compile_text(policy + (restricted ? "restrict_suid_sgid = true\n" : ""));
    Diagnostics diags;
    const auto unit = export_systemd(c.policy, c.plan, options, diags);
    REQUIRE(unit);
    const std::string warnings = render_all(diags);
    INFO(*unit);
    INFO(warnings);
    CHECK((unit->find("\nRestrictSUIDSGID=yes\n") != std::string::npos) == restricted);
    // chmod and open are allowed whole in SystemCallFilter=, and not named as wider: the
    // directive says what their rules refuse.
    CHECK(warnings.find("argument conditions on 'chmod'") == std::string::npos);
    CHECK(warnings.find("argument conditions on 'openat'") == std::string::npos);
    CHECK(std::regex_search(*unit, std::regex("\nSystemCallFilter=([^\n]* )?fchmodat[ \n]")));
    // openat2's mode is out of a filter's reach: refused with ENOSYS, as the policy says.
    CHECK((unit->find("openat2:ENOSYS") != std::string::npos) == restricted);
  }
}

TEST_CASE(
    "systemd --native: without the minimal /dev no ProtectProc=, whose /dev would be the host's",
    "[export][systemd]") {
  const Compiled c = compile_text(R"([policy]
name = "native"
[exec]
command = ["/usr/sbin/web"]
[identity]
user = "65534"
group = "65534"
[filesystem]
read_only = ["/usr"]
)");
  ExportOptions options;
  options.systemd_native = true;
  Diagnostics diags;
  const auto unit = export_systemd(c.policy, c.plan, options, diags);
  INFO(render_all(diags));
  REQUIRE(unit);
  INFO(*unit);
  CHECK(unit->find("TemporaryFileSystem=/:ro") != std::string::npos);
  CHECK(unit->find("\nProtectProc=") == std::string::npos);
  CHECK(unit->find("\nProcSubset=") == std::string::npos);
  CHECK(unit->find("/run/systemd/inaccessible/dir") == std::string::npos);
}

TEST_CASE("systemd --native: a view path systemd's syntax cannot carry is refused at its line",
          "[export][systemd]") {
  test::TempDir dir;
  const std::string odd = dir.mkdir("with space");
  const Compiled c = compile_text(
      "[policy]\nname = \"native\"\n[exec]\ncommand = [\"/bin/x\"]\n"
      "[filesystem]\nread_only = [\"/usr\",\n  \"" +
      odd + "\"]\n");
  ExportOptions options;
  options.systemd_native = true;
  Diagnostics diags;
  CHECK_FALSE(export_systemd(c.policy, c.plan, options, diags));
  const std::string text = render_all(diags);
  INFO(text);
  CHECK(text.find("test.toml:7:3: error: --native cannot express '" + odd +
                  "' of the constructed root") != std::string::npos);
  CHECK(text.find("use --wrapper") != std::string::npos);
}

TEST_CASE("systemd --native: [network] as IPAddressDeny= where both directions are filtered",
          "[export][systemd]") {
  const std::string head = R"([policy]
name = "native"
[exec]
command = ["/usr/sbin/web"]
[identity]
user = "65534"
group = "65534"
)";
  auto exported = [&](const std::string& network, Diagnostics& diags) {
    const Compiled c = compile_text(head + network);
    ExportOptions options;
    options.systemd_native = true;
    const auto unit = export_systemd(c.policy, c.plan, options, diags);
    REQUIRE(unit);
    return *unit;
  };
  SECTION("both directions filtered: the allowed addresses, wider for their ports") {
    Diagnostics diags;
    const std::string unit = exported(R"([namespaces]
net = "private"
[network]
ingress = "drop"
egress = "reject"
loopback = "accept"
[[network.allow]]
direction = "egress"
protocol = "tcp"
ports = [5432]
addresses = ["192.0.2.10", "2001:db8::10"]
)",
                                      diags);
    INFO(unit);
    CHECK(unit.find("IPAddressDeny=any\nIPAddressAllow=localhost\nIPAddressAllow=192.0.2.10\n"
                    "IPAddressAllow=2001:db8::10\n") != std::string::npos);
    CHECK(unit.find("[[network.allow]] ports and protocol") != std::string::npos);
    CHECK(unit.find("ICMPv6 neighbour discovery") != std::string::npos);
  }
  SECTION("an open direction: nothing translated, and said why") {
    Diagnostics diags;
    const std::string unit = exported(R"([network]
scope = "uid"
egress = "reject"
)",
                                      diags);
    INFO(unit);
    CHECK(unit.find("\nIPAddressDeny=") == std::string::npos);
    CHECK(unit.find("ingress is open") != std::string::npos);
    CHECK(render_all(diags).find("test.toml:8:1: warning: no systemd equivalent: [network]") !=
          std::string::npos);
  }
  SECTION("an allow rule for every address: nothing to deny") {
    Diagnostics diags;
    const std::string unit = exported(R"([namespaces]
net = "private"
[network]
egress = "drop"
[[network.allow]]
direction = "egress"
protocol = "udp"
ports = [53]
)",
                                      diags);
    INFO(unit);
    // Only the private namespace's own loopback (isolation_directives), no address of [network].
    std::istringstream lines(unit);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("IPAddressAllow=")) CHECK(line == "IPAddressAllow=localhost");
    }
    CHECK(unit.find("without addresses admits every peer") != std::string::npos);
  }
}

// issue 14: a wrapper unit names paths on the hosts (the installed harden and policy, a
// sealed plan or a compiled wrapper), never the build tree's binary or a checkout's file.
TEST_CASE("systemd --wrapper: a sealed plan or a compiled wrapper as ExecStart",
          "[export][systemd]") {
  const Compiled c = compile_text("[policy]\nname = \"wrap\"\n");
  ExportOptions options;
  options.harden_path = "/usr/bin/harden";
  options.command = {"/usr/sbin/web"};
  options.plan_path = "/etc/harden/web.plan";
  Diagnostics diags;
  auto unit = export_systemd(c.policy, c.plan, options, diags);
  REQUIRE(unit);
  CHECK(unit->find("ExecStart=/usr/bin/harden --plan /etc/harden/web.plan -- /usr/sbin/web\n") !=
        std::string::npos);
  options.compiled_wrapper = "/usr/local/sbin/web-wrapper";
  options.install_notes = {"the wrapper as /usr/local/sbin/web-wrapper"};
  unit = export_systemd(c.policy, c.plan, options, diags);
  REQUIRE(unit);
  INFO(*unit);
  CHECK(unit->find("ExecStart=/usr/local/sbin/web-wrapper -- /usr/sbin/web\n") !=
        std::string::npos);
  CHECK(unit->find("# install: the wrapper as /usr/local/sbin/web-wrapper\n") != std::string::npos);
}

TEST_CASE("harden export --wrapper names the installed harden and policy, not the build tree's",
          "[export][systemd][cli]") {
  const std::string policy = test::source_dir() + "/policies/memcached.toml";
  const test::RunResult r = test::run_harden({"export", "--format", "systemd", policy});
  INFO(r.describe());
  REQUIRE(r.exited(0));
  // The test's harden is the build tree's: the unit runs the package's path instead (the
  // build tree's and the checkout's paths appear only in the install notes).
  const size_t start = r.out.find("\nExecStart=/usr/bin/harden --policy ");
  REQUIRE(start != std::string::npos);
  const std::string exec_start = r.out.substr(start + 1, r.out.find('\n', start + 1) - start - 1);
  CHECK(exec_start.find(test::harden_binary()) == std::string::npos);
  CHECK(exec_start.find(policy) == std::string::npos);
  // The checkout's policy: the same file where the package put it, else /etc's, said on
  // stderr and in the unit.
  const bool packaged =
      r.out.find("--policy /usr/share/harden/policies/memcached.toml --") != std::string::npos;
  CHECK((packaged ||
         r.out.find("--policy /etc/harden/policies/memcached.toml --") != std::string::npos));
  if (!packaged) {
    CHECK(r.err.find("harden export: install the policy as /etc/harden/policies/memcached.toml") !=
          std::string::npos);
    CHECK(r.out.find("# install: the policy as /etc/harden/policies/memcached.toml") !=
          std::string::npos);
  }
  CHECK(r.err.find("harden export: install harden as /usr/bin/harden") != std::string::npos);

  const test::RunResult chosen =
      test::run_harden({"export", "--format", "systemd", "--harden-path", "/opt/h/bin/harden",
                        "--policy-path", "/srv/p/memcached.toml", policy});
  INFO(chosen.describe());
  CHECK(chosen.out.find("ExecStart=/opt/h/bin/harden --policy /srv/p/memcached.toml -- ") !=
        std::string::npos);
  CHECK(chosen.err.find("install") == std::string::npos);

  const test::RunResult relative =
      test::run_harden({"export", "--format", "systemd", "--compiled", "web-wrapper", policy});
  CHECK(relative.exited(2));
  CHECK(relative.err.find("'web-wrapper' is not an absolute path") != std::string::npos);
}

TEST_CASE("systemd --native: no ProtectSystem= over a view with something writable under /usr",
          "[export][systemd]") {
  // ProtectSystem=yes remounts /usr read-only with everything beneath it: a writable bind
  // there would become read-only, narrower than the policy, and the service would fail.
  const Compiled c = compile_text(R"([policy]
name = "native"
[exec]
command = ["/usr/sbin/web"]
[identity]
user = "65534"
group = "65534"
[filesystem]
read_only = ["/usr"]
read_write = [{ path = "/usr/local/var", source = "/tmp", noexec = true }]
)");
  ExportOptions options;
  options.systemd_native = true;
  Diagnostics diags;
  const auto unit = export_systemd(c.policy, c.plan, options, diags);
  INFO(render_all(diags));
  REQUIRE(unit);
  INFO(*unit);
  CHECK(unit->find("BindPaths=/tmp:/usr/local/var\n") != std::string::npos);
  CHECK(unit->find("\nProtectSystem=") == std::string::npos);
}
