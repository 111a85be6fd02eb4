// Lint rules about what the target shares with the host: System V IPC, the network, and
// writable places in its file system view that are also executable.
#include <string>

#include "compiler/compile_layers.hpp"
#include "lint/lint_checks.hpp"

namespace harden::lint {

namespace {

SourcePos pos_of_origin(const PlanOrigin& origin, const SourcePos& fallback) {
  if (origin.line == 0) return fallback;
  return SourcePos{origin.file, origin.line, origin.column};
}

// How far the target's traffic in one direction is restricted while it shares the host's
// network: by Landlock (TCP ports only, as the rule always counted it) or by the [network]
// firewall, whose verdict for the direction refuses what no [[network.allow]] lets through.
// An allow with neither addresses nor ports passes its whole protocol (or everything), which
// leaves the direction as open as "accept".
struct Direction {
  bool restricted = false;
  SourcePos open_at;  // what leaves it open, for the finding
};

Direction firewall_direction(const LintInput& in, bool ingress, bool landlock_restricts,
                             const SourcePos& fallback) {
  Direction d;
  d.restricted = landlock_restricts;
  d.open_at = fallback;
  const NetworkSection& written = in.policy.network;
  if (!in.plan.network.enabled) return d;
  const auto& verdict = ingress ? written.ingress : written.egress;
  d.open_at = verdict ? verdict->pos : written.pos;
  const std::string_view value = verdict ? std::string_view(verdict->value)
                                         : default_network_verdict(in.plan.network.scope, ingress);
  if (value == "accept") return d;
  for (const NetworkAllow& allow : written.allow) {
    if ((allow.direction.value == "ingress") != ingress) continue;
    if (allow.addresses.empty() && allow.ports.empty()) {
      d.open_at = allow.pos;
      return d;
    }
  }
  d.restricted = true;
  return d;
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
  if (in.plan.namespaces.net) return;
  const LandlockPlan& landlock = in.plan.landlock;
  const auto& net = in.policy.namespaces.net;
  const SourcePos net_pos = net ? net->pos : in.section_or_name("namespaces");
  const Direction egress =
      firewall_direction(in, false, landlock.enabled && landlock.restrict_connect, net_pos);
  const Direction ingress =
      firewall_direction(in, true, landlock.enabled && landlock.restrict_bind, net_pos);
  if (egress.restricted && ingress.restricted) return;
  const std::string shares = std::string(net ? "net = \"host\"" : "no [namespaces] net") +
                             ": the target shares the host's network";
  if (!egress.restricted && !ingress.restricted) {
    out.push_back(make_finding("network-unrestricted", egress.open_at,
                               shares +
                                   ", and may connect to any address and listen on any port its "
                                   "user may",
                               "net"));
    return;
  }
  // One direction restricted leaves part of the exposure, weighted by what an intruder does
  // first: reach out (internal services, cloud metadata, exfiltration) rather than wait for
  // connections to a port it opened.
  if (!egress.restricted) {
    out.push_back(make_finding(
        "network-unrestricted", egress.open_at,
        shares + "; incoming traffic is restricted, but it may connect to any address", "net", 0.7,
        "set [network] egress = \"drop\" with [[network.allow]] entries for the peers it "
        "needs, or [landlock] connect_tcp"));
    return;
  }
  const bool uid_scope = in.plan.network.enabled && in.plan.network.scope == NetworkScope::uid;
  out.push_back(make_finding(
      "network-unrestricted", ingress.open_at,
      shares + "; outgoing traffic is restricted, but it may listen on any port its user may",
      "net", 0.3,
      uid_scope ? "scope = \"uid\" cannot filter ingress: add [landlock] bind_tcp with the "
                  "ports it serves, or use scope = \"cgroup\""
                : "set [network] ingress = \"drop\" with [[network.allow]] entries for the "
                  "ports it serves, or [landlock] bind_tcp"));
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

// A listed program may be executed after the target's start, so the exec lock cannot refuse
// execve any more; the kernel loads a listed program's ELF interpreter with the execute
// right, and that interpreter started as a program maps any readable file as code, which
// Landlock does not govern (see harden(1), landlock).
void check_exec_lock_interpreter(const LintInput& in, std::vector<LintFinding>& out) {
  const LandlockPlan& landlock = in.plan.landlock;
  if (!landlock.enabled || !landlock.restrict_fs || in.policy.landlock.execute.empty()) return;
  const LocatedString& first = in.policy.landlock.execute.front();
  out.push_back(make_finding(
      "exec-lock-interpreter", first.pos,
      "[landlock] execute lists '" + first.value +
          "': the target may execute programs after its start, and a listed program's ELF "
          "interpreter (ld.so), run as a program, would load any file it can read as code",
      first.value));
}

}  // namespace harden::lint
