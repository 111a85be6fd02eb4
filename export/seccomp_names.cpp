#include "export/seccomp_names.hpp"

#include <seccomp.h>

namespace harden {

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

const SeccompModel* exported_seccomp_model(const Plan& plan, const std::string& policy_file,
                                           Diagnostics& diags) {
  const SeccompModel* model = plan.seccomp_model();
  if (model == nullptr && plan->seccomp.enabled) {
    diags.error({policy_file, 0, 0}, "the plan carries no seccomp decision model to export",
                "export from the policy file, not from a sealed plan");
  }
  return model;
}

}  // namespace harden
