// The nftables layer against the real kernel, always inside a network namespace the test
// creates and deletes: connections that the table must allow succeed, the others are
// refused (IPv4 and IPv6), and the ruleset is read back through libnftables, so a missing
// rule is seen even when a connection test would pass for another reason.
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include "enforcer/host.hpp"
#include "enforcer/steps.hpp"
#include "plan/nft_script.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/netns.hpp"

using namespace harden::test;
namespace host = harden::host;

namespace {

// libnftables, run from inside the test's namespace.
std::string nft_in(const TestNetns& ns, const std::string& command) {
  std::string out;
  ns.in([&] {
    auto result = host::nft_run(command);
    out = result ? *result : "ERROR: " + result.error();
  });
  return out;
}

std::vector<std::string> harden_tables_in(const TestNetns& ns) {
  std::vector<std::string> tables;
  ns.in([&] {
    if (auto listed = host::nft_harden_tables()) tables = *listed;
  });
  return tables;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

RunResult harden_in(const TestNetns& ns, const std::string& policy,
                    std::vector<std::string> probe_args) {
  std::vector<std::string> argv = ns.exec_prefix();
  argv.insert(argv.end(), {harden_binary(), "--policy", policy, "--", probe_binary()});
  argv.insert(argv.end(), probe_args.begin(), probe_args.end());
  return run(argv);
}

RunResult harden_command_in(const TestNetns& ns, std::vector<std::string> args) {
  std::vector<std::string> argv = ns.exec_prefix();
  argv.push_back(harden_binary());
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

}  // namespace

TEST_CASE("netns scope: ingress allow-list on tcp/8080 over 127.0.0.1 and ::1", "[nftables]") {
  require_root();
  TestNetns ns;
  TempDir dir;
  const std::string name = unique_name("nft");
  const std::string policy = write_policy(dir, "in", "[policy]\nname = \"" + name + R"("
[network]
scope = "netns"
ingress = "reject"
egress = "accept"
loopback = "filter"
[[network.allow]]
direction = "ingress"
protocol = "tcp"
ports = [8080]
)");
  const Fd v4_allowed = ns.listen_tcp("127.0.0.1", 8080);
  const Fd v4_other = ns.listen_tcp("127.0.0.1", 8081);
  const Fd v6_allowed = ns.listen_tcp("::1", 8080);
  const Fd v6_other = ns.listen_tcp("::1", 8081);
  // Control: without the table every port answers, so a refusal below is the table's doing.
  REQUIRE(ns.connect_tcp("127.0.0.1", 8081) == 0);
  REQUIRE(ns.connect_tcp("::1", 8081) == 0);

  const RunResult first = harden_in(ns, policy, {"write-stdout", "target-ran"});
  INFO(first.describe());
  REQUIRE(first.exited(0));
  CHECK(first.out.find("target-ran") != std::string::npos);

  CHECK(ns.connect_tcp("127.0.0.1", 8080) == 0);
  CHECK(ns.connect_tcp("::1", 8080) == 0);
  CHECK(ns.connect_tcp("127.0.0.1", 8081) == ECONNREFUSED);
  CHECK(ns.connect_tcp("::1", 8081) == ECONNREFUSED);

  const std::string table = "harden_" + name;
  const std::string listed = nft_in(ns, "list table inet " + table);
  INFO(listed);
  CHECK(listed.find("type filter hook input priority filter; policy drop;") != std::string::npos);
  CHECK(listed.find("tcp dport 8080 accept") != std::string::npos);
  CHECK(listed.find("meta l4proto tcp reject with tcp reset") != std::string::npos);
  CHECK(listed.find("ct state established,related accept") != std::string::npos);

  // A restart replaces the table: still exactly one, with the rule once.
  REQUIRE(harden_in(ns, policy, {"write-stdout", "again"}).exited(0));
  REQUIRE(harden_in(ns, policy, {"write-stdout", "again"}).exited(0));
  CHECK(harden_tables_in(ns) == std::vector<std::string>{table});
  CHECK(count(nft_in(ns, "list ruleset"), "tcp dport 8080 accept") == 1);

  const RunResult status = harden_command_in(ns, {"status"});
  CHECK(status.out.find("table inet " + table) != std::string::npos);

  const RunResult down = harden_command_in(ns, {"down", "--policy", policy});
  INFO(down.describe());
  CHECK(down.exited(0));
  CHECK(harden_tables_in(ns).empty());
  CHECK(ns.connect_tcp("127.0.0.1", 8081) == 0);
  // down is idempotent.
  CHECK(harden_command_in(ns, {"down", name}).exited(0));
}

TEST_CASE("netns scope: egress drop lets one destination through, v4 and v6", "[nftables]") {
  require_root();
  TestNetns ns;
  REQUIRE(run({"ip", "-n", ns.name(), "addr", "add", "::2/128", "dev", "lo"}).exited(0));
  TempDir dir;
  const std::string name = unique_name("nft");
  const std::string policy = write_policy(dir, "out", "[policy]\nname = \"" + name + R"("
[network]
scope = "netns"
ingress = "accept"
egress = "drop"
[[network.allow]]
direction = "egress"
protocol = "tcp"
addresses = ["127.0.0.1", "::1"]
ports = [8080]
)");
  const Fd any = ns.listen_tcp("::", 8080);  // both families, every local address
  const Fd other_port = ns.listen_tcp("::", 8081);
  REQUIRE(ns.connect_tcp("127.0.0.2", 8080) == 0);  // control
  REQUIRE(ns.connect_tcp("::2", 8080) == 0);

  // The target itself, under the policy: the allowed destination works, another does not.
  const RunResult allowed = harden_in(ns, policy, {"connect-tcp", "127.0.0.1", "8080"});
  INFO(allowed.describe());
  CHECK(allowed.exited(kProbeExitOk));
  const RunResult refused = harden_in(ns, policy, {"connect-tcp", "127.0.0.2", "8080"});
  INFO(refused.describe());
  CHECK(refused.exited(kProbeExitErrno));
  CHECK(parse_probe(refused.out)["errno"] == "ETIMEDOUT");  // dropped, never answered

  CHECK(ns.connect_tcp("::1", 8080) == 0);
  CHECK(ns.connect_tcp("::2", 8080) == ETIMEDOUT);
  CHECK(ns.connect_tcp("::1", 8081) == ETIMEDOUT);
  CHECK(ns.connect_tcp("127.0.0.1", 8081) == ETIMEDOUT);

  const std::string listed = nft_in(ns, "list table inet harden_" + name);
  INFO(listed);
  CHECK(listed.find("type filter hook output priority filter; policy drop;") != std::string::npos);
  CHECK(listed.find("ip daddr 127.0.0.1 tcp dport 8080 accept") != std::string::npos);
  CHECK(listed.find("ip6 daddr ::1 tcp dport 8080 accept") != std::string::npos);

  CHECK(harden_command_in(ns, {"down", name}).exited(0));
  CHECK(harden_tables_in(ns).empty());
  CHECK(ns.connect_tcp("::2", 8080) == 0);
}

TEST_CASE("uid scope: only the service user's connections are filtered", "[nftables]") {
  require_root();
  TestNetns ns;
  TempDir dir;
  const std::string name = unique_name("nft");
  const std::string policy = write_policy(dir, "uid", "[policy]\nname = \"" + name + R"("
[identity]
user = "65534"
group = "65534"
[network]
scope = "uid"
egress = "reject"
[[network.allow]]
direction = "egress"
protocol = "tcp"
addresses = ["127.0.0.1", "::1"]
ports = [8080]
)");
  const Fd any = ns.listen_tcp("::", 8080);
  const Fd other = ns.listen_tcp("::", 8081);

  CHECK(harden_in(ns, policy, {"connect-tcp", "127.0.0.1", "8080"}).exited(kProbeExitOk));
  CHECK(harden_in(ns, policy, {"connect-tcp", "::1", "8080"}).exited(kProbeExitOk));
  for (const std::string address : {"127.0.0.1", "::1"}) {
    const RunResult refused = harden_in(ns, policy, {"connect-tcp", address, "8081"});
    INFO(refused.describe());
    CHECK(refused.exited(kProbeExitErrno));
    CHECK(parse_probe(refused.out)["errno"] == "ECONNREFUSED");
  }
  // Root's sockets are not the service's: the same port answers them.
  CHECK(ns.connect_tcp("127.0.0.1", 8081) == 0);
  CHECK(ns.connect_tcp("::1", 8081) == 0);

  const std::string listed = nft_in(ns, "list table inet harden_" + name);
  INFO(listed);
  CHECK(listed.find("meta skuid 65534 ip daddr 127.0.0.1 tcp dport 8080 accept") !=
        std::string::npos);
  CHECK(listed.find("meta skuid 65534 ip6 daddr ::1 tcp dport 8080 accept") != std::string::npos);
  CHECK(listed.find("policy accept;") != std::string::npos);  // the host's other traffic
  CHECK(harden_command_in(ns, {"down", name}).exited(0));
  CHECK(harden_tables_in(ns).empty());
}

namespace {

// The cgroup v2 mount point, or "" when the host has none.
std::string cgroup2_mount() {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    const size_t dash = line.find(" - cgroup2 ");
    if (dash == std::string::npos) continue;
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    return mount_point;
  }
  return "";
}

// A cgroup v2 directory made for one test and removed afterwards (once empty).
class TestCgroup {
 public:
  explicit TestCgroup(const std::string& mount) : name_(unique_name("harden-test-cg")) {
    path_ = mount + "/" + name_;
    if (::mkdir(path_.c_str(), 0755) != 0) throw std::runtime_error("mkdir " + path_);
  }
  ~TestCgroup() { ::rmdir(path_.c_str()); }
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;
  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }

 private:
  std::string name_, path_;
};

}  // namespace

