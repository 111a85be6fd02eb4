// The syscall seam: every call the enforcer makes to change the process goes through Sys.
// RealSys makes the calls; tests use a recording Sys to assert the exact order of calls
// without root. Methods return 0 or -1 with errno set, like the calls they stand for.
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <span>

namespace harden {

struct CapSets {
  uint64_t permitted = 0;
  uint64_t effective = 0;
  uint64_t inheritable = 0;
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
};

// The real thing. Stateless; one instance serves the whole run.
class RealSys final : public Sys {
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
};

}  // namespace harden
