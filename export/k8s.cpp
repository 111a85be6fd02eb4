// `harden export --format k8s`: the policy as a Pod (or Deployment) manifest. Identity,
// capabilities, privilege escalation, the LSM labels, the seccomp profile (installed
// separately: --format oci-seccomp under the kubelet's seccomp directory, or
// --format k8s-seccompprofile through the Security Profiles Operator), memory and CPU limits
// and the constructed root's tmpfs entries map to fields; what Kubernetes cannot say is named
// section by section, in the output and on stderr. The document is built as JSON and written
// by export/yaml.cpp, so no value from the policy can change the YAML's structure.
#include <linux/capability.h>
#include <sys/capability.h>

#include <algorithm>
#include <memory>

#include "export/export.hpp"
#include "export/k8s_common.hpp"
#include "plan/landlock_abi.hpp"

namespace harden {

namespace {

using nlohmann::ordered_json;

// Kubernetes spells capabilities without the CAP_ prefix.
std::string k8s_capability(int cap) {
  std::unique_ptr<char, decltype(&cap_free)> name(cap_to_name(cap), &cap_free);
  std::string upper = name ? name.get() : std::to_string(cap);
  std::ranges::transform(upper, upper.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper.starts_with("CAP_") ? upper.substr(4) : upper;
}

// The container's root file system may be read-only when the target could write nowhere in
// it: a constructed root (its root tmpfs is read-only once built; writable places are
// tmpfs entries, which become volumes), or Landlock granting write on no path.
bool read_only_root(const PlanData& data) {
  if (data.filesystem.constructed_root) return true;
  if (!data.landlock.enabled || !data.landlock.restrict_fs) return false;
  return std::ranges::none_of(data.landlock.paths, [](const LandlockPathRule& rule) {
    return (rule.access & landlock_abi::kFsWriteFile) != 0;
  });
}

// "user:role:type[:level]" (the level may hold ':' itself, "s0:c1,c2").
ordered_json selinux_options(const std::string& context) {
  ordered_json out = ordered_json::object();
  static constexpr std::array<const char*, 3> kParts{"user", "role", "type"};
  size_t start = 0;
  for (const char* part : kParts) {
    const size_t colon = context.find(':', start);
    out[part] = context.substr(start, colon == std::string::npos ? colon : colon - start);
    if (colon == std::string::npos) return out;
    start = colon + 1;
  }
  out["level"] = context.substr(start);
  return out;
}

// Each section of the policy Kubernetes cannot express, and the parts of the others.
void list_untranslated(const Policy& policy, const PlanData& data, NotTranslated& missing) {
  if (data.landlock.enabled) {
    missing.add(policy.landlock.pos,
                "[landlock] (filesystem rules, TCP port rules and the exec lock: Kubernetes "
                "and OCI runtimes have no Landlock field)");
  }
  if (data.landlock.scopes != 0) {
    missing.add(section_pos(policy, "ipc"),
                "[ipc] (abstract UNIX socket and signal scopes are Landlock scopes)");
  }
  if (data.cgroup.pids_max) {
    missing.add(policy.cgroup.pids ? policy.cgroup.pids->pos : policy.cgroup.pos,
                "[cgroup] pids (the kubelet sets one PID limit per node or Pod, not per "
                "container)");
  }
  if (!data.limits.empty()) {
    missing.add(section_pos(policy, "limits"),
                "[limits] (rlimits are set by the container runtime, not the Pod spec)");
  }
  if (data.network.enabled) {
    missing.add(policy.network.pos,
                "[network] (no Pod field; export it with --format k8s-networkpolicy)");
  }
  if (!data.audit.rules.empty()) {
    missing.add(policy.audit.pos, "[audit] (audit rules belong to the node)");
  }
  if (data.namespaces.net) {
    missing.add(
        policy.namespaces.net ? policy.namespaces.net->pos : section_pos(policy, "namespaces"),
        "[namespaces] net (a Pod always has a network; --format k8s-networkpolicy "
        "writes a NetworkPolicy denying all traffic)");
  }
  if (!data.namespaces.hostname.empty() && !dns1123_label(data.namespaces.hostname)) {
    missing.add(policy.namespaces.hostname->pos,
                "[namespaces] hostname '" + data.namespaces.hostname +
                    "' (a Pod's hostname must be an RFC 1123 label)");
  }
  if (policy.filesystem.chroot) {
    missing.add(policy.filesystem.chroot->pos,
                "[filesystem] chroot (the image is the container's root)");
  }
  if (data.filesystem.constructed_root) {
    const bool binds =
        !policy.filesystem.read_only.empty() || !policy.filesystem.read_write.empty();
    if (binds) {
      missing.add(policy.filesystem.view_pos.value_or(section_pos(policy, "filesystem")),
                  "[filesystem] read_only and read_write host binds (the image provides the "
                  "files; mount volumes where the service writes)");
    }
    missing.add(policy.filesystem.view_pos.value_or(section_pos(policy, "filesystem")),
                "[filesystem] constructed root: /proc, /sys and /dev are the runtime's "
                "(readOnlyRootFilesystem and the tmpfs volumes are set)");
    for (const ViewEntry& entry : policy.filesystem.tmpfs) {
      if (entry.mode || (entry.noexec && entry.noexec->value)) {
        missing.add(entry.path.pos, "[filesystem] tmpfs " + entry.path.value +
                                        ": mode and noexec (an emptyDir has neither)");
      }
    }
  }
  if (data.exec.memory_deny_write_execute) {
    missing.add(policy.exec.memory_deny_write_execute->pos,
                "[exec] memory_deny_write_execute (no Kubernetes field for PR_SET_MDWE)");
  }
  if (data.exec.umask) missing.add(policy.exec.umask->pos, "[exec] umask");
  if (!data.environment.keep.empty()) {
    missing.add(policy.environment.keep.front().pos,
                "[environment] keep (a container's environment is the image's and the "
                "Pod's env)");
  }
  if (policy.lsm.optional && policy.lsm.optional->value) {
    missing.add(policy.lsm.optional->pos,
                "[lsm] optional (the kubelet refuses a Pod whose LSM is not active)");
  }
}

ordered_json container_security_context(const PlanData& data, const ExportOptions& options,
                                        const std::string& name) {
  ordered_json sc = ordered_json::object();
  if (data.credentials.change_ids) {
    sc["runAsUser"] = data.credentials.uid;
    sc["runAsGroup"] = data.credentials.gid;
    if (data.credentials.uid != 0) sc["runAsNonRoot"] = true;
  }
  sc["privileged"] = false;
  sc["allowPrivilegeEscalation"] = !data.no_new_privs;
  ordered_json add = ordered_json::array();
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if ((data.capabilities.keep >> cap) & 1U) add.push_back(k8s_capability(cap));
  }
  sc["capabilities"] = {{"drop", {"ALL"}}};
  if (!add.empty()) sc["capabilities"]["add"] = add;
  if (read_only_root(data)) sc["readOnlyRootFilesystem"] = true;
  if (data.seccomp.enabled) {
    const std::string profile =
        options.seccomp_profile.empty() ? "harden/" + name + ".json" : options.seccomp_profile;
    sc["seccompProfile"] = {{"type", "Localhost"}, {"localhostProfile", profile}};
  }
  if (!data.lsm.apparmor_profile.empty()) {
    sc["appArmorProfile"] = {{"type", "Localhost"},
                             {"localhostProfile", data.lsm.apparmor_profile}};
  }
  if (!data.lsm.selinux_context.empty()) {
    sc["seLinuxOptions"] = selinux_options(data.lsm.selinux_context);
  }
  return sc;
}

}  // namespace

std::optional<std::string> export_k8s(const Policy& policy, const Plan& plan,
                                      const ExportOptions& options, Diagnostics& diags) {
  const PlanData& data = plan.data();
  const std::optional<std::string> name = k8s_object_name(policy, options, diags);
  if (!name) return std::nullopt;
  if (options.k8s_kind != "pod" && options.k8s_kind != "deployment") {
    diags.error({}, "unknown --kind '" + options.k8s_kind + "'", "use pod or deployment");
    return std::nullopt;
  }
  if (options.image.empty()) {
    diags.error({}, "a Kubernetes container needs an image",
                "pass --image REGISTRY/NAME:TAG (the image holding the policy's program)");
    return std::nullopt;
  }

  NotTranslated missing(diags, "Kubernetes");
  missing.note("harden export --format k8s: policy '" + data.policy_name + "'");
  list_untranslated(policy, data, missing);
  if (data.seccomp.enabled) {
    missing.note(
        "seccomp: install harden export --format oci-seccomp as " +
        std::string("<kubelet root>/seccomp/") +
        (options.seccomp_profile.empty() ? "harden/" + *name + ".json" : options.seccomp_profile) +
        ", or apply --format k8s-seccompprofile and pass --seccomp-profile operator/" + *name +
        ".json");
  }

  ordered_json container{{"name", *name}, {"image", options.image}};
  const std::vector<std::string>& command =
      options.command.empty() ? data.exec.command : options.command;
  if (!command.empty()) container["command"] = command;
  if (!data.exec.working_directory.empty()) {
    container["workingDir"] = data.exec.working_directory;
  }
  if (!data.environment.set.empty()) {
    ordered_json env = ordered_json::array();
    for (const std::string& entry : data.environment.set) {
      const size_t eq = entry.find('=');
      env.push_back({{"name", entry.substr(0, eq)}, {"value", entry.substr(eq + 1)}});
    }
    container["env"] = env;
  }
  container["securityContext"] = container_security_context(data, options, *name);

  ordered_json limits = ordered_json::object();
  if (data.cgroup.memory_max) limits["memory"] = std::to_string(*data.cgroup.memory_max);
  if (data.cgroup.cpu_quota_us && data.cgroup.cpu_period_us > 0) {
    // Millicores, rounded down: never more CPU than the policy gives.
    const uint64_t milli =
        std::max<uint64_t>(1, *data.cgroup.cpu_quota_us * 1000 / data.cgroup.cpu_period_us);
    limits["cpu"] = std::to_string(milli) + "m";
  }
  if (!limits.empty()) container["resources"] = {{"limits", limits}};

  // The constructed root's tmpfs entries: memory-backed emptyDir volumes, so a read-only
  // root file system still has its writable places.
  ordered_json volumes = ordered_json::array();
  ordered_json mounts = ordered_json::array();
  for (const ViewMount& mount : data.filesystem.view) {
    if (mount.kind != ViewKind::tmpfs || !data.filesystem.constructed_root) continue;
    // Only the entries the policy listed: /dev and /dev/shm of dev = "minimal" are the
    // runtime's.
    const bool listed = std::ranges::any_of(
        policy.filesystem.tmpfs, [&](const ViewEntry& e) { return e.path.value == mount.target; });
    if (!listed) continue;
    const std::string volume = "tmpfs-" + std::to_string(volumes.size());
    ordered_json empty_dir{{"medium", "Memory"}};
    if (mount.size > 0) empty_dir["sizeLimit"] = std::to_string(mount.size);
    volumes.push_back({{"name", volume}, {"emptyDir", empty_dir}});
    mounts.push_back({{"name", volume}, {"mountPath", mount.target}});
  }
  if (!mounts.empty()) container["volumeMounts"] = mounts;

  ordered_json pod_spec = ordered_json::object();
  ordered_json pod_security = ordered_json::object();
  if (data.credentials.change_ids && !data.credentials.supplementary_groups.empty()) {
    pod_security["supplementalGroups"] = data.credentials.supplementary_groups;
  }
  if (!pod_security.empty()) pod_spec["securityContext"] = pod_security;
  // Nothing but the view is visible under harden, so no service account token either.
  if (data.filesystem.constructed_root) pod_spec["automountServiceAccountToken"] = false;
  if (data.namespaces.user) pod_spec["hostUsers"] = false;
  if (data.namespaces.pid) pod_spec["shareProcessNamespace"] = false;
  if (!data.namespaces.hostname.empty() && dns1123_label(data.namespaces.hostname)) {
    pod_spec["hostname"] = data.namespaces.hostname;
  }
  pod_spec["containers"] = ordered_json::array({container});
  if (!volumes.empty()) pod_spec["volumes"] = volumes;

  const ordered_json labels{{std::string(kK8sNameLabel), *name}};
  ordered_json document;
  if (options.k8s_kind == "deployment") {
    document = {{"apiVersion", "apps/v1"},
                {"kind", "Deployment"},
                {"metadata", {{"name", *name}, {"labels", labels}}},
                {"spec",
                 {{"replicas", 1},
                  {"selector", {{"matchLabels", labels}}},
                  {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod_spec}}}}}};
  } else {
    document = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", *name}, {"labels", labels}}},
                {"spec", pod_spec}};
  }
  return render_manifest({{missing.comments(), document}}, options);
}

}  // namespace harden
