// The decision model and the denial-report origins, from the resolution (internal to
// compiler/; seccomp_decisions.cpp).
#pragma once

#include <vector>

#include "compiler/seccomp_resolve.hpp"
#include "plan/plan.hpp"
#include "plan/seccomp_model.hpp"

namespace harden::seccomp_bpf {

PlanOrigin plan_origin(const SourcePos& pos);
SeccompModel build_model(const SeccompSection& section, const FilterInput& in,
                         const SeccompWhy& default_why);
std::vector<SeccompOrigin> decision_origins(const SeccompModel& model);

}  // namespace harden::seccomp_bpf
