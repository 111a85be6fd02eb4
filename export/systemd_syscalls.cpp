// The syscall filter of a --native unit, read from the decision model (plan/seccomp_model.hpp).
// systemd filters calls by name, not by argument, except through a few directives that are
// argument filters in disguise: RestrictNamespaces= (clone, unshare, setns flags),
// RestrictAddressFamilies= (socket's first argument) and LockPersonality= (personality). A call
// the policy allows only under conditions none of those expresses is allowed whole: the closest
// rule that still runs the service, named in the unit's header and on stderr as wider than the
// policy. Leaving such a call out would kill the service at its first thread or socket.
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>

#include "compiler/syscall_groups.hpp"
#include "export/systemd_unit.hpp"
#include "plan/bpf_eval.hpp"

namespace harden::systemd_unit {

namespace {

constexpr uint64_t kNamespaceFlags = 0x7E020080;  // NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|
                                                  // NEWPID|NEWNET|NEWTIME
constexpr uint64_t kCloneNamespaceFlags = kNamespaceFlags & ~0x80ULL;  // NEWTIME is CSIGNAL's

std::string family_name(uint64_t value) {
  static const std::map<uint64_t, std::string> kFamilies{
      {1, "AF_UNIX"},    {2, "AF_INET"},      {10, "AF_INET6"}, {16, "AF_NETLINK"},
      {17, "AF_PACKET"}, {38, "AF_ALG"},      {40, "AF_VSOCK"}, {44, "AF_XDP"},
      {4, "AF_IPX"},     {5, "AF_APPLETALK"}, {9, "AF_X25"},    {31, "AF_BLUETOOTH"}};
  const auto it = kFamilies.find(value);
  return it == kFamilies.end() ? "" : it->second;
}

// The value a case requires of the low 32 bits of argument `index`, when it pins them.
std::optional<uint64_t> pinned_low32(const SeccompCase& c, unsigned index) {
  for (const SeccompCompare& cmp : c.all_of) {
    if (cmp.index != index) continue;
    if (cmp.op == SeccompCompare::Op::masked_eq && (cmp.mask & 0xffffffffu) == 0xffffffffu) {
      return cmp.value & 0xffffffffu;
    }
    if (cmp.op == SeccompCompare::Op::eq) return cmp.value & 0xffffffffu;
  }
  return std::nullopt;
}

// The case cannot hold with any of `flags` set in argument 0.
bool forbids_flags(const SeccompCase& c, uint64_t flags) {
  return std::ranges::any_of(c.all_of, [&](const SeccompCompare& cmp) {
    if (cmp.index != 0) return false;
    if (cmp.op == SeccompCompare::Op::masked_eq) {
      return (cmp.mask & flags) == flags && (cmp.value & flags) == 0;
    }
    return cmp.op == SeccompCompare::Op::eq && (cmp.value & flags) == 0;
  });
}

// The call makes no namespace whatever its arguments: not allowed, or allowed only by cases
// that keep every CLONE_NEW* flag clear.
bool namespace_free(const SeccompModel& model, std::string_view name, uint64_t flags) {
  const SyscallDecision* call = model.find(name);
  if (call == nullptr) return !seccomp_action_permits(model.default_action);
  if (seccomp_action_permits(call->otherwise)) return false;
  return std::ranges::all_of(call->allowing_cases(),
                             [&](const SeccompCase* c) { return forbids_flags(*c, flags); });
}

// The call's only condition is "no namespace flag": one allowing case, one masked equality of
// argument 0 with value 0 and a mask of namespace flags covering `flags`, nothing refusing.
bool namespace_rule_exact(const SeccompModel& model, std::string_view name, uint64_t flags) {
  const SyscallDecision* call = model.find(name);
  if (call == nullptr || !call->conditionally_allowed()) return true;
  if (call->cases.size() != 1 || seccomp_action_permits(call->otherwise)) return false;
  const SeccompCase& only = call->cases.front();
  if (!seccomp_action_permits(only.action) || only.all_of.size() != 1) return false;
  const SeccompCompare& cmp = only.all_of.front();
  return cmp.index == 0 && cmp.op == SeccompCompare::Op::masked_eq && cmp.value == 0 &&
         (cmp.mask & flags) == flags && (cmp.mask & ~kNamespaceFlags) == 0;
}

// personality() only for the query (0xffffffff) or PER_LINUX (0).
bool personality_locked(const SeccompModel& model) {
  const SyscallDecision* call = model.find("personality");
  if (call == nullptr) return !seccomp_action_permits(model.default_action);
  if (seccomp_action_permits(call->otherwise)) return false;
  return std::ranges::all_of(call->allowing_cases(), [](const SeccompCase* c) {
    const auto value = pinned_low32(*c, 0);
    return value && (*value == 0 || *value == 0xffffffffu);
  });
}

std::string architectures_line(const SeccompModel& model) {
  std::string archs;
  for (const std::string& arch : model.architectures) {
    const std::string word = arch == "x86_64" ? "x86-64" : arch;  // x86, x32, arm alike
    archs += (archs.empty() ? "" : " ") + word;
  }
  return "SystemCallArchitectures=" + archs;
}

void filter_lines(DropIn& unit, const std::string& prefix, const std::vector<std::string>& names) {
  std::string line;
  for (const std::string& name : names) {
    if (line.size() + name.size() > 90) {
      unit.line(prefix + line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + name;
  }
  if (!line.empty()) unit.line(prefix + line);
}

// The errno name of an action for "NAME:ERRNO" (systemd takes errno names).
std::string errno_word(uint32_t action) {
  const std::string text = describe_seccomp_action(action);  // "errno:EPERM"
  return text.starts_with("errno:") ? text.substr(6) : "";
}

// Whether what the call refuses is exactly a set-user-ID or set-group-ID mode (restrict_suid_
// sgid's rules, or rules like them), which RestrictSUIDSGID= says; anything else it allows.
bool suid_sgid_rule_exact(const SeccompModel& model, std::string_view name) {
  const SyscallDecision* call = model.find(name);
  if (call == nullptr || !call->conditionally_allowed()) return true;
  if (!seccomp_action_permits(call->otherwise)) return false;
  return std::ranges::all_of(call->cases, [](const SeccompCase& c) {
    if (seccomp_action_permits(c.action)) return false;  // an allow case: a narrower rule
    return std::ranges::any_of(c.all_of, [](const SeccompCompare& cmp) {
      return cmp.op == SeccompCompare::Op::masked_eq && cmp.mask == cmp.value &&
             (cmp.mask == S_ISUID || cmp.mask == S_ISGID);
    });
  });
}

}  // namespace

// Whether some call RestrictSUIDSGID= filters can give a file a set-user-ID or set-group-ID
// mode under this filter: asked of the decision model with the mode bit set, creating flags
// where the call takes flags, and every other argument all zeros, then all ones (the policy's
// restrict_suid_sgid rules, or rules like them, refuse on the bit whatever the rest). openat2
// keeps its mode in memory: allowed at all, it counts.
bool allows_suid_sgid_mode(const SeccompModel& view) {
  if (view.ever_allowed("io_uring_setup") || view.ever_allowed("openat2")) return true;
  for (const ModeSettingCall& call : mode_setting_calls()) {
    for (const uint64_t bit : {uint64_t{S_ISUID}, uint64_t{S_ISGID}}) {
      for (const uint64_t rest : {uint64_t{0}, ~uint64_t{0}}) {
        for (const uint64_t creating : {uint64_t{O_CREAT}, uint64_t{O_TMPFILE}}) {
          std::array<uint64_t, 6> args;
          args.fill(rest);
          args[call.mode] = (rest & ~uint64_t{S_ISUID | S_ISGID}) | bit;
          if (call.flags >= 0) args[call.flags] = (rest & ~uint64_t{O_TMPFILE}) | creating;
          const uint32_t action = view.decide(call.name, args) & SECCOMP_RET_ACTION_FULL;
          if (action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG) return true;
          if (call.flags < 0) break;  // no flags: one ask is enough
        }
      }
    }
  }
  return false;
}

SyscallFacts syscall_directives(const Policy& policy, const SeccompModel& model, DropIn& unit,
                                Diagnostics& diags) {
  SyscallFacts facts;
  if (!model.enabled) return facts;
  facts.filtered = true;
  const SourcePos default_pos = source_pos(model.default_why.origin);
  const bool default_allows = seccomp_action_permits(model.default_action);

  // socket(): families systemd can restrict instead of filtering the argument.
  std::set<std::string> handled;  // conditional calls a directive expresses
  if (const SyscallDecision* socket = model.find("socket");
      socket && socket->conditionally_allowed()) {
    std::vector<std::string> families;
    bool exact = true;
    bool ok = true;
    const bool refuses_listed = seccomp_action_permits(socket->otherwise);
    for (const SeccompCase& c : socket->cases) {
      // allow list: allowing cases name families; deny list: refusing cases do.
      if (seccomp_action_permits(c.action) == refuses_listed) continue;
      const auto family = pinned_low32(c, 0);
      const std::string name = family ? family_name(*family) : "";
      if (name.empty()) {
        ok = false;
        break;
      }
      exact = exact && c.all_of.size() == 1;
      if (std::ranges::find(families, name) == families.end()) families.push_back(name);
    }
    if (ok && !families.empty() && (exact || !refuses_listed)) {
      (refuses_listed ? facts.families_denied : facts.families) = families;
      handled.insert("socket");
      if (!exact) {
        unit.superset(diags, source_pos(socket->cases.front().why.origin),
                      "socket(): only the address family is restricted "
                      "(RestrictAddressFamilies=), not its other arguments");
      }
    }
  }
  facts.restrict_namespaces = !default_allows && !model.ever_allowed("setns") &&
                              !model.always_allowed("clone3") &&
                              namespace_free(model, "clone", kCloneNamespaceFlags) &&
                              namespace_free(model, "unshare", kNamespaceFlags);
  if (facts.restrict_namespaces) {
    // RestrictNamespaces= says exactly "no CLONE_NEW* flag": a call whose cases say more (other
    // flags, other arguments) is allowed whole beyond that, and named as wider below.
    for (const auto& [name, flags] :
         {std::pair<const char*, uint64_t>{"clone", kCloneNamespaceFlags},
          {"unshare", kNamespaceFlags}}) {
      if (namespace_rule_exact(model, name, flags)) handled.insert(name);
    }
  }
  facts.lock_personality = !default_allows && personality_locked(model);
  if (facts.lock_personality) handled.insert("personality");
  // RestrictSUIDSGID= (emitted by view_directives() when no mode can be set) says the refusals
  // of restrict_suid_sgid: the calls are allowed whole besides.
  if (!default_allows && !allows_suid_sgid_mode(model)) {
    for (const ModeSettingCall& call : mode_setting_calls()) {
      if (suid_sgid_rule_exact(model, call.name)) handled.insert(std::string(call.name));
    }
  }
  facts.no_sockets = !default_allows && !model.ever_allowed("socket") &&
                     !model.ever_allowed("socketcall") && !model.ever_allowed("io_uring_setup");

  if (default_allows) {
    // Deny-list mode: calls never allowed are listed; a call refused only for some arguments
    // stays allowed (wider), so the service keeps running.
    std::map<std::string, std::vector<std::string>> denied;  // errno word ("" kill) -> names
    for (const SyscallDecision& call : model.calls) {
      if (call.never_allowed()) {
        const uint32_t action = call.cases.empty() ? call.otherwise : call.cases.front().action;
        denied[errno_word(action)].push_back(call.name);
      } else if (call.conditionally_allowed() && !handled.contains(call.name)) {
        unit.superset(diags, source_pos(call.cases.front().why.origin),
                      "argument conditions on '" + call.name + "' (the unit allows '" + call.name +
                          "' whatever its arguments)");
      }
    }
    for (const auto& [word, names] : denied) {
      if (word.empty()) {
        filter_lines(unit, "SystemCallFilter=~", names);
      } else {
        std::vector<std::string> with_errno;
        for (const std::string& name : names)
          with_errno.push_back(name + ":" + word);
        filter_lines(unit, "SystemCallFilter=~", with_errno);
      }
    }
  } else {
    std::vector<std::string> allow;
    std::vector<std::string> other_refusals;  // "name:ERRNO" refused otherwise than default
    for (const SyscallDecision& call : model.calls) {
      if (call.always_allowed()) {
        allow.push_back(call.name);
      } else if (call.conditionally_allowed()) {
        allow.push_back(call.name);
        if (!handled.contains(call.name)) {
          unit.superset(diags, source_pos(call.cases.front().why.origin),
                        "argument conditions on '" + call.name + "' (the unit allows '" +
                            call.name + "' whatever its arguments)");
        }
      } else {
        // Never allowed. Another errno than the default action's is said per call; any other
        // refusal than the default's (trap, kill-thread) becomes the default action.
        const uint32_t action = call.cases.empty() ? call.otherwise : call.cases.front().action;
        const std::string word = errno_word(action);
        if (action != model.default_action && !word.empty()) {
          other_refusals.push_back(call.name + ":" + word);
        }
      }
    }
    unit.comment("the policy's syscall allow list (@default is always allowed, as by harden)");
    filter_lines(unit, "SystemCallFilter=", allow);
    if (!other_refusals.empty()) {
      // After an allow list, systemd 252 takes "~NAME:ERRNO" as that call's answer (checked
      // in tests/kernel/test_systemd.cpp); clone3's ENOSYS lets the C library fall back to
      // clone, as under harden.
      unit.comment(
          "calls refused with their own errno (clone3's ENOSYS: the C library falls "
          "back to clone)");
      filter_lines(unit, "SystemCallFilter=~", other_refusals);
    }
    const std::string word = errno_word(model.default_action);
    if (!word.empty()) {
      unit.line("SystemCallErrorNumber=" + word);
    } else if ((model.default_action & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_KILL_PROCESS) {
      unit.missing(diags, default_pos,
                   "default_action \"" + describe_seccomp_action(model.default_action) +
                       "\" (systemd kills the process instead)");
    }
  }
  unit.line(architectures_line(model));
  if (model.log_denials) {
    unit.missing(diags, policy.seccomp.log_denials->pos,
                 "log_denials (SECCOMP_FILTER_FLAG_LOG); the audit log stays silent");
  }
  return facts;
}

}  // namespace harden::systemd_unit
