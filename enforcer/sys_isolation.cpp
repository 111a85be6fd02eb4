// RealSys: the namespace and mount calls of the seam (the rest is in sys.cpp).
#include <fcntl.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "enforcer/sys.hpp"

namespace harden {

namespace {

// close() that keeps the errno of the call that failed before it.
void close_keeping_errno(int fd) {
  const int saved = errno;
  ::close(fd);
  errno = saved;
}

}  // namespace

uid_t RealSys::geteuid() {
  return ::geteuid();
}
gid_t RealSys::getegid() {
  return ::getegid();
}
int RealSys::unshare(int flags) {
  return ::unshare(flags);
}

int RealSys::write_file(const char* path, std::string_view data) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  // uid_map and gid_map must be written in one write() call.
  const ssize_t n = ::write(fd, data.data(), data.size());
  if (n != static_cast<ssize_t>(data.size())) {
    if (n >= 0) errno = EIO;
    close_keeping_errno(fd);
    return -1;
  }
  return ::close(fd);
}

int RealSys::sethostname(std::string_view name) {
  return ::sethostname(name.data(), name.size());
}

int RealSys::set_link_up(const char* interface) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  ifreq request{};
  std::strncpy(request.ifr_name, interface, IFNAMSIZ - 1);
  if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
    close_keeping_errno(fd);
    return -1;
  }
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  if (::ioctl(fd, SIOCSIFFLAGS, &request) != 0) {
    close_keeping_errno(fd);
    return -1;
  }
  return ::close(fd);
}

int RealSys::mount_propagation(const char* target, unsigned long flags) {
  return ::mount(nullptr, target, nullptr, flags, nullptr);
}

int RealSys::open_tree(int dirfd, const char* path, unsigned flags) {
  return ::open_tree(dirfd, path, flags | OPEN_TREE_CLOEXEC);
}

int RealSys::new_mount(const char* fstype, std::span<const FsOption> options, unsigned attributes) {
  const int fs = ::fsopen(fstype, FSOPEN_CLOEXEC);
  if (fs < 0) return -1;
  for (const FsOption& option : options) {
    const int rc = option.value ? ::fsconfig(fs, FSCONFIG_SET_STRING, option.key, option.value, 0)
                                : ::fsconfig(fs, FSCONFIG_SET_FLAG, option.key, nullptr, 0);
    if (rc != 0) {
      close_keeping_errno(fs);
      return -1;
    }
  }
  if (::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    close_keeping_errno(fs);
    return -1;
  }
  const int mnt = ::fsmount(fs, FSMOUNT_CLOEXEC, attributes);
  close_keeping_errno(fs);
  return mnt;
}

int RealSys::mount_setattr(int fd, uint64_t set, uint64_t clear, bool recursive) {
  mount_attr attr{};
  attr.attr_set = set;
  attr.attr_clr = clear;
  return ::mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                         sizeof attr);
}

int RealSys::move_mount(int from_fd, int to_dirfd, const char* to_path) {
  const unsigned to_self = to_path[0] == '\0' ? MOVE_MOUNT_T_EMPTY_PATH : 0U;
  return ::move_mount(from_fd, "", to_dirfd, to_path, MOVE_MOUNT_F_EMPTY_PATH | to_self);
}

int RealSys::open_beneath(int dirfd, const char* path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | O_NOFOLLOW);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

int RealSys::open_in_root(int root_fd, const char* path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root_fd, path, &how, sizeof how));
}

int RealSys::mkdirat(int dirfd, const char* name, mode_t mode) {
  return ::mkdirat(dirfd, name, mode);
}

int RealSys::create_file_at(int dirfd, const char* name) {
  const int fd = ::openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
  if (fd < 0) return -1;
  return ::close(fd);
}

int RealSys::symlinkat(const char* target, int dirfd, const char* name) {
  return ::symlinkat(target, dirfd, name);
}

int RealSys::file_type(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return -1;
  return static_cast<int>(st.st_mode & S_IFMT);
}

int RealSys::fchdir(int fd) {
  return ::fchdir(fd);
}

int RealSys::pivot_root(const char* new_root, const char* put_old) {
  return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}

int RealSys::umount2(const char* target, int flags) {
  return ::umount2(target, flags);
}
int RealSys::close(int fd) {
  return ::close(fd);
}

}  // namespace harden
