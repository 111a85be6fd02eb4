#include "compiler/compile.hpp"

#include <linux/audit.h>

#include <array>
#include <string_view>

#include "compiler/compile_layers.hpp"
#include "compiler/seccomp.hpp"
#include "plan/plan_io.hpp"
#include "policy/policy_reader.hpp"

namespace harden {

namespace {

// systemd's variables travel with what they describe (the fds, the notify socket) under
// [exec] pass_listen_fds and pass_notify_socket; [environment] cannot contradict those.
void check_service_manager_variables(const Policy& policy, const PlanData& plan,
                                     Diagnostics& diags) {
  struct Managed {
    std::string_view name;
    bool passed;
    std::string_view key;
  };
  const std::array<Managed, 4> managed{{
      {"LISTEN_FDS", plan.fds.pass_listen_fds, "pass_listen_fds"},
      {"LISTEN_FDNAMES", plan.fds.pass_listen_fds, "pass_listen_fds"},
      {"LISTEN_PID", plan.fds.pass_listen_fds, "pass_listen_fds"},
      {"NOTIFY_SOCKET", plan.exec.pass_notify_socket, "pass_notify_socket"},
  }};
  for (const Managed& m : managed) {
    for (const LocatedString& name : policy.environment.keep) {
      if (name.value != m.name || m.passed) continue;
      diags.error(name.pos,
                  "'" + name.value + "' is kept but [exec] " + std::string(m.key) + " is false",
                  "remove it from keep, or set " + std::string(m.key) + " = true");
    }
    for (const auto& [name, value] : policy.environment.set) {
      if (name.value != m.name) continue;
      diags.error(name.pos, "'" + name.value + "' cannot be set: harden passes systemd's value",
                  "remove it; [exec] " + std::string(m.key) + " controls whether it is passed");
    }
  }
}

}  // namespace

std::optional<Plan> compile_policy(const Policy& policy, Diagnostics& diags,
                                   const CompileOptions& options) {
  const size_t errors_before = diags.error_count();
  PlanData plan;
  plan.audit_arch = native_audit_arch();
  plan.policy_name = policy.meta.name.value;
  plan.policy_file = policy.file;
  plan.no_new_privs =
      !policy.identity.no_new_privileges || policy.identity.no_new_privileges->value;
  plan.credentials = compile_credentials(policy.identity, diags, options.host);
  plan.capabilities = compile_capabilities(policy.capabilities, diags);
  CompiledSeccomp seccomp = compile_seccomp_model(policy.seccomp, diags);
  plan.seccomp = std::move(seccomp.plan);
  plan.limits = compile_limits(policy.limits, diags);
  plan.environment = compile_environment(policy.environment, diags);
  plan.exec = compile_exec(policy.exec, diags);
  plan.fds = compile_fds(policy.exec, diags);
  plan.namespaces = compile_namespaces(policy.namespaces, diags);
  plan.filesystem = compile_filesystem(policy.filesystem, plan.namespaces, diags, options.host);
  plan.landlock = compile_landlock(policy.landlock, policy.ipc, plan.filesystem, diags);
  plan.cgroup = compile_cgroup(policy.cgroup, diags);
  plan.network = compile_network(policy.network, plan.policy_name, plan.credentials,
                                 plan.namespaces, diags, options.host);
  plan.audit = compile_audit(policy.audit, plan.policy_name, plan.credentials, diags, options.host);
  plan.lsm = compile_lsm(policy.lsm, diags);

  // Cross-field rules.
  check_isolation(policy, plan, diags);
  check_service_manager_variables(policy, plan, diags);
  if (!plan.no_new_privs && plan.seccomp.enabled && !plan.credentials.change_ids) {
    // Without no_new_privs the kernel only lets a task with CAP_SYS_ADMIN load a filter; that
    // works as root but is worth saying, since a setuid target would then gain privileges.
    diags.warning(policy.identity.no_new_privileges->pos,
                  "no_new_privileges = false: setuid and file-capability programs run by the "
                  "target can gain privileges",
                  "leave no_new_privileges on unless the service really execs setuid helpers");
  }
  constexpr uint64_t kCapSysAdmin = 1ULL << 21;
  if (plan.landlock.enabled && !plan.no_new_privs && !(plan.capabilities.keep & kCapSysAdmin)) {
    // landlock_restrict_self() needs no_new_privs or CAP_SYS_ADMIN, and the capability step
    // has dropped CAP_SYS_ADMIN by the time the ruleset is applied.
    diags.error(policy.identity.no_new_privileges->pos, "Landlock needs no_new_privileges = true",
                "the kernel refuses a Landlock ruleset to a task that could gain privileges; "
                "keep no_new_privileges on (or keep CAP_SYS_ADMIN, which lint reports)");
  }
  if (diags.error_count() > errors_before) return std::nullopt;
  auto validated = validated_plan(std::move(plan),
                                  std::make_shared<const SeccompModel>(std::move(seccomp.model)));
  if (!validated) {
    // The compiler's own checks should have said why first; this is the last line of defence.
    diags.error(policy.meta.name.pos, "the compiled plan cannot be enforced: " + validated.error(),
                "report this as a bug in harden, with the policy");
    return std::nullopt;
  }
  return std::move(*validated);
}

std::optional<Plan> compile_policy_file(const std::string& path, Diagnostics& diags,
                                        const CompileOptions& options) {
  std::optional<Policy> policy = read_policy(path, diags);
  if (!policy) return std::nullopt;
  return compile_policy(*policy, diags, options);
}

}  // namespace harden
