// Policy -> Plan: resolves every name (users, groups, capabilities, syscalls, limits) and
// checks the cross-field rules. The only way a Plan comes out of policy text.
#pragma once

#include <optional>
#include <string>

#include "plan/plan.hpp"
#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"

namespace harden {

// Whether compiling may consult the machine it runs on for what exists there: users and groups
// (NSS), a chroot directory, bind sources, the directory of an audit watch, the cgroup v2 mount.
// A launch and `harden compile` check (a missing path is refused with its position before
// anything runs); `harden lint` and `harden validate` skip by default, so a policy written for
// a server (its user, /var/lib/postgresql) lints the same on a CI runner that has neither.
// `validate --host` checks. A plan compiled with `skip` holds placeholders (kUnresolvedId for a
// name this host does not know) and is for reading only: no command ever enforces one.
enum class HostChecks : bool { skip, check };
inline constexpr uint32_t kUnresolvedId = 65534;  // overflowuid: never root, never (id_t)-1

struct CompileOptions {
  HostChecks host = HostChecks::check;
};

// Returns the plan, or nullopt when any error was reported.
std::optional<Plan> compile_policy(const Policy& policy, Diagnostics& diags,
                                   const CompileOptions& options = {});

// read_policy + compile_policy.
std::optional<Plan> compile_policy_file(const std::string& path, Diagnostics& diags,
                                        const CompileOptions& options = {});

}  // namespace harden
