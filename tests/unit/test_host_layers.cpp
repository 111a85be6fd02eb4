// The host layers' compiler side: the nftables ruleset text, the audit rule list, the LSM
// labels and the AppArmor profile, for the corpus policy that uses all of them.
#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <sys/syscall.h>

#include <algorithm>

#include "compiler/compile.hpp"
#include "export/export.hpp"
#include "policy/policy_reader.hpp"

using namespace harden;

namespace {

const std::string kPolicy =
    std::string(HARDEN_SOURCE_DIR) + "/tests/policies/valid/host_layers.toml";

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("the host layers compile into a ruleset, audit rules and labels", "[host]") {
  Diagnostics diags;
  const std::optional<Policy> policy = read_policy(kPolicy, diags);
  REQUIRE(policy);
  const std::optional<Plan> plan = compile_policy(*policy, diags);
  INFO(render_all(diags));
  REQUIRE(plan);

  const NetworkPlan& net = plan->data().network;
  CHECK(net.enabled);
  CHECK(net.scope == NetworkScope::uid);
  CHECK(net.table == "harden_host-layers");
  INFO(net.ruleset);
  // Host namespace: the chains accept, and only the service's packets meet the verdict.
  CHECK(contains(net.ruleset, "type filter hook output priority filter; policy accept;"));
  CHECK(contains(net.ruleset, "meta skuid 65534 ip daddr 127.0.0.53 udp dport 53 accept"));
  CHECK(contains(net.ruleset, "meta skuid 65534 ip6 daddr ::1 udp dport 53 accept"));
  CHECK(contains(net.ruleset,
                 "meta skuid 65534 ip6 daddr 2001:db8::/32 tcp dport { 443, 8000-8100 } accept "
                 "comment \"host_layers.toml:24\""));
  CHECK(contains(net.ruleset, "meta skuid 65534 drop\n"));
  CHECK_FALSE(contains(net.ruleset, "policy drop"));

  const AuditPlan& audit = plan->data().audit;
  CHECK(audit.owner_key == "harden:host-layers");
  REQUIRE(audit.rules.size() == 2);
  CHECK(audit.rules[0].kind == AuditRule::Kind::watch);
  CHECK(audit.rules[0].path == "/etc/passwd");
  CHECK(audit.rules[0].permissions == (AUDIT_PERM_WRITE | AUDIT_PERM_ATTR));
  CHECK(audit.rules[0].key == "passwd-change");
  CHECK(audit.rules[1].kind == AuditRule::Kind::syscall);
  CHECK(audit.rules[1].uid == 65534);
  CHECK(audit.rules[1].key == "host-layers");  // [audit] key
  std::vector<int> expected{SYS_ptrace, SYS_init_module};
  std::sort(expected.begin(), expected.end());
  CHECK(audit.rules[1].syscalls == expected);

  const LsmPlan& lsm = plan->data().lsm;
  CHECK(lsm.apparmor_profile == "harden-host-layers");
  CHECK(lsm.selinux_context == "system_u:system_r:httpd_t:s0");
  CHECK(lsm.optional);

  const std::string profile = export_apparmor_profile(*policy, *plan);
  INFO(profile);
  CHECK(contains(profile, "profile harden-host-layers flags=(attach_disconnected) {"));
  CHECK(contains(profile, "  capability net_bind_service,\n"));
  CHECK(contains(profile, "  deny capability sys_admin,\n"));
  CHECK_FALSE(contains(profile, "deny capability net_bind_service"));
  CHECK(contains(profile, "  network inet6,\n"));
  CHECK(contains(profile, "  /usr/bin/python3 ix,\n"));
  CHECK(contains(profile, "  deny mount,\n"));
}

TEST_CASE("without [network] there is no table, and defaults are safe", "[host]") {
  Diagnostics diags;
  const auto policy = read_policy_text("[policy]\nname = \"plain\"\n", "plain.toml", diags);
  REQUIRE(policy);
  const auto plan = compile_policy(*policy, diags);
  REQUIRE(plan);
  CHECK_FALSE(plan->data().network.enabled);
  CHECK(plan->data().audit.rules.empty());

  Diagnostics netns_diags;
  const auto netns =
      read_policy_text("[policy]\nname = \"ns\"\n[namespaces]\nnet = \"private\"\n[network]\n",
                       "ns.toml", netns_diags);
  REQUIRE(netns);
  const auto netns_plan = compile_policy(*netns, netns_diags);
  REQUIRE(netns_plan);
  // The sandbox's own namespace takes no connection it was not told about.
  CHECK(contains(netns_plan->data().network.ruleset,
                 "type filter hook input priority filter; policy drop;"));
  CHECK(contains(netns_plan->data().network.ruleset,
                 "type filter hook output priority filter; policy accept;"));
}
