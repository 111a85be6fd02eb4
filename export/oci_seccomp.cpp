// `harden export --format oci-seccomp`: the `linux.seccomp` object of the OCI runtime
// specification (config-linux.md), read by runc, crun, Docker, Podman and, as a profile file,
// by Kubernetes. One entry per (action, argument conditions) with its syscall names.
#include <linux/seccomp.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "export/export.hpp"
#include "export/oci_seccomp.hpp"
#include "export/seccomp_names.hpp"
#include "plan/seccomp_model.hpp"

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

OciAction oci_action(uint32_t action) {
  if (const int value = seccomp_action_errno_value(action); value >= 0) {
    return {"SCMP_ACT_ERRNO", value};
  }
  switch (action & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
      return {"SCMP_ACT_ALLOW"};
    case SECCOMP_RET_KILL_THREAD:
      return {"SCMP_ACT_KILL_THREAD"};
    case SECCOMP_RET_TRAP:
      return {"SCMP_ACT_TRAP"};
    case SECCOMP_RET_LOG:
      return {"SCMP_ACT_LOG"};
    default:
      return {"SCMP_ACT_KILL_PROCESS"};
  }
}

// One comparison, exactly as the filter makes it: the model's comparisons are already on all
// 64 bits (a 32-bit one is a masked equality of the low half), as the spec's are.
ordered_json oci_arg(const SeccompCompare& cmp) {
  using Op = SeccompCompare::Op;
  ordered_json out{{"index", cmp.index}};
  switch (cmp.op) {
    case Op::masked_eq:
      out["value"] = cmp.mask;
      out["valueTwo"] = cmp.value;
      out["op"] = "SCMP_CMP_MASKED_EQ";
      return out;
    case Op::eq:
      out["op"] = "SCMP_CMP_EQ";
      break;
    case Op::ne:
      out["op"] = "SCMP_CMP_NE";
      break;
    case Op::lt:
      out["op"] = "SCMP_CMP_LT";
      break;
    case Op::le:
      out["op"] = "SCMP_CMP_LE";
      break;
    case Op::gt:
      out["op"] = "SCMP_CMP_GT";
      break;
    case Op::ge:
      out["op"] = "SCMP_CMP_GE";
      break;
  }
  out["value"] = cmp.value;
  return out;
}

SourcePos source_pos(const PlanOrigin& origin) {
  return {origin.file, origin.line, origin.column};
}

}  // namespace