TEST_CASE("cgroup scope: only sockets of the service's cgroup are filtered", "[nftables]") {
  require_root();
  const std::string mount = cgroup2_mount();
  if (mount.empty()) skip("no cgroup v2 hierarchy is mounted on this host");
  if (mount != "/sys/fs/cgroup" && mount.rfind("/sys/fs/cgroup/", 0) != 0) {
    skip("cgroup v2 is mounted at " + mount + ", outside /sys/fs/cgroup where nftables looks");
  }
  TestNetns ns;
  TestCgroup cgroup(mount);
  TempDir dir;
  const std::string name = unique_name("nft");
  const std::string policy = write_policy(dir, "cg", "[policy]\nname = \"" + name + R"("
[network]
scope = "cgroup"
cgroup = "/)" + cgroup.name() + R"("
egress = "reject"
[[network.allow]]
direction = "egress"
protocol = "tcp"
ports = [8080]
)");
  const Fd any = ns.listen_tcp("::", 8080);
  const Fd other = ns.listen_tcp("::", 8081);
  // harden starts inside the cgroup, as a service manager would start it; nsenter keeps the
  // host's /sys (ip netns exec would mount another one).
  auto in_cgroup = [&](const std::string& address, const std::string& port) {
    std::vector<std::string> argv = ns.nsenter_prefix();
    argv.insert(argv.end(), {"sh", "-c", "echo $$ > \"$0\"/cgroup.procs && exec \"$@\"",
                             cgroup.path(), harden_binary(), "--policy", policy, "--",
                             probe_binary(), "connect-tcp", address, port});
    return run(argv);
  };
  const RunResult allowed = in_cgroup("127.0.0.1", "8080");
  INFO(allowed.describe());
  CHECK(allowed.exited(kProbeExitOk));
  for (const std::string address : {"127.0.0.1", "::1"}) {
    const RunResult refused = in_cgroup(address, "8081");
    INFO(refused.describe());
    CHECK(refused.exited(kProbeExitErrno));
    CHECK(parse_probe(refused.out)["errno"] == "ECONNREFUSED");
  }
  CHECK(ns.connect_tcp("127.0.0.1", 8081) == 0);  // outside the cgroup
  const std::string listed = nft_in(ns, "list table inet harden_" + name);
  INFO(listed);
  CHECK(listed.find("socket cgroupv2 level 1") != std::string::npos);
  CHECK(listed.find("tcp dport 8080 accept") != std::string::npos);
  CHECK(harden_command_in(ns, {"down", name}).exited(0));
}

