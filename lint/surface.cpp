// The residual surface of a policy: what it still leaves open once no lint rule fires. The
// findings alone cannot tell a strict policy from a stricter one (both have none), so the
// exposure adds a share for what the plan still allows (man/harden-lint.1, EXPOSURE): every
// part is read from the Plan, the decision model the enforcer applies, and only grows with a
// grant, so the score never rises when a grant goes.
#include <linux/audit.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <algorithm>
#include <array>
#include <bit>

#include "lint/lint.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/landlock_abi.hpp"
#include "plan/plan_io.hpp"

namespace harden {

namespace {

// The highest native syscall number counted (x86_64 and aarch64 stay below it).
constexpr uint32_t kSyscallSpan = 512;

bool allowed(const SeccompPlan& seccomp, uint32_t nr, uint64_t arg0, uint64_t arg1) {
  if (!seccomp.enabled) return true;
  seccomp_data data{};
  data.nr = static_cast<int>(nr);
  data.arch = native_audit_arch();
  data.args[0] = arg0;
  data.args[1] = arg1;
  const auto action = evaluate_seccomp_program(seccomp.program, data);
  if (!action) return true;  // cannot tell: count it open
  const uint32_t kind = *action & SECCOMP_RET_ACTION_FULL;
  return kind == SECCOMP_RET_ALLOW || kind == SECCOMP_RET_LOG || kind == SECCOMP_RET_TRACE ||
         kind == SECCOMP_RET_USER_NOTIF;
}

// Share of the native syscall numbers the filter lets through (with zero arguments).
double syscall_surface(const SeccompPlan& seccomp) {
  if (!seccomp.enabled) return 1;
  uint32_t open = 0;
  for (uint32_t nr = 0; nr < kSyscallSpan; ++nr)
    open += allowed(seccomp, nr, 0, 0) ? 1 : 0;
  // Numbers no kernel has are refused by any allowlist; count against what a kernel can have.
  return std::min(1.0, open / 400.0);
}

// Share of these address families socket(2) may open: a [[seccomp.rule]] on socket's family
// narrows it even when @network-io grants the call.
double socket_surface(const SeccompPlan& seccomp) {
  static constexpr std::array<int, 12> kFamilies{AF_UNIX,      AF_INET, AF_INET6, AF_NETLINK,
                                                 AF_PACKET,    AF_KEY,  AF_ALG,   AF_VSOCK,
                                                 AF_BLUETOOTH, AF_XDP,  AF_CAN,   AF_TIPC};
  int open = 0;
  for (const int family : kFamilies) {
    open += allowed(seccomp, SYS_socket, static_cast<uint64_t>(family), SOCK_STREAM) ||
                    allowed(seccomp, SYS_socket, static_cast<uint64_t>(family), SOCK_DGRAM)
                ? 1
                : 0;
  }
  return open / static_cast<double>(kFamilies.size());
}

double ipc_surface(const PlanData& plan) {
  const uint64_t scopes = plan.landlock.enabled ? plan.landlock.scopes : 0;
  return ((scopes & landlock_abi::kScopeAbstractUnixSocket) ? 0 : 0.5) +
         ((scopes & landlock_abi::kScopeSignal) ? 0 : 0.5);
}

double cgroup_surface(const CgroupPlan& cgroup) {
  return ((cgroup.memory_max ? 0 : 1) + (cgroup.pids_max ? 0 : 1) + (cgroup.cpu_quota_us ? 0 : 1)) /
         3.0;
}

double network_surface(const PlanData& plan) {
  if (plan.namespaces.net) return 0;  // an empty namespace, or loopback only
  const NetworkPlan& net = plan.network;
  const auto filtered = [&](std::string_view chain) {
    // A direction filters when its chain ends in a refusal ("drop" or "reject").
    const size_t at = net.ruleset.find("chain " + std::string(chain) + " {");
    if (at == std::string::npos) return false;
    const size_t end = net.ruleset.find("\t}", at);
    const std::string_view body = std::string_view(net.ruleset).substr(at, end - at);
    return body.find("policy drop") != std::string_view::npos ||
           body.find("\t\tdrop\n") != std::string_view::npos ||
           body.find(" drop\n") != std::string_view::npos ||
           body.find("reject") != std::string_view::npos;
  };
  const bool landlock = plan.landlock.enabled;
  return 0.25 * (net.enabled && filtered("output") ? 0 : 1) +
         0.25 * (net.enabled && filtered("input") ? 0 : 1) +
         0.25 * (landlock && plan.landlock.restrict_connect ? 0 : 1) +
         0.25 * (landlock && plan.landlock.restrict_bind ? 0 : 1);
}

double capability_surface(const CapabilitiesPlan& caps) {
  return std::min(1.0, std::popcount(caps.keep) / 4.0);
}

double namespace_surface(const NamespacesPlan& ns) {
  return ((ns.pid ? 0 : 1) + (ns.ipc ? 0 : 1) + (ns.uts ? 0 : 1) + (ns.mount ? 0 : 1) +
          (ns.cgroup ? 0 : 1)) /
         5.0;
}

double filesystem_surface(const PlanData& plan) {
  const bool view = !plan.filesystem.chroot.empty() || plan.filesystem.constructed_root;
  const bool landlock = plan.landlock.enabled && plan.landlock.restrict_fs;
  return 0.5 * (view ? 0 : 1) + 0.5 * (landlock ? 0 : 1);
}

}  // namespace

std::vector<SurfacePart> residual_surface(const PlanData& plan) {
  return {
      {"syscalls", 3, syscall_surface(plan.seccomp)},
      {"socket-families", 1, socket_surface(plan.seccomp)},
      {"ipc-scopes", 1, ipc_surface(plan)},
      {"cgroup-limits", 1, cgroup_surface(plan.cgroup)},
      {"network", 1, network_surface(plan)},
      {"capabilities", 1, capability_surface(plan.capabilities)},
      {"namespaces", 1, namespace_surface(plan.namespaces)},
      {"filesystem", 1, filesystem_surface(plan)},
  };
}

double residual_exposure(const PlanData& plan) {
  double weights = 0;
  double open = 0;
  for (const SurfacePart& part : residual_surface(plan)) {
    weights += part.weight;
    open += part.weight * std::clamp(part.open, 0.0, 1.0);
  }
  return weights > 0 ? open / weights : 0;
}

}  // namespace harden
