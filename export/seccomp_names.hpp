// Names the seccomp exporters share (internal to export/): the native architecture in
// libseccomp's spelling, and the decision model of an exported plan.
#pragma once

#include <string>

#include "plan/plan.hpp"
#include "plan/seccomp_model.hpp"
#include "policy/diagnostics.hpp"

namespace harden {

// The native architecture in libseccomp's spelling ("x86_64").
std::string native_architecture_name();

// The plan's decision model; nullptr (with an error in diags) for a plan that has none, which
// only a plan read back from its sealed form lacks: exporters work on compiled policies.
const SeccompModel* exported_seccomp_model(const Plan& plan, const std::string& policy_file,
                                           Diagnostics& diags);

}  // namespace harden
