// The decision model (plan/seccomp_model.hpp) from the seccomp compiler's resolution: the same
// grants and rules build_program() turns into BPF, per call, in the order the filter checks
// them; and the denial-report origins the sealed plan carries, projected from it.
#include "compiler/seccomp_decisions.hpp"

#include <seccomp.h>

#include <algorithm>
#include <map>

namespace harden::seccomp_bpf {
PlanOrigin plan_origin(const SourcePos& pos) {
  return {pos.file, pos.line, pos.column};
}

namespace {

SeccompCompare model_compare(const scmp_arg_cmp& cmp) {
  using Op = SeccompCompare::Op;
  SeccompCompare out{cmp.arg, Op::eq, cmp.datum_a, 0};
  switch (cmp.op) {
    case SCMP_CMP_NE:
      out.op = Op::ne;
      break;
    case SCMP_CMP_LT:
      out.op = Op::lt;
      break;
    case SCMP_CMP_LE:
      out.op = Op::le;
      break;
    case SCMP_CMP_GT:
      out.op = Op::gt;
      break;
    case SCMP_CMP_GE:
      out.op = Op::ge;
      break;
    case SCMP_CMP_MASKED_EQ:
      out = {cmp.arg, Op::masked_eq, cmp.datum_b, cmp.datum_a};
      break;
    default:
      break;
  }
  return out;
}

// What a rule is, for reports: a group's condition is named as the allow entry that brought it,
// with its why.
SeccompWhy rule_why(const CompiledRule& rule, const RuleSet& rules) {
  const auto group = rules.group_of.find(rule.source);
  std::string what = "[[seccomp.rule]]";
  if (group != rules.group_of.end()) {
    what = "the condition of " + group->second + " on " + quoted(rule.source->syscall.value);
    if (rule.source->reason) what += " (" + rule.source->reason->value + ")";
  }
  return {what, plan_origin(rule.source->pos)};
}

// A written rule that answers an errno does so on purpose: not reported unless it asks
// (report = true). A group's condition refuses what the group never grants, and a kill is
// always worth a line.
bool reported(const CompiledRule& rule, const RuleSet& rules) {
  const bool errno_answer = (rule.action & 0xffff0000U) == SCMP_ACT_ERRNO(0);
  const bool from_group = rules.group_of.contains(rule.source);
  return !errno_answer || from_group || (rule.source->report && rule.source->report->value);
}

// Every decision of the filter, per call, from the same resolution build_program() turns into
// BPF: the refusing rules in the prologue's order (strictest first), then the permissive rules
// libseccomp applies, then the grant, the clone3 answer or the default action.
}  // namespace

SeccompModel build_model(const SeccompSection& section, const FilterInput& in,
                         const SeccompWhy& default_why) {
  SeccompModel model;
  model.enabled = true;
  model.default_action = in.default_action;
  model.default_why = default_why;
  model.log_denials = section.log_denials && section.log_denials->value;
  for (const FilterArch& arch : in.archs) {
    model.architectures.emplace_back(
        arch.token == seccomp_arch_native() ? std::string_view("native") : arch_name(arch.token));
  }
  std::map<std::string, SyscallDecision, std::less<>> calls;
  auto call = [&](const std::string& name) -> SyscallDecision& {
    auto [it, fresh] = calls.try_emplace(name);
    if (fresh) {
      it->second.name = name;
      const int nr = seccomp_syscall_resolve_name(name.c_str());
      it->second.native_nr = nr >= 0 ? nr : -1;
      it->second.otherwise = in.default_action;
      it->second.otherwise_why = default_why;
    }
    return it->second;
  };
  std::vector<const CompiledRule*> ordered;
  for (const CompiledRule& rule : in.rules.refusing)
    ordered.push_back(&rule);
  std::ranges::stable_sort(
      ordered, {}, [](const CompiledRule* r) { return seccomp_bpf::refusal_rank(r->action); });
  for (const CompiledRule& rule : in.rules.permissive)
    ordered.push_back(&rule);  // after the refusing ones, in policy order
  for (const CompiledRule* rule : ordered) {
    SyscallDecision& decision = call(rule->source->syscall.value);
    for (const Conjunction& alternative : rule->alternatives) {
      SeccompCase c{{}, rule->action, rule_why(*rule, in.rules), reported(*rule, in.rules)};
      for (const scmp_arg_cmp& cmp : alternative)
        c.all_of.push_back(model_compare(cmp));
      decision.cases.push_back(std::move(c));
    }
  }
  if (in.default_action != SCMP_ACT_ALLOW) {
    for (const auto& [name, grant] : in.grants) {
      if (seccomp_syscall_resolve_name(name.c_str()) == __NR_SCMP_ERROR) continue;
      SyscallDecision& decision = call(name);
      decision.otherwise = SCMP_ACT_ALLOW;
      decision.otherwise_why = {"allowed by " + grant.by, plan_origin(grant.pos)};
    }
    // The deny entries behind a call's default action, for reports.
    Diagnostics already_reported;  // apply_denies() checked these entries
    for (const LocatedString& entry : section.deny) {
      auto names = expand_entry(entry, in.archs, already_reported);
      if (!names) continue;
      for (const std::string& name : *names) {
        if (in.grants.contains(name) || seccomp_syscall_resolve_name(name.c_str()) < 0) continue;
        SyscallDecision& decision = call(name);
        if (decision.otherwise == in.default_action && decision.otherwise_why.what != "deny") {
          decision.otherwise_why = {"deny", plan_origin(entry.pos)};
        }
      }
    }
  }
  if (answers_clone3_enosys(in)) {
    SyscallDecision& decision = call("clone3");
    decision.otherwise = kEnosys;
    decision.otherwise_why = {
        "harden's ENOSYS for a clone3 the policy does not decide (the C library falls back to "
        "clone)",
        {}};
  }
  for (auto& [name, decision] : calls)
    model.calls.push_back(std::move(decision));
  return model;
}

// The policy lines behind a fate other than the default action (rules and deny entries), for
// denial reports (enforcer/seccomp_notify.cpp): a projection of the model, so the sealed plan
// carries only what a report needs.
std::vector<SeccompOrigin> decision_origins(const SeccompModel& model) {
  std::vector<SeccompOrigin> origins;
  for (const SyscallDecision& call : model.calls) {
    if (call.native_nr < 0) continue;  // a call that only another architecture has
    const auto nr = static_cast<uint32_t>(call.native_nr);
    for (const SeccompCase& c : call.cases) {
      const bool repeated = std::ranges::any_of(origins, [&](const SeccompOrigin& o) {
        return o.nr == nr && o.action == c.action && o.what == c.why.what &&
               o.origin.line == c.why.origin.line && o.origin.column == c.why.origin.column;
      });
      if (!repeated) origins.push_back({nr, c.action, c.why.what, c.why.origin, c.report});
    }
    if (call.otherwise_why.what == "deny") {
      origins.push_back({nr, call.otherwise, "deny", call.otherwise_why.origin, true});
    }
  }
  return origins;
}

}  // namespace harden::seccomp_bpf
