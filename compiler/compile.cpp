#include "compiler/compile.hpp"

#include <linux/audit.h>

#include "compiler/compile_layers.hpp"
#include "compiler/policy_reader.hpp"
#include "compiler/seccomp.hpp"

namespace harden {

namespace {

constexpr uint32_t native_audit_arch() {
#if defined(__x86_64__)
  return AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  return AUDIT_ARCH_AARCH64;
#else
#error "harden: unsupported architecture"
#endif
}

}  // namespace

std::optional<Plan> compile_policy(const Policy& policy, Diagnostics& diags) {
  const size_t errors_before = diags.error_count();
  PlanData plan;
  plan.audit_arch = native_audit_arch();
  plan.policy_name = policy.meta.name.value;
  plan.policy_file = policy.file;
  plan.no_new_privs =
      !policy.identity.no_new_privileges || policy.identity.no_new_privileges->value;
  plan.credentials = compile_credentials(policy.identity, diags);
  plan.capabilities = compile_capabilities(policy.capabilities, diags);
  plan.seccomp = compile_seccomp(policy.seccomp, diags);
  plan.limits = compile_limits(policy.limits, diags);
  plan.environment = compile_environment(policy.environment, diags);
  plan.exec = compile_exec(policy.exec, diags);
  plan.fds = compile_fds(policy.exec, diags);
  plan.namespaces = compile_namespaces(policy.namespaces, diags);
  plan.filesystem = compile_filesystem(policy.filesystem, plan.namespaces, diags);
  plan.landlock = compile_landlock(policy.landlock, policy.ipc, plan.filesystem, diags);
  plan.cgroup = compile_cgroup(policy.cgroup, diags);

  // Cross-field rules.
  check_isolation(policy, plan, diags);
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
  return PlanFactory::make(std::move(plan));
}

std::optional<Plan> compile_policy_file(const std::string& path, Diagnostics& diags) {
  std::optional<Policy> policy = read_policy(path, diags);
  if (!policy) return std::nullopt;
  return compile_policy(*policy, diags);
}

}  // namespace harden
