// The ids of harden lint's rules, as plain data the policy reader can check a [lint] allow
// entry against without linking the lint catalog (lint/lint_catalog.cpp, which depends on the
// compiler and so must not be reachable from the reader). The catalog checks at compile time
// that its rows and this list agree, id for id and suppressible for suppressible.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

namespace harden {

struct LintRuleId {
  std::string_view id;
  // False for the rules about the policy file or the suppressions themselves (their cause
  // must be fixed, not accepted).
  bool suppressible;
};

// Sorted by id, as the catalog is.
inline constexpr std::array kLintRuleIds = {
    LintRuleId{"dangerous-capability", true},
    LintRuleId{"dangerous-syscall", true},
    LintRuleId{"environment-inherited", true},
    LintRuleId{"exec-lock-interpreter", true},
    LintRuleId{"exec-lock-off", true},
    LintRuleId{"filesystem-unrestricted", true},
    LintRuleId{"filesystem-writable-executable", true},
    LintRuleId{"invalid-policy", false},
    LintRuleId{"ipc-host", true},
    LintRuleId{"landlock-off", true},
    LintRuleId{"limits-missing", true},
    LintRuleId{"network-unrestricted", true},
    LintRuleId{"new-session-off", true},
    LintRuleId{"no-new-privileges-off", true},
    LintRuleId{"runs-as-root", true},
    LintRuleId{"seccomp-default-permissive", true},
    LintRuleId{"seccomp-foreign-arch", true},
    LintRuleId{"seccomp-missing", true},
    LintRuleId{"seccomp-reopen", true},
    LintRuleId{"sensitive-path-unwatched", true},
    LintRuleId{"umask-permissive", true},
    LintRuleId{"unused-suppression", false},
    LintRuleId{"validate-warning", true},
};

constexpr const LintRuleId* find_lint_rule_id(std::string_view id) {
  const auto* it = std::ranges::lower_bound(kLintRuleIds, id, {}, &LintRuleId::id);
  return it != kLintRuleIds.end() && it->id == id ? it : nullptr;
}

}  // namespace harden
