// `harden export --format k8s-seccompprofile`: the Security Profiles Operator's SeccompProfile
// custom resource (security-profiles-operator.x-k8s.io/v1beta1). Its spec is the OCI seccomp
// profile under the CRD's own field names and enums, so it is the oci-seccomp export (the same
// decisions crun runs) re-checked field by field against the CRD:
//  - no defaultErrnoRet: an errno default other than EPERM (what runc and crun return without
//    one) is named as not translated;
//  - argument values are int64 with minimum 0: an allow entry comparing a larger value is left
//    out (stricter), a refusing one cannot be expressed and is an error;
//  - every unconditional allow entry is checked against the plan's compiled filter, so the
//    resource never allows a call harden's own filter refuses.
#include <seccomp.h>

#include <algorithm>
#include <array>
#include <limits>

#include "export/export.hpp"
#include "export/k8s_common.hpp"
#include "plan/bpf_eval.hpp"

namespace harden {

namespace {

using nlohmann::ordered_json;

// The CRD's enums (deploy/base-crds/crds/seccompprofile.yaml, version v1beta1).
constexpr std::array<std::string_view, 20> kArchitectures{
    "SCMP_ARCH_NATIVE",    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",
    "SCMP_ARCH_ARM",       "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC",       "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",     "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64"};
constexpr std::array<std::string_view, 4> kFlags{
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};

constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

bool permissive(const std::string& action) {
  return action == "SCMP_ACT_ALLOW" || action == "SCMP_ACT_LOG";
}

bool fits_int64(const ordered_json& args) {
  return std::ranges::all_of(args, [](const ordered_json& arg) {
    for (const char* field : {"value", "valueTwo"}) {
      if (arg.contains(field) && arg[field].get<uint64_t>() > kInt64Max) return false;
    }
    return true;
  });
}

// The names of an unconditional allow entry must be allowed, whatever their arguments, by the
// plan's own program: evaluated for zero and for all-ones arguments.
bool check_against_plan(const ordered_json& entry, const Plan& plan, Diagnostics& diags) {
  const PlanData& data = plan.data();
  bool ok = true;
  for (const ordered_json& name_json : entry["names"]) {
    const std::string name = name_json.get<std::string>();
    const int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr < 0) continue;  // not a call of this architecture: nothing for the filter to say
    for (const uint64_t fill : {uint64_t{0}, ~uint64_t{0}}) {
      std::array<uint64_t, 6> args{};
      args.fill(fill);
      const auto action = evaluate_seccomp_program(data.seccomp.program,
                                                   make_seccomp_data(data.audit_arch, nr, args));
      if (!action || (*action & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ALLOW) {
        diags.error({data.policy_file, 0, 0},
                    "internal: the SeccompProfile would allow '" + name +
                        "', which the compiled filter answers with " +
                        (action ? describe_seccomp_action(*action) : action.error()),
                    "report this as a bug in harden; nothing was exported");
        ok = false;
        break;
      }
    }
  }
  return ok;
}

}  // namespace

std::optional<std::string> export_k8s_seccomp_profile(const Policy& policy, const Plan& plan,
                                                      const ExportOptions& options,
                                                      Diagnostics& diags) {
  const std::optional<std::string> name = k8s_object_name(policy, options, diags);
  if (!name) return std::nullopt;
  const std::optional<std::string> oci_text = export_oci_seccomp(policy, plan, options, diags);
  if (!oci_text) return std::nullopt;
  const ordered_json oci = ordered_json::parse(*oci_text);

  NotTranslated missing(diags, "the SeccompProfile");
  missing.note("harden export --format k8s-seccompprofile: policy '" + plan->policy_name + "'");
  missing.note("The Security Profiles Operator installs it on every node as");
  missing.note("<kubelet root>/seccomp/operator/" + *name +
               ".json; harden export --format k8s --seccomp-profile operator/" + *name +
               ".json names it.");
  const SourcePos seccomp_pos = policy.seccomp.pos;

  ordered_json spec = ordered_json::object();
  spec["defaultAction"] = oci["defaultAction"];
  if (oci.contains("defaultErrnoRet") && oci["defaultErrnoRet"].get<int>() != 1) {
    const SourcePos pos =
        policy.seccomp.default_action ? policy.seccomp.default_action->pos : seccomp_pos;
    missing.add(pos, "[seccomp] default_action's errno " +
                         std::to_string(oci["defaultErrnoRet"].get<int>()) +
                         " (the CRD has no defaultErrnoRet, so refused calls get EPERM)");
  }
  for (const ordered_json& arch : oci["architectures"]) {
    if (std::ranges::find(kArchitectures, arch.get<std::string>()) == kArchitectures.end()) {
      diags.error(
          seccomp_pos,
          "architecture " + arch.get<std::string>() + " is not one the SeccompProfile CRD accepts",
          "leave it out of [seccomp] architectures for this export");
      return std::nullopt;
    }
  }
  spec["architectures"] = oci["architectures"];
  if (oci.contains("flags")) {
    for (const ordered_json& flag : oci["flags"]) {
      if (std::ranges::find(kFlags, flag.get<std::string>()) == kFlags.end()) {
        diags.error(seccomp_pos, "flag " + flag.get<std::string>() + " is not in the CRD");
        return std::nullopt;
      }
    }
    spec["flags"] = oci["flags"];
  }

  ordered_json syscalls = ordered_json::array();
  for (const ordered_json& entry : oci["syscalls"]) {
    const std::string action = entry["action"].get<std::string>();
    if (entry.contains("args") && !fits_int64(entry["args"])) {
      std::string names;
      for (const ordered_json& n : entry["names"])
        names += (names.empty() ? "" : ", ") + n.get<std::string>();
      if (!permissive(action)) {
        diags.error(seccomp_pos,
                    "the refusing rule of " + names +
                        " compares a value above 2^63-1, which the SeccompProfile CRD "
                        "(int64, minimum 0) cannot hold",
                    "write the comparison with a smaller value or mask, or use "
                    "--format oci-seccomp");
        return std::nullopt;
      }
      missing.add(seccomp_pos, "the conditional allow rule of " + names +
                                   " (a value above 2^63-1; those calls get the default "
                                   "action)");
      continue;
    }
    if (action == "SCMP_ACT_ALLOW" && !entry.contains("args") &&
        !check_against_plan(entry, plan, diags)) {
      return std::nullopt;
    }
    ordered_json out{{"action", action}, {"names", entry["names"]}};
    if (entry.contains("errnoRet")) out["errnoRet"] = entry["errnoRet"];
    if (entry.contains("args")) out["args"] = entry["args"];
    syscalls.push_back(out);
  }
  spec["syscalls"] = syscalls;

  const ordered_json document{
      {"apiVersion", "security-profiles-operator.x-k8s.io/v1beta1"},
      {"kind", "SeccompProfile"},
      {"metadata", {{"name", *name}, {"labels", {{std::string(kK8sNameLabel), *name}}}}},
      {"spec", spec}};
  return render_manifest({{missing.comments(), document}}, options);
}

}  // namespace harden
