// Lint rules about what the target shares with the host: System V IPC, the network, and
// writable places in its file system view that are also executable.
#include <string>

#include "compiler/lint_checks.hpp"

namespace harden::lint {

namespace {

SourcePos pos_of_origin(const PlanOrigin& origin, const SourcePos& fallback) {
  if (origin.line == 0) return fallback;
  return SourcePos{origin.file, origin.line, origin.column};
}

}  // namespace

void check_ipc_host(const LintInput& in, std::vector<LintFinding>& out) {
  const auto& ipc = in.policy.namespaces.ipc;
  if (in.plan.namespaces.ipc || !ipc) return;
  out.push_back(make_finding("ipc-host", ipc->pos,
                             "ipc = \"host\": the target shares System V shared memory, "
                             "semaphores, message queues and POSIX message queues with every "
                             "process of the host",
                             ipc->value));
}

void check_network(const LintInput& in, std::vector<LintFinding>& out) {
  // Extension point: a [network] firewall (nftables) restricts the host network too.
  if (in.plan.namespaces.net) return;
  const LandlockPlan& landlock = in.plan.landlock;
  if (landlock.enabled && landlock.restrict_bind && landlock.restrict_connect) return;
  const auto& net = in.policy.namespaces.net;
  out.push_back(make_finding("network-unrestricted",
                             net ? net->pos : in.section_or_name("namespaces"),
                             std::string(net ? "net = \"host\"" : "no [namespaces] net") +
                                 ": the target shares the host's network, and may connect to "
                                 "any address and listen on any port its user may",
                             "net"));
}

void check_writable_executable(const LintInput& in, std::vector<LintFinding>& out) {
  if (!in.plan.filesystem.constructed_root) return;
  for (const ViewMount& mount : in.plan.filesystem.view) {
    if (mount.kind != ViewKind::bind && mount.kind != ViewKind::tmpfs) continue;
    if (mount.read_only || mount.noexec) continue;
    out.push_back(make_finding("filesystem-writable-executable",
                               pos_of_origin(mount.origin, in.section_or_name("filesystem")),
                               "'" + mount.target +
                                   "' is writable and executable: the target can write a program "
                                   "there and run it",
                               mount.target));
  }
}

void check_landlock(const LintInput& in, std::vector<LintFinding>& out) {
  if (in.plan.landlock.enabled) return;
  const auto& mode = in.policy.landlock.mode;
  out.push_back(make_finding("landlock-off", mode ? mode->pos : in.section_or_name("landlock"),
                             std::string(mode ? "[landlock] mode = \"off\"" : "no [landlock]") +
                                 ": the target keeps every file system and TCP right its uid "
                                 "gives it",
                             "landlock"));
}

void check_exec_lock(const LintInput& in, std::vector<LintFinding>& out) {
  const LandlockPlan& landlock = in.plan.landlock;
  if (landlock.enabled && landlock.restrict_fs) return;
  const auto& filesystem = in.policy.landlock.filesystem;
  const bool turned_off = landlock.enabled && filesystem && !filesystem->value;
  out.push_back(
      make_finding("exec-lock-off",
                   turned_off ? filesystem->pos
                              : (in.policy.landlock.mode ? in.policy.landlock.mode->pos
                                                         : in.section_or_name("landlock")),
                   std::string(turned_off ? "[landlock] filesystem = false" : "Landlock is off") +
                       ": the exec lock is off, so the target may execute any program it can read "
                       "(a shell, curl, an interpreter)",
                   "exec"));
}

}  // namespace harden::lint
