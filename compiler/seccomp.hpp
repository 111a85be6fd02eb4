// The seccomp layer of the compiler: validates the [seccomp] section (syscall and group
// names, actions, argument rules) and builds the BPF program with libseccomp.
#pragma once

#include "plan/plan.hpp"
#include "plan/seccomp_model.hpp"
#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"

namespace harden {

// Every problem goes to diags; the returned plan is only meaningful when no error was added.
// An absent [seccomp] section yields a disabled plan.
SeccompPlan compile_seccomp(const SeccompSection& section, Diagnostics& diags);

// The filter and its decision model (plan/seccomp_model.hpp), built from one resolution. The
// model is meaningful only when no error was added.
struct CompiledSeccomp {
  SeccompPlan plan;
  SeccompModel model;
};
CompiledSeccomp compile_seccomp_model(const SeccompSection& section, Diagnostics& diags);

}  // namespace harden
