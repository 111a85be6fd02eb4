// Lint rules about the seccomp filter. What a filter allows is read from the compiled BPF
// program itself (run in userspace by compiler/bpf_eval), not guessed from the policy text: a
// deny, an argument rule, the default action and every nested group are then accounted for
// exactly as the kernel will see them. The policy text is only used to say *where* a grant
// came from.
#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <array>
#include <string>

#include "compiler/syscall_groups.hpp"
#include "lint/dangerous.hpp"
#include "lint/lint_checks.hpp"
#include "plan/bpf_eval.hpp"

namespace harden::lint {

namespace {

using Args = std::array<uint64_t, 6>;

bool action_allows(uint32_t action) {
  const uint32_t kind = action & SECCOMP_RET_ACTION_FULL;
  return kind == SECCOMP_RET_ALLOW || kind == SECCOMP_RET_LOG;
}

// What the plan's filter answers for one native call. No filter allows everything.
bool filter_allows(const PlanData& plan, int nr, const Args& args) {
  if (!plan.seccomp.enabled) return true;
  const auto action =
      evaluate_seccomp_program(plan.seccomp.program, make_seccomp_data(plan.audit_arch, nr, args));
  // The compiler checked the program; an evaluator error would be a harden bug. Counting it
  // as allowed keeps lint on the safe side.
  return !action || action_allows(*action);
}

bool permissive_action(std::string_view action) {
  return action == "allow" || action == "log";
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// The names an allow or deny entry stands for.
std::vector<std::string_view> expand(const LocatedString& entry) {
  if (!entry.value.starts_with('@')) return {entry.value};
  auto members = expand_syscall_group(entry.value);
  return members ? *members : std::vector<std::string_view>{};
}

// Where a syscall the filter allows was granted, for the finding's position and message.
struct GrantSite {
  SourcePos pos;
  std::string via;                    // " (listed in 'allow')", " (through '@system-service')"
  const SeccompRule* rule = nullptr;  // when an allow rule grants it
};

GrantSite grant_site(const LintInput& in, std::string_view name) {
  const SeccompSection& seccomp = in.policy.seccomp;
  bool denied = false;
  for (const LocatedString& entry : seccomp.deny) {
    const auto names = expand(entry);
    denied = denied || std::ranges::find(names, name) != names.end();
  }
  for (const LocatedString& entry : seccomp.reopen) {
    const auto names = expand(entry);
    if (std::ranges::find(names, name) != names.end()) denied = false;
  }
  if (!denied) {
    for (const LocatedString& entry : seccomp.allow) {
      if (entry.value == name) return {entry.pos, " (listed in 'allow')"};
    }
    for (const LocatedString& entry : seccomp.allow) {
      const auto names = expand(entry);
      if (std::ranges::find(names, name) != names.end()) {
        return {entry.pos, " (through " + quoted(entry.value) + ")"};
      }
    }
  }
  for (const SeccompRule& rule : seccomp.rules) {
    if (rule.syscall.value == name && permissive_action(rule.action.value)) {
      return {rule.syscall.pos, " (by a [[seccomp.rule]])", &rule};
    }
  }
  if (seccomp.default_action && permissive_action(seccomp.default_action->value)) {
    return {seccomp.default_action->pos,
            " (default_action = \"" + seccomp.default_action->value + "\")"};
  }
  return {seccomp.pos, {}};
}

bool has_allow_rule(const SeccompSection& seccomp, std::string_view name) {
  return std::ranges::any_of(seccomp.rules, [&](const SeccompRule& rule) {
    return rule.syscall.value == name && permissive_action(rule.action.value);
  });
}

// The dangerous flags of `call` the filter lets through: each flag is tried alone and together
// with the harmless value a normal program passes.
std::vector<std::string_view> allowed_flags(const PlanData& plan, int nr,
                                            const DangerousSyscall& call) {
  std::vector<std::string_view> flags;
  const auto index = static_cast<size_t>(call.flags_arg);
  for (const DangerousFlag& flag : call.flags) {
    Args alone{}, with_harmless{};
    alone[index] = flag.value;
    with_harmless[index] = flag.value | call.harmless_value;
    if (filter_allows(plan, nr, alone) || filter_allows(plan, nr, with_harmless)) {
      flags.push_back(flag.name);
    }
  }
  return flags;
}

std::string join(std::span<const std::string_view> words, std::string_view separator) {
  std::string out;
  for (const std::string_view word : words) {
    if (!out.empty()) out += separator;
    out += word;
  }
  return out;
}

}  // namespace

void check_seccomp_missing(const LintInput& in, std::vector<LintFinding>& out) {
  if (in.policy.seccomp.present) return;
  out.push_back(make_finding("seccomp-missing", in.section_or_name("seccomp"),
                             "no [seccomp] section: the target may make every system call"));
}

void check_seccomp_default_permissive(const LintInput& in, std::vector<LintFinding>& out) {
  const auto& action = in.policy.seccomp.default_action;
  if (!in.policy.seccomp.present || !action || !permissive_action(action->value)) return;
  out.push_back(make_finding("seccomp-default-permissive", action->pos,
                             "default_action = \"" + action->value +
                                 "\": every system call the policy does not name is allowed",
                             action->value));
}

void check_dangerous_syscalls(const LintInput& in, std::vector<LintFinding>& out) {
  if (!in.policy.seccomp.present) {
    out.push_back(make_finding("dangerous-syscall", in.section_or_name("seccomp"),
                               "without a seccomp filter every dangerous system call is allowed "
                               "(ptrace, bpf, mount, init_module, ...)",
                               {}, 1.0,
                               "add a [seccomp] section with default_action = \"kill-process\""));
    return;
  }
  for (const DangerousSyscall& call : dangerous_syscalls()) {
    const int nr = seccomp_syscall_resolve_name(std::string(call.name).c_str());
    if (nr < 0) continue;  // not a call of this architecture
    const GrantSite site = grant_site(in, call.name);
    std::string what;
    std::string hint;
    if (call.flags_arg >= 0) {
      const auto flags = allowed_flags(in.plan, nr, call);
      if (flags.empty()) continue;
      what = quoted(call.name) + " is allowed with " + join(flags, ", ");
      std::vector<std::string_view> all;
      for (const DangerousFlag& flag : call.flags)
        all.push_back(flag.name);
      hint = "allow from @service, which refuses these flags, or add a [[seccomp.rule]] for " +
             quoted(call.name) + " (it narrows what allow grants): args = [{ index = " +
             std::to_string(call.flags_arg) + ", op = \"masked-eq\", mask = \"" + join(all, "|") +
             "\", value = 0 }]";
    } else {
      const bool by_argument_rule = site.rule && !site.rule->args.empty();
      const bool unconditional = filter_allows(in.plan, nr, Args{}) && !by_argument_rule;
      // A rule that checks arguments still lets some calls through; lint cannot tell which
      // uses are safe, so the rule needs a reason like any other grant.
      if (!unconditional && !has_allow_rule(in.policy.seccomp, call.name)) continue;
      what = quoted(call.name) + (unconditional ? " is allowed" : " is allowed for some arguments");
      hint = "add " + quoted(call.name) +
             " to 'deny'; if the service needs it, allow it with a "
             "[[seccomp.rule]] that has a reason, or [lint] allow with items = [\"" +
             std::string(call.name) + "\"]";
    }
    LintFinding finding =
        make_finding("dangerous-syscall", site.pos, what + site.via + ": " + std::string(call.why),
                     std::string(call.name), call.weight, hint);
    if (site.rule && site.rule->reason && !site.rule->reason->value.empty()) {
      finding.suppressed = true;
      finding.reason = site.rule->reason->value;
      finding.suppressed_at = site.rule->reason->pos;
    }
    out.push_back(std::move(finding));
  }
}

void check_seccomp_reopen(const LintInput& in, std::vector<LintFinding>& out) {
  const SeccompSection& seccomp = in.policy.seccomp;
  for (const LocatedString& entry : seccomp.reopen) {
    std::string denied_by;
    for (const LocatedString& deny : seccomp.deny) {
      const auto names = expand(deny);
      const auto reopened = expand(entry);
      const bool overlaps = std::ranges::any_of(reopened, [&](std::string_view name) {
        return std::ranges::find(names, name) != names.end();
      });
      if (overlaps && denied_by.empty()) {
        denied_by = deny.pos.file + ":" + std::to_string(deny.pos.line);
      }
    }
    if (denied_by.empty()) continue;  // reopens nothing; compile_seccomp() warns
    out.push_back(make_finding(
        "seccomp-reopen", entry.pos,
        quoted(entry.value) + " is taken back out of deny (denied at " + denied_by + ")",
        entry.value));
  }
}

void check_foreign_architectures(const LintInput& in, std::vector<LintFinding>& out) {
  const SeccompSection& seccomp = in.policy.seccomp;
  if (!seccomp.present) {
    out.push_back(make_finding("seccomp-foreign-arch", in.section_or_name("seccomp"),
                               "without a seccomp filter, system calls through the i386 and x32 "
                               "ABIs are allowed too"));
    return;
  }
  if (!seccomp.architectures) return;
  const uint32_t native = seccomp_arch_native();
  for (const LocatedString& arch : *seccomp.architectures) {
    if (arch.value == "native") continue;
    if (seccomp_arch_resolve_name(arch.value.c_str()) == native) continue;
    out.push_back(make_finding("seccomp-foreign-arch", arch.pos,
                               "architecture " + quoted(arch.value) +
                                   " is allowed: a second system-call table with other numbers, "
                                   "which filters and audits often miss",
                               arch.value));
  }
}

}  // namespace harden::lint