TEST_CASE("a ruleset the kernel refuses stops the launch with the nftables exit code",
          "[nftables]") {
  require_root();
  const std::string mount = cgroup2_mount();
  if (mount.empty()) skip("no cgroup v2 hierarchy is mounted on this host");
  TestNetns ns;
  TempDir dir;
  const std::string marker = dir.file("target-ran");
  const std::string name = unique_name("nft");
  const std::string policy = write_policy(dir, "bad", "[policy]\nname = \"" + name + R"("
[network]
scope = "cgroup"
cgroup = "/harden-no-such-cgroup/x"
egress = "drop"
)");
  std::vector<std::string> argv = ns.nsenter_prefix();
  argv.insert(argv.end(),
              {harden_binary(), "--policy", policy, "--", probe_binary(), "touch", marker});
  const RunResult result = run(argv);
  INFO(result.describe());
  CHECK(result.exited(harden::exit_code::kNftables));
  CHECK(result.err.find("step 'nftables' failed") != std::string::npos);
  CHECK(result.err.find("cgroupv2 path fails: No such file or directory") != std::string::npos);
  CHECK_FALSE(path_exists(marker));
  CHECK(harden_tables_in(ns).empty());  // all or nothing
}

TEST_CASE("without a netfilter netlink socket the launch ends with harden's nftables code",
          "[nftables]") {
  require_root();
  TestNetns ns;
  TempDir dir;
  dir.chmod(0755);
  const std::string marker = dir.file("target-ran");
  const std::string name = unique_name("nft");
  const std::string policy = write_policy(dir, "nonl", "[policy]\nname = \"" + name + R"("
[identity]
user = "65534"
group = "65534"
[network]
scope = "uid"
egress = "drop"
)");
  // As in a restricted container: socket(AF_NETLINK, ..., NETLINK_NETFILTER = 12) is refused
  // (EPERM) by a filter the probe loads before it runs harden. libnftables would exit(3).
  std::vector<std::string> argv = ns.nsenter_prefix();
  argv.insert(argv.end(), {probe_binary(), "deny-netlink", "12", harden_binary(), "--policy",
                           policy, "--", probe_binary(), "touch", marker});
  const RunResult result = run(argv);
  INFO(result.describe());
  CHECK(result.exited(harden::exit_code::kNftables));
  CHECK(result.err.find("harden: step 'nftables' failed") != std::string::npos);
  CHECK(result.err.find("NETLINK_NETFILTER): Operation not permitted") != std::string::npos);
  CHECK(result.err.find("mnl.c") == std::string::npos);
  CHECK_FALSE(path_exists(marker));
  CHECK(harden_tables_in(ns).empty());
}

