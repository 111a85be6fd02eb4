// `harden export --format k8s-seccompprofile`: the Security Profiles Operator's SeccompProfile
// custom resource (security-profiles-operator.x-k8s.io/v1beta1). Its spec is an OCI seccomp
// profile under the CRD's own field names and enums, written from the plan's seccomp decision
// model by the same builder as the oci-seccomp export. Where the CRD (or the runtime loading it)
// cannot say what the model decides, the resource says the closest wider thing that still runs
// the service, never a stricter one, and names the call (a comment and a warning):
//  - no defaultErrnoRet: an errno default other than EPERM (what runc and crun return without
//    one) becomes EPERM; calls the model answers with another errno keep theirs;
//  - argument values are int64 with minimum 0: an allowing comparison of a larger value is
//    loosened to the low 63 bits or left out, a refusing one narrowed to values up to 2^63-1
//    or, where that says nothing, the refusing rule left out;
//  - a refusing rule with the default action next to an allow rule, which runtimes skip: the
//    allow rules alone;
//  - every call the resource allows whatever its arguments and does not name as wider is
//    checked against the plan's compiled filter (an internal error otherwise).
#include <seccomp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>
#include <set>

#include "export/export.hpp"
#include "export/k8s_common.hpp"
#include "export/oci_seccomp.hpp"
#include "export/seccomp_names.hpp"
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

SourcePos source_pos(const PlanOrigin& origin) {
  return {origin.file, origin.line, origin.column};
}

bool fits_int64(const SeccompCompare& cmp) {
  return cmp.value <= kInt64Max &&
         (cmp.op != SeccompCompare::Op::masked_eq || cmp.mask <= kInt64Max);
}

// An allowing case's comparisons as the CRD can hold them, each holding wherever the original
// holds: an equality (plain or masked) keeps its low 63 bits; any other comparison of a value
// above 2^63-1 is left out (it holds for nearly every value anyway, or says something about
// the top bit the CRD cannot).
void loosen(SeccompCase& c) {
  std::vector<SeccompCompare> kept;
  for (SeccompCompare cmp : c.all_of) {
    if (fits_int64(cmp)) {
      kept.push_back(cmp);
    } else if (cmp.op == SeccompCompare::Op::eq || cmp.op == SeccompCompare::Op::masked_eq) {
      const uint64_t mask = cmp.op == SeccompCompare::Op::eq ? kInt64Max : cmp.mask & kInt64Max;
      kept.push_back({cmp.index, SeccompCompare::Op::masked_eq, cmp.value & mask, mask});
    }
  }
  c.all_of = std::move(kept);
}

// A refusing case's comparisons as the CRD can hold them, each holding only where the original
// holds: ne, lt and le of a value above 2^63-1 become "le 2^63-1" (every such value is below
// it). False when no such comparison exists (eq, gt, ge, masked_eq of the top bit): the case
// must be left out.
bool narrow(SeccompCase& c) {
  for (SeccompCompare& cmp : c.all_of) {
    if (fits_int64(cmp)) continue;
    using Op = SeccompCompare::Op;
    if (cmp.op != Op::ne && cmp.op != Op::lt && cmp.op != Op::le) return false;
    cmp = {cmp.index, Op::le, kInt64Max, 0};
  }
  return true;
}

