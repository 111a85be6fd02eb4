// The [seccomp] section resolved: architectures, actions, syscall and group names, what the
// allow entries grant (with the groups' argument conditions), what deny and reopen take away,
// and the rules, split into refusing and permissive ones. No libseccomp filter is built here;
// see the top of seccomp.cpp for the filter's shape and why.
#include "compiler/seccomp_resolve.hpp"

#include <seccomp.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <utility>

#include "compiler/syscall_groups.hpp"
#include "plan/constants.hpp"

namespace harden::seccomp_bpf {
namespace {

constexpr int kSyscallNumbersScanned = 1024;  // libseccomp knows no ABI's calls beyond this
// A rule on 32-bit arguments becomes several libseccomp rules (see compile_arg); past this many
// the filter grows faster than it helps.
constexpr size_t kMaxAlternativesPerRule = 256;

// ---- small helpers -----------------------------------------------------------------------

std::string suggest(std::string_view word, std::span<const std::string> candidates,
                    std::string fallback = {}) {
  const std::string_view best = nearest_name(word, candidates);
  return best.empty() ? fallback : "did you mean " + quoted(best) + "?";
}

// ---- architectures -----------------------------------------------------------------------

struct ArchName {
  std::string_view name;
  uint32_t token;
};

// libseccomp's spelling (seccomp_arch_resolve_name), used for messages and suggestions.
// clang-format off
constexpr ArchName kArchNames[] = {
    {"x86", SCMP_ARCH_X86}, {"x86_64", SCMP_ARCH_X86_64}, {"x32", SCMP_ARCH_X32},
    {"arm", SCMP_ARCH_ARM}, {"aarch64", SCMP_ARCH_AARCH64}, {"mips", SCMP_ARCH_MIPS},
    {"mipsel", SCMP_ARCH_MIPSEL}, {"mips64", SCMP_ARCH_MIPS64}, {"mipsel64", SCMP_ARCH_MIPSEL64},
    {"mips64n32", SCMP_ARCH_MIPS64N32}, {"mipsel64n32", SCMP_ARCH_MIPSEL64N32},
    {"ppc", SCMP_ARCH_PPC}, {"ppc64", SCMP_ARCH_PPC64}, {"ppc64le", SCMP_ARCH_PPC64LE},
    {"s390", SCMP_ARCH_S390}, {"s390x", SCMP_ARCH_S390X}, {"parisc", SCMP_ARCH_PARISC},
    {"parisc64", SCMP_ARCH_PARISC64}, {"riscv64", SCMP_ARCH_RISCV64},
};
// clang-format on

std::string_view arch_name_of(uint32_t token) {
  for (const ArchName& arch : kArchNames) {
    if (arch.token == token) return arch.name;
  }
  return "unknown";
}

// The ABIs a kernel of the native architecture runs besides its own (compat syscall entries);
// any other architecture in the filter would be dead code.
std::vector<uint32_t> runnable_architectures(uint32_t native) {
  static constexpr std::pair<uint32_t, uint32_t> kCompat[] = {{SCMP_ARCH_X86_64, SCMP_ARCH_X86},
                                                              {SCMP_ARCH_X86_64, SCMP_ARCH_X32},
                                                              {SCMP_ARCH_AARCH64, SCMP_ARCH_ARM},
                                                              {SCMP_ARCH_S390X, SCMP_ARCH_S390},
                                                              {SCMP_ARCH_PPC64, SCMP_ARCH_PPC}};
  std::vector<uint32_t> runnable{native};
  for (const auto& [host, compat] : kCompat) {
    if (host == native) runnable.push_back(compat);
  }
  return runnable;
}

// x32 programs run with the x86_64 audit arch and bit 30 set in the syscall number.
uint32_t audit_arch_of(uint32_t token) {
  return token == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : token;
}

std::optional<uint32_t> max_known_syscall(uint32_t token) {
  const int base = token == SCMP_ARCH_X32 ? static_cast<int>(kX32SyscallBit) : 0;
  std::optional<uint32_t> max;
  for (int nr = base; nr < base + kSyscallNumbersScanned; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(token, nr);
    if (name == nullptr) continue;
    std::free(name);
    max = static_cast<uint32_t>(nr);
  }
  return max;
}

// The filter's architectures, native first. Errors for unknown names, for architectures this
// kernel cannot run, and for a list without the native one (harden's own execve is native).
std::vector<FilterArch> resolve_architectures(const SeccompSection& section, Diagnostics& diags) {
  const uint32_t native = seccomp_arch_native();
  std::vector<uint32_t> tokens{native};
  if (section.architectures) {
    const LocatedStrings& listed = *section.architectures;
    if (listed.empty()) {
      diags.error(section.pos, "'architectures' is empty",
                  "list at least \"native\"; every other ABI is refused");
    }
    std::vector<std::string_view> names{"native"};
    for (const ArchName& arch : kArchNames)
      names.push_back(arch.name);
    const std::vector<uint32_t> runnable = runnable_architectures(native);
    bool native_listed = false;
    for (const LocatedString& entry : listed) {
      const uint32_t token =
          entry.value == "native" ? native : seccomp_arch_resolve_name(entry.value.c_str());
      if (token == 0) {
        diags.error(entry.pos, "unknown architecture " + quoted(entry.value),
                    did_you_mean(entry.value, names, "use \"native\""));
        continue;
      }
      if (std::ranges::find(runnable, token) == runnable.end()) {
        std::string here;
        for (uint32_t r : runnable)
          here += (here.empty() ? "" : ", ") + std::string(arch_name_of(r));
        diags.error(entry.pos,
                    "architecture " + quoted(entry.value) + " does not run on this " +
                        std::string(arch_name_of(native)) + " kernel",
                    "architectures that do: " + here);
        continue;
      }
      if (token == native) native_listed = true;
      if (std::ranges::find(tokens, token) == tokens.end()) tokens.push_back(token);
    }
    if (!listed.empty() && !native_listed) {
      diags.error(listed.front().pos,
                  "'architectures' must include the native architecture (" +
                      quoted(arch_name_of(native)) + ")",
                  "harden's own execve of the target is a native system call");
    }
  }
  std::vector<FilterArch> archs;
  for (uint32_t token : tokens) {
    const std::optional<uint32_t> max = max_known_syscall(token);
    if (!max) {
      diags.error(section.pos, "libseccomp knows no system calls for architecture " +
                                   quoted(arch_name_of(token)));
      continue;
    }
    archs.push_back({token, audit_arch_of(token), *max});
  }
  return archs;
}

// ---- actions -----------------------------------------------------------------------------

// clang-format off
constexpr std::pair<std::string_view, uint32_t> kActions[] = {
    {"allow", SCMP_ACT_ALLOW}, {"kill-process", SCMP_ACT_KILL_PROCESS},
    {"kill-thread", SCMP_ACT_KILL_THREAD}, {"trap", SCMP_ACT_TRAP}, {"log", SCMP_ACT_LOG}};
// clang-format on

std::optional<uint32_t> parse_action(const LocatedString& text, Diagnostics& diags) {
  for (const auto& [word, action] : kActions) {
    if (text.value == word) return action;
  }
  constexpr std::string_view kErrnoPrefix = "errno:";
  if (text.value.starts_with(kErrnoPrefix)) {
    const std::string_view name = std::string_view(text.value).substr(kErrnoPrefix.size());
    if (const std::optional<int> value = errno_from_name(name)) return SCMP_ACT_ERRNO(*value);
    diags.error(text.pos, "unknown errno " + quoted(name),
                did_you_mean(name, errno_names(), "use an errno(3) name such as EPERM"));
    return std::nullopt;
  }
  std::vector<std::string_view> words{"errno:EPERM"};
  for (const auto& entry : kActions)
    words.push_back(entry.first);
  diags.error(text.pos, "unknown seccomp action " + quoted(text.value),
              did_you_mean(text.value, words,
                           "one of allow, kill-process, kill-thread, trap, log, errno:NAME"));
  return std::nullopt;
}

// ---- syscalls and groups -----------------------------------------------------------------

// libseccomp's number for a syscall the user named: the native number, or a negative pseudo
// number for a call that exists only on another architecture of the filter (libseccomp maps
// it per architecture). Unknown names and calls none of the filter's architectures have are
// errors.
std::optional<int> resolve_syscall(const LocatedString& name, std::span<const FilterArch> archs,
                                   Diagnostics& diags) {
  const int nr = seccomp_syscall_resolve_name(name.value.c_str());
  if (nr == __NR_SCMP_ERROR) {
    const std::string group = "@" + name.value;
    diags.error(name.pos, "unknown syscall " + quoted(name.value),
                find_syscall_group(group) != nullptr
                    ? "did you mean the group " + quoted(group) + "?"
                    : suggest(name.value, native_syscall_names()));
    return std::nullopt;
  }
  for (const FilterArch& arch : archs) {
    if (seccomp_syscall_resolve_name_arch(arch.token, name.value.c_str()) >= 0) return nr;
  }
  diags.error(name.pos,
              "syscall " + quoted(name.value) + " does not exist on " +
                  std::string(arch_name_of(seccomp_arch_native())),
              "it belongs to another architecture; list that one in 'architectures' to use it");
  return std::nullopt;
}

// The syscall names an allow or deny entry stands for (a name or an @group).
std::optional<std::vector<std::string>> expand_names(const LocatedString& entry,
                                                     std::span<const FilterArch> archs,
                                                     Diagnostics& diags) {
  if (entry.value.starts_with('@')) {
    auto members = expand_syscall_group(entry.value);
    if (!members) {
      if (find_syscall_group(entry.value) == nullptr) {
        diags.error(entry.pos, "unknown syscall group " + quoted(entry.value),
                    did_you_mean(entry.value, syscall_group_names()));
      } else {
        diags.error(entry.pos, members.error());
      }
      return std::nullopt;
    }
    return std::vector<std::string>(members->begin(), members->end());
  }
  if (!resolve_syscall(entry, archs, diags)) return std::nullopt;
  return std::vector<std::string>{entry.value};
}

// @default is always allowed: the enforcer loads the filter and then calls execve() under it,
// and the new program's loader needs these calls before main() (systemd makes the same
// promise for SystemCallFilter=).
void grant_default_group(Grants& grants) {
  auto members = expand_syscall_group(kDefaultSyscallGroup);
  if (!members) return;  // cannot happen: the table is tested
  for (std::string_view name : *members)
    grants.try_emplace(std::string(name), Grant{quoted(kDefaultSyscallGroup), {}, true});
}

// What the allow entries grant: names unconditionally, and each group's conditional members with
// their checks, unless something grants that call unconditionally (the wider grant wins).
void apply_allows(const SeccompSection& section, std::span<const FilterArch> archs, Grants& grants,
                  ConditionalGrants& conditional, Diagnostics& diags) {
  for (const LocatedString& entry : section.allow) {
    auto names = expand_names(entry, archs, diags);
    if (!names) continue;
    for (std::string& name : *names)
      grants.try_emplace(std::move(name), Grant{quoted(entry.value), entry.pos});
    if (!entry.value.starts_with('@')) continue;
    auto conditions = syscall_group_conditions(entry.value);
    if (!conditions) continue;  // expand_names() reported it
    for (const SyscallCondition& condition : *conditions) {
      auto [it, fresh] = conditional.try_emplace(
          std::string(condition.syscall), ConditionalGrant{quoted(entry.value), entry.pos, {}});
      // The first group that grants a call conditionally decides its checks.
      if (it->second.by == quoted(entry.value)) it->second.conditions.push_back(condition);
    }
  }
  std::erase_if(conditional, [&grants](const auto& entry) { return grants.contains(entry.first); });
}

// The names `reopen` takes back out of the deny list. Reopening a call nothing denies is a
// warning: it changes nothing, and is probably a typo or a stale line.
std::vector<std::string> reopened_names(const SeccompSection& section,
                                        std::span<const FilterArch> archs, Diagnostics& diags) {
  std::vector<std::string> denied;
  Diagnostics already_reported;  // apply_denies() reports the deny entries
  for (const LocatedString& entry : section.deny) {
    if (auto names = expand_names(entry, archs, already_reported)) {
      denied.insert(denied.end(), names->begin(), names->end());
    }
  }
  std::vector<std::string> reopened;
  for (const LocatedString& entry : section.reopen) {
    auto names = expand_names(entry, archs, diags);
    if (!names) continue;
    bool any = false;
    for (std::string& name : *names) {
      if (std::ranges::find(denied, name) == denied.end()) continue;
      any = true;
      reopened.push_back(std::move(name));
    }
    if (!any) {
      diags.warning(entry.pos,
                    "reopen " + quoted(entry.value) + " has no effect: nothing denies it",
                    "reopen takes a call back out of 'deny' (usually a base policy's)");
    }
  }
  return reopened;
}

// Removes deny entries (less what `reopen` takes back) from the grants, conditional ones
// included. A @default member cannot be removed; naming one directly is an error (the user
// expects it blocked), reaching one through a group a warning.
void apply_denies(const SeccompSection& section, std::span<const FilterArch> archs, Grants& grants,
                  ConditionalGrants& conditional, Diagnostics& diags) {
  const std::vector<std::string> reopened = reopened_names(section, archs, diags);
  for (const LocatedString& entry : section.deny) {
    auto names = expand_names(entry, archs, diags);
    if (!names) continue;
    std::string kept;
    for (const std::string& name : *names) {
      if (std::ranges::find(reopened, name) != reopened.end()) continue;
      conditional.erase(name);
      const auto it = grants.find(name);
      if (it == grants.end()) continue;
      if (it->second.always) {
        kept += (kept.empty() ? "" : ", ") + name;
        continue;
      }
      grants.erase(it);
    }
    if (kept.empty()) continue;
    const std::string why =
        "@default is always allowed: harden's own execve() and the program's start-up run "
        "under the filter";
    if (entry.value.starts_with('@')) {
      diags.warning(entry.pos, "deny " + quoted(entry.value) + " leaves " + kept + " allowed", why);
    } else {
      diags.error(entry.pos, "cannot deny " + quoted(entry.value) + ": it is in @default", why);
    }
  }
}

std::optional<CompiledRule> compile_rule(const SeccompRule& rule, std::span<const FilterArch> archs,
                                         Diagnostics& diags) {
  bool ok = true;
  std::optional<int> nr;
  if (rule.syscall.value.empty()) {
    diags.error(rule.pos, "rule has no syscall");
    ok = false;
  } else if (rule.syscall.value.starts_with('@')) {
    diags.error(rule.syscall.pos, "a rule names one syscall, not a group",
                "write one [[seccomp.rule]] per syscall");
    ok = false;
  } else {
    nr = resolve_syscall(rule.syscall, archs, diags);
    ok = ok && nr.has_value();
  }
  std::optional<uint32_t> action;
  if (rule.action.value.empty()) {
    diags.error(rule.pos, "rule has no action", "add action = \"allow\" or another action");
    ok = false;
  } else {
    action = parse_action(rule.action, diags);
    ok = ok && action.has_value();
  }
  std::vector<ArgCondition> conditions;
  for (const SeccompArg& arg : rule.args) {
    std::optional<ArgCondition> condition = compile_arg(arg, diags);
    if (!condition) {
      ok = false;
      continue;
    }
    for (const ArgCondition& earlier : conditions) {
      if (earlier.index == condition->index && (earlier.width64 || condition->width64)) {
        diags.error(arg.pos,
                    "argument " + std::to_string(condition->index) +
                        " is compared twice in this rule with width 64",
                    "libseccomp takes one 64-bit comparison per argument; use two rules");
        ok = false;
      }
    }
    conditions.push_back(std::move(*condition));
  }
  if (!ok) return std::nullopt;

  CompiledRule compiled{&rule, *nr, *action, {Conjunction{}}};
  for (const ArgCondition& condition : conditions) {
    if (condition.always) continue;
    std::vector<Conjunction> next;
    for (const Conjunction& alternative : compiled.alternatives) {
      for (const scmp_arg_cmp& cmp : condition.any_of) {
        if (auto both = and_with(alternative, cmp)) next.push_back(std::move(*both));
      }
    }
    if (next.size() > kMaxAlternativesPerRule) {
      diags.error(rule.pos,
                  "rule is too complex: its 32-bit comparisons need more than " +
                      std::to_string(kMaxAlternativesPerRule) + " filter rules",
                  "split it, or compare with eq or masked-eq, which need one each");
      return std::nullopt;
    }
    compiled.alternatives = std::move(next);
  }
  return compiled;
}

bool is_unconditional(const CompiledRule& rule) {
  return std::ranges::any_of(rule.alternatives, [](const Conjunction& c) { return c.empty(); });
}

// allow and log let the call run; every other action refuses it.
bool is_permissive(uint32_t action) {
  return action == SCMP_ACT_ALLOW || action == SCMP_ACT_LOG;
}

// A [[seccomp.rule]] for one group condition, placed at the allow entry that granted it.
SeccompRule condition_rule(std::string_view syscall, const SyscallArgCheck& check,
                           std::string action, const SourcePos& pos, std::string_view why) {
  SeccompArg arg;
  arg.index = {static_cast<int64_t>(check.index), pos};
  arg.op = {std::string(check.op), pos};
  arg.value = {std::nullopt, std::string(check.value), pos};
  if (!check.mask.empty()) arg.mask = ArgValue{std::nullopt, std::string(check.mask), pos};
  arg.pos = pos;
  return {{std::string(syscall), pos},
          {arg},
          {std::move(action), pos},
          pos,
          LocatedString{std::string(why), pos}};
}

void add_compiled(RuleSet& set, const SeccompRule& rule, std::span<const FilterArch> archs,
                  Diagnostics& diags) {
  auto compiled = compile_rule(rule, archs, diags);
  if (!compiled || compiled->alternatives.empty()) return;  // reported, or matches nothing
  (is_permissive(compiled->action) ? set.permissive : set.refusing).push_back(std::move(*compiled));
}

// restrict_suid_sgid: the refusing rules systemd's RestrictSUIDSGID= makes, at the key's line.
// A mode with S_ISUID or S_ISGID is refused (EPERM) to chmod and its kin and to the calls that
// create a file or directory with a mode (open and openat only with O_CREAT or O_TMPFILE, whose
// mode is otherwise ignored); openat2 keeps its mode in memory, where no filter looks, and is
// answered ENOSYS (the C library then uses openat). Rules only for calls something may let run.
void add_suid_sgid_rules(const Located<bool>& key, const std::set<std::string>& allowed,
                         std::span<const FilterArch> archs, RuleSet& set, Diagnostics& diags) {
  const SourcePos& pos = key.pos;
  const auto arg = [&](int index, const char* value, const char* mask) {
    SeccompArg a;
    a.index = {index, pos};
    a.op = {"masked-eq", pos};
    a.value = {std::nullopt, value, pos};
    a.mask = ArgValue{std::nullopt, mask, pos};
    a.pos = pos;
    return a;
  };
  const auto add = [&](std::string_view name, std::vector<SeccompArg> args, const char* action,
                       const char* why) {
    const std::string syscall(name);
    if (!allowed.contains(syscall) || seccomp_syscall_resolve_name(syscall.c_str()) < 0) return;
    const SeccompRule& rule = set.written.emplace_back(
        SeccompRule{{syscall, pos}, std::move(args), {action, pos}, pos, LocatedString{why, pos}});
    add_compiled(set, rule, archs, diags);
  };
  for (const char* bit : {"S_ISUID", "S_ISGID"}) {
    for (const ModeSettingCall& call : mode_setting_calls()) {
      if (call.flags < 0) {
        add(call.name, {arg(call.mode, bit, bit)}, "errno:EPERM",
            "restrict_suid_sgid: no set-user-ID or set-group-ID mode");
        continue;
      }
      for (const char* creating : {"O_CREAT", "O_TMPFILE"}) {
        add(call.name, {arg(call.flags, creating, creating), arg(call.mode, bit, bit)},
            "errno:EPERM", "restrict_suid_sgid: no file created set-user-ID or set-group-ID");
      }
    }
  }
  add("openat2", {}, "errno:ENOSYS",
      "restrict_suid_sgid: openat2's mode is in memory, where no filter looks; the C library "
      "falls back to openat");
}

// Turns the policy's rules and the groups' conditions into the filter's rules. A rule on a call
// is the user's intent for that call:
//  - a refusing rule always applies, whatever grants the call (never dropped);
//  - allow rules on a call that allow granted make the call allowed only as they say (the call
//    leaves the unconditional set), and still only as the group's conditions say;
//  - a call a group grants conditionally (SyscallCondition) without allow rules of the user's
//    gets the group's checks: allow_only ones as allow rules, refuse ones as refusing rules
//    with the default action.
// Calls in @default stay unconditional: rules on them are warned about or refused.
RuleSet resolve_rules(const SeccompSection& section, std::span<const FilterArch> archs,
                      uint32_t default_action, Grants& grants, ConditionalGrants& conditional,
                      Diagnostics& diags) {
  std::vector<CompiledRule> rules;
  for (const SeccompRule& rule : section.rules) {
    if (auto compiled = compile_rule(rule, archs, diags)) rules.push_back(std::move(*compiled));
  }
  // An argument-free allow rule is an allow entry written long-hand.
  for (const CompiledRule& rule : rules) {
    if (rule.action == SCMP_ACT_ALLOW && is_unconditional(rule)) {
      const std::string by = "the rule at line " + std::to_string(rule.source->pos.line);
      grants.try_emplace(rule.source->syscall.value,
                         Grant{by, rule.source->pos, false, rule.source});
      conditional.erase(rule.source->syscall.value);
    }
  }
  const Grants granted_before = grants;
  RuleSet set;
  if (section.restrict_suid_sgid && section.restrict_suid_sgid->value) {
    std::set<std::string> allowed;
    for (const auto& [name, grant] : grants)
      allowed.insert(name);
    for (const auto& [name, group] : conditional)
      allowed.insert(name);
    for (const CompiledRule& rule : rules) {
      if (is_permissive(rule.action)) allowed.insert(rule.source->syscall.value);
    }
    if (default_action == SCMP_ACT_ALLOW || default_action == SCMP_ACT_LOG) {
      for (const ModeSettingCall& call : mode_setting_calls())
        allowed.insert(std::string(call.name));
      allowed.insert("openat2");
    }
    add_suid_sgid_rules(*section.restrict_suid_sgid, allowed, archs, set, diags);
  }
  std::vector<std::string> narrowed;  // calls the user's allow rules now decide
  for (CompiledRule& rule : rules) {
    const SeccompRule& source = *rule.source;
    const std::string& name = source.syscall.value;
    const auto grant = grants.find(name);
    const bool permissive = is_permissive(rule.action);
    if (grant != grants.end()) {
      if (grant->second.rule == &source) continue;  // emitted as an allow entry
      const bool from_default = grant->second.always;
      if (from_default || (permissive && grant->second.rule)) {
        const std::string allowed = "allowed unconditionally by " + grant->second.by;
        const std::string hint =
            from_default ? "@default is always allowed: harden's own execve() runs under the filter"
                         : "give that rule conditions, or drop it";
        if (permissive) {
          diags.warning(source.pos, "rule has no effect: " + quoted(name) + " is " + allowed, hint);
        } else {
          // Fail closed: the policy asks for a restriction the filter would not apply.
          diags.error(source.pos, "rule cannot restrict " + quoted(name) + ": it is " + allowed,
                      hint);
        }
        if (grant->second.pos.line > 0) diags.note(grant->second.pos, "allowed here");
        continue;
      }
    }
    if (rule.alternatives.empty()) {
      diags.warning(source.pos, "rule can never match: its comparisons contradict each other");
      continue;
    }
    if (!permissive) {
      set.refusing.push_back(std::move(rule));
      continue;
    }
    if (grant != grants.end()) narrowed.push_back(name);
    const auto group = conditional.find(name);
    bool limited = false;
    if (group != conditional.end()) {
      // Still only as the group allows: one rule per allow_only check, the user's and the
      // check's comparisons AND-ed.
      for (const SyscallCondition& condition : group->second.conditions) {
        if (condition.kind != SyscallCondition::Kind::allow_only) continue;
        limited = true;
        SeccompRule both = source;
        both.args.push_back(
            condition_rule(name, condition.check, "allow", group->second.pos, condition.why)
                .args.front());
        add_compiled(set, set.written.emplace_back(std::move(both)), archs, diags);
      }
    }
    if (!limited) set.permissive.push_back(std::move(rule));
  }
  for (const std::string& name : narrowed)
    grants.erase(name);

  const std::string default_text =
      section.default_action ? section.default_action->value : "kill-process";
  for (const auto& [name, group] : conditional) {
    const bool user_allows = std::ranges::any_of(section.rules, [&](const SeccompRule& rule) {
      return rule.syscall.value == name &&
             (rule.action.value == "allow" || rule.action.value == "log");
    });
    bool only = false;
    for (const SyscallCondition& condition : group.conditions) {
      const bool refuse = condition.kind == SyscallCondition::Kind::refuse;
      if (refuse && default_action == SCMP_ACT_ALLOW) continue;  // everything is allowed anyway
      if (!refuse && user_allows) continue;  // applied to the user's rules above
      only = only || !refuse;
      const SeccompRule& written = set.written.emplace_back(condition_rule(
          name, condition.check, refuse ? default_text : "allow", group.pos, condition.why));
      set.group_of.emplace(&written, group.by);
      add_compiled(set, written, archs, diags);
    }
    // Only refusals: the call is allowed for every other argument.
    if (!only && !user_allows) grants.try_emplace(name, Grant{group.by, group.pos});
  }

  // A refusing rule stays in the filter even when it only repeats the default action: an allow
  // rule, a grant or a group may let the same call through otherwise. It is only pointless when
  // nothing allows the call at all.
  for (const CompiledRule& rule : set.refusing) {
    const std::string& name = rule.source->syscall.value;
    if (rule.action != default_action || granted_before.contains(name) ||
        conditional.contains(name)) {
      continue;
    }
    const bool allowed_by_rule = std::ranges::any_of(
        set.permissive,
        [&](const CompiledRule& other) { return other.source->syscall.value == name; });
    const bool written_by_user =
        std::ranges::any_of(section.rules, [&](const SeccompRule& r) { return &r == rule.source; });
    if (!allowed_by_rule && written_by_user) {
      diags.warning(rule.source->pos,
                    "rule has no effect: its action is the default action and nothing allows " +
                        quoted(name));
    }
  }
  return set;
}

// What the filter will decide, before it becomes BPF: the grants and the rules.
}  // namespace

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

std::string_view arch_name(uint32_t token) {
  return arch_name_of(token);
}

std::optional<std::vector<std::string>> expand_entry(const LocatedString& entry,
                                                     std::span<const FilterArch> archs,
                                                     Diagnostics& diags) {
  return expand_names(entry, archs, diags);
}

// glibc tries clone3 first and falls back to clone on ENOSYS; any other answer would break
// every thread and fork in a program whose policy does not decide clone3.
bool answers_clone3_enosys(const FilterInput& in) {
  const auto on_clone3 = [](const CompiledRule& rule) {
    return rule.source->syscall.value == "clone3";
  };
  return seccomp_syscall_resolve_name("clone3") >= 0 && !in.grants.contains("clone3") &&
         std::ranges::none_of(in.rules.permissive, on_clone3) &&
         std::ranges::none_of(in.rules.refusing, on_clone3) &&
         in.default_action != SCMP_ACT_ALLOW && in.default_action != kEnosys;
}

// What the filter will decide, before it becomes BPF: the grants and the rules.
FilterInput resolve(const SeccompSection& section, Diagnostics& diags) {
  FilterInput in;
  if (section.default_action) {
    in.default_action = parse_action(*section.default_action, diags).value_or(in.default_action);
  }
  in.archs = resolve_architectures(section, diags);
  grant_default_group(in.grants);
  apply_allows(section, in.archs, in.grants, in.conditional, diags);
  if (in.default_action == SCMP_ACT_ALLOW && !section.deny.empty()) {
    // Everything not allowed gets the default action, so a deny entry would allow, silently.
    diags.error(section.deny.front().pos, "deny has no effect with default_action \"allow\"",
                "use a [[seccomp.rule]] with an action for each call to refuse");
  } else {
    apply_denies(section, in.archs, in.grants, in.conditional, diags);
  }
  in.rules = resolve_rules(section, in.archs, in.default_action, in.grants, in.conditional, diags);
  return in;
}

}  // namespace harden::seccomp_bpf
