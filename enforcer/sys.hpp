// The syscall seam: every call the enforcer makes to change the process goes through Sys.
// RealSys makes the calls; tests use a recording Sys to assert the exact order of calls
// without root. Methods return 0 or -1 with errno set, like the calls they stand for.
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <csignal>

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <string_view>
#include <utility>
#include <vector>

#include "plan/plan.hpp"
#include "plan/unique_fd.hpp"

namespace harden {

struct PlanData;
struct SupervisorLink;
class LearnSink;

// What the parent that stays after fork_supervised() does besides forwarding signals and
// exiting like its child (supervisor.cpp).
struct SupervisorSetup {
  // The target's plan when the child becomes the target: names denied syscalls in reports.
  // nullptr for the outer supervisor of a PID namespace, whose child is PID 1.
  const PlanData* plan = nullptr;
  // The child will hand over a seccomp listener: errno answers to report, and the exec lock's
  // execve mediation (seccomp_notify.hpp).
  bool listener = false;
  // The child forks again at once (PID 1 of a PID namespace): it keeps every forwarded signal
  // blocked, so none arriving in between is lost.
  bool child_forks_again = false;
  // The listener mediates execve: the total exec lock (seccomp_notify.hpp).
  bool exec_lock = false;
  // harden learn: the supervisor records every notification (learn.hpp) and hands the
  // recording to this sink at the end.
  LearnSink* learn = nullptr;
  // The listener comes from the child's child (PID 1 of a PID namespace forks the target):
  // with harden learn the outer supervisor, which keeps the host's view, records.
  bool listener_in_grandchild = false;
};

// One fsconfig() key of a new filesystem instance ("size" = "64M", "newinstance" = "").
struct FsOption {
  const char* key;
  const char* value;  // nullptr for a flag
};

struct CapSets {
  uint64_t permitted = 0;
  uint64_t effective = 0;
  uint64_t inheritable = 0;
};

enum class Lsm : uint8_t { apparmor, selinux };

// landlock_ruleset_attr as of ABI 6 (the header installed may be older; see landlock_abi.hpp).
struct LandlockRulesetAttr {
  uint64_t handled_access_fs = 0;
  uint64_t handled_access_net = 0;
  uint64_t scoped = 0;
};

// One thing a launch changed on the host, recorded so that a launch that does not reach
// execve can put it back (rollback.cpp).
struct HostChange {
  enum class Kind : uint8_t {
    audit_rule_added,    // `text`: the rule as libaudit sent it (audit_rule_data bytes)
    audit_rule_removed,  // `text`: a rule of the policy's owner removed as stale, as above
    nft_table,           // `text`: table name; `previous`: the table as it was, or none
    cgroup_dir,          // `text`: a cgroup directory this launch made
  };
  Kind kind = Kind::cgroup_dir;
  std::string text;
  std::optional<std::string> previous;
  bool operator==(const HostChange&) const = default;
};

// A page harden shares with its rollback guardian (rollback.cpp). Plain words and futex, so
// that harden can use it under any seccomp filter (futex is in @default; close and read are
// not).
struct HostGuardPage {
  std::atomic<uint32_t> exec_started{0};  // 1 while an execve is under way (RealSys::execve)
  std::atomic<uint32_t> failed{0};        // the launch failed: undo now
  std::atomic<uint32_t> done{0};          // the guardian has undone all but the cgroups
};

class Sys {
 public:
  virtual ~Sys() = default;

