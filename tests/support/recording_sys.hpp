// A Sys that records every call instead of making it, so unit tests can assert the exact
// order of the enforcement steps without root. Calls succeed unless told to fail.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "enforcer/sys.hpp"
#include "plan/landlock_abi.hpp"

namespace harden::test {

class RecordingSys final : public Sys {
 public:
  std::vector<std::string> calls;
  std::string fail_call;  // a call whose name starts with this returns -1 with fail_errno
  int fail_errno = EPERM;
  CapSets caps{~0ULL >> 23, ~0ULL >> 23, 0};  // what root holds (caps 0..40)
  pid_t pid = 100, sid = 1, pgrp = 50;
  int abi = 7;  // what landlock_abi() reports; -1 for a kernel without Landlock

  pid_t getpid() override { return pid; }
  pid_t getsid() override { return sid; }
  pid_t getpgrp() override { return pgrp; }
  int setsid() override { return record("setsid"); }
  int setpgid_self() override { return record("setpgid_self"); }
  bool controlling_terminal = false;  // what has_controlling_terminal() says
  SupervisorSetup last_setup;         // what the last fork_supervised() was asked for
  pid_t fork_supervised(const SupervisorSetup& setup) override {
    last_setup = setup;
    return record("fork_supervised");
  }
  int supervisor_alive() override { return record("supervisor_alive") == 0 ? 1 : 0; }
  bool has_controlling_terminal() override { return controlling_terminal; }
  int open_kill_record_reader(std::string&) override { return record("open_kill_record_reader"); }
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
  // The ids the recorded process holds, changed as the kernel would: (id_t)-1 leaves an id
  // as it is. With keep_ids the set calls succeed but change nothing (a read-back must catch
  // it); extra_groups are groups getgroups() reports besides those set.
  uid_t ruid = 0, euid_now = 0, suid = 0;
  gid_t rgid = 0, egid_now = 0, sgid = 0;
  std::vector<gid_t> groups;
  bool keep_ids = false;
  std::vector<gid_t> extra_groups;
  int setgroups(std::span<const gid_t> list) override {
    std::string call = "setgroups";
    for (const gid_t g : list)
      call += " " + std::to_string(g);
    const int rc = record(call);
    if (rc == 0 && !keep_ids) groups.assign(list.begin(), list.end());
    return rc;
  }
  int setresgid(gid_t gid) override {
    const int rc = record("setresgid " + std::to_string(gid));
    if (rc == 0 && !keep_ids && gid != static_cast<gid_t>(-1)) rgid = egid_now = sgid = gid;
    return rc;
  }
  int setresuid(uid_t uid) override {
    const int rc = record("setresuid " + std::to_string(uid));
    if (rc == 0 && !keep_ids && uid != static_cast<uid_t>(-1)) ruid = euid_now = suid = uid;
    return rc;
  }
  int getresuid(uid_t& real, uid_t& effective, uid_t& saved) override {
    real = ruid, effective = euid_now, saved = suid;
    return 0;
  }
  int getresgid(gid_t& real, gid_t& effective, gid_t& saved) override {
    real = rgid, effective = egid_now, saved = sgid;
    return 0;
  }
  int getgroups(std::span<gid_t> out) override {
    std::vector<gid_t> held = groups;
    held.insert(held.end(), extra_groups.begin(), extra_groups.end());
    if (held.size() > out.size()) {
      errno = EINVAL;
      return -1;
    }
    std::copy(held.begin(), held.end(), out.begin());
    return static_cast<int>(held.size());
  }
  int join_session_keyring() override { return record("join_session_keyring"); }
  // Files read through the seam; a path not listed fails with ENOENT.
  std::map<std::string, std::string> files{{"/proc/self/loginuid", "4294967295"}};
  int read_file(const char* path, std::string& out) override {
    const auto it = files.find(path);
    if (it == files.end()) {
      errno = ENOENT;
      return -1;
    }
    out = it->second;
    return 0;
  }
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
  int seccomp_load_listener(std::span<const sock_filter> program, unsigned flags) override {
    const int failed =
        record("seccomp_listener " + std::to_string(program.size()) + " " + std::to_string(flags));
    return failed ? failed : 7;  // the listener's fd
  }
  int hand_over_listener(int listener) override {
    return record("hand_over_listener " + std::to_string(listener));
  }
  int execve(const char* path, char* const*, char* const*) override {
    record("execve " + std::string(path));
    errno = ENOENT;
    return -1;
  }
  int reset_signals() override { return record("reset_signals"); }
  int nft_replace_table(const std::string& table, const std::string&, std::string& error) override {
    const int rc = record("nft_replace_table " + table);
    if (rc != 0) error = "recorded failure";
    return rc;
  }
  // What the recorded audit_replace_rules reports as added (the real one: rules not there yet).
  std::vector<HostChange> audit_changes;
  int audit_replace_rules(const AuditPlan& audit, uint32_t, std::string& error,
                          std::vector<HostChange>& changes) override {
    const int rc =
        record("audit_replace_rules " + audit.owner_key + " " + std::to_string(audit.rules.size()));
    changes.insert(changes.end(), audit_changes.begin(), audit_changes.end());
    if (rc != 0) error = "recorded failure";
    return rc;
  }
  std::optional<std::string> nft_saved;  // what nft_save_table finds
  int nft_save_table(const std::string& table, std::optional<std::string>& saved,
                     std::string& error) override {
    const int rc = record("nft_save_table " + table);
    saved = nft_saved;
    if (rc != 0) error = "recorded failure";
    return rc;
  }
  bool nft_sealed = false;  // what nft_table_sealed finds
  int nft_table_sealed(const std::string& table, const std::string&) override {
    record("nft_table_sealed " + table);
    return nft_sealed ? 1 : 0;
  }
  int nft_seal_table(const std::string& table, const std::string&, std::string& error) override {
    const int rc = record("nft_seal_table " + table);
    if (rc != 0) error = "recorded failure";
    return rc;
  }
  std::vector<std::string> nft_same_uid;  // what nft_tables_filtering_uid finds
  int nft_tables_filtering_uid(const std::string& table, uid_t, std::vector<std::string>& tables,
                               std::string& error) override {
    const int rc = record("nft_tables_filtering_uid " + table);
    tables = nft_same_uid;
    if (rc != 0) error = "recorded failure";
    return rc;
  }
  static std::string describe(const HostChange& change) {
    switch (change.kind) {
      case HostChange::Kind::audit_rule_added:
        return "audit+ " + change.text;
      case HostChange::Kind::audit_rule_removed:
        return "audit- " + change.text;
      case HostChange::Kind::nft_table:
        return "nft " + change.text + (change.previous ? " =" + *change.previous : " (none)");
      case HostChange::Kind::cgroup_dir:
        return "cgroup " + change.text;
    }
    return "?";
  }
  int undo_host_change(const HostChange& change, std::string& error) override {
    const int rc = record("undo " + describe(change));
    if (rc != 0) error = "recorded failure";
    return rc;
  }
  bool guard = true;  // host_guard_start succeeds (fds 90 and 91); false: it fails
  int host_guard_start(int& record_fd, int& done_fd) override {
    const int rc = record("host_guard_start");
    if (rc != 0 || !guard) return -1;
    record_fd = 90;
    done_fd = 91;
    return 0;
  }
  int host_guard_note(int record_fd, const HostChange& change) override {
    return record("host_guard_note " + std::to_string(record_fd) + " " + describe(change));
  }
  int host_guard_finish(int record_fd, int done_fd) override {
    return record("host_guard_finish " + std::to_string(record_fd) + " " + std::to_string(done_fd));
  }
  bool initial_netns = false;  // what in_initial_netns answers
  int in_initial_netns() override {
    record("in_initial_netns");
    return initial_netns ? 1 : 0;
  }
  bool lsm_active = false;  // what lsm_enabled answers for both LSMs
  int lsm_enabled(Lsm lsm, std::string& why) override {
    record(std::string("lsm_enabled ") + (lsm == Lsm::apparmor ? "apparmor" : "selinux"));
    if (!lsm_active) why = "recorded: inactive";
    return lsm_active ? 1 : 0;
  }
  int lsm_set_exec_label(Lsm lsm, const std::string& label) override {
    return record(std::string("lsm_set_exec_label ") +
                  (lsm == Lsm::apparmor ? "apparmor " : "selinux ") + label);
  }
  uid_t geteuid() override { return euid; }
  gid_t getegid() override { return egid; }
  int unshare(int flags) override { return record("unshare " + hex(flags)); }
  int write_file(const char* path, std::string_view data) override {
    const int rc = record("write " + std::string(path) + " " + std::string(data));
    // A file read through the seam (loginuid) then reads back what was written.
    if (const auto it = files.find(path); rc == 0 && it != files.end()) it->second = data;
    return rc;
  }
  int sethostname(std::string_view name) override {
    return record("sethostname " + std::string(name));
  }
  int set_link_up(const char* interface) override {
    return record("link_up " + std::string(interface));
  }
  int mount_propagation(const char* target, unsigned long flags) override {
    return record("mount_propagation " + std::string(target) + " " + hex(flags));
  }
  // Calls that make an fd return a new number, and say which in the record ("=fd").
  int open_tree(int dirfd, const char* path, unsigned flags) override {
    return record_fd("open_tree " + std::to_string(dirfd) + " " + path + " " + hex(flags));
  }
  int new_mount(const char* fstype, std::span<const FsOption> options,
                unsigned attributes) override {
    std::string call = "new_mount " + std::string(fstype);
    for (const FsOption& o : options)
      call += " " + std::string(o.key) + "=" + (o.value ? o.value : "");
    return record_fd(call + " " + hex(attributes));
  }
  int mount_setattr(int fd, uint64_t set, uint64_t clear, bool recursive) override {
    return record("mount_setattr " + std::to_string(fd) + " " + hex(set) + " " + hex(clear) +
                  (recursive ? " recursive" : ""));
  }
  int move_mount(int from_fd, int to_dirfd, const char* to_path) override {
    return record("move_mount " + std::to_string(from_fd) + " " + std::to_string(to_dirfd) +
                  (to_path[0] ? " " + std::string(to_path) : ""));
  }
  int open_beneath(int dirfd, const char* path, int) override {
    if (missing.count(path)) {
      record("open_beneath " + std::to_string(dirfd) + " " + path + " ENOENT");
      missing.erase(path);
      errno = ENOENT;
      return -1;
    }
    return record_fd("open_beneath " + std::to_string(dirfd) + " " + path);
  }
  int open_in_root(int root_fd, const char* path, int flags) override {
    const int fd = record_fd("open_in_root " + fd_name(root_fd) + " " + path);
    if (fd >= 0 && (flags & O_DIRECTORY)) directories_.insert(fd);  // as the kernel checks
    return fd;
  }
  int mkdirat(int dirfd, const char* name, mode_t) override {
    return record("mkdirat " + std::to_string(dirfd) + " " + name);
  }
  int create_file_at(int dirfd, const char* name) override {
    return record("create_file_at " + std::to_string(dirfd) + " " + name);
  }
  int symlinkat(const char* target, int dirfd, const char* name) override {
    return record("symlinkat " + std::string(target) + " " + std::to_string(dirfd) + " " + name);
  }
  int file_type(int fd) override {
    return fd == dir_fd || directories_.count(fd) ? 0040000 : 0100000;
  }
  int fchdir(int fd) override { return record("fchdir " + std::to_string(fd)); }
  int pivot_root(const char* new_root, const char* put_old) override {
    return record("pivot_root " + std::string(new_root) + " " + put_old);
  }
  int umount2(const char* target, int flags) override {
    return record("umount2 " + std::string(target) + " " + std::to_string(flags));
  }
  int close(int fd) override {
    closed.push_back(fd);
    return 0;
  }

