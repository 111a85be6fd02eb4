// `harden check`: a running process's real state (process_state.hpp) against a compiled plan.
// Pure: the state is read beforehand, so the comparison is unit-tested on made-up states and
// kernel-tested on real ones.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "inspect/process_state.hpp"
#include "plan/plan.hpp"

namespace harden::inspect {

// One way the process differs from its plan. `item` is one of kCheckItems (what --ignore
// takes), `detail` names the field ("effective uid", "CapBnd", "RLIMIT_NOFILE soft").
struct Difference {
  std::string item;
  std::string detail;
  std::string expected;
  std::string actual;
};

struct CheckReport {
  std::vector<Difference> differences;
  std::vector<std::string> checked;    // items compared (and matching or not)
  std::vector<std::string> unchecked;  // "landlock: why not"
};

// What a launch record (launch_registry.hpp) adds to the plan: facts of the launch itself.
struct LaunchFacts {
  std::optional<int> seccomp_filters_before;  // filters harden itself was under
};

// The items `harden check` compares, in report order; --ignore takes these names.
inline constexpr const char* kCheckItems[] = {
    "ids",    "capabilities", "no-new-privs", "seccomp",     "umask",    "namespaces", "root",
    "cgroup", "limits",       "fds",          "environment", "terminal", "lsm"};

[[nodiscard]] CheckReport check_process(const PlanData& plan, const ProcessState& process,
                                        const HostState& host, const LaunchFacts& facts,
                                        const std::set<std::string>& ignore = {},
                                        int kernel_last_cap = 40);

// "CAP_NET_BIND_SERVICE,CAP_SETUID" (or "none") for a capability mask.
[[nodiscard]] std::string capability_list(uint64_t mask);

// "RLIMIT_NOFILE" for RLIMIT_NOFILE.
[[nodiscard]] std::string rlimit_name(int resource);

}  // namespace harden::inspect