TEST_CASE("scope netns refuses to run in the host's network namespace", "[nftables]") {
  require_root();
  TempDir dir;
  const std::string marker = dir.file("target-ran");
  const std::string name = unique_name("nft");
  // Accept-only, so even a broken refusal could not cut the host off; removed in any case.
  struct Cleanup {
    std::string table;
    ~Cleanup() { (void)host::nft_run(harden::nft_delete_script(table)); }
  } cleanup{"harden_" + name};
  const std::string policy = write_policy(dir, "host", "[policy]\nname = \"" + name + R"("
[network]
scope = "netns"
ingress = "accept"
egress = "accept"
)");
  const RunResult result = run_harden({"--policy", policy, "--", probe_binary(), "touch", marker});
  INFO(result.describe());
  CHECK(result.exited(harden::exit_code::kNftablesNetns));
  CHECK(result.err.find("harden runs in the host's") != std::string::npos);
  CHECK_FALSE(path_exists(marker));
  const auto tables = host::nft_harden_tables();
  REQUIRE(tables.has_value());
  CHECK(std::find(tables->begin(), tables->end(), "harden_" + name) == tables->end());
}

TEST_CASE("scope netns with [namespaces] net: the table lives in the sandbox's own namespace",
          "[nftables]") {
  require_root();
  TempDir dir;
  const std::string name = unique_name("nft");
  struct Cleanup {
    std::string table;
    ~Cleanup() { (void)host::nft_run(harden::nft_delete_script(table)); }
  } cleanup{"harden_" + name};
  const std::string base = "[policy]\nname = \"" + name + "\"\n[namespaces]\nnet = \"loopback\"\n";
  // Nothing listens on port 9 in the fresh namespace: without the table the kernel refuses at
  // once; with egress = "drop" the SYN is dropped and the connect times out instead.
  const RunResult open = run_harden({"--policy", write_policy(dir, "open", base), "--",
                                     probe_binary(), "connect-tcp", "127.0.0.1", "9"});
  INFO(open.describe());
  CHECK(parse_probe(open.out)["errno"] == "ECONNREFUSED");
  const RunResult dropped =
      run_harden({"--policy", write_policy(dir, "drop", base + "[network]\negress = \"drop\"\n"),
                  "--", probe_binary(), "connect-tcp", "127.0.0.1", "9"});
  INFO(dropped.describe());
  CHECK(dropped.exited(kProbeExitErrno));
  CHECK(parse_probe(dropped.out)["errno"] == "ETIMEDOUT");
  // The host's namespace never saw the table.
  const auto tables = host::nft_harden_tables();
  REQUIRE(tables.has_value());
  CHECK(std::find(tables->begin(), tables->end(), "harden_" + name) == tables->end());
}