  virtual pid_t getpid() = 0;
  virtual pid_t getsid() = 0;
  virtual pid_t getpgrp() = 0;
  virtual int setsid() = 0;
  virtual int setpgid_self() = 0;  // setpgid(0, 0): a process group of its own
  // fork(); the parent becomes the supervisor (waits, forwards signals, exits with the child's
  // status) and never returns. With `setup.listener` the supervisor also answers the target's
  // seccomp notifications. Returns 0 in the child, -1 on failure.
  virtual pid_t fork_supervised(const SupervisorSetup& setup) = 0;
  // In a supervised child: 1 while the supervisor still lives, 0 when it is gone (checked
  // through a pidfd, since getppid() is 0 in a new PID namespace), so a re-armed
  // parent-death signal is known to cover it.
  virtual int supervisor_alive() = 0;
  // Whether this process has a controlling terminal: a session leader that has one must still
  // give the target a session of its own (TIOCSTI).
  virtual bool has_controlling_terminal() = 0;
  // The kernel's audit records of seccomp kills, read by the supervisor to name the syscall
  // (kill_reports.hpp). -1 with `why_not` when the kernel will not send them to harden.
  virtual int open_kill_record_reader(std::string& why_not) = 0;
  virtual int chroot(const char* path) = 0;
  virtual int chdir(const char* path) = 0;
  virtual int setrlimit(int resource, rlim_t soft, rlim_t hard) = 0;
  virtual mode_t umask(mode_t mask) = 0;
  virtual int prctl(int option, unsigned long arg2, unsigned long arg3 = 0, unsigned long arg4 = 0,
                    unsigned long arg5 = 0) = 0;
  virtual int setgroups(std::span<const gid_t> groups) = 0;
  virtual int setresgid(gid_t gid) = 0;
  virtual int setresuid(uid_t uid) = 0;
  // What the kernel holds after the credentials step, read back to compare with the plan.
  virtual int getresuid(uid_t& real, uid_t& effective, uid_t& saved) = 0;
  virtual int getresgid(gid_t& real, gid_t& effective, gid_t& saved) = 0;
  // getgroups(2) into `out`: the number of groups, or -1 (EINVAL: more than `out` holds).
  virtual int getgroups(std::span<gid_t> out) = 0;
  // keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL): a new anonymous session keyring, joined.
  virtual int join_session_keyring() = 0;
  // Reads a small file (/proc/self/loginuid) whole into `out`; 0 or -1 with errno.
  virtual int read_file(const char* path, std::string& out) = 0;
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
  // Every signal's disposition to SIG_DFL (1..NSIG-1 but SIGKILL and SIGSTOP, and the C
  // library's own, which execve resets anyway) and an empty signal mask.
  virtual int reset_signals() = 0;

  // Host-level state, through libnftables and libaudit. Besides errno, `error` gets the
  // library's own message where it says more (nft's parser points into the ruleset).
  virtual int nft_replace_table(const std::string& table, const std::string& ruleset,
                                std::string& error) = 0;
  // The table as `nft list table` prints it (a script that recreates it) in `saved`, or
  // nullopt when there is no such table.
  virtual int nft_save_table(const std::string& table, std::optional<std::string>& saved,
                             std::string& error) = 0;
  // 1 when table inet `table` is installed as a launch with `plan_digest` sealed it (its
  // comment names the digest and its contents match its seal, nft_netlink.hpp), else 0: absent,
  // another plan's, edited since, or unreadable. Read without libnftables.
  virtual int nft_table_sealed(const std::string& table, const std::string& plan_digest) = 0;
  // Seals the table just installed from the ruleset with `plan_digest`.
  virtual int nft_seal_table(const std::string& table, const std::string& plan_digest,
                             std::string& error) = 0;
  // The other "harden_*" tables of this network namespace whose comment says they filter `uid`.
  virtual int nft_tables_filtering_uid(const std::string& own_table, uid_t uid,
                                       std::vector<std::string>& tables, std::string& error) = 0;
  // Appends to `changes` each rule it added (not those already present) and removed.
  virtual int audit_replace_rules(const AuditPlan& audit, uint32_t audit_arch, std::string& error,
                                  std::vector<HostChange>& changes) = 0;
  // Undoes one change: deletes an added audit rule, adds back a removed one, restores or
  // deletes an nft table, removes a cgroup directory (EBUSY while a process is in it).
  virtual int undo_host_change(const HostChange& change, std::string& error) = 0;
  // The rollback guardian (rollback.cpp): a process forked now that keeps harden's
  // privileges, learns each change through `record_fd` and, unless this process (or the
  // child that carries on the launch) reaches execve, undoes them all (cgroup directories once
  // the launch's last process has left them). `done_fd` hangs up when the guardian is gone.
  virtual int host_guard_start(int& record_fd, int& done_fd) = 0;
  virtual int host_guard_note(int record_fd, const HostChange& change) = 0;
  // The launch failed: tells the guardian and waits (a bounded time) until it has undone all
  // but the cgroups. Uses only what every seccomp filter allows.
  virtual int host_guard_finish(int record_fd, int done_fd) = 0;
  // 1 when this process shares PID 1's network namespace (the host's), 0 when not.
  virtual int in_initial_netns() = 0;
  // 1 when the LSM is active; 0 when it is not, with the evidence in `why`.
  virtual int lsm_enabled(Lsm lsm, std::string& why) = 0;
  // The label the next execve runs under (aa_change_onexec, setexeccon).
  virtual int lsm_set_exec_label(Lsm lsm, const std::string& label) = 0;

