// Resolves [namespaces] and checks the rules that tie it to [filesystem], [identity] and
// [exec]. What one setting implies for another (a constructed root needs a mount namespace, a
// hostname a UTS namespace) is filled in when left out and an error when contradicted.
#include <cctype>

#include "compiler/compile_layers.hpp"

namespace harden {

namespace {

// RFC 1123 host name labels, at most 64 bytes (the kernel's limit).
bool valid_hostname(const std::string& name) {
  if (name.empty() || name.size() > 64 || name.front() == '-' || name.front() == '.' ||
      name.back() == '-' || name.back() == '.') {
    return false;
  }
  for (const char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

bool is_false(const std::optional<Located<bool>>& value) {
  return value && !value->value;
}

// `dir` equals `root` or lies below it.
bool within(const std::string& dir, const std::string& root) {
  if (root == "/") return true;
  return dir == root || (dir.starts_with(root) && dir[root.size()] == '/');
}

}  // namespace

NamespacesPlan compile_namespaces(const NamespacesSection& ns, Diagnostics& diags) {
  NamespacesPlan plan;
  // Private System V IPC and POSIX message queues unless the policy asks for the host's.
  plan.ipc = !ns.ipc || ns.ipc->value == "private";
  plan.mount = ns.mount && ns.mount->value;
  plan.uts = ns.uts && ns.uts->value;
  plan.cgroup = ns.cgroup && ns.cgroup->value;
  plan.pid = ns.pid && ns.pid->value;
  plan.user = ns.user && ns.user->value;
  if (ns.net && ns.net->value != "host") {
    // private and loopback both start from an empty network namespace whose only
    // interface, lo, is brought up.
    plan.net = true;
    plan.loopback_up = true;
  }
  if (ns.hostname) {
    if (!valid_hostname(ns.hostname->value)) {
      diags.error(ns.hostname->pos, "invalid hostname '" + ns.hostname->value + "'",
                  "use 1 to 64 letters, digits, '-' and '.', not starting or ending with '-' "
                  "or '.'");
    }
    plan.hostname = ns.hostname->value;
    if (!is_false(ns.uts)) plan.uts = true;  // a hostname implies its namespace
  }
  return plan;
}

void check_isolation(const Policy& policy, PlanData& plan, Diagnostics& diags) {
  const NamespacesSection& ns = policy.namespaces;
  const FilesystemSection& fs = policy.filesystem;
  if (ns.hostname && is_false(ns.uts)) {
    diags.error(ns.hostname->pos, "'hostname' needs a UTS namespace, but uts = false",
                "remove 'uts = false' (a hostname implies it), or remove the hostname: "
                "without a UTS namespace it would rename the host");
  }
  if (fs.chroot) {
    // A chroot shows the jail as it is. harden may mount proc, dev and tmpfs into it, but no
    // host path: what the jail holds is the administrator's to put there.
    auto refuse = [&](const SourcePos& pos, const std::string& key) {
      diags.error(pos, "'" + key + "' cannot be used with 'chroot'",
                  "a chroot shows only the jail (proc, dev and tmpfs may be added); put what the "
                  "target needs into the jail, or use a constructed root instead of chroot");
    };
    if (!fs.read_only.empty()) refuse(fs.read_only.front().path.pos, "read_only");
    if (!fs.read_write.empty()) refuse(fs.read_write.front().path.pos, "read_write");
    if (fs.sys && fs.sys->value) refuse(fs.sys->pos, "sys");
    if (!plan.filesystem.view.empty()) {
      const SourcePos& pos = fs.view_pos ? *fs.view_pos : fs.chroot->pos;
      if (is_false(ns.mount)) {
        diags.error(ns.mount->pos,
                    "mounts inside a chroot (proc, dev, tmpfs) need a mount namespace, but "
                    "mount = false",
                    "remove 'mount = false': without a private mount namespace the mounts would "
                    "appear in the host's jail directory (line " +
                        std::to_string(pos.line) + ")");
      }
      plan.namespaces.mount = true;
    }
    if (fs.proc && fs.proc->value && !plan.namespaces.pid) {
      diags.error(fs.proc->pos, "proc = true in a chroot needs a PID namespace",
                  "add pid = true to [namespaces]: otherwise /proc/PID/root of any host process "
                  "running as the same user leads out of the jail");
    }
  }
  if (plan.filesystem.constructed_root) {
    if (is_false(ns.mount)) {
      diags.error(ns.mount->pos, "a constructed root needs a mount namespace, but mount = false",
                  "remove 'mount = false': without a mount namespace the view would be "
                  "built over the host's mounts");
    }
    plan.namespaces.mount = true;
    if (fs.proc && fs.proc->value && !plan.namespaces.pid) {
      diags.warning(fs.proc->pos, "proc = true without a PID namespace shows every host process",
                    "add pid = true to [namespaces]");
    }
    const auto& wd = policy.exec.working_directory;
    if (wd && !wd->value.empty() && wd->value[0] == '/' && wd->value != "/") {
      bool visible = false;
      for (const ViewMount& m : plan.filesystem.view)
        visible = visible || within(wd->value, m.target);
      if (!visible) {
        diags.error(wd->pos,
                    "working_directory '" + wd->value + "' is not inside the constructed root",
                    "list it (or a directory above it) in read_only, read_write or tmpfs");
      }
    }
  }
  if (plan.namespaces.user &&
      (policy.identity.user || policy.identity.group || policy.identity.supplementary_groups)) {
    diags.error(ns.user->pos,
                "a user namespace maps only the caller's uid and gid, so "
                "[identity] cannot switch to another user",
                "remove 'user = true', or the [identity] user, group and supplementary_groups");
  }
}

}  // namespace harden
