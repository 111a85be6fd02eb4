// The compiled plan: everything the enforcer needs, fully resolved (numeric ids, capability
// values, syscall numbers, a ready BPF program). It is the contract between compiler/ and
// enforcer/: the enforcer never sees policy text, and a Plan is only ever made by
// compile_policy() (after validation) or by plan_from_bytes() (after checksum and arch checks).
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace harden {

// Where in the policy a decision came from, kept so reports at run time (a denied
// syscall, a failed step) can point at the line that asked for it.
struct PlanOrigin {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
};

struct CredentialsPlan {
  bool change_ids = false;  // false: keep the caller's uid/gid (rootless or same user)
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> supplementary_groups;  // set exactly; empty means none
};

struct CapabilitiesPlan {
  uint64_t keep = 0;  // bit n = capability n; every other capability leaves every set
  int last_cap = 40;  // highest capability the compiler knew; the enforcer uses the kernel's
};

// The policy line behind a syscall's fate when it is not the default action: a
// [[seccomp.rule]] or a deny entry. Denial reports name it.
struct SeccompOrigin {
  uint32_t nr = 0;      // native syscall number
  uint32_t action = 0;  // SECCOMP_RET_* the line leads to
  std::string what;     // "[[seccomp.rule]]", "deny = [...]"
  PlanOrigin origin;
  // A supervised launch reports the calls this line refuses; false for a [[seccomp.rule]] that
  // answers an errno on purpose (unless it says report = true).
  bool report = true;
};

struct SeccompPlan {
  bool enabled = false;
  uint32_t flags = 0;  // SECCOMP_FILTER_FLAG_*
  std::vector<sock_filter> program;
  // Where the default action was set, and which lines decided other fates, for denial reports.
  PlanOrigin default_action_origin;
  std::vector<SeccompOrigin> origins;
};

struct ResourceLimit {
  int resource = 0;  // RLIMIT_*
  rlim_t soft = 0;
  rlim_t hard = 0;
};

struct EnvironmentPlan {
  bool clear = true;
  std::vector<std::string> keep;  // names copied from harden's environment when present
  std::vector<std::string> set;   // "NAME=value", applied after keep
};

struct FdPlan {
  std::vector<int> pass;        // fds besides 0-2 that stay open (sorted, unique)
  bool pass_listen_fds = true;  // systemd socket activation: keep LISTEN_FDS fds 3..3+n-1
};

struct ExecPlan {
  std::vector<std::string> command;  // from the policy; `-- CMD` on the command line wins
  std::string working_directory;     // empty: "/" inside a chroot, else unchanged
  std::optional<mode_t> umask;
  bool new_session = true;  // setsid(): no TIOCSTI into the caller's terminal
  // systemd's NOTIFY_SOCKET reaches the target (sd_notify READY=1 for Type=notify units).
  // On by default: the socket is well known and systemd authenticates each datagram by the
  // sender's pid (NotifyAccess=), so the variable tells the target nothing it could not find.
  bool pass_notify_socket = true;
  // prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN): no memory both writable and executable,
  // and no mapping made executable later (Linux 6.3); execve and fork keep it.
  bool memory_deny_write_execute = false;
};

// What one entry of the constructed root is. The compiler expands proc = true and
// dev = "minimal" into these, so the view below is the complete list of what the target
// sees (Landlock rules are derived from it).
enum class ViewKind : uint8_t {
  bind,        // host path `source` at `target`; nosuid, nodev
  dev_bind,    // a host device node (/dev/null, ...): nosuid, noexec, but devices allowed
  tmpfs,       // a fresh tmpfs (size, mode)
  proc,        // a new proc instance (of the PID namespace, when there is one)
  devpts,      // a new devpts instance for /dev/pts
  mqueue,      // the private IPC namespace's POSIX message queues
  remount_ro,  // an already visible path made read-only (e.g. /proc/sys)
  mask,        // hidden: /dev/null over a file, an empty read-only tmpfs over a directory
  symlink,     // a symbolic link `target` -> `source`
};

struct ViewMount {
  ViewKind kind = ViewKind::bind;
  std::string target;  // absolute path inside the new root
  std::string source;  // bind/dev_bind: host path; symlink: the link text; else empty
  bool read_only = false;
  bool noexec = false;
  uint64_t size = 0;   // tmpfs: bytes, 0 for the kernel's default
  mode_t mode = 0755;  // tmpfs: mode of its root directory
  PlanOrigin origin;
};

struct FilesystemPlan {
  std::string chroot;  // classic chroot directory; empty for none
  // A constructed root: an empty tmpfs holding exactly `view`, entered with pivot_root.
  bool constructed_root = false;
  std::vector<ViewMount> view;  // in mount order: every parent before its children
};

struct NamespacesPlan {
  bool user = false;  // asked for explicitly; rootless mode adds one at run time anyway
  bool mount = false;
  bool ipc = false;
  bool uts = false;
  bool net = false;
  bool cgroup = false;
  bool pid = false;
  bool loopback_up = false;  // net private/loopback: bring lo up in the new namespace
  std::string hostname;      // uts: empty keeps the host's name
};

// One Landlock filesystem rule: `access` (landlock_abi bits) on everything beneath `path`,
// a path as the target sees it once the filesystem view is final.
struct LandlockPathRule {
  std::string path;
  uint64_t access = 0;
  bool with_interpreter = false;  // an `execute` entry: also its ELF or #! interpreter
  PlanOrigin origin;
};

struct LandlockPlan {
  bool enabled = false;
  bool best_effort = false;  // drop what the kernel's ABI lacks (and say so) instead of failing
  bool restrict_fs = false;  // handle every filesystem right; implies the exec lock
  std::vector<LandlockPathRule> paths;
  bool restrict_bind = false;  // handle LANDLOCK_ACCESS_NET_BIND_TCP
  bool restrict_connect = false;
  std::vector<uint16_t> bind_tcp;  // allowed ports
  std::vector<uint16_t> connect_tcp;
  uint64_t scopes = 0;  // landlock_abi::kScope*
  PlanOrigin origin;    // the [landlock] (or [ipc]) table
};

// The exec lock is total when Landlock restricts the file system and no rule grants execute:
// nothing may run after harden's own execve of the target, which a supervisor mediates
// (enforcer/seccomp_notify.hpp). Exporters need it too: the target is then not the unit's
// main process.
inline bool exec_lock_total(const LandlockPlan& landlock) {
  if (!landlock.enabled || !landlock.restrict_fs) return false;
  constexpr uint64_t kFsExecute = 1ULL << 0;  // LANDLOCK_ACCESS_FS_EXECUTE
  for (const LandlockPathRule& rule : landlock.paths) {
    if (rule.access & kFsExecute) return false;  // the policy lists programs
  }
  return true;
}

// Limits enforced through a cgroup created for the launch (v2 where the controller is
// there, else v1), nested under harden's own cgroup so no outer limit is ever escaped.
struct CgroupPlan {
  std::optional<uint64_t> memory_max;  // bytes
  std::optional<uint64_t> pids_max;
  std::optional<uint64_t> cpu_quota_us;  // per cpu_period_us
  uint64_t cpu_period_us = 100000;
  // Inside a systemd service the unit's cgroup belongs to systemd.
  enum class UnderSystemd { kFail, kLeave, kNest };
  UnderSystemd under_systemd = UnderSystemd::kFail;

  bool wanted() const { return memory_max || pids_max || cpu_quota_us; }
};

// What the nftables rules match on: everything in the sandbox's own network namespace, or, in
// the host's namespace, only sockets owned by the service's uid or created in its cgroup.
enum class NetworkScope : uint8_t { netns, uid, cgroup };

struct NetworkPlan {
  bool enabled = false;
  NetworkScope scope = NetworkScope::netns;
  std::string table;           // "harden_<policy>", family inet (IPv4 and IPv6 together)
  std::string ruleset;         // the full "table inet harden_<policy> { ... }" definition, with the
                               // tokens of nft_script.hpp the launch fills in
  bool launch_cgroup = false;  // scope cgroup on harden's own launch cgroup (no path given)
};

// One audit rule on the exit filter with action "always". Every rule also carries the
// policy's owner key ("harden:<policy>"), which is how `harden status` and `harden down`
// recognise the rules harden added, and never touch anyone else's.
struct AuditRule {
  enum class Kind : uint8_t { watch, syscall };
  Kind kind = Kind::watch;
  std::string path;           // watch: the file or directory
  bool directory = false;     // watch: a directory watch covers the whole subtree
  uint32_t permissions = 0;   // watch: AUDIT_PERM_* bits
  std::vector<int> syscalls;  // syscall: numbers for the plan's architecture
  uint32_t uid = 0;           // syscall: only this uid's calls are recorded
  std::string key;            // the user's key, shown in every record
};

struct AuditPlan {
  std::string owner_key;  // "harden:<policy>"
  std::vector<AuditRule> rules;
};

struct LsmPlan {
  std::string apparmor_profile;  // empty: none requested
  std::string selinux_context;   // empty: none requested
  bool optional = false;         // an inactive LSM is a warning instead of a refusal
};

struct PlanData {
  uint32_t schema_version = 1;
  uint32_t audit_arch = 0;  // AUDIT_ARCH_* the plan was built for
  std::string policy_name;
  std::string policy_file;
  bool no_new_privs = true;
  CredentialsPlan credentials;
  CapabilitiesPlan capabilities;
  SeccompPlan seccomp;
  std::vector<ResourceLimit> limits;
  EnvironmentPlan environment;
  FdPlan fds;
  ExecPlan exec;
  FilesystemPlan filesystem;
  NamespacesPlan namespaces;
  LandlockPlan landlock;
  CgroupPlan cgroup;
  NetworkPlan network;
  AuditPlan audit;
  LsmPlan lsm;
};

class Plan;
struct SeccompModel;  // plan/seccomp_model.hpp
// The only door through which a Plan is made: the contents are checked as the plan reader and
// the verify-plan step check them (plan_contents_refusal, check_seccomp_program in plan_io),
// so no code path (compiler, reader, a test's hand-made plan) holds an unchecked Plan. The
// compiler also hands over the seccomp decision model, which a sealed plan does not carry.
[[nodiscard]] std::expected<Plan, std::string> validated_plan(
    PlanData data, std::shared_ptr<const SeccompModel> seccomp_model = nullptr);

// An immutable, validated plan; made only by validated_plan().
class Plan {
 public:
  const PlanData& data() const { return data_; }
  const PlanData* operator->() const { return &data_; }
  // What the seccomp filter decides per call, for lint, exporters and reports: set by the
  // compiler, null in a plan read from its sealed form (the enforcer needs only the BPF).
  const SeccompModel* seccomp_model() const { return seccomp_model_.get(); }

 private:
  Plan(PlanData data, std::shared_ptr<const SeccompModel> model)
      : data_(std::move(data)), seccomp_model_(std::move(model)) {}
  PlanData data_;
  std::shared_ptr<const SeccompModel> seccomp_model_;

  friend std::expected<Plan, std::string> validated_plan(PlanData data,
                                                         std::shared_ptr<const SeccompModel>);
};

}  // namespace harden

// Every member of every struct above, listed once: see plan_fields.hpp.
#include "plan/plan_fields.hpp"  // IWYU pragma: export
