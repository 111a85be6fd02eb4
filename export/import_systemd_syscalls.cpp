// The syscall directives of a unit as [seccomp] (see import_systemd.cpp for the mappings):
// SystemCallFilter= allow and ~deny lists with their errno, RestrictNamespaces= and
// RestrictAddressFamilies= as refusing argument rules, and the section they make.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "compiler/syscall_groups.hpp"
#include "export/import_systemd_importer.hpp"
#include "plan/constants.hpp"
#include "policy/policy_writer.hpp"

namespace harden::import_systemd {

namespace {

// systemd's namespace type names and their clone flags.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kNamespaceFlags{{
    {"cgroup", "CLONE_NEWCGROUP"},
    {"ipc", "CLONE_NEWIPC"},
    {"mnt", "CLONE_NEWNS"},
    {"net", "CLONE_NEWNET"},
    {"pid", "CLONE_NEWPID"},
    {"user", "CLONE_NEWUSER"},
    {"uts", "CLONE_NEWUTS"},
}};

}  // namespace

void Importer::deny_syscalls(const std::string& name, const std::string& errno_name_text,
                             const std::string& why, const SourcePos& pos) {
  std::vector<std::string> calls;
  if (name.starts_with('@')) {
    const auto members = expand_syscall_group(name);
    if (!members) {
      diags_.error(pos, "cannot deny " + name + ": " + members.error(),
                   "harden knows " + std::to_string(syscall_group_names().size()) +
                       " groups; see harden.toml(5)");
      return;
    }
    calls.assign(members->begin(), members->end());
    if (const SyscallGroup* group = find_syscall_group(name)) {
      for (const SyscallCondition& c : group->conditions)
        calls.emplace_back(c.syscall);
    }
  } else {
    calls.push_back(name);
  }
  const auto defaults = expand_syscall_group(kDefaultSyscallGroup);
  for (const std::string& call : calls) {
    if (defaults && std::ranges::find(*defaults, call) != defaults->end()) {
      not_imported_.push_back(where(pos) + ": " + why + " denies " + call +
                              ", which harden always allows (its own execve runs under the "
                              "filter)");
      continue;
    }
    if (std::ranges::find(native_syscall_names(), call) == native_syscall_names().end()) continue;
    const std::string action =
        errno_name_text.empty() ? deny_mode_action_ : "errno:" + errno_name_text;
    const bool duplicate = std::ranges::any_of(rules_, [&](const Rule& r) {
      return r.syscall == call && r.args.empty() && r.action == action;
    });
    if (!duplicate) rules_.push_back({call, {}, action, why});
  }
}

void Importer::system_call_filter(const UnitDirective& d) {
  if (d.value.empty()) {
    filter_mode_ = FilterMode::none;
    allow_.clear();
    deny_.clear();
    std::erase_if(rules_, [](const Rule& r) { return r.why.starts_with("SystemCallFilter="); });
    return;
  }
  std::string value = d.value;
  const bool invert = value[0] == '~';
  if (invert) value.erase(0, 1);
  auto words = split_unit_words(value);
  if (!words) return bad_value(d, words.error());
  if (filter_mode_ == FilterMode::none)
    filter_mode_ = invert ? FilterMode::deny : FilterMode::allow;
  seccomp_wanted_ = true;
  const std::string why = "SystemCallFilter= (" + where(d.pos) + ")";
  for (const std::string& word : *words) {
    const size_t colon = word.find(':');
    const std::string name = word.substr(0, colon);
    const std::string errno_text = colon == std::string::npos ? "" : word.substr(colon + 1);
    if (!errno_text.empty() && !errno_from_name(errno_text)) {
      bad_value(d, "unknown errno name '" + errno_text + "' (write it by name, e.g. EPERM)");
      continue;
    }
    const bool group = name.starts_with('@');
    const bool known =
        group ? find_syscall_group(name) != nullptr
              : std::ranges::find(native_syscall_names(), name) != native_syscall_names().end();
    if (!known) {
      if (group && invert) {
        // Leaving out a group of a deny list would allow its calls: refuse.
        diags_.error(d.pos, "cannot import the denied group " + name + ": harden has no such group",
                     "list its calls by name in SystemCallFilter=~, or write the policy's "
                     "[seccomp] section by hand");
      } else {
        not_imported(d, "'" + name + "' is not a " +
                            (group ? "group harden knows" : "syscall of this architecture") +
                            (invert ? "" : "; left out (stricter)"));
      }
      continue;
    }
    if (filter_mode_ == FilterMode::allow) {
      if (!invert) {
        if (std::ranges::find(allow_, name) == allow_.end()) allow_.push_back(name);
        std::erase(deny_, name);
      } else if (!errno_text.empty()) {
        deny_syscalls(name, errno_text, why, d.pos);
      } else if (std::ranges::find(deny_, name) == deny_.end()) {
        deny_.push_back(name);
      }
    } else if (invert) {
      deny_syscalls(name, errno_text, why, d.pos);
    } else {
      // An allow entry after a deny list takes calls back out of it.
      std::vector<std::string> calls{name};
      if (group) {
        const auto members = expand_syscall_group(name);
        if (members) calls.assign(members->begin(), members->end());
      }
      std::erase_if(rules_, [&](const Rule& r) {
        return r.why.starts_with("SystemCallFilter=") &&
               std::ranges::find(calls, r.syscall) != calls.end();
      });
    }
  }
}