OciSeccompObject oci_seccomp_object(const SeccompModel& view) {
  OciSeccompObject result;
  ordered_json& root = result.json;
  const OciAction default_action = oci_action(view.default_action);
  root["defaultAction"] = default_action.action;
  if (default_action.errno_ret >= 0) root["defaultErrnoRet"] = default_action.errno_ret;
  ordered_json archs = ordered_json::array();
  for (const std::string& arch : view.architectures)
    archs.push_back(oci_architecture(arch));
  root["architectures"] = archs;
  if (view.log_denials) root["flags"] = {"SECCOMP_FILTER_FLAG_LOG"};
  const bool default_allows = view.default_action == SECCOMP_RET_ALLOW;

  ordered_json syscalls = ordered_json::array();
  std::vector<std::string> allowed;
  for (const SyscallDecision& call : view.calls) {
    if (call.cases.empty() && call.otherwise == SECCOMP_RET_ALLOW) allowed.push_back(call.name);
  }
  if (!default_allows && !allowed.empty()) {
    syscalls.push_back({{"names", allowed}, {"action", "SCMP_ACT_ALLOW"}});
  }
  // A refusing case whose action is the default action cannot sit next to an allowing one of
  // the same call: runtimes skip such a rule (runc does; libseccomp refuses to add it), and the
  // allow rule would then let its calls through. Fail closed: the call is left out of the
  // profile, so the default action answers it, and the policy line is named.
  std::set<std::string> left_out;
  for (const SyscallDecision& call : view.calls) {
    const bool allowed_too =
        seccomp_action_permits(call.otherwise) || !call.allowing_cases().empty();
    for (const SeccompCase& c : call.cases) {
      if (seccomp_action_permits(c.action) || c.action != view.default_action) continue;
      if (allowed_too && left_out.insert(call.name).second) {
        result.deviations.push_back(
            {call.name, c.why.origin,
             "'" + call.name +
                 "' is left out of the profile (its default action answers it): a refusing "
                 "rule with the default action next to an allow rule is skipped by OCI "
                 "runtimes",
             "give the rule another action than default_action, or run under harden"});
      }
    }
  }
  // A refusing case next to an allowing one of the same call: libseccomp orders a call's rules
  // by argument, not as the profile lists them, so a runtime may let the refused arguments
  // through (seen with runc's loading in tests/unit/test_export_agreement.cpp). The profile
  // keeps both (the closest it can say, and the call still works); the call is named.
  for (const SyscallDecision& call : view.calls) {
    if (left_out.contains(call.name) || default_allows) continue;
    const bool allowed_too =
        seccomp_action_permits(call.otherwise) || !call.allowing_cases().empty();
    const auto refusing = std::ranges::find_if(
        call.cases, [](const SeccompCase& c) { return !seccomp_action_permits(c.action); });
    if (allowed_too && refusing != call.cases.end()) {
      result.deviations.push_back(
          {call.name, refusing->why.origin,
           "'" + call.name +
               "' may be allowed whole by OCI runtimes: libseccomp orders a call's rules by "
               "argument, so its refusing rule may not come first",
           "run under harden for the exact rule"});
    }
  }
  // Cases with the same action and conditions share one entry, in the model's order (refusing
  // ones first within each call).
  std::vector<std::tuple<uint32_t, ordered_json, std::vector<std::string>>> grouped;
  const auto add = [&](const std::string& name, uint32_t action, const ordered_json& args) {
    auto it = std::ranges::find_if(
        grouped, [&](const auto& g) { return std::get<0>(g) == action && std::get<1>(g) == args; });
    if (it == grouped.end()) {
      grouped.emplace_back(action, args, std::vector<std::string>{name});
    } else if (std::ranges::find(std::get<2>(*it), name) == std::get<2>(*it).end()) {
      std::get<2>(*it).push_back(name);
    }
  };
  for (const SyscallDecision& call : view.calls) {
    if (left_out.contains(call.name) || call.cases.empty()) continue;
    for (const SeccompCase& c : call.cases) {
      ordered_json args = ordered_json::array();
      for (const SeccompCompare& cmp : c.all_of)
        args.push_back(oci_arg(cmp));
      add(call.name, c.action, args);
    }
    // "Allowed unless a refusing case matches" has no direct spelling: an allow rule that
    // always matches (masked-eq with mask 0) after the refusing ones, which win over it.
    if (call.otherwise == SECCOMP_RET_ALLOW && !default_allows) {
      add(call.name, SECCOMP_RET_ALLOW,
          ordered_json::array({ordered_json{
              {"index", 0}, {"value", 0}, {"valueTwo", 0}, {"op", "SCMP_CMP_MASKED_EQ"}}}));
    }
  }
  for (const auto& [action, args, names] : grouped) {
    const OciAction oci = oci_action(action);
    ordered_json entry{{"names", names}, {"action", oci.action}};
    if (oci.errno_ret >= 0) entry["errnoRet"] = oci.errno_ret;
    if (!args.empty()) entry["args"] = args;
    syscalls.push_back(entry);
  }
  // Calls the filter answers with another refusal than the default action whatever their
  // arguments: harden's ENOSYS for a clone3 the policy does not decide (so that the C library
  // falls back to clone, whose flags a rule can inspect).
  for (const SyscallDecision& call : view.calls) {
    if (!call.cases.empty() || seccomp_action_permits(call.otherwise) ||
        call.otherwise == view.default_action) {
      continue;
    }
    const OciAction oci = oci_action(call.otherwise);
    ordered_json entry{{"names", {call.name}}, {"action", oci.action}};
    if (oci.errno_ret >= 0) entry["errnoRet"] = oci.errno_ret;
    syscalls.push_back(entry);
  }
  root["syscalls"] = syscalls;
  return result;
}

std::optional<std::string> export_oci_seccomp(const Policy& policy, const Plan& plan,
                                              const ExportOptions& /*options*/,
                                              Diagnostics& diags) {
  const SeccompModel* model = exported_seccomp_model(plan, policy.file, diags);
  if (model == nullptr) return std::nullopt;
  if (!model->enabled) {
    diags.error({policy.file, 0, 0}, "the policy has no [seccomp] section to export",
                "add one, or import a profile: harden import --from oci-seccomp FILE");
    return std::nullopt;
  }
  const OciSeccompObject profile = oci_seccomp_object(*model);
  for (const OciSeccompDeviation& deviation : profile.deviations)
    diags.warning(source_pos(deviation.origin), deviation.message, deviation.hint);
  return profile.json.dump(2) + "\n";
}

}  // namespace harden
