// `harden import --from systemd` as a pure function: unit-file syntax (continuations, quotes,
// comments), each directive's mapping with constants by name, the directives it cannot map
// listed with file:line, refusals for what leaving out would widen, and the imported policy
// read and compiled by harden itself.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/compile.hpp"
#include "export/export.hpp"
#include "export/systemd_unit_file.hpp"
#include "policy/policy_reader.hpp"
#include "tests/support/harness.hpp"

using namespace harden;

namespace {

std::vector<std::string> host_root() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator("/")) {
    std::error_code ec;
    if (std::filesystem::is_directory(entry.path(), ec))
      names.push_back(entry.path().filename().string());
  }
  std::ranges::sort(names);
  return names;
}

struct Imported {
  std::optional<std::string> policy;
  Diagnostics diags;
};

Imported import_text(const std::string& unit, const std::string& file = "web.service") {
  Imported out;
  ImportOptions options;
  options.source_name = file;
  options.root_entries = host_root();
  options.path_exists = [](const std::string& path) { return std::filesystem::exists(path); };
  out.policy = import_systemd_unit(unit, options, out.diags);
  return out;
}

// The imported text read and compiled by harden: the test fails with harden's messages.
std::optional<Plan> compile_imported(const std::string& text) {
  Diagnostics diags;
  std::optional<Policy> policy = read_policy_text(text, "imported.toml", diags);
  std::optional<Plan> plan;
  if (policy) plan = compile_policy(*policy, diags);
  UNSCOPED_INFO(render_all(diags));
  UNSCOPED_INFO(text);
  return plan;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("systemd unit files: continuations, comments, quotes and positions",
          "[import][systemd]") {
  Diagnostics diags;
  const auto directives = parse_unit_file(
      "# comment\n[Service]\n  ExecStart=/bin/echo \\\n# skipped\n  'a b' \"c\\\"d\" e\\x41\n; "
      "x\nUser=nobody\n",
      "u.service", diags);
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(directives.size() == 2);
  CHECK(directives[0].key == "ExecStart");
  CHECK(directives[0].pos.line == 3);
  CHECK(directives[0].pos.column == 3);
  CHECK(directives[1].pos.line == 7);
  const auto command = parse_unit_command(directives[0].value);
  REQUIRE(command);
  CHECK(command->argv == std::vector<std::string>{"/bin/echo", "a b", "c\"d", "eA"});
  CHECK(parse_unit_command("-@/bin/sh argv0 -c true")->argv ==
        std::vector<std::string>{"/bin/sh", "-c", "true"});
  CHECK_FALSE(split_unit_words("'open"));
  CHECK_FALSE(split_unit_words("a\\x0"));
  CHECK_FALSE(split_unit_words("nul\\x00"));

  Diagnostics bad;
  parse_unit_file("User=x\n[Service]\nnot a directive\n[Broken\n", "b.service", bad);
  const std::string messages = render_all(bad);
  CHECK(contains(messages, "b.service:1:1: error: a directive before the first section header"));
  CHECK(contains(messages, "b.service:3:1: error: 'not a directive' is not KEY=VALUE"));
  CHECK(contains(messages, "b.service:4:1: error: malformed section header"));
}

TEST_CASE("systemd import: identity, capabilities, filter, limits and environment by name",
          "[import][systemd]") {
  const Imported imported = import_text(R"([Unit]
Description=A web server
[Service]
Type=notify
ExecStart=/usr/sbin/web --config '/etc/web/web conf'
User=nobody
Group=nogroup
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_CHOWN
NoNewPrivileges=yes
SystemCallFilter=@system-service
SystemCallFilter=~@privileged
SystemCallFilter=~@mount:ENOSYS
SystemCallErrorNumber=13
SystemCallArchitectures=native
RestrictAddressFamilies=AF_UNIX AF_INET
RestrictNamespaces=~user net
LockPersonality=yes
UMask=0077
LimitNOFILE=1024:4096
LimitMEMLOCK=64K
LimitCPU=1h
Environment=A=1 "B=two words"
MemoryMax=256M
TasksMax=32
CPUQuota=150%
PrivateNetwork=yes
ProtectHostname=true
Nice=5
)");
  INFO(render_all(imported.diags));
  REQUIRE(imported.policy);
  const std::string& text = *imported.policy;
  INFO(text);
  CHECK(contains(text, "name = \"web\"\n"));
  CHECK(contains(text, "command = [\"/usr/sbin/web\", \"--config\", \"/etc/web/web conf\"]\n"));
  CHECK(contains(text, "user = \"nobody\"\ngroup = \"nogroup\"\n"));
  // Not root: only the ambient capabilities within the bounding set.
  CHECK(contains(text, "keep = [\"CAP_NET_BIND_SERVICE\"]\n"));
  // SystemCallErrorNumber=13 becomes its name.
  CHECK(contains(text, "default_action = \"errno:EACCES\"\n"));
  CHECK(contains(text, "allow = [\"@system-service\"]\ndeny = [\"@privileged\"]\n"));
  CHECK(contains(text, "syscall = \"mount\"\naction = \"errno:ENOSYS\""));
  // Every family but AF_UNIX (1) and AF_INET (2): 0, and 3 upwards.
  CHECK(contains(
      text, "args = [{ index = 0, op = \"eq\", value = 0 }]\naction = \"errno:EAFNOSUPPORT\""));
  CHECK(contains(
      text, "args = [{ index = 0, op = \"ge\", value = 3 }]\naction = \"errno:EAFNOSUPPORT\""));
  CHECK(contains(text, "families other than AF_UNIX AF_INET"));
  CHECK(contains(text, "mask = \"CLONE_NEWUSER\", value = \"CLONE_NEWUSER\""));
  CHECK_FALSE(contains(text, "CLONE_NEWPID"));
  CHECK(contains(text, "syscall = \"personality\""));
  CHECK(contains(text, "umask = \"0077\"\n"));
  CHECK(contains(text, "nofile = { soft = 1024, hard = 4096 }\n"));
  CHECK(contains(text, "memlock = 65536\n"));
  CHECK(contains(text, "memory = 268435456\npids = 32\ncpu = \"150%\"\n"));
  CHECK(contains(text, "\"B\" = \"two words\"\n"));
  CHECK(contains(text, "net = \"private\"\nuts = true\n"));
  CHECK(contains(text, "# Kept in the unit (service management, not sandboxing): Type=\n"));
  // What cannot be mapped: file:line in a comment and a warning.
  CHECK(contains(text, "# NOT IMPORTED: web.service:22: LimitCPU=1h"));
  CHECK(contains(text, "# NOT IMPORTED: web.service:29: Nice=5"));
  CHECK(contains(render_all(imported.diags), "web.service:29:1: warning: not imported: Nice="));
  CHECK(compile_imported(text));
}

TEST_CASE("systemd import: a deny list becomes refusing rules, and the policy refuses the calls",
          "[import][systemd]") {
  const Imported imported = import_text(
      "[Service]\nExecStart=/bin/true\nSystemCallFilter=~@clock @swap ptrace:EPERM\n"
      "SystemCallFilter=swapon\n");
  INFO(render_all(imported.diags));
  REQUIRE(imported.policy);
  INFO(*imported.policy);
  CHECK(contains(*imported.policy, "default_action = \"allow\"\n"));
  CHECK(contains(*imported.policy, "syscall = \"settimeofday\"\naction = \"kill-process\""));
  CHECK(contains(*imported.policy, "syscall = \"ptrace\"\naction = \"errno:EPERM\""));
  CHECK(contains(*imported.policy, "syscall = \"swapoff\""));
  // The later allow entry takes swapon back out of the deny list.
  CHECK_FALSE(contains(*imported.policy, "syscall = \"swapon\""));
  // Root without CapabilityBoundingSet= keeps everything; said in the policy.
  CHECK(contains(*imported.policy, "it has every capability"));
  CHECK(compile_imported(*imported.policy));
}

TEST_CASE("systemd import: the file-system directives become a constructed root",
          "[import][systemd]") {
  const Imported imported = import_text(
      "[Service]\nExecStart=/bin/true\nPrivateTmp=yes\nPrivateDevices=yes\nProtectSystem=full\n"
      "ProtectHome=read-only\nReadOnlyPaths=/var/lib\nReadWritePaths=-/nonexistent/dir\n"
      "InaccessiblePaths=/usr/share/doc\n");
  INFO(render_all(imported.diags));
  REQUIRE(imported.policy);
  const std::string& text = *imported.policy;
  INFO(text);
  CHECK(contains(text, "\n[filesystem]\n"));
  CHECK(contains(text, "tmpfs = [\n  \"/tmp\",\n  \"/var/tmp\",\n"));
  CHECK(contains(text, "{ path = \"/usr/share/doc\", mode = \"0000\" }"));
  CHECK(contains(text, "dev = \"minimal\"\n"));
  CHECK_FALSE(contains(text, "/nonexistent"));  // '-': left out when missing
  const std::string read_only = text.substr(text.find("read_only = "),
                                            text.find("read_write = ") - text.find("read_only = "));
  CHECK(contains(read_only, "\"/usr\""));
  CHECK(contains(read_only, "\"/etc\""));
  CHECK(contains(read_only, "\"/var/lib\""));
  if (std::filesystem::exists("/home")) CHECK(contains(read_only, "\"/home\""));
  const std::string read_write = text.substr(text.find("read_write = "));
  CHECK(contains(read_write.substr(0, read_write.find("\n]")), "\"/var\""));
  CHECK(compile_imported(text));
}

TEST_CASE("systemd import: refusals and what cannot be imported", "[import][systemd]") {
  // A denied group harden does not know: leaving it out would allow its calls.
  const Imported unknown = import_text("[Service]\nSystemCallFilter=~@nonesuch\n");
  CHECK_FALSE(unknown.policy);
  CHECK(contains(render_all(unknown.diags),
                 "web.service:2:1: error: cannot import the denied group @nonesuch"));
  // An unknown capability, errno or namespace type is an error at its line.
  for (const std::string line :
       {"CapabilityBoundingSet=CAP_NOPE", "SystemCallErrorNumber=ENOPE",
        "RestrictNamespaces=mnt bogus", "NoNewPrivileges=maybe", "SystemCallFilter=~read:EWHAT"}) {
    const Imported bad = import_text("[Service]\n" + line + "\n");
    INFO(line);
    CHECK_FALSE(bad.policy);
    CHECK(contains(render_all(bad.diags), "web.service:2:1: error:"));
  }
  // No [Service]: nothing to import.
  const Imported socket = import_text("[Socket]\nListenStream=80\n");
  CHECK_FALSE(socket.policy);
  CHECK(contains(render_all(socket.diags), "no [Service] section"));
  // Specifiers are systemd's; the command is not guessed.
  const Imported specifier = import_text("[Service]\nExecStart=/usr/bin/app %i\n");
  REQUIRE(specifier.policy);
  CHECK(contains(*specifier.policy, "# NOT IMPORTED: web.service:2: ExecStart=/usr/bin/app %i"));
  CHECK_FALSE(contains(*specifier.policy, "command ="));
  // A deny entry on a call harden always allows is listed, not silently dropped.
  const Imported execve = import_text("[Service]\nSystemCallFilter=~execve\n");
  REQUIRE(execve.policy);
  CHECK(contains(*execve.policy, "denies execve, which harden always allows"));
  // Policy names from the file name.
  CHECK(policy_name_from_unit("/lib/systemd/system/Foo@Bar.service") == "foo-bar");
}

TEST_CASE("harden import --from systemd on the command line: validation and usage errors",
          "[import][systemd]") {
  test::TempDir dir("harden-import-cli");
  const std::string unit = dir.file("web.service");
  test::write_file(unit, "[Service]\nExecStart=/bin/true\nUser=nobody\nNoNewPrivileges=yes\n");
  const test::RunResult ok = test::run_harden({"import", "--from", "systemd", unit});
  INFO(ok.describe());
  CHECK(ok.exited(0));
  CHECK(contains(ok.out, "[policy]\nname = \"web\"\n"));
  const test::RunResult named =
      test::run_harden({"import", "--from", "systemd", "--name", "other", unit});
  CHECK(contains(named.out, "name = \"other\"\n"));
  // A user this machine does not have: written for review, but exit 1 with harden's message.
  const std::string missing = dir.file("ghost.service");
  test::write_file(missing, "[Service]\nUser=harden-no-such-user-x\n");
  const test::RunResult ghost = test::run_harden({"import", "--from", "systemd", missing});
  CHECK(ghost.exited(1));
  CHECK(contains(ghost.out, "user = \"harden-no-such-user-x\""));
  CHECK(contains(ghost.err, "does not validate on this machine"));
  // A malformed unit: exit 1, the line named, nothing written.
  const std::string broken = dir.file("broken.service");
  test::write_file(broken, "[Service]\nExecStart='/bin/true\n");
  const test::RunResult bad = test::run_harden({"import", "--from", "systemd", broken});
  CHECK(bad.exited(1));
  CHECK(contains(bad.err, "broken.service:2:1: error: ExecStart="));
  CHECK(bad.out.empty());
  // Options of the other format: usage errors.
  CHECK(test::run_harden({"import", "--from", "systemd", "--cap", "CAP_CHOWN", unit}).exited(2));
  CHECK(test::run_harden({"import", "--from", "oci-seccomp", "--name", "x", unit}).exited(2));
}
