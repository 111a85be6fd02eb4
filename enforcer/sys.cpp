#include "enforcer/sys.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>

namespace harden {

pid_t RealSys::getpid() {
  return ::getpid();
}
pid_t RealSys::getsid() {
  return ::getsid(0);
}
pid_t RealSys::getpgrp() {
  return ::getpgrp();
}
int RealSys::setsid() {
  return ::setsid() < 0 ? -1 : 0;
}

int RealSys::setpgid_self() {
  return ::setpgid(0, 0);
}
int RealSys::chroot(const char* path) {
  return ::chroot(path);
}
int RealSys::chdir(const char* path) {
  return ::chdir(path);
}

int RealSys::setrlimit(int resource, rlim_t soft, rlim_t hard) {
  const rlimit limit{soft, hard};
  return ::setrlimit(static_cast<__rlimit_resource>(resource), &limit);
}

mode_t RealSys::umask(mode_t mask) {
  return ::umask(mask);
}

int RealSys::prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4,
                   unsigned long arg5) {
  return ::prctl(option, arg2, arg3, arg4, arg5);
}

int RealSys::setgroups(std::span<const gid_t> groups) {
  return ::setgroups(groups.size(), groups.data());
}

int RealSys::setresgid(gid_t gid) {
  return ::setresgid(gid, gid, gid);
}
int RealSys::setresuid(uid_t uid) {
  return ::setresuid(uid, uid, uid);
}

int RealSys::getresuid(uid_t& real, uid_t& effective, uid_t& saved) {
  return ::getresuid(&real, &effective, &saved);
}
int RealSys::getresgid(gid_t& real, gid_t& effective, gid_t& saved) {
  return ::getresgid(&real, &effective, &saved);
}
int RealSys::getgroups(std::span<gid_t> out) {
  return ::getgroups(static_cast<int>(out.size()), out.data());
}

int RealSys::join_session_keyring() {
  // No libkeyutils: the static stub links nothing beyond libc.
  const long serial = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr);
  return serial < 0 ? -1 : 0;
}

int RealSys::read_file(const char* path, std::string& out) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return -1;
  char buffer[64];
  out.clear();
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      errno = error;
      return -1;
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return 0;
}

namespace {

// capget/capset directly: two 32-bit words per set (_LINUX_CAPABILITY_VERSION_3). No libcap,
// so the static wrapper stub links nothing beyond libc and the calls allocate nothing.
struct CapData {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
};

uint64_t join(uint32_t low, uint32_t high) {
  return uint64_t{low} | uint64_t{high} << 32;
}

}  // namespace

int RealSys::get_capabilities(CapSets& out) {
  CapData caps;
  if (syscall(SYS_capget, &caps.header, caps.data) != 0) return -1;
  out.permitted = join(caps.data[0].permitted, caps.data[1].permitted);
  out.effective = join(caps.data[0].effective, caps.data[1].effective);
  out.inheritable = join(caps.data[0].inheritable, caps.data[1].inheritable);
  return 0;
}

int RealSys::set_capabilities(const CapSets& sets) {
  CapData caps;
  for (int word = 0; word < 2; ++word) {
    const int shift = 32 * word;
    caps.data[word].permitted = static_cast<uint32_t>(sets.permitted >> shift);
    caps.data[word].effective = static_cast<uint32_t>(sets.effective >> shift);
    caps.data[word].inheritable = static_cast<uint32_t>(sets.inheritable >> shift);
  }
  return static_cast<int>(syscall(SYS_capset, &caps.header, caps.data));
}

int RealSys::close_range(unsigned first, unsigned last) {
  return static_cast<int>(syscall(SYS_close_range, first, last, 0U));
}

int RealSys::seccomp_load(std::span<const sock_filter> program, unsigned flags) {
  // sock_fprog's length is an unsigned short: a longer program would load truncated.
  if (program.size() > BPF_MAXINSNS) {
    errno = E2BIG;
    return -1;
  }
  sock_fprog prog{static_cast<unsigned short>(program.size()),
                  const_cast<sock_filter*>(program.data())};
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog));
}

int RealSys::seccomp_load_listener(std::span<const sock_filter> program, unsigned flags) {
  if (program.size() > BPF_MAXINSNS) {
    errno = E2BIG;
    return -1;
  }
  sock_fprog prog{static_cast<unsigned short>(program.size()),
                  const_cast<sock_filter*>(program.data())};
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                  flags | SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
}

