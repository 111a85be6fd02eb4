// A running process's security state as the kernel shows it in /proc: ids and groups, every
// capability set, no_new_privs, seccomp mode and filter count, namespaces, root, cgroup (and
// the limits of a cgroup v2 directory), rlimits, open descriptors, the environment it was
// started with, its session and controlling terminal. Read-only: nothing here changes the
// process, and nothing is ptrace'd. `harden check` compares it to a plan (plan_check.hpp).
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace harden::inspect {

struct FileId {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool operator==(const FileId&) const = default;
};

struct ProcessLimit {
  int resource = 0;   // RLIMIT_*, from the line's position in /proc/PID/limits
  uint64_t soft = 0;  // RLIM_INFINITY for "unlimited"
  uint64_t hard = 0;
};

struct OpenFd {
  int fd = 0;
  std::string target;  // readlink of /proc/PID/fd/N ("pipe:[123]", "/dev/null", ...)
};

struct ProcessState {
  pid_t pid = 0;
  std::string comm;
  std::string exe;  // readlink of /proc/PID/exe ("" when unreadable)
  pid_t ppid = 0;
  pid_t session = 0;
  int tty_nr = 0;                  // 0: no controlling terminal
  uint64_t start_time = 0;         // clock ticks after boot (stat field 22): tells pid reuse apart
  std::array<uint32_t, 4> uids{};  // real, effective, saved, filesystem
  std::array<uint32_t, 4> gids{};
  std::vector<gid_t> groups;  // sorted
  uint64_t cap_inheritable = 0, cap_permitted = 0, cap_effective = 0, cap_bounding = 0,
           cap_ambient = 0;
  int no_new_privs = -1;     // -1: the kernel does not say
  int seccomp_mode = -1;     // 0 disabled, 1 strict, 2 filter
  int seccomp_filters = -1;  // Seccomp_filters: (Linux 5.9)
  std::optional<unsigned> umask;
  std::map<std::string, uint64_t> namespaces;       // "mnt" -> inode of /proc/PID/ns/mnt
  std::optional<FileId> root;                       // stat of /proc/PID/root
  std::string root_link;                            // readlink of /proc/PID/root
  std::string cgroup_v2;                            // the "0::" path, "" without one
  std::map<std::string, std::string> cgroup_files;  // memory.max, pids.max, cpu.max, ...
  std::vector<ProcessLimit> limits;
  std::vector<OpenFd> fds;               // sorted by number
  std::vector<std::string> environment;  // NAME=VALUE, as passed to execve
  std::string lsm_label;                 // /proc/PID/attr/current, trimmed; "" when none
};

// Everything above for `pid`. Fails (with why) only when the process cannot be read at all
// (gone, or /proc/PID/status unreadable); a single unreadable file leaves its fields empty.
[[nodiscard]] std::expected<ProcessState, std::string> read_process_state(pid_t pid);

// What the process is compared with: the namespaces and root of `harden check` itself, the
// host's when it runs on the host. (Not PID 1's: inside a container or another user
// namespace PID 1 may be out of reach, or not where the caller is.)
struct HostState {
  std::map<std::string, uint64_t> namespaces;
  std::optional<FileId> root;
};

[[nodiscard]] HostState read_host_state();

// The stat identity of a path (dev, ino), when it exists.
[[nodiscard]] std::optional<FileId> file_id(const std::string& path);

// Pids of the children of every thread of `pid` (/proc/PID/task/*/children).
[[nodiscard]] std::vector<pid_t> children_of(pid_t pid);

// The namespace names /proc/PID/ns shows that a plan can ask for.
inline constexpr std::array<const char*, 7> kNamespaceNames{"user", "mnt",    "ipc", "uts",
                                                            "net",  "cgroup", "pid"};

}  // namespace harden::inspect