namespace {

#if defined(HARDEN_SANITIZER_BUILD)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

// Whether an ELF program asks for a dynamic loader (has a PT_INTERP program header).
bool asks_for_loader(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr header{};
  REQUIRE(in.read(reinterpret_cast<char*>(&header), sizeof header));
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr program{};
    in.seekg(static_cast<std::streamoff>(header.e_phoff + i * header.e_phentsize));
    REQUIRE(in.read(reinterpret_cast<char*>(&program), sizeof program));
    if (program.p_type == PT_INTERP) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a compiled wrapper installs the firewall, and the static stub refuses it (fail closed)",
          "[nftables][sealed]") {
  require_root();
  TestNetns ns;
  TempDir dir;
  const std::string name = unique_name("nft");
  const std::string policy = write_policy(dir, "wrapped", "[policy]\nname = \"" + name + R"("
[network]
scope = "netns"
ingress = "reject"
egress = "accept"
loopback = "filter"
)");
  const std::string plain = write_policy(dir, "plain", "[policy]\nname = \"" + name + "-plain\"\n");

  // The stub follows the plan: libnftables only where the plan needs it.
  const std::string wrapper = dir.file("wrapper");
  const std::string plain_wrapper = dir.file("plain-wrapper");
  REQUIRE(run_harden({"compile", policy, "-o", wrapper}).exited(0));
  REQUIRE(run_harden({"compile", plain, "-o", plain_wrapper}).exited(0));
  CHECK(asks_for_loader(wrapper));
  // The sanitizer build links every program dynamically (its runtimes need it).
  if (!kSanitizerBuild) CHECK_FALSE(asks_for_loader(plain_wrapper));

  std::vector<std::string> argv = ns.exec_prefix();
  argv.insert(argv.end(), {wrapper, "--", probe_binary(), "write-stdout", "target-ran"});
  const RunResult ran = run(argv);
  INFO(ran.describe());
  CHECK(ran.exited(0));
  CHECK(ran.out.find("target-ran") != std::string::npos);
  CHECK(harden_tables_in(ns) == std::vector<std::string>{"harden_" + name});
  REQUIRE(harden_command_in(ns, {"down", name}).exited(0));

  // Forced onto the static stub (the one without libnftables, static or not), the same plan
  // refuses to start: no table, no target.
  const std::string static_stub =
      (std::filesystem::path(harden_binary()).parent_path() / "harden-exec").string();
  const std::string forced = dir.file("forced-wrapper");
  REQUIRE(run_harden({"compile", policy, "-o", forced, "--stub", static_stub}).exited(0));
  argv = ns.exec_prefix();
  argv.insert(argv.end(), {forced, "--", probe_binary(), "write-stdout", "target-ran"});
  const RunResult refused = run(argv);
  INFO(refused.describe());
  CHECK(refused.exited(harden::exit_code::kNftablesNetns));
  CHECK(refused.out.find("target-ran") == std::string::npos);
  CHECK(refused.err.find("cannot load libnftables") != std::string::npos);
  CHECK(harden_tables_in(ns).empty());
}

namespace {

// The handle the kernel gave table inet `table` (a replaced table gets a new one), or -1.
long table_handle(const TestNetns& ns, const std::string& table) {
  std::vector<std::string> argv = ns.exec_prefix();
  argv.insert(argv.end(), {"nft", "-a", "list", "table", "inet", table});
  const std::string listed = run(argv).out;
  const size_t at = listed.find("# handle ");
  return at == std::string::npos ? -1 : std::stol(listed.substr(at + 9));
}

}  // namespace

TEST_CASE("an unchanged sealed table is left alone, an edited or different one is replaced",
          "[nftables][seal]") {
  require_root();
  TestNetns ns;
  TempDir dir;
  const std::string name = unique_name("nft");
  const std::string table = "harden_" + name;
  const std::string head = "[policy]\nname = \"" + name + R"("
[identity]
user = "65534"
group = "65534"
[network]
scope = "uid"
egress = "reject"
[[network.allow]]
direction = "egress"
protocol = "tcp"
ports = [8080]
)";
  const std::string policy = write_policy(dir, "seal", head);
  const Fd allowed = ns.listen_tcp("::", 8080);
  const Fd other = ns.listen_tcp("::", 8081);
  auto start = [&](const std::string& file, const std::string& port) {
    return harden_in(ns, file, {"connect-tcp", "127.0.0.1", port});
  };

