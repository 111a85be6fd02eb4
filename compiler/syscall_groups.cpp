// The syscall group table. Why each choice:
//  - Names and members follow systemd 252's filter sets, so "@system-service" means here what it
//    means in a unit file. @sandbox (Landlock and seccomp, calls that can only take rights away)
//    comes from later systemd; like there, it is not part of @system-service.
//  - Only names libseccomp 2.5.4 resolves to a real number on x86_64 are listed (the unit test
//    checks this). systemd also lists calls that exist on other architectures only (the 32-bit
//    uid calls, *_time64, socketcall, mmap2, ...); they are noted above each group, so a policy
//    that adds the "x86" architecture must name them itself.
//  - Members are sorted; nested groups are written "@name" and expanded by
//    expand_syscall_group(), which refuses cycles.
#include "compiler/syscall_groups.hpp"

#include <seccomp.h>

#include <algorithm>
#include <cstdlib>

namespace harden {
namespace {

// One data table filled to the column limit is easier to scan than one name per line.
// clang-format off
// Not on x86_64: io_pgetevents_time64.
constexpr std::string_view kAio[] = {
    "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup", "io_submit",
    "io_uring_enter", "io_uring_register", "io_uring_setup"};
// Not on x86_64: _llseek.
constexpr std::string_view kBasicIo[] = {
    "close", "close_range", "dup", "dup2", "dup3", "lseek", "pread64", "preadv", "preadv2",
    "pwrite64", "pwritev", "pwritev2", "read", "readv", "write", "writev"};
// Not on x86_64: chown32 fchown32 lchown32.
constexpr std::string_view kChown[] = {
    "chown", "fchown", "fchownat", "lchown"};
// Not on x86_64: clock_adjtime64 clock_settime64.
constexpr std::string_view kClock[] = {
    "adjtimex", "clock_adjtime", "clock_settime", "settimeofday"};
// Not on x86_64: subpage_prot switch_endian vm86 vm86old.
constexpr std::string_view kCpuEmulation[] = {
    "modify_ldt"};
// Not on x86_64: rtas s390_runtime_instr sys_debug_setcontext.
constexpr std::string_view kDebug[] = {
    "lookup_dcookie", "perf_event_open", "pidfd_getfd", "ptrace"};
// Not on x86_64: cacheflush clock_getres_time64 clock_gettime64 clock_nanosleep_time64
// futex_time64 getegid32 geteuid32 getgid32 getgroups32 getresgid32 getresuid32 getuid32 mmap2
// riscv_flush_icache riscv_hwprobe set_tls sigreturn ugetrlimit uretprobe.
constexpr std::string_view kDefault[] = {
    "arch_prctl", "brk", "clock_getres", "clock_gettime", "clock_nanosleep", "execve", "exit",
    "exit_group", "futex", "futex_waitv", "get_robust_list", "get_thread_area", "getegid",
    "geteuid", "getgid", "getgroups", "getpgid", "getpgrp", "getpid", "getppid", "getrandom",
    "getresgid", "getresuid", "getrlimit", "getsid", "gettid", "gettimeofday", "getuid",
    "membarrier", "mmap", "mprotect", "munmap", "nanosleep", "pause", "prlimit64",
    "restart_syscall", "rseq", "rt_sigreturn", "sched_getaffinity", "sched_yield",
    "set_robust_list", "set_thread_area", "set_tid_address", "time"};
// Not on x86_64: fcntl64 fstat64 fstatat64 fstatfs64 ftruncate64 lstat64 oldfstat oldlstat
// oldstat stat64 statfs64 truncate64 utimensat_time64.
constexpr std::string_view kFileSystem[] = {
    "access", "chdir", "chmod", "close", "creat", "faccessat", "faccessat2", "fallocate",
    "fchdir", "fchmod", "fchmodat", "fchmodat2", "fcntl", "fgetxattr", "flistxattr",
    "fremovexattr", "fsetxattr", "fstat", "fstatfs", "ftruncate", "futimesat", "getcwd",
    "getdents", "getdents64", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
    "inotify_rm_watch", "lgetxattr", "link", "linkat", "listxattr", "llistxattr",
    "lremovexattr", "lsetxattr", "lstat", "mkdir", "mkdirat", "mknod", "mknodat", "newfstatat",
    "open", "openat", "openat2", "readlink", "readlinkat", "removexattr", "rename", "renameat",
    "renameat2", "rmdir", "setxattr", "stat", "statfs", "statx", "symlink", "symlinkat",
    "truncate", "unlink", "unlinkat", "utime", "utimensat", "utimes"};
// Not on x86_64: _newselect ppoll_time64 pselect6_time64.
constexpr std::string_view kIoEvent[] = {
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "poll", "ppoll",
    "pselect6", "select"};
// Not on x86_64: ipc mq_timedreceive_time64 mq_timedsend_time64 semtimedop_time64.
constexpr std::string_view kIpc[] = {
    "memfd_create", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend",
    "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2", "process_madvise",
    "process_vm_readv", "process_vm_writev", "semctl", "semget", "semop", "semtimedop", "shmat",
    "shmctl", "shmdt", "shmget"};
constexpr std::string_view kKeyring[] = {
    "add_key", "keyctl", "request_key"};
constexpr std::string_view kMemlock[] = {
    "mlock", "mlock2", "mlockall", "munlock", "munlockall"};
constexpr std::string_view kModule[] = {
    "delete_module", "finit_module", "init_module"};
// Not on x86_64: umount.
constexpr std::string_view kMount[] = {
    "chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount",
    "open_tree", "pivot_root", "umount2"};
// Not on x86_64: recv recvmmsg_time64 send socketcall.
constexpr std::string_view kNetworkIo[] = {
    "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
    "listen", "recvfrom", "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto", "setsockopt",
    "shutdown", "socket", "socketpair"};
// Not on x86_64: bdflush break ftime gtty idle lock mpx prof profil sgetmask ssetmask stime stty
// ulimit.
constexpr std::string_view kObsolete[] = {
    "_sysctl", "afs_syscall", "create_module", "get_kernel_syms", "getpmsg", "putpmsg",
    "query_module", "security", "sysfs", "tuxcall", "uselib", "ustat", "vserver"};
constexpr std::string_view kPkey[] = {
    "pkey_alloc", "pkey_free", "pkey_mprotect"};
// Not on x86_64: setfsuid32 setgroups32 setresuid32 setreuid32 setuid32.
constexpr std::string_view kPrivileged[] = {
    "@chown", "@clock", "@module", "@raw-io", "@reboot", "@swap", "_sysctl", "acct", "bpf",
    "capset", "chroot", "fanotify_init", "fanotify_mark", "nfsservctl", "open_by_handle_at",
    "pivot_root", "quotactl", "quotactl_fd", "setdomainname", "setfsuid", "setgroups",
    "sethostname", "setresuid", "setreuid", "setuid", "vhangup"};
// Not on x86_64: swapcontext waitpid.
constexpr std::string_view kProcess[] = {
    "capget", "clone", "clone3", "execveat", "fork", "getrusage", "kill", "pidfd_open",
    "pidfd_send_signal", "prctl", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "setns", "tgkill",
    "times", "tkill", "unshare", "vfork", "wait4", "waitid"};
// Not on x86_64: pciconfig_iobase pciconfig_read pciconfig_write s390_pci_mmio_read
// s390_pci_mmio_write.
constexpr std::string_view kRawIo[] = {
    "ioperm", "iopl"};
constexpr std::string_view kReboot[] = {
    "kexec_file_load", "kexec_load", "reboot"};
// @system-service without what a service almost never needs and an attacker wants (see the
// dangerous-syscall table in dangerous.cpp): the keyring calls, io_uring, userfaultfd,
// process_vm_readv/writev, setns and clone3 (its flags live in memory, where no filter can read
// them; the compiler answers it ENOSYS, so the C library falls back to clone). clone, unshare,
// personality and ioctl are granted for some arguments only: kServiceConditions.
// Not on x86_64: the same calls as @system-service.
constexpr std::string_view kService[] = {
    "@basic-io", "@chown", "@default", "@file-system", "@io-event", "@memlock", "@network-io",
    "@resources", "@setuid", "@signal", "@sync", "@timer", "capget", "capset", "copy_file_range",
    "execveat", "fadvise64", "flock", "fork", "get_mempolicy", "getcpu", "getpriority", "getrusage",
    "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup", "io_submit",
    "ioprio_get", "kcmp", "kill", "madvise", "memfd_create", "mq_getsetattr", "mq_notify",
    "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink", "mremap", "msgctl", "msgget",
    "msgrcv", "msgsnd", "name_to_handle_at", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
    "prctl", "process_madvise", "readahead", "remap_file_pages", "rt_sigqueueinfo",
    "rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min", "sched_getattr",
    "sched_getparam", "sched_getscheduler", "sched_rr_get_interval", "sched_yield", "semctl",
    "semget", "semop", "semtimedop", "sendfile", "setfsgid", "setfsuid", "setpgid", "setsid",
    "shmat", "shmctl", "shmdt", "shmget", "splice", "sysinfo", "tee", "tgkill", "times", "tkill",
    "umask", "uname", "vfork", "vmsplice", "wait4", "waitid"};
// Not on x86_64: nice.
constexpr std::string_view kResources[] = {
    "ioprio_set", "mbind", "migrate_pages", "move_pages", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "set_mempolicy", "set_mempolicy_home_node",
    "setpriority", "setrlimit"};
constexpr std::string_view kSandbox[] = {
    "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "seccomp"};
// Not on x86_64: setgid32 setgroups32 setregid32 setresgid32 setresuid32 setreuid32 setuid32.
constexpr std::string_view kSetuid[] = {
    "setgid", "setgroups", "setregid", "setresgid", "setresuid", "setreuid", "setuid"};
// Not on x86_64: rt_sigtimedwait_time64 sigaction signal sigpending sigprocmask sigsuspend.
constexpr std::string_view kSignal[] = {
    "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend", "rt_sigtimedwait",
    "sigaltstack", "signalfd", "signalfd4"};
constexpr std::string_view kSwap[] = {
    "swapoff", "swapon"};
// Not on x86_64: sync_file_range2.
constexpr std::string_view kSync[] = {
    "fdatasync", "fsync", "msync", "sync", "sync_file_range", "syncfs"};
// Not on x86_64: arm_fadvise64_64 fadvise64_64 oldolduname olduname readdir
// sched_rr_get_interval_time64 sendfile64 setfsgid32 setfsuid32.
constexpr std::string_view kSystemService[] = {
    "@aio", "@basic-io", "@chown", "@default", "@file-system", "@io-event", "@ipc", "@keyring",
    "@memlock", "@network-io", "@process", "@resources", "@setuid", "@signal", "@sync",
    "@timer", "capget", "capset", "copy_file_range", "fadvise64", "flock", "get_mempolicy",
    "getcpu", "getpriority", "ioctl", "ioprio_get", "kcmp", "madvise", "mremap",
    "name_to_handle_at", "personality", "readahead", "remap_file_pages",
    "sched_get_priority_max", "sched_get_priority_min", "sched_getattr", "sched_getparam",
    "sched_getscheduler", "sched_rr_get_interval", "sched_yield", "sendfile", "setfsgid",
    "setfsuid", "setpgid", "setsid", "splice", "sysinfo", "tee", "umask", "uname",
    "userfaultfd", "vmsplice"};
// Not on x86_64: timer_gettime64 timer_settime64 timerfd_gettime64 timerfd_settime64.
constexpr std::string_view kTimer[] = {
    "alarm", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun",
    "timer_gettime", "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime",
    "times"};

// The conditional members of @service. All are 32-bit comparisons: clone's flags, unshare's,
// personality's and ioctl's request are int-sized for the kernel (clone and ioctl truncate the
// register to 32 bits), so a value with upper bits set cannot dodge a check.
constexpr SyscallCondition kServiceConditions[] = {
    {"clone", SyscallCondition::Kind::allow_only,
     {0, "masked-eq", "0", "CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET"},
     "threads and fork, never a new namespace"},
    {"ioctl", SyscallCondition::Kind::refuse, {1, "eq", "TIOCSTI"},
     "pushes input into a terminal: keystrokes into the caller's shell"},
    {"ioctl", SyscallCondition::Kind::refuse, {1, "eq", "TIOCLINUX"},
     "pushes input into a virtual console (selection paste)"},
    {"personality", SyscallCondition::Kind::allow_only, {0, "eq", "0xffffffff"},
     "reading the persona"},
    {"personality", SyscallCondition::Kind::allow_only, {0, "eq", "PER_LINUX"},
     "setting the plain Linux persona, without flags that turn off ASLR or NX"},
    {"unshare", SyscallCondition::Kind::allow_only,
     {0, "masked-eq", "0", "CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWTIME"},
     "unsharing files or fs state, never a new namespace"},
};
// clang-format on

// Sorted by name: find_syscall_group() relies on it and a unit test checks it.
constexpr SyscallGroup kGroups[] = {
    {"@aio", "Asynchronous IO", kAio},
    {"@basic-io", "Basic IO", kBasicIo},
    {"@chown", "Change ownership of files and directories", kChown},
    {"@clock", "Change the system time", kClock},
    {"@cpu-emulation", "System calls for CPU emulation functionality", kCpuEmulation},
    {"@debug", "Debugging, performance monitoring and tracing functionality", kDebug},
    {"@default", "System calls that are always permitted", kDefault},
    {"@file-system", "File system operations", kFileSystem},
    {"@io-event", "Event loop system calls", kIoEvent},
    {"@ipc", "SysV IPC, POSIX Message Queues or other IPC", kIpc},
    {"@keyring", "Kernel keyring access", kKeyring},
    {"@memlock", "Memory locking control", kMemlock},
    {"@module", "Loading and unloading of kernel modules", kModule},
    {"@mount", "Mounting and unmounting of file systems", kMount},
    {"@network-io", "Network or Unix socket IO, should not be needed if not network facing",
     kNetworkIo},
    {"@obsolete", "Unusual, obsolete or unimplemented system calls", kObsolete},
    {"@pkey", "System calls used for memory protection keys", kPkey},
    {"@privileged", "All system calls which need super-user capabilities", kPrivileged},
    {"@process", "Process control, execution, namespacing operations", kProcess},
    {"@raw-io", "Raw I/O port access", kRawIo},
    {"@reboot", "Reboot and reboot preparation/kexec", kReboot},
    {"@resources", "Alter resource settings", kResources},
    {"@sandbox", "Sandboxing a process further (Landlock, seccomp)", kSandbox},
    {"@service", "General service operations, without namespaces, keyrings, io_uring or TIOCSTI",
     kService, kServiceConditions},
    {"@setuid", "Operations for changing user/group credentials", kSetuid},
    {"@signal", "Process signal handling", kSignal},
    {"@swap", "Enable/disable swap devices", kSwap},
    {"@sync", "Synchronize files and memory to storage", kSync},
    {"@system-service", "General system service operations", kSystemService},
    {"@timer", "Schedule operations by time", kTimer},
};

struct NativeSyscalls {
  std::vector<std::string> by_number;  // "" where libseccomp knows no call
  std::vector<std::string> sorted;
};

// Built once: libseccomp has no list function, so ask it for every number in range.
const NativeSyscalls& native_syscalls() {
  static const NativeSyscalls table = [] {
    NativeSyscalls result;
    for (int nr = 0; nr < 1024; ++nr) {
      char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
      if (name == nullptr) continue;
      result.by_number.resize(static_cast<size_t>(nr) + 1);
      result.by_number[static_cast<size_t>(nr)] = name;
      result.sorted.emplace_back(name);
      std::free(name);
    }
    std::ranges::sort(result.sorted);
    return result;
  }();
  return table;
}

const SyscallGroup* find_in(std::span<const SyscallGroup> table, std::string_view name) {
  const auto it = std::ranges::find(table, name, &SyscallGroup::name);
  return it != table.end() ? &*it : nullptr;
}

// Depth-first expansion; `path` holds the groups being expanded, so meeting one of them again
// is a cycle.
std::expected<void, std::string> expand_into(std::span<const SyscallGroup> table,
                                             std::string_view name,
                                             std::vector<std::string_view>& path,
                                             std::vector<std::string_view>& out) {
  const SyscallGroup* group = find_in(table, name);
  if (group == nullptr) return std::unexpected("unknown syscall group '" + std::string(name) + "'");
  if (std::ranges::find(path, name) != path.end()) {
    std::string cycle;
    for (std::string_view step : path)
      cycle += std::string(step) + " -> ";
    return std::unexpected("syscall group cycle: " + cycle + std::string(name));
  }
  path.push_back(group->name);
  for (std::string_view member : group->members) {
    if (member.starts_with('@')) {
      auto nested = expand_into(table, member, path, out);
      if (!nested) return nested;
    } else {
      out.push_back(member);
    }
  }
  path.pop_back();
  return {};
}

}  // namespace

std::span<const SyscallGroup> syscall_groups() {
  return kGroups;
}

const SyscallGroup* find_syscall_group(std::string_view name) {
  const auto it = std::ranges::lower_bound(kGroups, name, {}, &SyscallGroup::name);
  return it != std::end(kGroups) && it->name == name ? &*it : nullptr;
}

std::vector<std::string_view> syscall_group_names() {
  std::vector<std::string_view> names;
  names.reserve(std::size(kGroups));
  for (const SyscallGroup& group : kGroups)
    names.push_back(group.name);
  return names;
}

std::expected<std::vector<std::string_view>, std::string> expand_syscall_group(
    std::string_view name) {
  return expand_syscall_group(name, kGroups);
}

std::expected<std::vector<std::string_view>, std::string> expand_syscall_group(
    std::string_view name, std::span<const SyscallGroup> table) {
  std::vector<std::string_view> path;
  std::vector<std::string_view> out;
  auto done = expand_into(table, name, path, out);
  if (!done) return std::unexpected(std::move(done.error()));
  std::ranges::sort(out);
  const auto duplicates = std::ranges::unique(out);
  out.erase(duplicates.begin(), duplicates.end());
  return out;
}

std::expected<std::vector<SyscallCondition>, std::string> syscall_group_conditions(
    std::string_view name) {
  return syscall_group_conditions(name, kGroups);
}

std::expected<std::vector<SyscallCondition>, std::string> syscall_group_conditions(
    std::string_view name, std::span<const SyscallGroup> table) {
  auto unconditional = expand_syscall_group(name, table);
  if (!unconditional) return std::unexpected(std::move(unconditional.error()));
  // Walk the same nesting again, collecting conditions; expand_syscall_group() refused cycles.
  std::vector<SyscallCondition> out;
  std::vector<std::string_view> pending{name};
  std::vector<std::string_view> seen;
  while (!pending.empty()) {
    const std::string_view current = pending.back();
    pending.pop_back();
    if (std::ranges::find(seen, current) != seen.end()) continue;
    seen.push_back(current);
    const SyscallGroup* group = find_in(table, current);
    if (group == nullptr) continue;
    for (const SyscallCondition& condition : group->conditions) {
      if (!std::ranges::binary_search(*unconditional, condition.syscall)) out.push_back(condition);
    }
    for (std::string_view member : group->members) {
      if (member.starts_with('@')) pending.push_back(member);
    }
  }
  return out;
}

std::string syscall_name(int nr) {
  const auto& by_number = native_syscalls().by_number;
  if (nr < 0 || static_cast<size_t>(nr) >= by_number.size()) return {};
  return by_number[static_cast<size_t>(nr)];
}

std::span<const std::string> native_syscall_names() {
  return native_syscalls().sorted;
}

std::span<const ModeSettingCall> mode_setting_calls() {
  static constexpr ModeSettingCall kCalls[] = {
      {"chmod", 1, -1}, {"fchmod", 1, -1},  {"fchmodat", 2, -1}, {"fchmodat2", 2, -1},
      {"mkdir", 1, -1}, {"mkdirat", 2, -1}, {"mknod", 1, -1},    {"mknodat", 2, -1},
      {"creat", 1, -1}, {"open", 2, 1},     {"openat", 3, 2},
  };
  return kCalls;
}

}  // namespace harden
