// Resolves [filesystem]: the classic chroot (with proc, dev and tmpfs mounted into it), or the
// constructed root's view. proc = true and dev = "minimal" are expanded here into plain
// entries, so the plan lists everything the target will see (and Landlock can derive its
// rules from the same list).
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>

#include "compiler/compile_layers.hpp"

namespace harden {

namespace {

PlanOrigin origin_of(const SourcePos& pos) {
  return {pos.file, pos.line, pos.column};
}

// An absolute path in normal form: no empty, "." or ".." components, no trailing '/'. Mount
// targets are created component by component, so a ".." could only mean a mistake.
bool normal_absolute_path(const std::string& path) {
  if (path.empty() || path[0] != '/' || path.find('\0') != std::string::npos) return false;
  if (path == "/") return true;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

FilesystemPlan compile_chroot(const LocatedString& root, Diagnostics& diags, HostChecks host) {
  FilesystemPlan plan;
  if (root.value.empty() || root.value[0] != '/') {
    diags.error(root.pos, "'chroot' must be an absolute path");
    return plan;
  }
  if (root.value == "/") {
    diags.error(root.pos, "chroot = \"/\" confines nothing",
                "remove it, or name the jail directory");
    return plan;
  }
  // Whether it exists is this host's business: validate --host and the launch ask.
  struct stat st {};
  if (host == HostChecks::check && stat(root.value.c_str(), &st) != 0) {
    diags.error(root.pos, "chroot directory '" + root.value + "': " + std::strerror(errno),
                "create the jail directory first");
    return plan;
  }
  if (host == HostChecks::check && !S_ISDIR(st.st_mode)) {
    diags.error(root.pos, "chroot '" + root.value + "' is not a directory");
    return plan;
  }
  plan.chroot = root.value;
  return plan;
}

class ViewBuilder {
 public:
  ViewBuilder(Diagnostics& diags, HostChecks host) : diags_(diags), host_(host) {}

  // A bind from read_only / read_write.
  void bind(const ViewEntry& entry, bool read_only, std::string_view list) {
    if (!check_target(entry.path, list)) return;
    const LocatedString& source = entry.source ? *entry.source : entry.path;
    if (!normal_absolute_path(source.value)) {
      diags_.error(source.pos,
                   "bind source '" + source.value +
                       "' must be an absolute path in "
                       "normal form",
                   "write it like \"/srv/data\"");
      return;
    }
    struct stat st {};
    if (host_ == HostChecks::check && stat(source.value.c_str(), &st) != 0) {
      diags_.error(source.pos, "bind source '" + source.value + "': " + std::strerror(errno),
                   "every listed path must exist on the host");
      return;
    }
    ViewMount m;
    m.kind = ViewKind::bind;
    m.target = entry.path.value;
    m.source = source.value;
    m.read_only = read_only;
    m.noexec = entry.noexec && entry.noexec->value;
    add(std::move(m), entry.path.pos);
  }

  void tmpfs(const ViewEntry& entry) {
    if (!check_target(entry.path, "tmpfs")) return;
    ViewMount m;
    m.kind = ViewKind::tmpfs;
    m.target = entry.path.value;
    m.noexec = entry.noexec && entry.noexec->value;
    m.size = entry.size ? entry.size->value : 0;
    m.mode = 01777;  // like /tmp: what a tmpfs in the view is usually for
    if (entry.mode) {
      const std::string& text = entry.mode->value;
      bool valid = !text.empty() && text.size() <= 4;
      for (const char c : text)
        valid = valid && c >= '0' && c <= '7';
      if (!valid) {
        diags_.error(entry.mode->pos, "invalid tmpfs mode '" + text + "'",
                     "write it in octal, e.g. \"0755\" or \"1777\"");
        return;
      }
      m.mode = static_cast<mode_t>(std::stoul(text, nullptr, 8));
    }
    add(std::move(m), entry.path.pos);
  }

  // Entries harden adds itself (proc, /dev): their targets are fixed and well formed.
  void builtin(ViewKind kind, std::string target, const SourcePos& pos, std::string source = {},
               bool read_only = false, bool noexec = true, mode_t mode = 0755) {
    ViewMount m;
    m.kind = kind;
    m.target = std::move(target);
    m.source = std::move(source);
    m.read_only = read_only;
    m.noexec = noexec;
    m.mode = mode;
    add(std::move(m), pos);
  }

  std::vector<ViewMount> take() {
    // A parent's path is a prefix of its children's, so it sorts first: every entry is
    // mounted after (on top of, or inside) the entries that contain it.
    std::stable_sort(view_.begin(), view_.end(),
                     [](const ViewMount& a, const ViewMount& b) { return a.target < b.target; });
    return std::move(view_);
  }

 private:
  bool check_target(const LocatedString& path, std::string_view list) {
    if (!normal_absolute_path(path.value)) {
      diags_.error(path.pos,
                   "'" + path.value + "' in '" + std::string(list) +
                       "' must be an absolute path in normal form",
                   "write it like \"/usr/lib\": no '.', '..', '//' or trailing '/'");
      return false;
    }
    if (path.value == "/") {
      diags_.error(path.pos, "'/' cannot be listed in '" + std::string(list) + "'",
                   "the root is an empty tmpfs; list the directories the target needs");
      return false;
    }
    return true;
  }

  void add(ViewMount m, const SourcePos& pos) {
    const auto [it, inserted] = seen_.emplace(m.target, pos);
    if (!inserted) {
      diags_.error(pos, "'" + m.target + "' appears twice in the filesystem view",
                   it->second.line ? "first listed at line " + std::to_string(it->second.line)
                                   : "harden adds it itself (proc, sys or dev)");
      return;
    }
    m.origin = origin_of(pos);
    view_.push_back(std::move(m));
  }

  Diagnostics& diags_;
  HostChecks host_;
  std::vector<ViewMount> view_;
  std::map<std::string, SourcePos> seen_;
};

// The kernel interfaces a sandboxed root must not write, and the ones it must not read at all,
// under a fresh /proc and a shown /sys: at least runc's (and Docker's) readonlyPaths and
// maskedPaths. A root target keeps its uid 0 inside, and these files check the uid, not a
// capability: /proc/irq/N/smp_affinity, /proc/sys/..., /proc/sysrq-trigger change the host;
// /proc/kcore, /proc/keys, /proc/timer_list and the like leak kernel memory, keys and addresses.
// Files are masked with /dev/null, directories with an empty read-only tmpfs; what this kernel
// does not have is skipped at mount time.
enum class Under : uint8_t { proc, sys };

struct KernelInterface {
  std::string_view path;
  ViewKind kind;  // remount_ro or mask
  Under under;
};

constexpr std::array<KernelInterface, 17> kKernelInterfaces{{
    {"/proc/acpi", ViewKind::mask, Under::proc},
    {"/proc/asound", ViewKind::mask, Under::proc},
    {"/proc/bus", ViewKind::remount_ro, Under::proc},
    {"/proc/fs", ViewKind::remount_ro, Under::proc},
    {"/proc/interrupts", ViewKind::mask, Under::proc},
    {"/proc/irq", ViewKind::remount_ro, Under::proc},
    {"/proc/kcore", ViewKind::mask, Under::proc},
    {"/proc/keys", ViewKind::mask, Under::proc},
    {"/proc/latency_stats", ViewKind::mask, Under::proc},
    {"/proc/sched_debug", ViewKind::mask, Under::proc},
    {"/proc/scsi", ViewKind::mask, Under::proc},
    {"/proc/sys", ViewKind::remount_ro, Under::proc},
    {"/proc/sysrq-trigger", ViewKind::remount_ro, Under::proc},
    {"/proc/timer_list", ViewKind::mask, Under::proc},
    {"/proc/timer_stats", ViewKind::mask, Under::proc},
    {"/sys/devices/virtual/powercap", ViewKind::mask, Under::sys},
    {"/sys/firmware", ViewKind::mask, Under::sys},
}};

void add_kernel_interfaces(Under under, const SourcePos& pos, ViewBuilder& view) {
  for (const KernelInterface& entry : kKernelInterfaces) {
    if (entry.under == under) view.builtin(entry.kind, std::string(entry.path), pos);
  }
}

// proc, sys and dev: the entries harden adds itself, for a constructed root and a chroot alike.
void add_builtin_entries(const FilesystemSection& fs, const NamespacesPlan& ns, ViewBuilder& view,
                         Diagnostics& diags) {
  if (fs.proc && fs.proc->value) {
    view.builtin(ViewKind::proc, "/proc", fs.proc->pos);
    add_kernel_interfaces(Under::proc, fs.proc->pos, view);
  }
  if (fs.sys && fs.sys->value) {
    view.builtin(ViewKind::bind, "/sys", fs.sys->pos, "/sys", true);
    add_kernel_interfaces(Under::sys, fs.sys->pos, view);
  }
  if (fs.dev && fs.dev->value == "minimal") {
    const SourcePos& pos = fs.dev->pos;
    view.builtin(ViewKind::tmpfs, "/dev", pos, {}, false, true, 0755);
    for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
      const std::string path = std::string("/dev/") + node;
      view.builtin(ViewKind::dev_bind, path, pos, path);
    }
    view.builtin(ViewKind::devpts, "/dev/pts", pos);
    view.builtin(ViewKind::symlink, "/dev/ptmx", pos, "pts/ptmx");
    view.builtin(ViewKind::tmpfs, "/dev/shm", pos, {}, false, true, 01777);
    // mqueue shows the queues of the IPC namespace it is mounted from: only a private one.
    if (ns.ipc) view.builtin(ViewKind::mqueue, "/dev/mqueue", pos);
    view.builtin(ViewKind::symlink, "/dev/fd", pos, "/proc/self/fd");
    view.builtin(ViewKind::symlink, "/dev/stdin", pos, "/proc/self/fd/0");
    view.builtin(ViewKind::symlink, "/dev/stdout", pos, "/proc/self/fd/1");
    view.builtin(ViewKind::symlink, "/dev/stderr", pos, "/proc/self/fd/2");
  } else if (fs.dev && fs.dev->value != "none") {
    static constexpr std::array<std::string_view, 2> kDev{"minimal", "none"};
    diags.error(fs.dev->pos, "unknown value '" + fs.dev->value + "' for 'filesystem.dev'",
                did_you_mean(fs.dev->value, kDev, "use \"minimal\" or \"none\""));
  }
}

}  // namespace

FilesystemPlan compile_filesystem(const FilesystemSection& fs, const NamespacesPlan& ns,
                                  Diagnostics& diags, HostChecks host) {
  if (fs.chroot) {
    // A chroot shows the jail as it is; harden may mount proc, a minimal /dev and tmpfs into
    // it (host binds and /sys are check_isolation's errors).
    FilesystemPlan plan = compile_chroot(*fs.chroot, diags, host);
    ViewBuilder view(diags, host);
    add_builtin_entries(fs, ns, view, diags);
    for (const ViewEntry& entry : fs.tmpfs)
      view.tmpfs(entry);
    plan.view = view.take();
    return plan;
  }
  FilesystemPlan plan;
  if (!fs.view_pos) return plan;
  plan.constructed_root = true;
  ViewBuilder view(diags, host);
  // harden's own entries first, so a user entry that collides is the one reported.
  add_builtin_entries(fs, ns, view, diags);
  for (const ViewEntry& entry : fs.read_only)
    view.bind(entry, true, "read_only");
  for (const ViewEntry& entry : fs.read_write)
    view.bind(entry, false, "read_write");
  for (const ViewEntry& entry : fs.tmpfs)
    view.tmpfs(entry);
  plan.view = view.take();
  return plan;
}

}  // namespace harden
