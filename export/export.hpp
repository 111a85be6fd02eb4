// Exporters: one validated policy written in another tool's language (a systemd unit
// drop-in, the OCI seccomp JSON, a Kubernetes securityContext, an nft script, an audit rules
// file), and the OCI seccomp importer.
// Functions of (Policy, Plan) to text: they change nothing on the system and read only the
// user database (the systemd export names the /etc/group memberships systemd would add). What
// a format cannot express is said twice: as a comment in the output and as a warning in
// `diags` pointing at the policy line, so nobody mistakes a partial translation for the policy.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"

namespace harden {

struct ExportOptions {
  std::string policy_path;  // absolute: the wrapper's ExecStart names it
  std::string harden_path;  // absolute path of the harden binary (--wrapper)
  // --wrapper, instead of `harden --policy`: a sealed plan (`harden --plan`), or a compiled
  // wrapper (`harden compile -o`) that is the ExecStart itself. Paths on the hosts.
  std::string plan_path;
  std::string compiled_wrapper;
  std::vector<std::string> install_notes;  // --wrapper: what must be installed where
  std::vector<std::string> command;        // `-- CMD`; overrides the policy's [exec] command
  bool systemd_native = false;             // --native: systemd's own directives; else --wrapper
  unsigned systemd_version = 252;          // --native: the oldest systemd the unit must run on
  std::string seccomp_profile;             // k8s: localhostProfile path (relative to the kubelet's
                                           // seccomp directory); default "harden/<name>.json"
  // Kubernetes formats (k8s, k8s-seccompprofile, k8s-networkpolicy):
  std::string k8s_name;          // object and container name; default: from the policy name
  std::string k8s_kind = "pod";  // k8s: "pod" or "deployment"
  std::string image;             // k8s: the container image (required)
  bool json = false;             // JSON instead of YAML
};

// A unit drop-in ([Service] section). --wrapper: ExecStart through harden. --native: the
// policy translated into systemd.exec(5) directives, read from the seccomp decision model. An
// argument condition systemd cannot express is exported as the closest wider rule that still
// runs the service (the call allowed whole) and named in the header and as a warning; other
// layers systemd lacks are listed as not translated. Without a command, --native writes a
// hardening-only drop-in that keeps the unit's own ExecStart=.
std::optional<std::string> export_systemd(const Policy& policy, const Plan& plan,
                                          const ExportOptions& options, Diagnostics& diags);

// The `linux.seccomp` object of an OCI runtime config (runc, crun, Docker, Podman), which is
// also a Kubernetes seccomp profile file.
std::optional<std::string> export_oci_seccomp(const Policy& policy, const Plan& plan,
                                              const ExportOptions& options, Diagnostics& diags);

// A Pod (or Deployment) manifest: pod and container securityContext, resources, the tmpfs
// view as memory-backed emptyDir volumes; every section Kubernetes cannot express is named.
std::optional<std::string> export_k8s(const Policy& policy, const Plan& plan,
                                      const ExportOptions& options, Diagnostics& diags);

// The Security Profiles Operator's SeccompProfile custom resource
// (security-profiles-operator.x-k8s.io/v1beta1), written from the seccomp decision model in
// the CRD's fields. What the CRD cannot hold is exported as the closest wider rule that still
// runs the service, never a stricter one, and the call named; calls allowed unconditionally
// are checked against the plan's compiled filter. An error without [seccomp].
std::optional<std::string> export_k8s_seccomp_profile(const Policy& policy, const Plan& plan,
                                                      const ExportOptions& options,
                                                      Diagnostics& diags);

// A NetworkPolicy (networking.k8s.io/v1) for the Pod of export_k8s: [network]'s defaults and
// allow rules as ipBlock peers and ports; a private network namespace as deny-all. An error
// when the policy restricts no traffic.
std::optional<std::string> export_k8s_network_policy(const Policy& policy, const Plan& plan,
                                                     const ExportOptions& options,
                                                     Diagnostics& diags);

// The policy's nftables table as an `nft -f` script: the same transaction harden runs (the
// plan's ruleset, replacing the table as a whole), with a header saying how to load, check
// and remove it, and what depends on where and when it is loaded. An error without [network].
std::optional<std::string> export_nft(const Policy& policy, const Plan& plan,
                                      const ExportOptions& options, Diagnostics& diags);

// The policy's audit rules as an audit.rules(7) file for auditctl -R or augenrules: the
// rules harden adds, with the user's key and the owner key. An error without [audit] rules.
std::optional<std::string> export_auditctl(const Policy& policy, const Plan& plan,
                                           const ExportOptions& options, Diagnostics& diags);

// An AppArmor profile equivalent to the policy, ready for apparmor_parser(8).
std::string export_apparmor_profile(const Policy& policy, const Plan& plan);

struct ImportOptions {
  std::string source_name;        // for comments and messages
  std::vector<std::string> caps;  // capabilities the target keeps: profile entries that are
                                  // conditional on them (includes/excludes caps) follow these
  // systemd: the policy name (default: from the unit's file name), the names in the host's
  // "/" (the constructed root of ProtectSystem= and friends lists them; the caller reads the
  // directory, so the importer stays a pure function) and whether a path exists (paths with
  // systemd's '-' prefix are left out when missing).
  std::string policy_name{};
  std::vector<std::string> root_entries{};
  std::function<bool(const std::string&)> path_exists{};
};

// An OCI/Docker seccomp profile (JSON text) as a [seccomp] policy section (TOML text).
// Entries for other architectures or for capabilities the target does not keep are left
// out, as are names no architecture of the filter knows; the output lists them in comments.
std::optional<std::string> import_oci_seccomp(const std::string& json_text,
                                              const ImportOptions& options, Diagnostics& diags);

// A systemd service unit (or drop-in) as a whole policy (TOML text): the sandboxing
// directives of [Service] mapped to policy keys, constants by name; each directive that
// cannot be mapped is listed with its file:line in a comment and warned about. Errors for
// malformed lines and values, and for a denied group harden does not know (leaving it out
// would allow its calls).
std::optional<std::string> import_systemd_unit(const std::string& unit_text,
                                               const ImportOptions& options, Diagnostics& diags);

// "nginx.service" -> "nginx": a policy name (a-z, 0-9, '-', '_', at most 32) from a unit file.
std::string policy_name_from_unit(const std::string& file);

}  // namespace harden
