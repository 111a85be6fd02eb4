// Exporters and the OCI importer as pure functions: Docker's default profile imported and
// exported again is the same profile; refusing rules come first in an OCI profile; the k8s,
// nft and auditctl formats. The systemd exporter's tests are in test_export_systemd.cpp.
#include <catch2/catch.hpp>

#include <seccomp.h>

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

namespace {

std::string docker_profile_text() {
  std::ifstream in(test::source_dir() + "/tests/data/docker-default-seccomp.json");
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One decision of a profile: (syscall, action, errno, conditions), conditions as sorted
// (index, op, value, valueTwo) tuples. Unconditional allows have no conditions.
using Condition = std::tuple<int, std::string, uint64_t, uint64_t>;
using Decision = std::tuple<std::string, std::string, int, std::vector<Condition>>;

std::vector<Condition> conditions(const json& entry) {
  std::vector<Condition> out;
  for (const json& a : entry.value("args", json::array())) {
    out.emplace_back(a["index"].get<int>(), a["op"].get<std::string>(), a["value"].get<uint64_t>(),
                     a.value("valueTwo", uint64_t{0}));
  }
  std::ranges::sort(out);
  return out;
}

bool known_on_x86(const std::string& name) {
  for (const uint32_t arch :
       {uint32_t{SCMP_ARCH_X86_64}, uint32_t{SCMP_ARCH_X86}, uint32_t{SCMP_ARCH_X32}}) {
    if (seccomp_syscall_resolve_name_arch(arch, name.c_str()) >= 0) return true;
  }
  return false;
}

// Docker's profile as Docker applies it to a container without capabilities on amd64
// (written independently of the importer: includes/excludes by arch and caps; every
// kernel these tests run on is newer than any minKernel in the profile).
std::set<Decision> docker_decisions(const json& profile) {
  std::set<Decision> out;
  for (const json& entry : profile["syscalls"]) {
    if (entry.contains("includes")) {
      const json& inc = entry["includes"];
      if (inc.contains("caps")) continue;
      if (inc.contains("arches")) {
        const auto arches = inc["arches"].get<std::vector<std::string>>();
        if (std::ranges::find(arches, "amd64") == arches.end()) continue;
      }
    }
    if (entry.contains("excludes") && entry["excludes"].contains("arches")) {
      const auto arches = entry["excludes"]["arches"].get<std::vector<std::string>>();
      if (std::ranges::find(arches, "amd64") != arches.end()) continue;
    }
    const std::string action = entry["action"];
    const int errno_ret = action == "SCMP_ACT_ERRNO" ? entry.value("errnoRet", 1) : -1;
    for (const std::string name : entry["names"]) {
      if (!known_on_x86(name)) continue;
      out.emplace(name, action, errno_ret, conditions(entry));
    }
  }
  // A conditional allow of a call that is also allowed outright decides nothing.
  std::erase_if(out, [&](const Decision& d) {
    return std::get<1>(d) == "SCMP_ACT_ALLOW" && !std::get<3>(d).empty() &&
           out.contains({std::get<0>(d), "SCMP_ACT_ALLOW", -1, {}});
  });
  return out;
}

std::set<Decision> exported_decisions(const json& profile) {
  std::set<Decision> out;
  for (const json& entry : profile["syscalls"]) {
    const std::string action = entry["action"];
    const int errno_ret = action == "SCMP_ACT_ERRNO" ? entry.value("errnoRet", 1) : -1;
    for (const std::string name : entry["names"]) {
      out.emplace(name, action, errno_ret, conditions(entry));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("Docker's default profile: import then export gives the same profile", "[export][oci]") {
  const std::string text = docker_profile_text();
  Diagnostics diags;
  const std::optional<std::string> section =
      import_oci_seccomp(text, {"docker-default-seccomp.json", {}}, diags);
  INFO(render_all(diags));
  REQUIRE(section);
  INFO(*section);
  // Conditional entries for capabilities the target does not keep are left out, and said so.
  CHECK(section->find("# left out (only with CAP_SYS_ADMIN)") != std::string::npos);

  const Compiled compiled = compile_text("[policy]\nname = \"docker\"\n" + *section);
  Diagnostics export_diags;
  const std::optional<std::string> exported =
      export_oci_seccomp(compiled.policy, compiled.plan, {}, export_diags);
  REQUIRE(exported);
  const json out = json::parse(*exported);
  const json in = json::parse(text);

  CHECK(out["defaultAction"] == in["defaultAction"]);
  CHECK(out["defaultErrnoRet"] == in["defaultErrnoRet"]);
  CHECK(out["architectures"] == json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));

  const std::set<Decision> expected = docker_decisions(in);
  std::set<Decision> actual = exported_decisions(out);
  // harden always allows @default (its own execve runs under the filter); whatever it adds
  // must be in that group and nothing else.
  const auto defaults = expand_syscall_group(kDefaultSyscallGroup);
  REQUIRE(defaults);
  std::vector<std::string> added;
  for (const Decision& d : actual) {
    if (!expected.contains(d)) added.push_back(std::get<0>(d));
  }
  for (const std::string& name : added) {
    INFO("exported but not in Docker's profile: " << name);
    CHECK(std::ranges::find(*defaults, name) != defaults->end());
    actual.erase({name, "SCMP_ACT_ALLOW", -1, {}});
  }
  CHECK(actual == expected);
}

TEST_CASE("import keeps entries for the capabilities the target keeps", "[export][oci]") {
  Diagnostics diags;
  const auto with_admin =
      import_oci_seccomp(docker_profile_text(), {"docker.json", {"CAP_SYS_ADMIN"}}, diags);
  REQUIRE(with_admin);
  CHECK(with_admin->find("\"mount\"") != std::string::npos);
  CHECK(with_admin->find("masked-eq") == std::string::npos);  // clone's mask is excluded
  const auto without = import_oci_seccomp(docker_profile_text(), {"docker.json", {}}, diags);
  REQUIRE(without);
  CHECK(without->find("\"mount\"") == std::string::npos);
  CHECK(without->find("syscall = \"clone\"") != std::string::npos);
}

TEST_CASE("import refuses actions it cannot honour and broken profiles", "[export][oci]") {
  Diagnostics diags;
  CHECK_FALSE(import_oci_seccomp("{", {"bad.json", {}}, diags));
  CHECK(diags.has_errors());
  Diagnostics trace;
  CHECK_FALSE(import_oci_seccomp(
      R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_TRACE"}]})",
      {"trace.json", {}}, trace));
  CHECK(render_all(trace).find("SCMP_ACT_TRACE") != std::string::npos);
}

TEST_CASE("import refuses numbers the OCI format declares unsigned when they are not",
          "[export][oci]") {
  // 8.9e40 as an argument value reached get<uint64_t>() as a float: undefined behaviour (the
  // oci_seccomp fuzzer's finding, in tests/fuzz/corpus/oci_seccomp/crash-float-argument-value).
  const auto import_args = [](const std::string& arg) {
    Diagnostics diags;
    const auto imported = import_oci_seccomp(
        R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[)" +
            arg + "]}]}",
        {"args.json", {}}, diags);
    INFO(arg << "\n" << render_all(diags));
    CHECK(imported.has_value() != diags.has_errors());
    return imported ? std::string() : render_all(diags);
  };
  for (const std::string bad : {
           R"({"index":0,"value":88888888888888888888888888888882114060288,"op":"SCMP_CMP_EQ"})",
           R"({"index":0,"value":1.5,"op":"SCMP_CMP_EQ"})",
           R"({"index":0,"value":-1,"op":"SCMP_CMP_EQ"})",
           R"({"index":0,"value":"1","op":"SCMP_CMP_EQ"})",
           R"({"index":6,"value":1,"op":"SCMP_CMP_EQ"})",
           R"({"index":4e10,"value":1,"op":"SCMP_CMP_EQ"})",
           R"({"index":0,"value":255,"valueTwo":1e300,"op":"SCMP_CMP_MASKED_EQ"})",
       }) {
    CHECK(import_args(bad).find("needs an index from 0 to 5 and unsigned 64-bit integers") !=
          std::string::npos);
  }
  // The largest values are fine, written as hex strings (TOML integers are signed).
  CHECK(import_args(R"({"index":5,"value":18446744073709551615,"op":"SCMP_CMP_EQ"})").empty());

  Diagnostics errno_diags;
  CHECK_FALSE(import_oci_seccomp(
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ERRNO","errnoRet":1e9}]})",
      {"errno.json", {}}, errno_diags));
  CHECK(render_all(errno_diags).find("errnoRet 1000000000.0 is not an errno number") !=
        std::string::npos);
}

TEST_CASE(
    "oci-seccomp: refusing rules first, and one with the default action next to an allow "
    "rule leaves the call out",
    "[export][oci]") {
  const auto names_of = [](const json& profile, const std::string& action) {
    std::vector<std::string> names;
    for (const json& entry : profile["syscalls"]) {
      if (entry["action"] != action) continue;
      for (const json& name : entry["names"])
        names.push_back(name.get<std::string>());
    }
    return names;
  };
  const auto has = [](const std::vector<std::string>& names, const char* name) {
    return std::ranges::find(names, std::string(name)) != names.end();
  };
  // @service with kill-process: ioctl's TIOCSTI refusal is the default action, so runtimes
  // would skip it while the allow rule lets TIOCSTI through. ioctl is left out, and said so.
  const Compiled service = compile_text(R"([policy]
name = "oci"
[seccomp]
default_action = "kill-process"
allow = ["@service"]
)");
  Diagnostics diags;
  const auto exported = export_oci_seccomp(service.policy, service.plan, {}, diags);
  REQUIRE(exported);
  INFO(*exported);
  const json profile = json::parse(*exported);
  CHECK_FALSE(has(names_of(profile, "SCMP_ACT_ALLOW"), "ioctl"));
  CHECK(has(names_of(profile, "SCMP_ACT_ALLOW"), "read"));
  CHECK(has(names_of(profile, "SCMP_ACT_ALLOW"), "clone"));  // with its namespace mask
  CHECK(render_all(diags).find("'ioctl' is left out of the profile") != std::string::npos);

  // A refusing action other than the default: the refusal comes before the allow rule.
  const Compiled other = compile_text(R"([policy]
name = "oci"
[seccomp]
default_action = "kill-process"
allow = ["@basic-io", "ioctl"]
[[seccomp.rule]]
syscall = "ioctl"
action = "errno:EPERM"
args = [{ index = 1, op = "eq", value = "TIOCSTI" }]
)");
  Diagnostics other_diags;
  const auto other_exported = export_oci_seccomp(other.policy, other.plan, {}, other_diags);
  REQUIRE(other_exported);
  INFO(*other_exported);
  const json other_profile = json::parse(*other_exported);
  CHECK(has(names_of(other_profile, "SCMP_ACT_ERRNO"), "ioctl"));
  CHECK(has(names_of(other_profile, "SCMP_ACT_ALLOW"), "ioctl"));
  CHECK(render_all(other_diags).find("left out") == std::string::npos);
}

TEST_CASE("k8s export: identity, capabilities and the seccomp profile", "[export][k8s]") {
  const Compiled c = compile_text(R"([policy]
name = "kube"
[identity]
user = "65534"
group = "65534"
[capabilities]
keep = ["CAP_NET_BIND_SERVICE"]
[seccomp]
allow = ["@system-service"]
)");
  Diagnostics diags;
  ExportOptions options;
  options.image = "registry.example/kube:1";
  const auto yaml = export_k8s(c.policy, c.plan, options, diags);
  REQUIRE(yaml);
  INFO(*yaml);
  CHECK(yaml->find("\n        runAsUser: 65534\n") != std::string::npos);
  CHECK(yaml->find("\n        runAsNonRoot: true\n") != std::string::npos);
  CHECK(yaml->find("\n        allowPrivilegeEscalation: false\n") != std::string::npos);
  CHECK(yaml->find("\n          drop:\n            - \"ALL\"\n") != std::string::npos);
  CHECK(yaml->find("\n          add:\n            - \"NET_BIND_SERVICE\"\n") != std::string::npos);
  CHECK(yaml->find("localhostProfile: \"harden/kube.json\"") != std::string::npos);
  CHECK(yaml->find("\n    - name: \"kube\"\n      image: \"registry.example/kube:1\"\n") !=
        std::string::npos);
}

TEST_CASE("nft export: the enforcer's own transaction, with how to load and remove it",
          "[export][nft]") {
  const Compiled c = compile_text(R"([policy]
name = "fw"
[identity]
user = "65534"
[network]
scope = "uid"
egress = "drop"
[[network.allow]]
direction = "egress"
protocol = "tcp"
addresses = ["192.0.2.0/24"]
ports = [443]
)");
  Diagnostics diags;
  const auto script = export_nft(c.policy, c.plan, {}, diags);
  REQUIRE(script);
  INFO(*script);
  // Byte for byte what enforcer/nftables.cpp hands to libnftables, after the comment header.
  const std::string transaction = nft_replace_script(
      c.plan->network.table, nft_launch_ruleset(c.plan->network.ruleset, {}).text);
  REQUIRE(script->size() > transaction.size());
  CHECK(script->substr(script->size() - transaction.size()) == transaction);
  const std::string header = script->substr(0, script->size() - transaction.size());
  std::istringstream lines(header);
  for (std::string line; std::getline(lines, line);) {
    CHECK((line.empty() || line[0] == '#'));  // nothing but comments before the rules
  }
  CHECK(script->starts_with("#!/usr/sbin/nft -f\n"));
  CHECK(header.find("policy 'fw'") != std::string::npos);
  CHECK(header.find("nft delete table inet harden_fw") != std::string::npos);
  CHECK(header.find("nft -c -f FILE") != std::string::npos);
  CHECK(header.find("sockets owned by uid 65534") != std::string::npos);
  CHECK(transaction.find("meta skuid 65534 ip daddr 192.0.2.0/24 tcp dport 443 accept") !=
        std::string::npos);
  CHECK_FALSE(diags.has_errors());

  // The sandbox's own namespace: the header says where (and where not) to load it.
  const Compiled netns = compile_text(
      "[policy]\nname = \"fw2\"\n[namespaces]\nnet = \"private\"\n[network]\negress = \"drop\"\n");
  const auto own = export_nft(netns.policy, netns.plan, {}, diags);
  REQUIRE(own);
  CHECK(own->find("never in the host's") != std::string::npos);

  // No [network]: nothing to export, and an error says so (no empty script to mislead).
  const Compiled none = compile_text("[policy]\nname = \"open\"\n");
  Diagnostics missing;
  CHECK_FALSE(export_nft(none.policy, none.plan, {}, missing));
  CHECK(render_all(missing).find("no [network] section") != std::string::npos);
}

TEST_CASE("auditctl export: the rules harden adds, in audit.rules(7) syntax", "[export][audit]") {
  const Compiled c = compile_text(R"([policy]
name = "aud"
[identity]
user = "65534"
[audit]
key = "aud-key"
[[audit.watch]]
path = "/etc/passwd"
permissions = "wa"
key = "passwd"
[[audit.watch]]
path = "/etc"
permissions = "w"
[[audit.syscall]]
syscalls = ["ptrace", "init_module"]
)");
  Diagnostics diags;
  const auto rules = export_auditctl(c.policy, c.plan, {}, diags);
  REQUIRE(rules);
  INFO(*rules);
  std::vector<std::string> active;
  std::istringstream lines(*rules);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != '#') active.push_back(line);
  }
  const std::string ptrace = std::to_string(seccomp_syscall_resolve_name("ptrace"));
  const std::string init_module = std::to_string(seccomp_syscall_resolve_name("init_module"));
  const std::string first = std::min(ptrace, init_module, [](const auto& a, const auto& b) {
    return std::stoi(a) < std::stoi(b);
  });
  const std::string second = first == ptrace ? init_module : ptrace;
  CHECK(active == std::vector<std::string>{
                      "-a always,exit -F path=/etc/passwd -F perm=wa -k passwd -k harden:aud",
                      "-a always,exit -F dir=/etc -F perm=w -k aud-key -k harden:aud",
                      "-a always,exit -F arch=b64 -S " + first + "," + second +
                          " -F uid=65534 -k aud-key -k harden:aud"});
  CHECK(rules->find("/etc/audit/rules.d/harden-aud.rules") != std::string::npos);
  CHECK(rules->find("harden down --policy") != std::string::npos);
  CHECK_FALSE(diags.has_errors());

  const Compiled none = compile_text("[policy]\nname = \"quiet\"\n");
  Diagnostics missing;
  CHECK_FALSE(export_auditctl(none.policy, none.plan, {}, missing));
  CHECK(render_all(missing).find("no [audit] rules") != std::string::npos);
}

TEST_CASE("import quotes a profile's odd names in comments without breaking the TOML",
          "[export][oci][input]") {
  // Found by the oci_seccomp fuzzer: a name with a control character made the section invalid
  // TOML, and one with a newline could add a line of its own to it.
  Diagnostics diags;
  const auto section = import_oci_seccomp(
      R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","x\n[identity]\nuser = \"root\"","y\u0001"],"action":"SCMP_ACT_ALLOW"}]})",
      {"odd\nname.json", {}}, diags);
  INFO(render_all(diags));
  REQUIRE(section);
  INFO(*section);
  CHECK(section->find("\n[identity]") == std::string::npos);
  CHECK(section->find("x\\x0a[identity]\\x0auser = \"root\"") != std::string::npos);
  CHECK(section->find("y\\x01") != std::string::npos);
  CHECK(section->find("odd\\x0aname.json") != std::string::npos);
  Diagnostics parsed;
  CHECK(read_policy_text("[policy]\nname = \"odd\"\n" + *section, "odd.toml", parsed));
  INFO(render_all(parsed));
}

TEST_CASE("import reports a member of the wrong JSON type instead of crashing",
          "[export][oci][input]") {
  // Found by the oci_seccomp fuzzer: "architecture": [...] threw out of harden import.
  Diagnostics diags;
  CHECK_FALSE(import_oci_seccomp(
      R"({"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":["SCMP_ARCH_X86_64"]}],"syscalls":[]})",
      {"typed.json", {}}, diags));
  CHECK(render_all(diags).find("malformed seccomp profile") != std::string::npos);
}