  REQUIRE(start(policy, "8080").exited(kProbeExitOk));
  const std::string first = nft_in(ns, "list table inet " + table);
  INFO(first);
  CHECK(first.find("chain harden_seal") != std::string::npos);
  CHECK(first.find("comment \"seal ") != std::string::npos);
  CHECK(first.find("uid 65534; plan ") != std::string::npos);
  const long handle = table_handle(ns, table);
  REQUIRE(handle > 0);

  // Unchanged: the same table object (same handle), and it still filters.
  const RunResult again = start(policy, "8081");
  INFO(again.describe());
  CHECK(again.exited(kProbeExitErrno));
  CHECK(parse_probe(again.out)["errno"] == "ECONNREFUSED");
  CHECK(table_handle(ns, table) == handle);

  // Tampered: a rule that lets everything out, keeping the name and the comment. The next
  // start must not trust it: replaced (new handle), the rule gone, the port refused again.
  REQUIRE(nft_in(ns, "insert rule inet " + table + " output accept").empty());
  CHECK(start(policy, "8081").exited(kProbeExitErrno));
  long now = table_handle(ns, table);
  CHECK(now != handle);
  CHECK(count(nft_in(ns, "list table inet " + table), "\t\taccept\n") == 0);

  // A chain's policy changed in place (the chain keeps its handle): replaced too.
  REQUIRE(nft_in(ns, "add chain inet " + table +
                         " output { type filter hook output priority filter; policy drop; }")
              .empty());
  CHECK(start(policy, "8080").exited(kProbeExitOk));
  CHECK(table_handle(ns, table) != now);
  now = table_handle(ns, table);

