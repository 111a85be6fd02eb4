// Mounts layer: the constructed root. A fresh tmpfs receives exactly the plan's view (binds,
// tmpfs, proc, a minimal /dev, masks), then becomes the root with pivot_root and the old root
// is detached, so no path leads back to the host. With a classic chroot, the view (proc, a
// minimal /dev, tmpfs) is mounted into the jail itself the same way, and the filesystem step
// chroots into it.
//
// Every mount uses the fd-based API: host sources are cloned with open_tree() before anything
// is attached, and every target is opened beneath the new root with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS), one component at a time, then mounted onto by fd (move_mount). A
// symlink planted in a bound directory therefore fails the launch (ELOOP) instead of
// redirecting a mount to the host. Every mount is nosuid and nodev (device binds in /dev keep
// devices), read-only and noexec as the plan says.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <vector>

#include "enforcer/layers.hpp"

namespace harden::enforce::mounts {

namespace {

// Where the new root's tmpfs is attached while it is built. It only covers /tmp inside the
// private mount namespace, and host sources are cloned before, so nothing under it is lost.
constexpr const char* kStaging = "/tmp";

// An absolute path with no empty, "." or ".." component and no trailing '/'.
bool normal_absolute_path(const std::string& path) {
  if (path.size() < 2 || path[0] != '/' || path.back() == '/') return false;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

std::string where(const ViewMount& m) {
  std::string text = "'" + m.target + "'";
  if (m.origin.line) {
    text += " (" + m.origin.file + ":" + std::to_string(m.origin.line) + ")";
  }
  return text;
}

uint64_t attributes_of(const ViewMount& m) {
  uint64_t attributes = MOUNT_ATTR_NOSUID;
  if (m.kind != ViewKind::dev_bind && m.kind != ViewKind::devpts) attributes |= MOUNT_ATTR_NODEV;
  if (m.read_only) attributes |= MOUNT_ATTR_RDONLY;
  if (m.noexec) attributes |= MOUNT_ATTR_NOEXEC;
  return attributes;
}

enum class Create { nothing, directory, file };

// Opens `target` (absolute, in normal form) beneath `root`, one component at a time, creating
// what is missing when asked. Never follows a symlink.
std::expected<SysFd, StepError> open_target(Sys& sys, int root, const std::string& target,
                                            Create leaf) {
  SysFd current(sys, -1);
  size_t start = 1;
  while (start < target.size()) {
    const size_t end = std::min(target.find('/', start), target.size());
    const std::string name = target.substr(start, end - start);
    const bool last = end == target.size();
    const int parent = current.valid() ? current.get() : root;
    const int flags = O_PATH | (last ? 0 : O_DIRECTORY);
    int fd = sys.open_beneath(parent, name.c_str(), flags);
    if (fd < 0 && errno == ENOENT && (!last || leaf != Create::nothing)) {
      const int made = last && leaf == Create::file ? sys.create_file_at(parent, name.c_str())
                                                    : sys.mkdirat(parent, name.c_str(), 0755);
      if (made != 0 && errno != EEXIST) {
        return step_failed(errno, "creating '" + target.substr(0, end) + "' in the new root");
      }
      fd = sys.open_beneath(parent, name.c_str(), flags);
    }
    if (fd < 0) {
      const int error = errno;
      if (error == ELOOP || error == EXDEV) {
        return step_failed(error, "'" + target.substr(0, end) +
                                      "' is a symlink in the new root; refusing to mount "
                                      "through it");
      }
      return step_failed(error, "opening '" + target.substr(0, end) + "' in the new root");
    }
    current = SysFd(sys, fd);
    start = end + 1;
  }
  // openat2 hands back the link itself when the last component is one (O_PATH | O_NOFOLLOW);
  // a mount must never land on, or through, a link.
  if (current.valid() && sys.file_type(current.get()) == S_IFLNK) {
    return step_failed(ELOOP,
                       "'" + target + "' is a symlink in the new root; refusing to mount onto it");
  }
  return current;
}

// The host side, before anything is attached: every bind source cloned, with its flags.
std::expected<std::vector<SysFd>, StepError> clone_sources(const FilesystemPlan& fs, Sys& sys) {
  std::vector<SysFd> clones;
  clones.reserve(fs.view.size());
  for (const ViewMount& m : fs.view) {
    if (m.kind != ViewKind::bind && m.kind != ViewKind::dev_bind) {
      clones.emplace_back(sys, -1);
      continue;
    }
    // The source is the administrator's host path; symlinks in it (such as /lib -> usr/lib)
    // are followed on the host side, as written in the policy.
    SysFd clone(sys, sys.open_tree(AT_FDCWD, m.source.c_str(), OPEN_TREE_CLONE | AT_RECURSIVE));
    if (!clone.valid()) return step_failed(errno, "cloning " + m.source + " for " + where(m));
    if (sys.mount_setattr(clone.get(), attributes_of(m), 0, true) != 0) {
      return step_failed(errno, "setting the mount flags of " + where(m));
    }
    clones.push_back(std::move(clone));
  }
  return clones;
}

// A fresh instance of a pseudo filesystem for one view entry.
int new_instance(Sys& sys, const ViewMount& m) {
  const unsigned attributes = static_cast<unsigned>(attributes_of(m));
  switch (m.kind) {
    case ViewKind::tmpfs: {
      char mode[16];
      std::snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(m.mode));
      const std::string size = std::to_string(m.size);
      const FsOption with_size[] = {{"mode", mode}, {"size", size.c_str()}};
      return sys.new_mount("tmpfs", std::span(with_size, m.size ? 2 : 1), attributes);
    }
    case ViewKind::proc:
      return sys.new_mount("proc", {}, attributes);
    case ViewKind::devpts: {
      // No gid= option: in rootless mode the tty group is not mapped.
      const FsOption options[] = {{"ptmxmode", "0666"}, {"mode", "0620"}};
      return sys.new_mount("devpts", options, attributes);
    }
    case ViewKind::mqueue:
      return sys.new_mount("mqueue", {}, attributes);
    default:
      errno = EINVAL;
      return -1;
  }
}

// Hides what is at `target`: an empty read-only tmpfs over a directory, /dev/null over a file.
StepResult mask(Sys& sys, int root, const ViewMount& m) {
  auto target = open_target(sys, root, m.target, Create::nothing);
  // Nothing to hide when the kernel has no such file (e.g. no /proc/kcore): skipping cannot
  // widen access.
  if (!target && target.error().error == ENOENT) return {};
  if (!target) return std::unexpected(target.error());
  const uint64_t hidden =
      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  SysFd cover(sys, -1);
  if (sys.file_type(target->get()) == S_IFDIR) {
    const FsOption options[] = {{"mode", "0"}, {"size", "4096"}};
    cover = SysFd(sys, sys.new_mount("tmpfs", options, static_cast<unsigned>(hidden)));
  } else {
    cover = SysFd(sys, sys.open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE));
    if (cover.valid() && sys.mount_setattr(cover.get(), hidden, 0, false) != 0) {
      return step_failed(errno, "setting the flags of the mask over " + where(m));
    }
  }
  if (!cover.valid()) return step_failed(errno, "making the mask for " + where(m));
  if (sys.move_mount(cover.get(), target->get(), "") != 0) {
    return step_failed(errno, "masking " + where(m));
  }
  return {};
}

// Makes an already visible path read-only (bind it onto itself, read-only).
StepResult remount_read_only(Sys& sys, int root, const ViewMount& m) {
  auto target = open_target(sys, root, m.target, Create::nothing);
  if (!target && target.error().error == ENOENT) return {};  // e.g. no sysrq: nothing to protect
  if (!target) return std::unexpected(target.error());
  SysFd clone(sys,
              sys.open_tree(target->get(), "", OPEN_TREE_CLONE | AT_EMPTY_PATH | AT_RECURSIVE));
  if (!clone.valid()) return step_failed(errno, "cloning " + where(m));
  if (sys.mount_setattr(clone.get(), attributes_of(m) | MOUNT_ATTR_RDONLY, 0, true) != 0) {
    return step_failed(errno, "making " + where(m) + " read-only");
  }
  if (sys.move_mount(clone.get(), target->get(), "") != 0) {
    return step_failed(errno, "mounting " + where(m) + " read-only");
  }
  return {};
}

StepResult place(Sys& sys, int root, const ViewMount& m, SysFd& clone) {
  switch (m.kind) {
    case ViewKind::mask:
      return mask(sys, root, m);
    case ViewKind::remount_ro:
      return remount_read_only(sys, root, m);
    case ViewKind::symlink: {
      const size_t slash = m.target.rfind('/');
      const std::string name = m.target.substr(slash + 1);
      SysFd parent(sys, -1);
      if (slash > 0) {
        auto dir = open_target(sys, root, m.target.substr(0, slash), Create::directory);
        if (!dir) return std::unexpected(dir.error());
        parent = std::move(*dir);
      }
      if (sys.symlinkat(m.source.c_str(), parent.valid() ? parent.get() : root, name.c_str()) !=
          0) {
        return step_failed(errno, "symlink " + where(m) + " -> " + m.source);
      }
      return {};
    }
    case ViewKind::bind:
    case ViewKind::dev_bind: {
      const Create leaf = sys.file_type(clone.get()) == S_IFDIR ? Create::directory : Create::file;
      auto target = open_target(sys, root, m.target, leaf);
      if (!target) return std::unexpected(target.error());
      if (sys.move_mount(clone.get(), target->get(), "") != 0) {
        return step_failed(errno, "bind-mounting " + m.source + " at " + where(m));
      }
      return {};
    }
    default: {
      auto target = open_target(sys, root, m.target, Create::directory);
      if (!target) return std::unexpected(target.error());
      SysFd instance(sys, new_instance(sys, m));
      if (!instance.valid()) return step_failed(errno, "creating the filesystem for " + where(m));
      if (sys.move_mount(instance.get(), target->get(), "") != 0) {
        return step_failed(errno, "mounting " + where(m));
      }
      return {};
    }
  }
}

// systemd's notify socket (NOTIFY_SOCKET, a path), so sd_notify(READY=1) from the target
// reaches the service manager. The variable is the caller's, so it is checked like anything
// else from outside: the path is opened without following any symlink, must be a socket,
// and exactly that inode is bound (the clone is made from the checked fd, so nothing is
// resolved twice), read-only, nosuid, nodev and noexec. connect(2) on a socket needs no write
// access to the mount, so sd_notify still works.
std::expected<SysFd, StepError> clone_notify_socket(Sys& sys, const std::string& path) {
  const std::string what = "NOTIFY_SOCKET=" + path;
  if (!normal_absolute_path(path)) {
    return step_failed(EINVAL, what + " is not an absolute path in normal form");
  }
  bool is_directory = false;
  const SysFd host_root(sys, sys.open_path("/", is_directory));
  if (!host_root.valid()) return step_failed(errno, "opening / to find " + what);
  SysFd socket(sys, sys.open_beneath(host_root.get(), path.c_str() + 1, O_PATH));
  if (!socket.valid()) {
    const int error = errno;
    return step_failed(error, error == ELOOP || error == EXDEV
                                  ? what + " leads through a symlink; refusing to bind it"
                                  : "opening " + what);
  }
  if (const int type = sys.file_type(socket.get()); type != S_IFSOCK) {
    return step_failed(ENOTSOCK, what + " is not a socket" +
                                     (type == S_IFDIR   ? " but a directory"
                                      : type == S_IFLNK ? " but a symlink"
                                                        : "") +
                                     "; only the service manager's socket is bound into the view");
  }
  SysFd clone(sys, sys.open_tree(socket.get(), "", OPEN_TREE_CLONE | AT_EMPTY_PATH));
  if (!clone.valid()) return step_failed(errno, "cloning " + what);
  constexpr uint64_t kSealed =
      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  if (sys.mount_setattr(clone.get(), kSealed, 0, false) != 0) {
    return step_failed(errno, "setting the mount flags of " + what);
  }
  return clone;
}

// The view entries placed into an existing directory: the new root's tmpfs, or a chroot jail.
StepResult place_view(Sys& sys, int root, const FilesystemPlan& fs, std::vector<SysFd>& clones) {
  for (size_t i = 0; i < fs.view.size(); ++i) {
    if (StepResult placed = place(sys, root, fs.view[i], clones[i]); !placed) return placed;
  }
  return {};
}

// A classic chroot with proc, dev or tmpfs: the mounts go into the jail itself (in the private
// mount namespace), each target opened beneath the jail without following a symlink, so a
// link planted at jail/proc or jail/dev cannot send a mount to the host. The filesystem step
// then chroots.
StepResult mount_into_jail(const PlanData& plan, Sys& sys) {
  auto clones = clone_sources(plan.filesystem, sys);
  if (!clones) return std::unexpected(clones.error());
  bool is_directory = false;
  const std::string& jail = plan.filesystem.chroot;
  const SysFd root(sys, sys.open_path(jail.c_str(), is_directory));
  if (!root.valid()) return step_failed(errno, "opening the chroot " + jail);
  if (!is_directory) return step_failed(ENOTDIR, "the chroot " + jail + " is not a directory");
  return place_view(sys, root.get(), plan.filesystem, *clones);
}

}  // namespace

