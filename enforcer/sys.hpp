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

struct PlanData;
struct SupervisorLink;

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
  // fork(); the parent becomes the supervisor of the child under `plan` (waits, forwards
  // signals, answers and reports the child's denied syscalls when the plan's filter has any,
  // exits with the child's status) and never returns. Returns 0 in the child, -1 on failure.
  virtual pid_t fork_supervised(const PlanData& plan) = 0;
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
  // seccomp(SET_MODE_FILTER, flags | NEW_LISTENER): returns the listener fd, or -1.
  virtual int seccomp_load_listener(std::span<const sock_filter> program, unsigned flags) = 0;
  // Lets the supervisor take its own copy of the listener and waits until it has. If the
  // supervisor cannot take it, the child exits at once with the seccomp step's code (any
  // denied call would wait for an answer that never comes) and the supervisor says why.
  virtual int hand_over_listener(int listener) = 0;
  virtual int execve(const char* path, char* const argv[], char* const envp[]) = 0;
};

// The real thing. One instance serves the whole run; its only state is the link to the
// supervisor in a supervised child.
class RealSys final : public Sys {
 public:
  pid_t getpid() override;
  pid_t getsid() override;
  pid_t getpgrp() override;
  int setsid() override;
  pid_t fork_supervised(const PlanData& plan) override;
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
  int seccomp_load_listener(std::span<const sock_filter> program, unsigned flags) override;
  int hand_over_listener(int listener) override;
  int execve(const char* path, char* const argv[], char* const envp[]) override;

 private:
  // In a supervised child: the page shared with the supervisor for the listener hand-over.
  SupervisorLink* link_ = nullptr;
};

}  // namespace harden