int RealSys::execve(const char* path, char* const argv[], char* const envp[]) {
  // Tells a rollback guardian that the EOF it is about to see is this execve's (close-on-exec),
  // not an exit; a failed execve takes it back. Memory only: no syscall a filter could refuse.
  if (guard_page_) guard_page_->exec_started.store(1, std::memory_order_release);
  const int rc = ::execve(path, argv, envp);
  const int error = errno;
  if (guard_page_) guard_page_->exec_started.store(0, std::memory_order_release);
  errno = error;
  return rc;
}

int RealSys::reset_signals() {
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    // The C library keeps the first real-time signals for itself (glibc's SIGCANCEL and
    // SIGSETXID) and refuses to change them; they have handlers, never SIG_IGN, and execve
    // resets handlers to the default anyway.
    if (::sigaction(sig, &default_action, nullptr) != 0 && !(errno == EINVAL && sig < SIGRTMIN))
      return -1;
  }
  sigset_t empty;
  sigemptyset(&empty);
  return ::sigprocmask(SIG_SETMASK, &empty, nullptr);
}

namespace {

// The kernel's rule types and attribute layouts (include/uapi/linux/landlock.h), spelt out
// because the installed header may predate network rules (ABI 4).
constexpr int kRulePathBeneath = 1;
constexpr int kRuleNetPort = 2;
constexpr unsigned kCreateRulesetVersion = 1U << 0;

struct __attribute__((packed)) PathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
};
struct NetPortAttr {
  uint64_t allowed_access;
  uint64_t port;
};
static_assert(sizeof(PathBeneathAttr) == 12 && sizeof(NetPortAttr) == 16 &&
              sizeof(LandlockRulesetAttr) == 24);

}  // namespace

int RealSys::landlock_abi() {
  return static_cast<int>(
      syscall(SYS_landlock_create_ruleset, nullptr, size_t{0}, kCreateRulesetVersion));
}

int RealSys::landlock_create_ruleset(const LandlockRulesetAttr& attr) {
  // Older kernels take a shorter struct; the trailing fields are zero whenever the ABI lacks
  // them (the step masks by ABI), and the kernel accepts zero tails of a longer struct.
  size_t size = sizeof attr;
  if (attr.scoped == 0) size = attr.handled_access_net == 0 ? 8 : 16;
  return static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, size, 0U));
}

int RealSys::landlock_add_path_rule(int ruleset_fd, int parent_fd, uint64_t access) {
  const PathBeneathAttr attr{access, parent_fd};
  return static_cast<int>(syscall(SYS_landlock_add_rule, ruleset_fd, kRulePathBeneath, &attr, 0U));
}

int RealSys::landlock_add_port_rule(int ruleset_fd, uint16_t port, uint64_t access) {
  const NetPortAttr attr{access, port};
  return static_cast<int>(syscall(SYS_landlock_add_rule, ruleset_fd, kRuleNetPort, &attr, 0U));
}

int RealSys::landlock_restrict_self(int ruleset_fd, uint32_t flags) {
  return static_cast<int>(syscall(SYS_landlock_restrict_self, ruleset_fd, flags));
}

int RealSys::open_path(const char* path, bool& is_directory) {
  const int fd = ::open(path, O_PATH | O_CLOEXEC);
  struct stat st {};
  if (fd >= 0 && fstat(fd, &st) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  is_directory = S_ISDIR(st.st_mode);
  return fd;
}
// getdents64 into a buffer on the stack, not opendir(): this runs after the limits step, and
// an address-space limit may leave no room for the C library's (or a sanitizer's) directory
// buffer.
int RealSys::list_directory(const char* path, std::vector<std::string>& names) {
  const int dir = ::open(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
  if (dir < 0) return -1;
  names.clear();
  alignas(8) char buffer[4096];
  int error = 0;
  for (;;) {
    const long n = syscall(SYS_getdents64, dir, buffer, sizeof buffer);
    if (n < 0) {
      error = errno;
      break;
    }
    if (n == 0) break;
    for (long at = 0; at < n;) {
      struct Entry {
        uint64_t ino;
        int64_t off;
        unsigned short reclen;
        unsigned char type;
        char name[1];
      };
      const auto* entry = reinterpret_cast<const Entry*>(buffer + at);
      at += entry->reclen;
      const std::string_view name = entry->name;
      if (name == "." || name == "..") continue;
      struct stat st {};
      if (fstatat(dir, entry->name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
      if (!S_ISLNK(st.st_mode)) names.emplace_back(name);
    }
  }
  ::close(dir);
  errno = error;
  return error == 0 ? 0 : -1;
}
int RealSys::mkdir(const char* path, mode_t mode) {
  return ::mkdir(path, mode);
}
int RealSys::rmdir(const char* path) {
  return ::rmdir(path);
}

}  // namespace harden
