#include "export/seccomp_view.hpp"

#include <seccomp.h>

#include <algorithm>

#include "compiler/seccomp.hpp"
#include "plan/constants.hpp"

namespace harden {

namespace {

uint64_t resolve(const ArgValue& value) {
  if (value.number) return *value.number;
  return evaluate_constant_expression(value.symbol).value_or(0);
}

}  // namespace

int seccomp_action_errno(const std::string& action) {
  constexpr std::string_view kPrefix = "errno:";
  if (!action.starts_with(kPrefix)) return -1;
  return errno_from_name(std::string_view(action).substr(kPrefix.size())).value_or(-1);
}

std::string native_architecture_name() {
  switch (seccomp_arch_native()) {
    case SCMP_ARCH_X86_64:
      return "x86_64";
    case SCMP_ARCH_AARCH64:
      return "aarch64";
    default:
      return "native";
  }
}

SeccompView seccomp_view(const SeccompSection& section) {
  SeccompView view;
  if (!section.present) return view;
  view.enabled = true;
  if (section.default_action) view.default_action = section.default_action->value;
  view.log_denials = section.log_denials && section.log_denials->value;
  if (section.architectures) {
    for (const LocatedString& arch : *section.architectures) {
      const std::string name = arch.value == native_architecture_name() ? "native" : arch.value;
      if (std::ranges::find(view.architectures, name) == view.architectures.end()) {
        view.architectures.push_back(name);
      }
    }
  } else {
    view.architectures = {"native"};
  }

  // One answer: the compiler's own resolution (grants, deny, groups' conditions, rules).
  SeccompDecisions decisions = seccomp_decisions(section);
  const auto view_of = [](const SeccompRule& rule) {
    SeccompRuleView out{rule.syscall.value, {}, rule.action.value, rule.pos};
    for (const SeccompArg& arg : rule.args) {
      SeccompArgView a;
      a.index = static_cast<unsigned>(arg.index.value);
      a.op = arg.op.value;
      a.value = resolve(arg.value);
      if (arg.mask) a.mask = resolve(*arg.mask);
      a.width64 = arg.width && arg.width->value == 64;
      out.args.push_back(a);
    }
    return out;
  };
  for (const SeccompRule& rule : decisions.rules)
    view.rules.push_back(view_of(rule));
  // "Allowed unless a refusing rule matches" has no direct spelling for the exporters: an allow
  // rule that always matches (masked-eq with mask 0) after the refusing ones, which win over it.
  for (const std::string& name : decisions.allowed_otherwise) {
    view.rules.push_back(
        {name, {SeccompArgView{0, "masked-eq", 0, 0, false}}, "allow", section.pos});
  }
  const std::vector<std::string>& allowed = decisions.allowed;
  view.allowed.assign(allowed.begin(), allowed.end());
  return view;
}

}  // namespace harden