  // The table made dormant: replaced.
  REQUIRE(nft_in(ns, "add table inet " + table + " { flags dormant; }").empty());
  CHECK(start(policy, "8081").exited(kProbeExitErrno));
  CHECK(table_handle(ns, table) != now);
  now = table_handle(ns, table);

  // The seal itself forged to anything else: replaced.
  REQUIRE(nft_in(ns, "delete chain inet " + table + " harden_seal").empty());
  REQUIRE(nft_in(ns, "add chain inet " + table + " harden_seal { comment \"seal 00\"; }").empty());
  CHECK(start(policy, "8081").exited(kProbeExitErrno));
  CHECK(table_handle(ns, table) != now);
  now = table_handle(ns, table);

  // Another plan of the same policy name (a new port): replaced, and the new rule applies.
  const std::string changed =
      write_policy(dir, "seal", head.substr(0, head.rfind("ports")) + "ports = [8081]\n");
  CHECK(start(changed, "8081").exited(kProbeExitOk));
  CHECK(table_handle(ns, table) != now);
  CHECK(harden_command_in(ns, {"down", name}).exited(0));
  CHECK(harden_tables_in(ns).empty());
}

TEST_CASE("a table another policy left on the same uid is reported at launch and by status",
          "[nftables][seal]") {
  require_root();
  TestNetns ns;
  TempDir dir;
  const std::string name = unique_name("nft");
  const std::string old_table = "harden_" + unique_name("old");
  // What an earlier policy for the same user left behind.
  REQUIRE(nft_in(ns, "add table inet " + old_table +
                         " { comment \"harden policy old; uid 65534; plan 0\"; }")
              .empty());
  const std::string policy = write_policy(dir, "uid", "[policy]\nname = \"" + name + R"("
[identity]
user = "65534"
group = "65534"
[network]
scope = "uid"
egress = "accept"
)");
  const RunResult ran = harden_in(ns, policy, {"write-stdout", "target-ran"});
  INFO(ran.describe());
  CHECK(ran.exited(0));
  CHECK(ran.err.find("warning: table inet " + old_table +
                     " (left by another policy) also "
                     "filters uid 65534") != std::string::npos);
  const RunResult status = harden_command_in(ns, {"status"});
  INFO(status.describe());
  CHECK(status.out.find("table inet harden_" + name + " (harden policy " + name +
                        "; uid 65534; plan ") != std::string::npos);
  // One warning naming both tables, in either order.
  const size_t warned = status.out.find("both filter uid 65534");
  REQUIRE(warned != std::string::npos);
  const std::string warning_line = status.out.substr(status.out.rfind('\n', warned) + 1,
                                                     warned - status.out.rfind('\n', warned));
  CHECK(warning_line.find("warning: tables inet ") != std::string::npos);
  CHECK(warning_line.find("inet " + old_table) != std::string::npos);
  CHECK(warning_line.find("inet harden_" + name) != std::string::npos);
  const nlohmann::json doc =
      nlohmann::json::parse(harden_command_in(ns, {"status", "--format", "json"}).out);
  REQUIRE(doc["warnings"].size() == 1);
  CHECK(doc["warnings"][0].get<std::string>().find(old_table) != std::string::npos);
  CHECK(doc["nftables_comments"][old_table] == "harden policy old; uid 65534; plan 0");
  // Another uid's table is no concern.
  REQUIRE(harden_command_in(ns, {"down", name}).exited(0));
  REQUIRE(nft_in(ns, "delete table inet " + old_table).empty());
  REQUIRE(nft_in(ns, "add table inet " + old_table +
                         " { comment \"harden policy old; uid 1000; plan 0\"; }")
              .empty());
  const RunResult quiet = harden_in(ns, policy, {"write-stdout", "target-ran"});
  CHECK(quiet.exited(0));
  CHECK(quiet.err.find("also filters uid") == std::string::npos);
  CHECK(harden_command_in(ns, {"down", name}).exited(0));
}