// The names of an unconditional allow entry must be allowed, whatever their arguments, by the
// plan's own program (evaluated for zero and for all-ones arguments), unless the resource names
// them as wider than the policy.
bool check_against_plan(const ordered_json& entry, const std::set<std::string>& wider,
                        const Plan& plan, Diagnostics& diags) {
  const PlanData& data = plan.data();
  bool ok = true;
  for (const ordered_json& name_json : entry["names"]) {
    const std::string name = name_json.get<std::string>();
    if (wider.contains(name)) continue;  // named as wider than the policy
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
  const SeccompModel* model = exported_seccomp_model(plan, policy.file, diags);
  if (model == nullptr) return std::nullopt;
  if (!model->enabled) {
    diags.error({policy.file, 0, 0}, "the policy has no [seccomp] section to export",
                "add one, or import a profile: harden import --from oci-seccomp FILE");
    return std::nullopt;
  }

  NotTranslated missing(diags, "the SeccompProfile");
  missing.note("harden export --format k8s-seccompprofile: policy '" + plan->policy_name + "'");
  missing.note("The Security Profiles Operator installs it on every node as");
  missing.note("<kubelet root>/seccomp/operator/" + *name +
               ".json; harden export --format k8s --seccomp-profile operator/" + *name +
               ".json names it.");
  const SourcePos seccomp_pos = policy.seccomp.pos;
  const auto pos_of = [&](const PlanOrigin& origin) {
    return origin.line == 0 ? seccomp_pos : source_pos(origin);
  };

  // The model as the CRD can hold it.
  SeccompModel crd = *model;
  if (const int errno_value = seccomp_action_errno_value(model->default_action);
      errno_value >= 0 && errno_value != EPERM) {
    missing.add(pos_of(model->default_why.origin),
                "[seccomp] default_action's errno " + std::to_string(errno_value) +
                    " (the CRD has no defaultErrnoRet, so refused calls get EPERM)");
    crd.default_action = SECCOMP_RET_ERRNO | EPERM;
  }
  std::set<std::string> wider;
  std::set<std::string> said;  // one note per call and reason (a group gives a call many cases)
  const auto widen = [&](const SyscallDecision& call, const SeccompCase& c,
                         const std::string& why) {
    wider.insert(call.name);
    const std::string what = "'" + call.name + "' is exported wider than the policy: " + why;
    if (said.insert(what).second) missing.add(pos_of(c.why.origin), what);
  };
  for (SyscallDecision& call : crd.calls) {
    const bool allowed_too =
        seccomp_action_permits(call.otherwise) || !call.allowing_cases().empty();
    std::vector<SeccompCase> cases;
    for (SeccompCase c : call.cases) {
      const bool refusing = !seccomp_action_permits(c.action);
      if (refusing && allowed_too && c.action == crd.default_action) {
        widen(call, c,
              "its refusing rule has the default action, which OCI runtimes skip next to an "
              "allow rule; the allow rules alone are exported");
        continue;
      }
      if (std::ranges::all_of(c.all_of, fits_int64)) {
        cases.push_back(std::move(c));
        continue;
      }
      const std::string too_big =
          "a rule compares a value above 2^63-1, which the CRD (int64, minimum 0) cannot hold; ";
      if (!refusing) {
        loosen(c);
        widen(call, c,
              too_big + "its allowing comparison is loosened to the low 63 bits or left out");
        cases.push_back(std::move(c));
      } else if (narrow(c)) {
        widen(call, c, too_big + "its refusing rule is narrowed to values up to 2^63-1");
        cases.push_back(std::move(c));
      } else {
        widen(call, c, too_big + "its refusing rule is left out");
      }
    }
    call.cases = std::move(cases);
  }

  OciSeccompObject oci = oci_seccomp_object(crd);
  for (const OciSeccompDeviation& deviation : oci.deviations) {
    wider.insert(deviation.call);
    missing.add(pos_of(deviation.origin), deviation.message);
  }
  ordered_json spec = ordered_json::object();
  spec["defaultAction"] = oci.json["defaultAction"];
  for (const ordered_json& arch : oci.json["architectures"]) {
    if (std::ranges::find(kArchitectures, arch.get<std::string>()) == kArchitectures.end()) {
      diags.error(
          seccomp_pos,
          "architecture " + arch.get<std::string>() + " is not one the SeccompProfile CRD accepts",
          "leave it out of [seccomp] architectures for this export");
      return std::nullopt;
    }
  }
  spec["architectures"] = oci.json["architectures"];
  if (oci.json.contains("flags")) {
    for (const ordered_json& flag : oci.json["flags"]) {
      if (std::ranges::find(kFlags, flag.get<std::string>()) == kFlags.end()) {
        diags.error(seccomp_pos, "flag " + flag.get<std::string>() + " is not in the CRD");
        return std::nullopt;
      }
    }
    spec["flags"] = oci.json["flags"];
  }
  for (const ordered_json& entry : oci.json["syscalls"]) {
    if (entry["action"] == "SCMP_ACT_ALLOW" && !entry.contains("args") &&
        !check_against_plan(entry, wider, plan, diags)) {
      return std::nullopt;
    }
  }
  spec["syscalls"] = oci.json["syscalls"];

  const ordered_json document{
      {"apiVersion", "security-profiles-operator.x-k8s.io/v1beta1"},
      {"kind", "SeccompProfile"},
      {"metadata", {{"name", *name}, {"labels", {{std::string(kK8sNameLabel), *name}}}}},
      {"spec", spec}};
  return render_manifest({{missing.comments(), document}}, options);
}

}  // namespace harden
