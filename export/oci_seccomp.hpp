// The OCI seccomp object written from a seccomp decision model (internal to export/): shared
// by the oci-seccomp export and the Security Profiles Operator's SeccompProfile, whose spec
// uses the same fields. Where OCI runtimes cannot load a case as the model decides it, the
// object deviates and says so: the deviations are returned, each with its call and policy
// line, for the caller to report as its format allows (a warning, a comment).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "plan/seccomp_model.hpp"

namespace harden {

struct OciSeccompDeviation {
  std::string call;
  PlanOrigin origin;    // the policy line of the case that could not be loaded as decided
  std::string message;  // names the call in quotes first: "'ioctl' ..."
  std::string hint;
};

struct OciSeccompObject {
  nlohmann::ordered_json json;  // defaultAction, defaultErrnoRet, architectures, flags, syscalls
  std::vector<OciSeccompDeviation> deviations;
};

// The profile of an enabled model. A refusing case with the default action next to an allowing
// one is left out (runtimes skip it, so the call is refused whole: "' is left out of the
// profile"); a refusing case next to an allowing one is kept but may be ordered after it by
// libseccomp ("' may be allowed whole by OCI runtimes").
OciSeccompObject oci_seccomp_object(const SeccompModel& model);

}  // namespace harden
