// `harden export --format k8s`: the policy as a Pod spec fragment. Identity, capabilities,
// privilege escalation and the seccomp profile (exported separately with --format
// oci-seccomp and installed under the kubelet's seccomp directory) map one to one; the rest
// of a policy belongs to the container runtime and is listed as not translated.
#include <linux/capability.h>
#include <sys/capability.h>

#include <algorithm>
#include <memory>

#include "export/export.hpp"

namespace harden {

namespace {

// Kubernetes spells capabilities without the CAP_ prefix.
std::string k8s_capability(int cap) {
  std::unique_ptr<char, decltype(&cap_free)> name(cap_to_name(cap), &cap_free);
  std::string upper = name ? name.get() : std::to_string(cap);
  std::ranges::transform(upper, upper.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper.starts_with("CAP_") ? upper.substr(4) : upper;
}

std::string yaml_quote(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::optional<std::string> export_k8s(const Policy& policy, const Plan& plan,
                                      const ExportOptions& options, Diagnostics& diags) {
  const PlanData& data = plan.data();
  std::string out = "# harden export --format k8s: policy '" + data.policy_name + "'\n";
  std::vector<std::string> missing;
  auto not_translated = [&](const SourcePos& pos, const std::string& what) {
    missing.push_back(what);
    diags.warning(pos, "no Kubernetes securityContext equivalent: " + what);
  };
  if (policy.filesystem.chroot) {
    not_translated(policy.filesystem.chroot->pos, "chroot (the image is the container's root)");
  }
  if (!data.limits.empty()) {
    not_translated(policy.limits.values.front().name.pos,
                   "rlimits (set by the container runtime, not the Pod spec)");
  }
  if (policy.exec.umask) not_translated(policy.exec.umask->pos, "umask");
  for (const std::string& m : missing)
    out += "# NOT TRANSLATED: " + m + "\n";

  out += "spec:\n";
  if (data.credentials.change_ids && !data.credentials.supplementary_groups.empty()) {
    out += "  securityContext:\n    supplementalGroups: [";
    for (size_t i = 0; i < data.credentials.supplementary_groups.size(); ++i) {
      out += (i ? ", " : "") + std::to_string(data.credentials.supplementary_groups[i]);
    }
    out += "]\n";
  }
  out += "  containers:\n  - name: " + data.policy_name + "\n";
  if (!data.exec.command.empty() || !options.command.empty()) {
    const auto& command = options.command.empty() ? data.exec.command : options.command;
    out += "    command: [";
    for (size_t i = 0; i < command.size(); ++i)
      out += (i ? ", " : "") + yaml_quote(command[i]);
    out += "]\n";
  }
  out += "    securityContext:\n";
  if (data.credentials.change_ids) {
    out += "      runAsUser: " + std::to_string(data.credentials.uid) + "\n";
    out += "      runAsGroup: " + std::to_string(data.credentials.gid) + "\n";
    if (data.credentials.uid != 0) out += "      runAsNonRoot: true\n";
  }
  out += "      privileged: false\n";
  out += std::string("      allowPrivilegeEscalation: ") + (data.no_new_privs ? "false" : "true") +
         "\n";
  out += "      capabilities:\n        drop: [\"ALL\"]\n";
  std::string add;
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if ((data.capabilities.keep >> cap) & 1U) {
      add += (add.empty() ? "" : ", ") + yaml_quote(k8s_capability(cap));
    }
  }
  if (!add.empty()) out += "        add: [" + add + "]\n";
  if (data.seccomp.enabled) {
    const std::string profile = options.seccomp_profile.empty()
                                    ? "harden/" + data.policy_name + ".json"
                                    : options.seccomp_profile;
    out +=
        "      seccompProfile:\n        # harden export --format oci-seccomp, installed as\n"
        "        # <kubelet root>/seccomp/" +
        profile +
        "\n"
        "        type: Localhost\n        localhostProfile: " +
        yaml_quote(profile) + "\n";
  }
  // [lsm] apparmor_profile maps to appArmorProfile { type: Localhost, localhostProfile } and
  // selinux_context to seLinuxOptions once the LSM layer is in the policy.
  return out;
}

}  // namespace harden
