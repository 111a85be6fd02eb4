// `harden export --format systemd`: a unit drop-in, as a wrapper (ExecStart through harden,
// systemd_wrapper.cpp) or natively (systemd.exec(5) directives, systemd_native.cpp with the
// syscall filter in systemd_syscalls.cpp, read from the decision model).
#include "export/export.hpp"
#include "export/seccomp_names.hpp"
#include "export/systemd_unit.hpp"

namespace harden {

namespace {

std::vector<std::string> command_of(const Policy& policy, const ExportOptions& options,
                                    Diagnostics& diags) {
  if (!options.command.empty()) return options.command;
  if (policy.exec.command) return policy.exec.command->value;
  if (options.systemd_native) return {};  // a hardening-only drop-in
  diags.error({policy.file, 0, 0}, "no command to export: the policy has no [exec] command",
              "add one, or give it after --: harden export ... -- /usr/sbin/web");
  return {};
}

}  // namespace

std::optional<std::string> export_systemd(const Policy& policy, const Plan& plan,
                                          const ExportOptions& options, Diagnostics& diags) {
  const std::vector<std::string> command = command_of(policy, options, diags);
  if (command.empty() && !options.systemd_native) return std::nullopt;
  if (!options.systemd_native) {
    return systemd_unit::wrapper_unit(policy, plan.data(), options, plan.seccomp_model(), command,
                                      diags);
  }
  const SeccompModel* model = exported_seccomp_model(plan, policy.file, diags);
  if (model == nullptr) return std::nullopt;
  return systemd_unit::native_unit(policy, plan.data(), *model, options, command, diags);
}

}  // namespace harden