  // Namespaces (namespaces.cpp).
  virtual uid_t geteuid() = 0;
  virtual gid_t getegid() = 0;
  virtual int unshare(int flags) = 0;
  // Writes `data` to an existing file (/proc/self/uid_map and friends) in one write().
  virtual int write_file(const char* path, std::string_view data) = 0;
  virtual int sethostname(std::string_view name) = 0;
  // Sets IFF_UP on an interface (ioctl SIOCSIFFLAGS; no shelling out to ip(8)).
  virtual int set_link_up(const char* interface) = 0;
  // mount(2) with no source or data: only propagation changes (MS_REC | MS_PRIVATE).
  virtual int mount_propagation(const char* target, unsigned long flags) = 0;

  // The constructed root (mounts.cpp), all with the fd-based mount API so that no path is
  // resolved twice. Calls returning an fd return it (close-on-exec) or -1.
  // open_tree(2): with OPEN_TREE_CLONE, a detached copy of the mount tree at dirfd/path.
  virtual int open_tree(int dirfd, const char* path, unsigned flags) = 0;
  // fsopen + fsconfig + fsmount: a detached new instance of `fstype`, with mount attributes.
  virtual int new_mount(const char* fstype, std::span<const FsOption> options,
                        unsigned attributes) = 0;
  virtual int mount_setattr(int fd, uint64_t set, uint64_t clear, bool recursive) = 0;
  // move_mount(2) of the detached tree `from_fd` onto to_dirfd/to_path; an empty to_path
  // means the object to_dirfd itself refers to.
  virtual int move_mount(int from_fd, int to_dirfd, const char* to_path) = 0;
  // openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS: a symlink
  // anywhere in `path` (ELOOP) or a way out of dirfd (EXDEV) fails instead of being followed.
  virtual int open_beneath(int dirfd, const char* path, int flags) = 0;
  // openat2(2) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: `path` is resolved as if
  // root_fd were "/" (no ".." or absolute symlink leaves it), and a /proc magic link
  // (/proc/self/fd/N, /proc/PID/cwd) fails with ELOOP instead of jumping anywhere.
  virtual int open_in_root(int root_fd, const char* path, int flags) = 0;
  virtual int mkdirat(int dirfd, const char* name, mode_t mode) = 0;
  // Creates an empty regular file (O_CREAT | O_EXCL | O_NOFOLLOW), to bind a file onto.
  virtual int create_file_at(int dirfd, const char* name) = 0;
  virtual int symlinkat(const char* target, int dirfd, const char* name) = 0;
  // The S_IFMT bits of what fd refers to, or -1.
  virtual int file_type(int fd) = 0;
  virtual int fchdir(int fd) = 0;
  virtual int pivot_root(const char* new_root, const char* put_old) = 0;
  virtual int umount2(const char* target, int flags) = 0;
  virtual int close(int fd) = 0;

