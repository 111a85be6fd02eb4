// `harden export --format oci-seccomp`: the `linux.seccomp` object of the OCI runtime
// specification (config-linux.md), read by runc, crun, Docker, Podman and, as a profile file,
// by Kubernetes. One entry per (action, argument conditions) with its syscall names.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "export/export.hpp"
#include "export/seccomp_view.hpp"

namespace harden {

namespace {

using nlohmann::ordered_json;

// harden's architecture names to the spec's SCMP_ARCH_* words.
std::string oci_architecture(const std::string& arch) {
  std::string name = arch == "native" ? native_architecture_name() : arch;
  for (char& c : name)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "SCMP_ARCH_" + name;
}

struct OciAction {
  std::string action;
  int errno_ret = -1;  // SCMP_ACT_ERRNO only
};

OciAction oci_action(const std::string& action) {
  if (const int value = seccomp_action_errno(action); value >= 0) return {"SCMP_ACT_ERRNO", value};
  if (action == "allow") return {"SCMP_ACT_ALLOW"};
  if (action == "kill-thread") return {"SCMP_ACT_KILL_THREAD"};
  if (action == "trap") return {"SCMP_ACT_TRAP"};
  if (action == "log") return {"SCMP_ACT_LOG"};
  return {"SCMP_ACT_KILL_PROCESS"};
}

// One comparison. The spec compares all 64 bits; harden's default 32-bit width is the
// low half only, which masked-eq expresses exactly for eq (and masked-eq). Other 32-bit
// comparisons are written as 64-bit ones: the same for every argument whose upper half is
// zero, and reported.
ordered_json oci_arg(const SeccompArgView& arg, const SourcePos& pos, Diagnostics& diags) {
  static const std::map<std::string, std::string> kOps{{"eq", "SCMP_CMP_EQ"},
                                                       {"ne", "SCMP_CMP_NE"},
                                                       {"lt", "SCMP_CMP_LT"},
                                                       {"le", "SCMP_CMP_LE"},
                                                       {"gt", "SCMP_CMP_GT"},
                                                       {"ge", "SCMP_CMP_GE"},
                                                       {"masked-eq", "SCMP_CMP_MASKED_EQ"}};
  ordered_json out{{"index", arg.index}};
  if (arg.op == "masked-eq") {
    const uint64_t mask = arg.width64 ? arg.mask : (arg.mask & 0xffffffffULL);
    out["value"] = mask;
    out["valueTwo"] = arg.value & mask;
    out["op"] = "SCMP_CMP_MASKED_EQ";
  } else if (arg.op == "eq" && !arg.width64) {
    out["value"] = 0xffffffffULL;
    out["valueTwo"] = arg.value & 0xffffffffULL;
    out["op"] = "SCMP_CMP_MASKED_EQ";
  } else {
    if (!arg.width64) {
      diags.warning(pos,
                    "a 32-bit '" + arg.op +
                        "' comparison is exported as a 64-bit one (the OCI "
                        "format compares whole arguments)",
                    "write width = 64 in the policy to say so, or compare with eq");
    }
    out["value"] = arg.value;
    out["op"] = kOps.at(arg.op);
  }
  return out;
}

}  // namespace

std::optional<std::string> export_oci_seccomp(const Policy& policy, const Plan& /*plan*/,
                                              const ExportOptions& /*options*/,
                                              Diagnostics& diags) {
  const SeccompView view = seccomp_view(policy.seccomp);
  if (!view.enabled) {
    diags.error({policy.file, 0, 0}, "the policy has no [seccomp] section to export",
                "add one, or import a profile: harden import --from oci-seccomp FILE");
    return std::nullopt;
  }
  ordered_json root;
  const OciAction default_action = oci_action(view.default_action);
  root["defaultAction"] = default_action.action;
  if (default_action.errno_ret >= 0) root["defaultErrnoRet"] = default_action.errno_ret;
  ordered_json archs = ordered_json::array();
  for (const std::string& arch : view.architectures)
    archs.push_back(oci_architecture(arch));
  root["architectures"] = archs;
  if (view.log_denials) root["flags"] = {"SECCOMP_FILTER_FLAG_LOG"};

  ordered_json syscalls = ordered_json::array();
  if (view.default_action != "allow" && !view.allowed.empty()) {
    syscalls.push_back({{"names", view.allowed}, {"action", "SCMP_ACT_ALLOW"}});
  }
  // A refusing rule whose action is the default action cannot sit next to an allow rule of the
  // same call: runtimes skip such a rule (runc does; libseccomp refuses to add it), and the
  // allow rule would then let its calls through. Fail closed: the call is left out of the
  // profile, so the default action answers it, and the policy line is named.
  const auto permissive = [](const std::string& action) {
    return action == "allow" || action == "log";
  };
  std::set<std::string> left_out;
  for (const SeccompRuleView& rule : view.rules) {
    if (permissive(rule.action) || rule.action != view.default_action) continue;
    const bool allowed_too = std::ranges::any_of(view.rules, [&](const SeccompRuleView& other) {
      return other.syscall == rule.syscall && permissive(other.action);
    });
    if (allowed_too && left_out.insert(rule.syscall).second) {
      diags.warning(rule.pos,
                    "'" + rule.syscall +
                        "' is left out of the profile (its default action answers it): a "
                        "refusing rule with the default action next to an allow rule is "
                        "skipped by OCI runtimes",
                    "give the rule another action than default_action, or run under harden");
    }
  }
  // Rules with the same action and conditions share one entry, in policy order.
  std::vector<std::tuple<std::string, ordered_json, std::vector<std::string>>> grouped;
  for (const SeccompRuleView& rule : view.rules) {
    if (left_out.contains(rule.syscall)) continue;
    ordered_json args = ordered_json::array();
    for (const SeccompArgView& arg : rule.args)
      args.push_back(oci_arg(arg, rule.pos, diags));
    auto it = std::ranges::find_if(grouped, [&](const auto& g) {
      return std::get<0>(g) == rule.action && std::get<1>(g) == args;
    });
    if (it == grouped.end()) {
      grouped.emplace_back(rule.action, args, std::vector<std::string>{rule.syscall});
    } else if (std::ranges::find(std::get<2>(*it), rule.syscall) == std::get<2>(*it).end()) {
      std::get<2>(*it).push_back(rule.syscall);
    }
  }
  for (const auto& [action, args, names] : grouped) {
    const OciAction oci = oci_action(action);
    ordered_json entry{{"names", names}, {"action", oci.action}};
    if (oci.errno_ret >= 0) entry["errnoRet"] = oci.errno_ret;
    if (!args.empty()) entry["args"] = args;
    syscalls.push_back(entry);
  }
  // harden answers clone3 with ENOSYS when the policy does not allow it, so that the C
  // library falls back to clone (whose flags a rule can inspect); the profile does the same.
  const bool clone3_decided = std::ranges::binary_search(view.allowed, std::string("clone3")) ||
                              std::ranges::any_of(view.rules, [](const SeccompRuleView& r) {
                                return r.syscall == "clone3";
                              });
  if (view.default_action != "allow" && !clone3_decided) {
    syscalls.push_back({{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 38}});
  }
  root["syscalls"] = syscalls;
  return root.dump(2) + "\n";
}

}  // namespace harden