bool wanted(const PlanData& plan) {
  return plan.filesystem.constructed_root || !plan.filesystem.view.empty();
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  if (!plan.filesystem.constructed_root) return mount_into_jail(plan, sys);
  auto clones = clone_sources(plan.filesystem, sys);
  if (!clones) return std::unexpected(clones.error());
  // An abstract socket ("@...") needs nothing; a relative path is not systemd's and is left.
  SysFd notify_clone(sys, -1);
  ViewMount notify;
  if (ctx.notify_socket.starts_with('/')) {
    auto clone = clone_notify_socket(sys, ctx.notify_socket);
    if (!clone) return std::unexpected(clone.error());
    notify_clone = std::move(*clone);
    notify.target = notify.source = ctx.notify_socket;
  }

  const FsOption root_options[] = {{"mode", "0755"}};
  SysFd root(sys, sys.new_mount("tmpfs", root_options, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
  if (!root.valid()) return step_failed(errno, "creating the tmpfs for the new root");
  if (sys.move_mount(root.get(), AT_FDCWD, kStaging) != 0) {
    return step_failed(errno, std::string("attaching the new root at ") + kStaging);
  }
  if (StepResult placed = place_view(sys, root.get(), plan.filesystem, *clones); !placed) {
    return placed;
  }
  if (notify_clone.valid()) {
    if (StepResult placed = place(sys, root.get(), notify, notify_clone); !placed) return placed;
  }
  // Nothing but the listed mounts is writable: the root itself becomes read-only.
  if (sys.mount_setattr(root.get(), MOUNT_ATTR_RDONLY, 0, false) != 0) {
    return step_failed(errno, "making the new root read-only");
  }
  // pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves no
  // mount, fd or directory through which the host can be reached.
  if (sys.fchdir(root.get()) != 0) return step_failed(errno, "fchdir(new root)");
  if (sys.pivot_root(".", ".") != 0) return step_failed(errno, "pivot_root");
  if (sys.umount2(".", MNT_DETACH) != 0) return step_failed(errno, "detaching the old root");
  if (sys.chdir("/") != 0) return step_failed(errno, "chdir(\"/\") in the new root");
  return {};
}

}  // namespace harden::enforce::mounts