void Importer::restrict_namespaces(const UnitDirective& d) {
  std::set<std::string_view> restricted;
  if (auto b = parse_unit_bool(d.value)) {
    if (!*b) return;
    for (const auto& [name, flag] : kNamespaceFlags)
      restricted.insert(name);
  } else {
    std::string value = d.value;
    const bool invert = !value.empty() && value[0] == '~';
    if (invert) value.erase(0, 1);
    auto words = split_unit_words(value);
    if (!words) return bad_value(d, words.error());
    for (const std::string& word : *words) {
      if (std::ranges::find(kNamespaceFlags, word,
                            &std::pair<std::string_view, std::string_view>::first) ==
          kNamespaceFlags.end()) {
        return bad_value(d, "unknown namespace type '" + word + "'");
      }
    }
    for (const auto& [name, flag] : kNamespaceFlags) {
      const bool listed = std::ranges::find(*words, name) != words->end();
      if (listed == invert) restricted.insert(name);
    }
  }
  if (restricted.empty()) return;
  seccomp_wanted_ = true;
  const std::string why = "RestrictNamespaces= (" + where(d.pos) + ")";
  for (const auto& [name, flag] : kNamespaceFlags) {
    if (!restricted.contains(name)) continue;
    for (const char* call : {"clone", "unshare"}) {
      rules_.push_back({call,
                        {"{ index = 0, op = \"masked-eq\", mask = \"" + std::string(flag) +
                         "\", value = \"" + std::string(flag) + "\" }"},
                        "errno:EPERM",
                        why});
    }
  }
  // setns() may join a namespace of any type; clone3's flags live in memory a filter cannot
  // read, so it fails with ENOSYS and the C library falls back to clone.
  rules_.push_back({"setns", {}, "errno:EPERM", why});
  rules_.push_back({"clone3", {}, "errno:ENOSYS", why});
}

void Importer::restrict_address_families(const UnitDirective& d) {
  std::string value = d.value;
  if (value.empty()) return;
  const bool invert = value[0] == '~';
  if (invert) value.erase(0, 1);
  auto words = split_unit_words(value);
  if (!words) return bad_value(d, words.error());
  seccomp_wanted_ = true;
  const std::string why = "RestrictAddressFamilies= (" + where(d.pos) + ")";
  if (!invert && words->size() == 1 && (*words)[0] == "none") {
    rules_.push_back({"socket", {}, "errno:EAFNOSUPPORT", why});
    return;
  }
  std::vector<uint64_t> values;
  for (const std::string& family : *words) {
    const auto number = evaluate_constant_expression(family);
    if (!number || *number > 0xffffffffULL) {
      return bad_value(d, "unknown address family '" + family + "'");
    }
    values.push_back(*number);
  }
  if (invert) {
    for (const std::string& family : *words)
      rules_.push_back({"socket",
                        {"{ index = 0, op = \"eq\", value = \"" + family + "\" }"},
                        "errno:EAFNOSUPPORT",
                        why});
    return;
  }
  std::string listed;
  for (const std::string& family : *words)
    listed += (listed.empty() ? "" : " ") + family;
  refuse_outside("socket", values, "errno:EAFNOSUPPORT", why + ": families other than " + listed);
}

// Refusing rules for every 32-bit value of argument 0 outside `allowed`: one rule per gap
// (eq for a single value, ge/le for a range), which the filter compiles to a few
// comparisons each, where a chain of "ne" conditions would not fit.
void Importer::refuse_outside(const std::string& syscall, std::vector<uint64_t> allowed,
                              const std::string& action, const std::string& why) {
  std::ranges::sort(allowed);
  const auto [first, last] = std::ranges::unique(allowed);
  allowed.erase(first, last);
  uint64_t next = 0;  // lowest value not yet covered
  const auto gap = [&](uint64_t lo, uint64_t hi) {
    if (lo > hi) return;
    std::vector<std::string> args;
    if (lo == hi) {
      args.push_back("{ index = 0, op = \"eq\", value = " + std::to_string(lo) + " }");
    } else {
      if (lo > 0) args.push_back("{ index = 0, op = \"ge\", value = " + std::to_string(lo) + " }");
      if (hi < 0xffffffffULL) {
        args.push_back("{ index = 0, op = \"le\", value = " + std::to_string(hi) + " }");
      }
    }
    rules_.push_back({syscall, args, action, why});
  };
  for (const uint64_t value : allowed) {
    if (value > next) gap(next, value - 1);
    next = value + 1;
  }
  if (next <= 0xffffffffULL) gap(next, 0xffffffffULL);
}

std::string Importer::write_seccomp() const {
  if (!seccomp_wanted_) return {};
  std::string out = "\n[seccomp]\n";
  if (filter_mode_ == FilterMode::allow) {
    out += "default_action = " +
           toml_quote(error_number_ ? "errno:" + *error_number_ : "kill-process") + "\n";
    out += "allow = " + toml_string_array(allow_) + "\n";
    if (!deny_.empty()) out += "deny = " + toml_string_array(deny_) + "\n";
  } else {
    // No allow list: every call is allowed but the refusing rules below.
    out += "default_action = \"allow\"\n";
  }
  if (architectures_) out += "architectures = " + toml_string_array(*architectures_) + "\n";
  for (const Rule& rule : rules_) {
    out += "\n[[seccomp.rule]]\nsyscall = " + toml_quote(rule.syscall) + "\n";
    if (!rule.args.empty()) {
      out += "args = [";
      for (size_t i = 0; i < rule.args.size(); ++i)
        out += (i ? ", " : "") + rule.args[i];
      out += "]\n";
    }
    std::string action = rule.action;
    // A deny list's rules take SystemCallErrorNumber= when it was set (in any order).
    if (action == "kill-process" && error_number_) action = "errno:" + *error_number_;
    out += "action = " + toml_quote(action) + "\nreason = " + toml_quote(rule.why) + "\n";
  }
  return out;
}

}  // namespace harden::import_systemd
