// What `harden learn` saw the target do: the contract between the recorder (enforcer/learn.cpp,
// which answers the target's seccomp notifications) and the draft writer
// (learn/draft.cpp, which turns it into a policy). Plain data, aggregated as it is
// recorded so that a syscall-heavy target costs memory by what it does, not by how often.
// Paths are as the target sees them (inside its root), made absolute and normalized lexically.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace harden {

// How a path was used, as Landlock will judge it (bits, several per path).
namespace learn_access {
inline constexpr uint32_t kRead = 1U << 0;      // opened for reading (a file, or a directory)
inline constexpr uint32_t kWrite = 1U << 1;     // opened for writing or truncated
inline constexpr uint32_t kExecute = 1U << 2;   // execve'd
inline constexpr uint32_t kCreateIn = 1U << 3;  // a directory something was created in
inline constexpr uint32_t kRemoveIn = 1U << 4;  // a directory something was removed from
// A directory a file was renamed or linked out of or into, from or to another directory:
// Landlock's refer right (a rename within one directory needs none).
inline constexpr uint32_t kReferIn = 1U << 5;
}  // namespace learn_access

struct LearnedSyscall {
  uint64_t count = 0;
  std::set<std::string> programs;  // executables that made it (basename), at most a few
};

// A network endpoint the target bound or connected to.
struct LearnedEndpoint {
  std::string protocol;  // "tcp" or "udp"
  std::string address;   // numeric, v4 or v6; empty for a bind (any local address)
  uint16_t port = 0;
  auto operator<=>(const LearnedEndpoint&) const = default;
};

struct LearnObservations {
  // Native syscalls by name ("openat"); numbers the C library has no name for as "nr:N".
  std::map<std::string, LearnedSyscall> syscalls;
  // Arguments that matter for the draft's rules.
  std::set<std::pair<uint64_t, uint64_t>> sockets;  // (domain, type without NONBLOCK/CLOEXEC)
  // The CLONE_NEW*, CLONE_THREAD and CLONE_VM bits of each clone/clone3: which namespaces, and
  // whether it made a thread, a forked process or a vfork-style child.
  std::set<uint64_t> clone_flags;
  std::set<uint64_t> unshare_namespaces;  // the CLONE_NEW* bits of each unshare
  std::set<uint64_t> ioctl_requests;      // low 32 bits, as the kernel reads them
  std::set<uint64_t> prctl_options;
  std::set<uint64_t> personalities;  // low 32 bits
  // Files and directories, with learn_access bits.
  std::map<std::string, uint32_t> paths;
  std::set<LearnedEndpoint> binds;
  std::set<LearnedEndpoint> connects;
  // Things seen that no policy key expresses, one line each ("abstract unix socket @foo").
  std::set<std::string> remarks;
  // The command the target was started with (the first run's, with --merge).
  std::vector<std::string> command;
  uint64_t notifications = 0;  // every syscall answered
  uint64_t runs = 1;           // runs merged into these observations
  // How long the longest run lasted (seconds): what a target does only later (a timer, a
  // rotation, a daily job) is not in a shorter run.
  double seconds = 0;
  bool target_started = false;  // harden's own execve of the target was seen
};

}  // namespace harden
