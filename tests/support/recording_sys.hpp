// A Sys that records every call instead of making it, so unit tests can assert the exact
// order of the enforcement steps without root. Calls succeed unless told to fail.
#pragma once

#include <cerrno>
#include <string>
#include <vector>

#include "enforcer/sys.hpp"

namespace harden::test {

class RecordingSys final : public Sys {
 public:
  std::vector<std::string> calls;
  std::string fail_call;  // a call whose name starts with this returns -1 with fail_errno
  int fail_errno = EPERM;
  CapSets caps{~0ULL >> 23, ~0ULL >> 23, 0};  // what root holds (caps 0..40)
  pid_t pid = 100, sid = 1, pgrp = 50;

  pid_t getpid() override { return pid; }
  pid_t getsid() override { return sid; }
  pid_t getpgrp() override { return pgrp; }
  int setsid() override { return record("setsid"); }
  pid_t fork_supervised() override { return record("fork_supervised"); }
  int chroot(const char* path) override { return record("chroot " + std::string(path)); }
  int chdir(const char* path) override { return record("chdir " + std::string(path)); }
  int setrlimit(int resource, rlim_t soft, rlim_t hard) override {
    return record("setrlimit " + std::to_string(resource) + " " + std::to_string(soft) + " " +
                  std::to_string(hard));
  }
  mode_t umask(mode_t mask) override {
    record("umask " + std::to_string(mask));
    return 022;
  }
  int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long,
            unsigned long) override {
    if (option == 27 /* PR_GET_SECUREBITS */) {
      record("prctl 27");
      return 0;
    }
    return record("prctl " + std::to_string(option) + " " + std::to_string(arg2) +
                  (arg3 ? " " + std::to_string(arg3) : ""));
  }
  int setgroups(std::span<const gid_t> groups) override {
    std::string call = "setgroups";
    for (const gid_t g : groups)
      call += " " + std::to_string(g);
    return record(call);
  }
  int setresgid(gid_t gid) override { return record("setresgid " + std::to_string(gid)); }
  int setresuid(uid_t uid) override { return record("setresuid " + std::to_string(uid)); }
  int get_capabilities(CapSets& out) override {
    out = caps;
    return record("capget");
  }
  int set_capabilities(const CapSets& sets) override {
    caps = sets;
    return record("capset " + std::to_string(sets.permitted) + " " +
                  std::to_string(sets.effective) + " " + std::to_string(sets.inheritable));
  }
  int close_range(unsigned first, unsigned last) override {
    return record("close_range " + std::to_string(first) + " " + std::to_string(last));
  }
  int seccomp_load(std::span<const sock_filter> program, unsigned flags) override {
    return record("seccomp " + std::to_string(program.size()) + " " + std::to_string(flags));
  }
  int execve(const char* path, char* const*, char* const*) override {
    record("execve " + std::string(path));
    errno = ENOENT;
    return -1;
  }

 private:
  int record(std::string call) {
    const bool fail = !fail_call.empty() && call.rfind(fail_call, 0) == 0;
    calls.push_back(std::move(call));
    if (fail) {
      errno = fail_errno;
      return -1;
    }
    return 0;
  }
};

}  // namespace harden::test
