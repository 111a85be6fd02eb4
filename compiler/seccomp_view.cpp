#include "compiler/seccomp_view.hpp"

#include <seccomp.h>

#include <algorithm>
#include <set>

#include "compiler/plan/constants.hpp"
#include "compiler/syscall_groups.hpp"

namespace harden {

namespace {

std::vector<std::string> expand(const std::string& entry) {
  if (!entry.starts_with('@')) return {entry};
  auto members = expand_syscall_group(entry);
  if (!members) return {};  // cannot happen for a policy that compiled
  return {members->begin(), members->end()};
}

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

  std::set<std::string> allowed;
  for (const std::string& name : expand(std::string(kDefaultSyscallGroup)))
    allowed.insert(name);
  const std::set<std::string> always(allowed);
  for (const LocatedString& entry : section.allow) {
    for (std::string& name : expand(entry.value))
      allowed.insert(std::move(name));
  }
  if (view.default_action != "allow") {
    for (const LocatedString& entry : section.deny) {
      for (const std::string& name : expand(entry.value)) {
        if (!always.contains(name)) allowed.erase(name);
      }
    }
  }
  for (const SeccompRule& rule : section.rules) {
    if (rule.args.empty() && rule.action.value == "allow") allowed.insert(rule.syscall.value);
  }
  for (const SeccompRule& rule : section.rules) {
    // Rules on an unconditionally allowed call have no effect (compile_seccomp() warns, or
    // refuses a restricting one), and neither do rules whose action is the default.
    if (allowed.contains(rule.syscall.value) || rule.action.value == view.default_action) {
      continue;
    }
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
    view.rules.push_back(std::move(out));
  }
  view.allowed.assign(allowed.begin(), allowed.end());
  return view;
}

}  // namespace harden