  // Landlock. landlock_abi() is the kernel's ABI version, or -1 with errno (EOPNOTSUPP:
  // Landlock disabled at boot; ENOSYS: not built). It is the seam through which a test
  // simulates an older kernel.
  virtual int landlock_abi() = 0;
  virtual int landlock_create_ruleset(const LandlockRulesetAttr& attr) = 0;  // a new fd
  virtual int landlock_add_path_rule(int ruleset_fd, int parent_fd, uint64_t access) = 0;
  virtual int landlock_add_port_rule(int ruleset_fd, uint16_t port, uint64_t access) = 0;
  virtual int landlock_restrict_self(int ruleset_fd, uint32_t flags) = 0;
  // open(path, O_PATH | O_CLOEXEC): names a file for a rule without reading it; says
  // whether it is a directory (Landlock accepts only file rights on other files).
  virtual int open_path(const char* path, bool& is_directory) = 0;
  // The names in a directory, without ".", ".." and symlinks (which open_path would follow).
  virtual int list_directory(const char* path, std::vector<std::string>& names) = 0;

  // cgroup filesystem operations.
  virtual int mkdir(const char* path, mode_t mode) = 0;
  virtual int rmdir(const char* path) = 0;
  // (cgroup files are written with write_file() above, in one write(2) as they require.)
};

// An fd owned through the seam, closed (by the same Sys) when it goes out of scope.
class SysFd {
 public:
  SysFd(Sys& sys, int fd) : sys_(&sys), fd_(fd) {}
  ~SysFd() {
    if (fd_ >= 0) sys_->close(fd_);
  }
  SysFd(const SysFd&) = delete;
  SysFd& operator=(const SysFd&) = delete;
  SysFd(SysFd&& other) noexcept : sys_(other.sys_), fd_(other.fd_) { other.fd_ = -1; }
  SysFd& operator=(SysFd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) sys_->close(fd_);
      sys_ = other.sys_;
      fd_ = other.fd_;
      other.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  Sys* sys_;
  int fd_;
};

// The real thing. One instance serves the whole run; its only state is the link to the
// supervisor in a supervised child. Not final: a kernel test overrides landlock_abi() to
// run the real enforcer as if on an older kernel.
class RealSys : public Sys {
 public:
  pid_t getpid() override;
  pid_t getsid() override;
  pid_t getpgrp() override;
  int setsid() override;
  int setpgid_self() override;
  pid_t fork_supervised(const SupervisorSetup& setup) override;
  int supervisor_alive() override;
  bool has_controlling_terminal() override;
  int open_kill_record_reader(std::string& why_not) override;  // kill_reports.cpp
  int chroot(const char* path) override;
  int chdir(const char* path) override;
  int setrlimit(int resource, rlim_t soft, rlim_t hard) override;
  mode_t umask(mode_t mask) override;
  int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4,
            unsigned long arg5) override;
  int setgroups(std::span<const gid_t> groups) override;
  int setresgid(gid_t gid) override;
  int setresuid(uid_t uid) override;
  int getresuid(uid_t& real, uid_t& effective, uid_t& saved) override;
  int getresgid(gid_t& real, gid_t& effective, gid_t& saved) override;
  int getgroups(std::span<gid_t> out) override;
  int join_session_keyring() override;
  int read_file(const char* path, std::string& out) override;
  int get_capabilities(CapSets& out) override;
  int set_capabilities(const CapSets& sets) override;
  int close_range(unsigned first, unsigned last) override;
  int seccomp_load(std::span<const sock_filter> program, unsigned flags) override;
  int seccomp_load_listener(std::span<const sock_filter> program, unsigned flags) override;
  int hand_over_listener(int listener) override;
  int execve(const char* path, char* const argv[], char* const envp[]) override;
  int reset_signals() override;
  int nft_replace_table(const std::string& table, const std::string& ruleset,
                        std::string& error) override;  // nftables.cpp
  int nft_save_table(const std::string& table, std::optional<std::string>& saved,
                     std::string& error) override;  // nftables.cpp
  int nft_table_sealed(const std::string& table,
                       const std::string& plan_digest) override;  // nftables.cpp
  int nft_seal_table(const std::string& table, const std::string& plan_digest,
                     std::string& error) override;  // nftables.cpp
  int nft_tables_filtering_uid(const std::string& own_table, uid_t uid,
                               std::vector<std::string>& tables,
                               std::string& error) override;  // nftables.cpp
  int audit_replace_rules(const AuditPlan& audit, uint32_t audit_arch, std::string& error,
                          std::vector<HostChange>& changes) override;           // audit.cpp
  int undo_host_change(const HostChange& change, std::string& error) override;  // rollback.cpp
  int host_guard_start(int& record_fd, int& done_fd) override;                  // rollback.cpp
  int host_guard_note(int record_fd, const HostChange& change) override;        // rollback.cpp
  int host_guard_finish(int record_fd, int done_fd) override;                   // rollback.cpp
  int in_initial_netns() override;                                              // nftables.cpp
  int lsm_enabled(Lsm lsm, std::string& why) override;                          // lsm.cpp
  int lsm_set_exec_label(Lsm lsm, const std::string& label) override;           // lsm.cpp
  uid_t geteuid() override;
  gid_t getegid() override;
  int unshare(int flags) override;
  int write_file(const char* path, std::string_view data) override;
  int sethostname(std::string_view name) override;
  int set_link_up(const char* interface) override;
  int mount_propagation(const char* target, unsigned long flags) override;
  int open_tree(int dirfd, const char* path, unsigned flags) override;
  int new_mount(const char* fstype, std::span<const FsOption> options,
                unsigned attributes) override;
  int mount_setattr(int fd, uint64_t set, uint64_t clear, bool recursive) override;
  int move_mount(int from_fd, int to_dirfd, const char* to_path) override;
  int open_beneath(int dirfd, const char* path, int flags) override;
  int open_in_root(int root_fd, const char* path, int flags) override;
  int mkdirat(int dirfd, const char* name, mode_t mode) override;
  int create_file_at(int dirfd, const char* name) override;
  int symlinkat(const char* target, int dirfd, const char* name) override;
  int file_type(int fd) override;
  int fchdir(int fd) override;
  int pivot_root(const char* new_root, const char* put_old) override;
  int umount2(const char* target, int flags) override;
  int close(int fd) override;
  int landlock_abi() override;
  int landlock_create_ruleset(const LandlockRulesetAttr& attr) override;
  int landlock_add_path_rule(int ruleset_fd, int parent_fd, uint64_t access) override;
  int landlock_add_port_rule(int ruleset_fd, uint16_t port, uint64_t access) override;
  int landlock_restrict_self(int ruleset_fd, uint32_t flags) override;
  int open_path(const char* path, bool& is_directory) override;
  int list_directory(const char* path, std::vector<std::string>& names) override;
  int mkdir(const char* path, mode_t mode) override;
  int rmdir(const char* path) override;

 private:
  int open_kill_records(std::string& why_not);
  // In a supervised child: the page shared with the supervisor for the listener hand-over.
  SupervisorLink* link_ = nullptr;
  // In a supervised child: a pidfd of the supervisor (supervisor_alive()).
  int supervisor_pidfd_ = -1;
  // The signal mask harden was started with, saved by the first fork_supervised(): what the
  // target gets back however many supervisors were forked.
  sigset_t caller_mask_{};
  bool caller_mask_saved_ = false;
  // The kill-record reader the supervisor keeps (open_kill_record_reader()).
  int kill_record_fd_ = -1;
  std::string kill_record_missing_;  // why there is no reader
  // With a rollback guardian: the page shared with it. execve() sets exec_started while it
  // runs, so the guardian can tell an execve from an exit.
  HostGuardPage* guard_page_ = nullptr;
};

}  // namespace harden
