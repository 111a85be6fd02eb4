// The seccomp layer of the compiler: validates the [seccomp] section (syscall and group
// names, actions, argument rules) and builds the BPF program with libseccomp.
#pragma once

#include "compiler/diagnostics.hpp"
#include "compiler/plan/plan.hpp"
#include "compiler/policy.hpp"

namespace harden {

// Every problem goes to diags; the returned plan is only meaningful when no error was added.
// An absent [seccomp] section yields a disabled plan.
SeccompPlan compile_seccomp(const SeccompSection& section, Diagnostics& diags);

}  // namespace harden
