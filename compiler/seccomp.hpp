// The seccomp layer of the compiler: validates the [seccomp] section (syscall and group
// names, actions, argument rules) and builds the BPF program with libseccomp.
#pragma once

#include "plan/plan.hpp"
#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"

namespace harden {

// Every problem goes to diags; the returned plan is only meaningful when no error was added.
// An absent [seccomp] section yields a disabled plan.
SeccompPlan compile_seccomp(const SeccompSection& section, Diagnostics& diags);

// What compile_seccomp() decides, in names, for the exporters: calls allowed whatever their
// arguments; calls allowed except where a refusing rule matches; and every rule the filter
// applies (the policy's, narrowed by its groups, and the groups' own conditions), refusing
// rules first: a refusing rule wins over anything that allows the same call. Meaningful for a
// section that compiles without errors.
struct SeccompDecisions {
  std::vector<std::string> allowed;            // sorted
  std::vector<std::string> allowed_otherwise;  // sorted; each also has refusing rules
  std::vector<SeccompRule> rules;
};
SeccompDecisions seccomp_decisions(const SeccompSection& section);

}  // namespace harden
