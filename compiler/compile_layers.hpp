// Internal: one resolver per layer, called in turn by compile_policy().
#pragma once

#include <string_view>

#include "compiler/compile.hpp"
#include "plan/plan.hpp"
#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"

namespace harden {

CredentialsPlan compile_credentials(const IdentitySection& identity, Diagnostics& diags,
                                    HostChecks host = HostChecks::check);
CapabilitiesPlan compile_capabilities(const CapabilitiesSection& caps, Diagnostics& diags);
std::vector<ResourceLimit> compile_limits(const LimitsSection& limits, Diagnostics& diags);
EnvironmentPlan compile_environment(const EnvironmentSection& env, Diagnostics& diags);
ExecPlan compile_exec(const ExecSection& exec, Diagnostics& diags);
FdPlan compile_fds(const ExecSection& exec, Diagnostics& diags);
NamespacesPlan compile_namespaces(const NamespacesSection& ns, Diagnostics& diags);
// The chroot or the constructed root's view; `ns` says whether /dev gets a private mqueue.
FilesystemPlan compile_filesystem(const FilesystemSection& fs, const NamespacesPlan& ns,
                                  Diagnostics& diags, HostChecks host = HostChecks::check);
// The rules between [namespaces], [filesystem], [identity] and [exec]; fills in what one
// implies for another (a constructed root implies a mount namespace).
void check_isolation(const Policy& policy, PlanData& plan, Diagnostics& diags);
LandlockPlan compile_landlock(const LandlockSection& landlock, const IpcSection& ipc,
                              const FilesystemPlan& fs, Diagnostics& diags);
CgroupPlan compile_cgroup(const CgroupSection& cgroup, Diagnostics& diags);

// The Landlock rules that follow from the filesystem view (paths as the target sees them):
// what the view shows, with the rights the view gives. Extend it when the view grows.
std::vector<LandlockPathRule> derive_view_rules(const FilesystemPlan& fs);
// The host layers need the resolved user: scope = "uid" and audit syscall rules match on it.
NetworkPlan compile_network(const NetworkSection& net, const std::string& policy_name,
                            const CredentialsPlan& credentials, const NamespacesPlan& ns,
                            Diagnostics& diags, HostChecks host = HostChecks::check);
// The verdict of a [network] direction the policy leaves unset ("drop", "accept"): the
// sandbox's own namespace takes no connections it was not told about; in the host's namespace
// harden filters only what the policy asks for. Lint reads it too.
std::string_view default_network_verdict(NetworkScope scope, bool ingress);
AuditPlan compile_audit(const AuditSection& audit, const std::string& policy_name,
                        const CredentialsPlan& credentials, Diagnostics& diags,
                        HostChecks host = HostChecks::check);
LsmPlan compile_lsm(const LsmSection& lsm, Diagnostics& diags);

}  // namespace harden
