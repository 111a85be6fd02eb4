// The syscall seam: every call the enforcer makes to change the process goes through Sys.
// RealSys makes the calls; tests use a recording Sys to assert the exact order of calls
// without root. Methods return 0 or -1 with errno set, like the calls they stand for.
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

namespace harden {

struct CapSets {
  uint64_t permitted = 0;
  uint64_t effective = 0;
  uint64_t inheritable = 0;
};

// landlock_ruleset_attr as of ABI 6 (the header installed may be older; see landlock_abi.hpp).
struct LandlockRulesetAttr {
  uint64_t handled_access_fs = 0;
  uint64_t handled_access_net = 0;
  uint64_t scoped = 0;
};

class Sys {
 public:
  virtual ~Sys() = default;

  virtual pid_t getpid() = 0;
  virtual pid_t getsid() = 0;
  virtual pid_t getpgrp() = 0;
  virtual int setsid() = 0;
  // fork(); the parent becomes the supervisor (waits, forwards signals, exits with the
  // child's status) and never returns. Returns 0 in the child, -1 if fork failed.
  virtual pid_t fork_supervised() = 0;
  virtual int chroot(const char* path) = 0;
  virtual int chdir(const char* path) = 0;
  virtual int setrlimit(int resource, rlim_t soft, rlim_t hard) = 0;
  virtual mode_t umask(mode_t mask) = 0;
  virtual int prctl(int option, unsigned long arg2, unsigned long arg3 = 0, unsigned long arg4 = 0,
                    unsigned long arg5 = 0) = 0;
  virtual int setgroups(std::span<const gid_t> groups) = 0;
  virtual int setresgid(gid_t gid) = 0;
  virtual int setresuid(uid_t uid) = 0;
  virtual int get_capabilities(CapSets& out) = 0;
  virtual int set_capabilities(const CapSets& sets) = 0;
  // Closes every fd from `first` up to `last` inclusive.
  virtual int close_range(unsigned first, unsigned last) = 0;
  virtual int seccomp_load(std::span<const sock_filter> program, unsigned flags) = 0;
  virtual int execve(const char* path, char* const argv[], char* const envp[]) = 0;

  // Landlock. landlock_abi() is the kernel's ABI version, or -1 with errno (EOPNOTSUPP:
  // Landlock disabled at boot; ENOSYS: not built). It is the seam through which a test
  // simulates an older kernel.
  virtual int landlock_abi() = 0;
  virtual int landlock_create_ruleset(const LandlockRulesetAttr& attr) = 0;  // a new fd
  virtual int landlock_add_path_rule(int ruleset_fd, int parent_fd, uint64_t access) = 0;
  virtual int landlock_add_port_rule(int ruleset_fd, uint16_t port, uint64_t access) = 0;
  virtual int landlock_restrict_self(int ruleset_fd) = 0;
  // open(path, O_PATH | O_CLOEXEC): names a file for a rule without reading it; says
  // whether it is a directory (Landlock accepts only file rights on other files).
  virtual int open_path(const char* path, bool& is_directory) = 0;
  virtual int close(int fd) = 0;

  // cgroup filesystem operations.
  virtual int mkdir(const char* path, mode_t mode) = 0;
  virtual int rmdir(const char* path) = 0;
  // Writes `text` to an existing file in one write(2), as cgroup files require.
  virtual int write_file(const char* path, std::string_view text) = 0;
};

// A descriptor a step opened through Sys, closed through Sys on every path.
class SysFd {
 public:
  SysFd(Sys& sys, int fd) : sys_(sys), fd_(fd) {}
  ~SysFd() {
    if (fd_ >= 0) sys_.close(fd_);
  }
  SysFd(const SysFd&) = delete;
  SysFd& operator=(const SysFd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  Sys& sys_;
  int fd_;
};

// A descriptor opened before the steps (at prepare time), owned by the ExecContext.
class OwnedFd {
 public:
  OwnedFd() = default;
  explicit OwnedFd(int fd) : fd_(fd) {}
  ~OwnedFd() { reset(); }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  OwnedFd(OwnedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  OwnedFd& operator=(OwnedFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset();

 private:
  int fd_ = -1;
};

// The real thing. Stateless; one instance serves the whole run. Not final: a kernel test
// overrides landlock_abi() to run the real enforcer as if on an older kernel.
class RealSys : public Sys {
 public:
  pid_t getpid() override;
  pid_t getsid() override;
  pid_t getpgrp() override;
  int setsid() override;
  pid_t fork_supervised() override;
  int chroot(const char* path) override;
  int chdir(const char* path) override;
  int setrlimit(int resource, rlim_t soft, rlim_t hard) override;
  mode_t umask(mode_t mask) override;
  int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4,
            unsigned long arg5) override;
  int setgroups(std::span<const gid_t> groups) override;
  int setresgid(gid_t gid) override;
  int setresuid(uid_t uid) override;
  int get_capabilities(CapSets& out) override;
  int set_capabilities(const CapSets& sets) override;
  int close_range(unsigned first, unsigned last) override;
  int seccomp_load(std::span<const sock_filter> program, unsigned flags) override;
  int execve(const char* path, char* const argv[], char* const envp[]) override;
  int landlock_abi() override;
  int landlock_create_ruleset(const LandlockRulesetAttr& attr) override;
  int landlock_add_path_rule(int ruleset_fd, int parent_fd, uint64_t access) override;
  int landlock_add_port_rule(int ruleset_fd, uint16_t port, uint64_t access) override;
  int landlock_restrict_self(int ruleset_fd) override;
  int open_path(const char* path, bool& is_directory) override;
  int close(int fd) override;
  int mkdir(const char* path, mode_t mode) override;
  int rmdir(const char* path) override;
  int write_file(const char* path, std::string_view text) override;
};

}  // namespace harden