  uid_t euid = 0;
  gid_t egid = 0;
  int next_fd = 100;
  int dir_fd = -1;                // file_type() says S_IFDIR for this fd, S_IFREG otherwise
  std::set<std::string> missing;  // open_beneath names that fail once with ENOENT
  std::vector<int> closed;        // fds closed, in order

  int landlock_abi() override {
    if (abi < 0) errno = EOPNOTSUPP;
    return abi;
  }
  int landlock_create_ruleset(const LandlockRulesetAttr& attr) override {
    return record("landlock_create_ruleset fs=" + hex(attr.handled_access_fs) +
                  " net=" + hex(attr.handled_access_net) + " scoped=" + hex(attr.scoped)) == 0
               ? kRulesetFd
               : -1;
  }
  int landlock_add_path_rule(int ruleset_fd, int parent_fd, uint64_t access) override {
    return record("landlock_add_rule " + fd_name(ruleset_fd) + " " + fd_name(parent_fd) + " " +
                  hex(access));
  }
  int landlock_add_port_rule(int ruleset_fd, uint16_t port, uint64_t access) override {
    return record("landlock_add_rule " + fd_name(ruleset_fd) + " port " + std::to_string(port) +
                  " " + hex(access));
  }
  int landlock_restrict_self(int ruleset_fd, uint32_t flags) override {
    return record(
        "landlock_restrict_self " + fd_name(ruleset_fd) +
        (flags & ::harden::landlock_abi::kRestrictSelfLogNewExecOn ? " log-new-exec" : ""));
  }
  // Hands out fake fds; a path with a '.' in it counts as a file, any other as a directory.
  int open_path(const char* path, bool& is_directory) override {
    is_directory = std::string_view(path).find('.') == std::string_view::npos;
    if (record("open_path " + std::string(path)) != 0) return -1;
    const int fd = next_fd_++;
    fake_fds_[fd] = path;
    return fd;
  }
  // What list_directory() finds; a directory not listed is empty.
  std::map<std::string, std::vector<std::string>> directories;
  int list_directory(const char* path, std::vector<std::string>& names) override {
    const auto it = directories.find(path);
    names = it == directories.end() ? std::vector<std::string>{} : it->second;
    return 0;
  }
  int mkdir(const char* path, mode_t) override { return record("mkdir " + std::string(path)); }
  int rmdir(const char* path) override { return record("rmdir " + std::string(path)); }

  static constexpr int kRulesetFd = 900;

 private:
  // Fake fds by the path they were opened for; real ones (from prepare) by what they name.
  std::string fd_name(int fd) const {
    if (fd == kRulesetFd) return "ruleset";
    if (const auto it = fake_fds_.find(fd); it != fake_fds_.end()) return it->second;
    char link[4096];
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    const ssize_t n = ::readlink(proc.c_str(), link, sizeof link - 1);
    return n > 0 ? std::string(link, static_cast<size_t>(n)) : "fd" + std::to_string(fd);
  }
  std::map<int, std::string> fake_fds_;
  std::set<int> directories_;  // fds opened with O_DIRECTORY
  int next_fd_ = 1000;

  static std::string hex(unsigned long value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "0x%lx", value);
    return buffer;
  }
  int record_fd(std::string call) {
    const int fd = next_fd;
    if (record(call + " =" + std::to_string(fd)) != 0) return -1;
    ++next_fd;
    return fd;
  }
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
