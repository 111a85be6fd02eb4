#include "plan/seccomp_model.hpp"

#include <algorithm>

namespace harden {

bool SeccompCompare::holds(uint64_t argument) const {
  switch (op) {
    case Op::eq:
      return argument == value;
    case Op::ne:
      return argument != value;
    case Op::lt:
      return argument < value;
    case Op::le:
      return argument <= value;
    case Op::gt:
      return argument > value;
    case Op::ge:
      return argument >= value;
    case Op::masked_eq:
      return (argument & mask) == value;
  }
  return false;
}

bool SeccompCase::holds(std::span<const uint64_t, 6> args) const {
  return std::ranges::all_of(
      all_of, [&](const SeccompCompare& c) { return c.index < 6 && c.holds(args[c.index]); });
}

bool seccomp_action_permits(uint32_t action) {
  const uint32_t kind = action & SECCOMP_RET_ACTION_FULL;
  return kind == SECCOMP_RET_ALLOW || kind == SECCOMP_RET_LOG;
}

int seccomp_action_errno_value(uint32_t action) {
  if ((action & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ERRNO) return -1;
  return static_cast<int>(action & SECCOMP_RET_DATA);
}

uint32_t SyscallDecision::decide(std::span<const uint64_t, 6> args) const {
  for (const SeccompCase& c : cases) {
    if (c.holds(args)) return c.action;
  }
  return otherwise;
}

std::vector<uint32_t> SyscallDecision::reachable_actions() const {
  std::vector<uint32_t> actions;
  for (const SeccompCase& c : cases) {
    actions.push_back(c.action);
    if (c.all_of.empty()) return actions;
  }
  actions.push_back(otherwise);
  return actions;
}

bool SyscallDecision::always_allowed() const {
  return std::ranges::all_of(reachable_actions(), seccomp_action_permits);
}

bool SyscallDecision::never_allowed() const {
  return std::ranges::none_of(reachable_actions(), seccomp_action_permits);
}

bool SyscallDecision::conditionally_allowed() const {
  return !always_allowed() && !never_allowed();
}

std::vector<const SeccompCase*> SyscallDecision::allowing_cases() const {
  std::vector<const SeccompCase*> out;
  for (const SeccompCase& c : cases) {
    if (seccomp_action_permits(c.action)) out.push_back(&c);
  }
  return out;
}

const SyscallDecision* SeccompModel::find(std::string_view name) const {
  const auto it = std::ranges::lower_bound(calls, name, {}, &SyscallDecision::name);
  return it != calls.end() && it->name == name ? &*it : nullptr;
}

uint32_t SeccompModel::decide(std::string_view name, std::array<uint64_t, 6> args) const {
  if (!enabled) return SECCOMP_RET_ALLOW;
  const SyscallDecision* call = find(name);
  return call ? call->decide(args) : default_action;
}

bool SeccompModel::always_allowed(std::string_view name) const {
  if (!enabled) return true;
  const SyscallDecision* call = find(name);
  return call ? call->always_allowed() : seccomp_action_permits(default_action);
}

bool SeccompModel::ever_allowed(std::string_view name) const {
  if (!enabled) return true;
  const SyscallDecision* call = find(name);
  return call ? !call->never_allowed() : seccomp_action_permits(default_action);
}

std::vector<std::string> SeccompModel::always_allowed_names() const {
  std::vector<std::string> names;
  for (const SyscallDecision& call : calls) {
    if (call.always_allowed()) names.push_back(call.name);
  }
  return names;
}

}  // namespace harden
