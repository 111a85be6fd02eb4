// Each exporter's seccomp translation agrees with the compiled BPF, over the whole policy
// corpus (tests/policies/**, policies/**, examples/**) and generated policies: for every native
// call, on probe values and on values that satisfy each case of the decision model,
//   allowed by the BPF  => allowed by the export (the service still runs), and
//   refused by the BPF  => refused by the export, unless the export names the call as wider
//                          than the policy (a note in the output and a warning).
// The OCI profile and the spec of the Security Profiles Operator's SeccompProfile (which the
// operator hands to the runtime as an OCI profile) are loaded as runc loads them (libseccomp
// rules from the JSON, the export's BPF run in the evaluator); the SeccompProfile is never
// stricter than the BPF, not even for the calls it names; the systemd unit is read with systemd's
// meaning of SystemCallFilter=, RestrictNamespaces=, RestrictAddressFamilies= and LockPersonality=
// (proved in the booted systemd by tests/kernel/test_systemd.cpp).
#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "compiler/compile.hpp"
#include "compiler/syscall_groups.hpp"
#include "export/export.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/plan_io.hpp"
#include "plan/seccomp_model.hpp"
#include "policy/policy_reader.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/seccomp_corpus.hpp"

using namespace harden;
using nlohmann::json;

namespace {

bool permits(uint32_t action) {
  return seccomp_action_permits(action);
}

// ---- OCI: the profile as runc loads it ---------------------------------------------------

uint32_t oci_action(const json& entry, const char* action_key, const char* errno_key) {
  const std::string action = entry[action_key].get<std::string>();
  if (action == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (action == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (action == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(entry.value(errno_key, 1));
  return SCMP_ACT_KILL_PROCESS;
}

scmp_compare oci_op(const std::string& op) {
  static const std::map<std::string, scmp_compare> kOps{{"SCMP_CMP_EQ", SCMP_CMP_EQ},
                                                        {"SCMP_CMP_NE", SCMP_CMP_NE},
                                                        {"SCMP_CMP_LT", SCMP_CMP_LT},
                                                        {"SCMP_CMP_LE", SCMP_CMP_LE},
                                                        {"SCMP_CMP_GT", SCMP_CMP_GT},
                                                        {"SCMP_CMP_GE", SCMP_CMP_GE},
                                                        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  return kOps.at(op);
}

// runc's libcontainer/seccomp: a rule whose action is the default action is skipped, unknown
// names are ignored, each entry's args become one rule.
std::vector<sock_filter> load_like_runc(const json& profile) {
  const uint32_t default_action = oci_action(profile, "defaultAction", "defaultErrnoRet");
  scmp_filter_ctx ctx = seccomp_init(default_action);
  REQUIRE(ctx != nullptr);
  for (const json& entry : profile["syscalls"]) {
    const uint32_t action = oci_action(entry, "action", "errnoRet");
    if (action == default_action) continue;
    std::vector<scmp_arg_cmp> args;
    for (const json& a : entry.value("args", json::array())) {
      args.push_back({a["index"].get<unsigned>(), oci_op(a["op"].get<std::string>()),
                      a["value"].get<uint64_t>(), a.value("valueTwo", uint64_t{0})});
    }
    for (const json& name : entry["names"]) {
      const int nr = seccomp_syscall_resolve_name(name.get<std::string>().c_str());
      if (nr == __NR_SCMP_ERROR) continue;
      const int rc =
          seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(args.size()), args.data());
      INFO(name << " " << entry.dump());
      CHECK(rc == 0);
    }
  }
  const int fd = memfd_create("oci", MFD_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(seccomp_export_bpf(ctx, fd) == 0);
  seccomp_release(ctx);
  const off_t size = lseek(fd, 0, SEEK_END);
  std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
  REQUIRE(pread(fd, program.data(), static_cast<size_t>(size), 0) == size);
  close(fd);
  return program;
}

// ---- the profile's meaning, independent of libseccomp's rule order -------------------------

// A call under an OCI profile read as its author means it: a refusing entry that matches wins
// over an allowing one (as the kernel ranks the actions of stacked filters), then an allowing
// entry that matches, then the default action. runc's loading (above) may let an allowing rule
// win instead; this reading checks the rules themselves, so a refusing rule narrowed or an
// allowing one loosened too far shows here even where libseccomp's order hides it.
bool profile_permits(const json& profile, const std::string& name, const test::Args& args) {
  const auto holds = [&](const json& a) {
    const uint64_t x = args[a["index"].get<unsigned>()];
    const uint64_t v = a["value"].get<uint64_t>();
    const std::string op = a["op"].get<std::string>();
    if (op == "SCMP_CMP_EQ") return x == v;
    if (op == "SCMP_CMP_NE") return x != v;
    if (op == "SCMP_CMP_LT") return x < v;
    if (op == "SCMP_CMP_LE") return x <= v;
    if (op == "SCMP_CMP_GT") return x > v;
    if (op == "SCMP_CMP_GE") return x >= v;
    return (x & v) == a.value("valueTwo", uint64_t{0});  // SCMP_CMP_MASKED_EQ
  };
  bool allowed = false;
  for (const json& entry : profile["syscalls"]) {
    if (std::ranges::find(entry["names"], json(name)) == entry["names"].end()) continue;
    const json args_json = entry.value("args", json::array());
    if (!std::ranges::all_of(args_json, holds)) continue;
    if (!permits(oci_action(entry, "action", "errnoRet"))) return false;
    allowed = true;
  }
  return allowed || permits(oci_action(profile, "defaultAction", "defaultErrnoRet"));
}

// ---- systemd: the unit's meaning ----------------------------------------------------------

struct SystemdUnit {
  bool allow_list = false;
  std::set<std::string> allowed;  // allow-list mode
  std::set<std::string> refused;  // "~" entries
  bool restrict_namespaces = false;
  bool lock_personality = false;
  std::optional<std::set<uint64_t>> families;  // allow list
  std::set<uint64_t> families_denied;
  std::set<std::string> wider;  // calls the header names as wider than the policy

  bool allows(const std::string& name, const test::Args& args) const {
    if (refused.contains(name)) return false;
    if (allow_list && !allowed.contains(name)) return false;
    constexpr uint64_t kNs = 0x7E020080;
    if (restrict_namespaces) {
      if (name == "setns") return false;
      if (name == "clone" && (args[0] & (kNs & ~0x80ULL)) != 0) return false;
      if (name == "unshare" && (args[0] & kNs) != 0) return false;
    }
    if (lock_personality && name == "personality") {
      const uint64_t p = args[0] & 0xffffffffu;
      if (p != 0 && p != 0xffffffffu) return false;
    }
    if (name == "socket") {
      const uint64_t family = args[0] & 0xffffffffu;
      if (families && !families->contains(family)) return false;
      if (families_denied.contains(family)) return false;
    }
    return true;
  }
};

uint64_t family_number(const std::string& name) {
  static const std::map<std::string, uint64_t> kFamilies{
      {"AF_UNIX", 1},    {"AF_INET", 2},      {"AF_INET6", 10}, {"AF_NETLINK", 16},
      {"AF_PACKET", 17}, {"AF_ALG", 38},      {"AF_VSOCK", 40}, {"AF_XDP", 44},
      {"AF_IPX", 4},     {"AF_APPLETALK", 5}, {"AF_X25", 9},    {"AF_BLUETOOTH", 31}};
  return kFamilies.at(name);
}

SystemdUnit read_unit(const std::string& text) {
  SystemdUnit unit;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto words = [&](size_t from) {
      std::vector<std::string> out;
      std::istringstream in(line.substr(from));
      for (std::string w; in >> w;)
        out.push_back(w);
      return out;
    };
    if (line.starts_with("SystemCallFilter=~")) {
      for (std::string w : words(18))
        unit.refused.insert(w.substr(0, w.find(':')));
    } else if (line.starts_with("SystemCallFilter=")) {
      unit.allow_list = true;
      for (const std::string& w : words(17))
        unit.allowed.insert(w);
    } else if (line == "RestrictNamespaces=yes") {
      unit.restrict_namespaces = true;
    } else if (line == "LockPersonality=yes") {
      unit.lock_personality = true;
    } else if (line == "RestrictAddressFamilies=none") {
      unit.families.emplace();
    } else if (line.starts_with("RestrictAddressFamilies=~")) {
      for (const std::string& w : words(25))
        unit.families_denied.insert(family_number(w));
    } else if (line.starts_with("RestrictAddressFamilies=")) {
      unit.families.emplace();
      for (const std::string& w : words(24))
        unit.families->insert(family_number(w));
    } else if (line.starts_with("#   - argument conditions on '")) {
      const size_t start = line.find('\'') + 1;
      unit.wider.insert(line.substr(start, line.find('\'', start) - start));
    } else if (line.starts_with("#   - socket(): only the address family")) {
      unit.wider.insert("socket");
    }
  }
  return unit;
}

// ---- the agreement -------------------------------------------------------------------------

// The calls a warning names before `marker` ("'ioctl' may be allowed whole ...").
std::set<std::string> named_calls(const Diagnostics& diags, const std::string& marker) {
  std::set<std::string> out;
  for (const Diagnostic& d : diags.all()) {
    const size_t at = d.message.find(marker);
    if (at == std::string::npos || at == 0) continue;
    const size_t open = d.message.rfind('\'', at - 1);
    if (open != std::string::npos) out.insert(d.message.substr(open + 1, at - open - 1));
  }
  return out;
}

struct Tally {
  int policies = 0;
  int systemd_units = 0;
  int oci_profiles = 0;
  int spo_profiles = 0;
  int spo_wider_calls = 0;
  int evaluations = 0;
  int wider_calls = 0;
};

std::vector<test::Args> tries_for(const SeccompModel& model, const std::string& name,
                                  const std::vector<test::Args>& probes, std::mt19937_64& random) {
  std::vector<test::Args> tries = probes;
  if (const SyscallDecision* call = model.find(name)) {
    for (const SeccompCase& c : call->cases) {
      const std::optional<test::Args> witness = test::case_witness(c, random);
      if (!witness) continue;
      tries.push_back(*witness);
      // Each compared argument at its compared value and beside it: where a loosened or
      // narrowed comparison first differs from the policy's.
      for (const SeccompCompare& cmp : c.all_of) {
        for (const uint64_t value : {cmp.value - 1, cmp.value, cmp.value + 1}) {
          test::Args edge = *witness;
          edge[cmp.index % 6] = value;
          tries.push_back(edge);
        }
      }
    }
  }
  return tries;
}

void check_exports(const Policy& policy, const Plan& plan, std::mt19937_64& random, Tally& tally) {
  const SeccompModel* model = plan.seccomp_model();
  REQUIRE(model != nullptr);
  if (!model->enabled) return;
  ++tally.policies;
  const std::vector<test::Args> probes = test::probe_arguments(random);

  Diagnostics diags;
  ExportOptions options;
  options.systemd_native = true;
  options.command = {"/usr/bin/true"};
  const std::optional<std::string> unit_text = export_systemd(policy, plan, options, diags);
  std::optional<SystemdUnit> unit;
  if (unit_text) {
    unit = read_unit(*unit_text);
    ++tally.systemd_units;
    tally.wider_calls += static_cast<int>(unit->wider.size());
  }
  Diagnostics oci_diags;
  const std::optional<std::string> profile_text = export_oci_seccomp(policy, plan, {}, oci_diags);
  REQUIRE(profile_text);
  const std::vector<sock_filter> oci = load_like_runc(json::parse(*profile_text));
  ++tally.oci_profiles;
  std::set<std::string> oci_left_out;  // named by a warning
  std::set<std::string> oci_wider;     // named by a warning
  for (const Diagnostic& d : oci_diags.all()) {
    const size_t at = d.message.find("' is left out of the profile");
    if (at != std::string::npos) oci_left_out.insert(d.message.substr(1, at - 1));
    const size_t wide = d.message.find("' may be allowed whole by OCI runtimes");
    if (wide != std::string::npos) oci_wider.insert(d.message.substr(1, wide - 1));
  }

  Diagnostics spo_diags;
  ExportOptions spo_options;
  spo_options.k8s_name = "agreement";
  spo_options.json = true;
  const std::optional<std::string> spo_text =
      export_k8s_seccomp_profile(policy, plan, spo_options, spo_diags);
  INFO(render_all(spo_diags));
  REQUIRE(spo_text);
  const json spo_spec = json::parse(*spo_text)["spec"];
  // What the CRD holds: int64 values, minimum 0 (the API server rejects the resource otherwise).
  for (const json& entry : spo_spec["syscalls"]) {
    for (const json& a : entry.value("args", json::array())) {
      CHECK(a["value"].get<uint64_t>() <= uint64_t{INT64_MAX});
      CHECK(a.value("valueTwo", uint64_t{0}) <= uint64_t{INT64_MAX});
    }
  }
  const std::vector<sock_filter> spo = load_like_runc(spo_spec);
  ++tally.spo_profiles;
  const std::set<std::string> spo_loosened =
      named_calls(spo_diags, "' is exported wider than the policy");
  std::set<std::string> spo_wider = spo_loosened;
  spo_wider.merge(named_calls(spo_diags, "' may be allowed whole by OCI runtimes"));
  tally.spo_wider_calls += static_cast<int>(spo_loosened.size());

  for (const std::string& name : native_syscall_names()) {
    const int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr < 0) continue;
    for (const test::Args& args : tries_for(*model, name, probes, random)) {
      const seccomp_data data = make_seccomp_data(native_audit_arch(), nr, args);
      const auto bpf = evaluate_seccomp_program(plan->seccomp.program, data);
      REQUIRE(bpf);
      ++tally.evaluations;
      INFO(policy.file << ": " << name << " args " << args[0] << " " << args[1] << " " << args[2]
                       << ", BPF " << describe_seccomp_action(*bpf));
      if (unit) {
        INFO(*unit_text);
        if (permits(*bpf)) {
          CHECK(unit->allows(name, args));
        } else if (!unit->wider.contains(name)) {
          CHECK_FALSE(unit->allows(name, args));
        }
      }
      const auto exported = evaluate_seccomp_program(oci, data);
      REQUIRE(exported);
      INFO(*profile_text << "\nOCI " << describe_seccomp_action(*exported));
      if (oci_left_out.contains(name)) {
        CHECK_FALSE(permits(*exported));  // the declared deviation: refused whole
      } else if (oci_wider.contains(name)) {
        if (permits(*bpf)) CHECK(permits(*exported));  // declared wider: never stricter
      } else {
        CHECK(permits(*bpf) == permits(*exported));
      }
      const auto resource = evaluate_seccomp_program(spo, data);
      REQUIRE(resource);
      INFO(spo_spec.dump(2) << "\nSeccompProfile " << describe_seccomp_action(*resource));
      const bool meant = profile_permits(spo_spec, name, args);
      if (permits(*bpf)) {
        CHECK(permits(*resource));  // never stricter: the service still runs
        CHECK(meant);
      } else {
        if (!spo_wider.contains(name)) CHECK_FALSE(permits(*resource));
        if (!spo_loosened.contains(name)) CHECK_FALSE(meant);
      }
    }
  }
}

}  // namespace

TEST_CASE(
    "export agreement: systemd, OCI and SeccompProfile translations agree with the BPF over the "
    "corpus",
    "[export][agreement]") {
  std::mt19937_64 random(3);
  Tally tally;
  for (const auto& file : test::policy_corpus()) {
    Diagnostics diags;
    std::optional<Policy> policy = read_policy(file.string(), diags);
    if (!policy || diags.has_errors()) continue;
    std::optional<Plan> plan = compile_policy(*policy, diags);
    if (!plan) continue;  // the corpus of invalid policies
    check_exports(*policy, *plan, random, tally);
  }
  INFO("policies " << tally.policies << ", systemd units " << tally.systemd_units
                   << ", SeccompProfiles " << tally.spo_profiles << ", evaluations "
                   << tally.evaluations);
  CHECK(tally.policies >= 15);
  CHECK(tally.systemd_units >= 10);
  CHECK(tally.spo_profiles == tally.policies);
  CHECK(tally.evaluations >= 60000);
}

TEST_CASE("export agreement: generated policies", "[export][agreement]") {
  const uint64_t seed = 4242;
  std::mt19937_64 random(seed);
  Tally tally;
  for (int n = 0; n < 40; ++n) {
    Policy policy;
    policy.file = "generated.toml";
    policy.meta.name = {"generated", {"generated.toml", 1, 1}};
    policy.seccomp = test::generated_section(random);
    Diagnostics diags;
    std::optional<Plan> plan = compile_policy(policy, diags);
    if (!plan) continue;
    INFO("seed " << seed << ", policy " << n);
    check_exports(policy, *plan, random, tally);
  }
  CHECK(tally.policies >= 25);
}

// Rules comparing 64-bit values above 2^63-1, which the SeccompProfile CRD (int64, minimum 0)
// cannot hold: the resource is loosened or narrowed, named as wider, never stricter; the other
// exports still agree.
TEST_CASE("export agreement: generated policies with values above 2^63-1", "[export][agreement]") {
  const uint64_t seed = 6363;
  std::mt19937_64 random(seed);
  Tally tally;
  for (int n = 0; n < 40; ++n) {
    Policy policy;
    policy.file = "generated.toml";
    policy.meta.name = {"generated", {"generated.toml", 1, 1}};
    policy.seccomp = test::generated_section(random);
    for (SeccompRule& rule : policy.seccomp.rules) {
      for (SeccompArg& arg : rule.args) {
        if (random() % 2 == 0) continue;
        arg.width = Located<int64_t>{64, arg.pos};
        constexpr uint64_t kTopBit = 0x8000000000000000ull;
        if (arg.value.number) *arg.value.number |= kTopBit;
        if (arg.mask && arg.mask->number) *arg.mask->number |= kTopBit;
      }
    }
    Diagnostics diags;
    std::optional<Plan> plan = compile_policy(policy, diags);
    if (!plan) continue;
    INFO("seed " << seed << ", policy " << n);
    check_exports(policy, *plan, random, tally);
  }
  INFO("policies " << tally.policies << ", SeccompProfile calls named wider "
                   << tally.spo_wider_calls);
  CHECK(tally.policies >= 15);
  CHECK(tally.spo_wider_calls >= 10);  // the loosening and narrowing did happen
}