TEST_CASE("scope cgroup on harden's own launch cgroup filters only the service",
          "[nftables][cgroup]") {
  require_root();
  const std::string mount = cgroup2_mount();
  if (mount.empty()) skip("no cgroup v2 hierarchy is mounted on this host");
  if (mount != "/sys/fs/cgroup" && mount.rfind("/sys/fs/cgroup/", 0) != 0) {
    skip("cgroup v2 is mounted at " + mount + ", outside /sys/fs/cgroup where nftables looks");
  }
  TestNetns ns;
  // harden runs from a leaf cgroup of the test's own, as from a service manager's, so the
  // launch cgroup it makes is below it and goes with it.
  TestCgroup parent(mount);
  TempDir dir;
  const std::string name = unique_name("nft");
  const std::string policy = write_policy(dir, "cg", "[policy]\nname = \"" + name + R"("
[network]
scope = "cgroup"
egress = "reject"
[[network.allow]]
direction = "egress"
protocol = "tcp"
ports = [8080]
)");
  const Fd allowed = ns.listen_tcp("::", 8080);
  const Fd other = ns.listen_tcp("::", 8081);
  auto start = [&](const std::string& address, const std::string& port) {
    std::vector<std::string> argv = ns.nsenter_prefix();
    argv.insert(argv.end(), {"sh", "-c", "echo $$ > \"$0\"/cgroup.procs && exec \"$@\"",
                             parent.path(), harden_binary(), "--policy", policy, "--",
                             probe_binary(), "connect-tcp", address, port});
    return run(argv);
  };
  const RunResult ok = start("127.0.0.1", "8080");
  INFO(ok.describe());
  CHECK(ok.exited(kProbeExitOk));
  for (const std::string address : {"127.0.0.1", "::1"}) {
    const RunResult refused = start(address, "8081");
    INFO(refused.describe());
    CHECK(refused.exited(kProbeExitErrno));
    CHECK(parse_probe(refused.out)["errno"] == "ECONNREFUSED");
  }
  // Every other process, in the same network namespace: unaffected.
  CHECK(ns.connect_tcp("127.0.0.1", 8081) == 0);
  CHECK(ns.connect_tcp("::1", 8081) == 0);
  const std::string listed = nft_in(ns, "list table inet harden_" + name);
  INFO(listed);
  const std::string relative =
      parent.path().substr(std::string("/sys/fs/cgroup/").size()) + "/harden/" + name;
  CHECK(listed.find("socket cgroupv2 level ") != std::string::npos);
  CHECK(listed.find(relative + "\" tcp dport 8080 accept") != std::string::npos);
  CHECK(harden_command_in(ns, {"down", name}).exited(0));
  // The launch cgroups are gone with their processes; harden's directories are removed here
  // so that the test's cgroup can go.
  const std::string base = parent.path() + "/harden/" + name;
  for (const auto& entry : std::filesystem::directory_iterator(base)) {
    if (entry.is_directory()) ::rmdir(entry.path().c_str());
  }
  CHECK(::rmdir(base.c_str()) == 0);
  CHECK(::rmdir((parent.path() + "/harden").c_str()) == 0);
}
