#include "enforcer/sys.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <type_traits>

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

namespace {

// libcap's handle, freed on every path.
using CapHandle = std::unique_ptr<std::remove_pointer_t<cap_t>, decltype(&cap_free)>;

uint64_t read_flag(cap_t caps, cap_flag_t flag) {
  uint64_t mask = 0;
  for (cap_value_t c = 0; c < 64 && cap_valid(c); ++c) {
    cap_flag_value_t value = CAP_CLEAR;
    if (cap_get_flag(caps, c, flag, &value) == 0 && value == CAP_SET) mask |= 1ULL << c;
  }
  return mask;
}

int write_flag(cap_t caps, cap_flag_t flag, uint64_t mask) {
  for (cap_value_t c = 0; c < 64; ++c) {
    if (!(mask & (1ULL << c))) continue;
    if (cap_set_flag(caps, flag, 1, &c, CAP_SET) != 0) return -1;
  }
  return 0;
}

}  // namespace

int RealSys::get_capabilities(CapSets& out) {
  CapHandle caps(cap_get_proc(), &cap_free);
  if (!caps) return -1;
  out.permitted = read_flag(caps.get(), CAP_PERMITTED);
  out.effective = read_flag(caps.get(), CAP_EFFECTIVE);
  out.inheritable = read_flag(caps.get(), CAP_INHERITABLE);
  return 0;
}

int RealSys::set_capabilities(const CapSets& sets) {
  CapHandle caps(cap_init(), &cap_free);  // all flags clear
  if (!caps) return -1;
  if (write_flag(caps.get(), CAP_PERMITTED, sets.permitted) != 0 ||
      write_flag(caps.get(), CAP_EFFECTIVE, sets.effective) != 0 ||
      write_flag(caps.get(), CAP_INHERITABLE, sets.inheritable) != 0) {
    return -1;
  }
  return cap_set_proc(caps.get());
}

int RealSys::close_range(unsigned first, unsigned last) {
  return static_cast<int>(syscall(SYS_close_range, first, last, 0U));
}

int RealSys::seccomp_load(std::span<const sock_filter> program, unsigned flags) {
  sock_fprog prog{static_cast<unsigned short>(program.size()),
                  const_cast<sock_filter*>(program.data())};
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog));
}

int RealSys::execve(const char* path, char* const argv[], char* const envp[]) {
  return ::execve(path, argv, envp);
}

void OwnedFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
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

int RealSys::landlock_restrict_self(int ruleset_fd) {
  return static_cast<int>(syscall(SYS_landlock_restrict_self, ruleset_fd, 0U));
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
int RealSys::mkdir(const char* path, mode_t mode) {
  return ::mkdir(path, mode);
}
int RealSys::rmdir(const char* path) {
  return ::rmdir(path);
}

}  // namespace harden
