// The enforcement steps, in order, as data. This table is the one place that says in which
// order the layers are applied and why; enforce_and_exec() walks it, and tests assert it.
#pragma once

#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "enforcer/sys.hpp"
#include "plan/plan.hpp"

namespace harden {

class LearnSink;  // learn.hpp

// Exit codes of `harden run` (documented in harden(1)). Step failures are 200 and up, one per
// step, stable across releases, so scripts and systemd units can tell which layer failed.
namespace exit_code {
inline constexpr int kPolicyError = 125;    // usage error or invalid policy: nothing applied
inline constexpr int kCannotExecute = 126;  // target found but execve refused it
inline constexpr int kNotFound = 127;       // target not found
inline constexpr int kVerifyPlan = 200;
inline constexpr int kSession = 201;
inline constexpr int kFilesystem = 202;
inline constexpr int kLimits = 203;
inline constexpr int kUmask = 204;
inline constexpr int kCredentials = 205;
inline constexpr int kCapabilities = 206;
inline constexpr int kNoNewPrivs = 207;
inline constexpr int kWorkingDirectory = 208;
inline constexpr int kFds = 209;
inline constexpr int kSeccomp = 210;
inline constexpr int kPrepare = 211;  // building argv/environment before any step
inline constexpr int kNamespaces = 212;
inline constexpr int kMounts = 213;
inline constexpr int kCgroup = 214;
inline constexpr int kLandlock = 215;
inline constexpr int kAudit = 216;
inline constexpr int kNftables = 217;
inline constexpr int kNftablesNetns = 218;
inline constexpr int kLsm = 219;
inline constexpr int kMemoryDenyWriteExecute = 220;
inline constexpr int kKillReports = 223;  // never used: the step cannot fail the launch
inline constexpr int kLoginuid = 221;
inline constexpr int kKeyring = 222;
inline constexpr int kSignals = 224;
inline constexpr int kHostGuard = 225;
}  // namespace exit_code

// A file the exec lock lets the target execute: the target itself and its interpreters,
// found and opened before any step (see enforcer/exec_lock.cpp).
struct ExecLockFile {
  std::string path;  // as the target sees it, for messages
  UniqueFd fd;
};

// One cgroup hierarchy harden found for a controller: the directory of harden's own cgroup
// in it, under which the launch's cgroup is made.
struct CgroupHierarchy {
  std::string own_dir;  // e.g. /sys/fs/cgroup/memory/user.slice
  bool v2 = false;
};

struct CgroupLayout {
  std::optional<CgroupHierarchy> memory, pids, cpu;  // absent: the host lacks the controller
  std::string systemd_unit;  // the .service or .scope harden runs in (systemd_unit_of), or empty
  // harden's own cgroup in the v2 hierarchy, with or without controllers (a [network] scope
  // "cgroup" on the launch cgroup needs one there), and where that hierarchy is mounted.
  std::optional<CgroupHierarchy> unified{};
  std::string unified_mount{};
};

// How to launch, besides the plan: choices of the caller, not of the policy.
struct LaunchOptions {
  // Stay as the target's parent even when no new session needs a fork, so that denied
  // syscalls are reported (seccomp user notification) and signals forwarded.
  bool supervise = false;
  // harden learn (learn.hpp): the plan comes from learn::learning_plan(); every syscall of the
  // target goes to a recorder in harden's original process, which hands the recording to this
  // sink when the target is gone.
  LearnSink* learn = nullptr;
};

// What this launch changed on the host, and the guardian that undoes it if the launch
// stops before execve (rollback.cpp).
struct HostRollback {
  std::vector<HostChange> changes;  // in the order made
  int record_fd = -1;               // to the guardian (close-on-exec); -1 without one
  int done_fd = -1;                 // from the guardian: hangs up when it is gone
  bool guardian_lost = false;       // a note could not reach it: harden undoes by itself
  // The guardian is forked at the first change rather than by the host-guard step (plans whose
  // only host step is the nftables table, which a sealed table leaves unchanged).
  bool guardian_deferred = false;
};

// Everything the steps need besides the plan, prepared before the first step so the steps
// themselves allocate nothing on the success path.
struct ExecContext {
  std::vector<std::string> argv_storage;
  std::vector<char*> argv;  // null-terminated
  std::vector<std::string> env_storage;
  std::vector<char*> envp;  // null-terminated
  std::string search_path;  // PATH used to find a bare command name
  // sorted: fds besides 0-2 that the fds step leaves open (declared + LISTEN_FDS, and the
  // rollback guardian's, which are close-on-exec)
  std::vector<int> keep_fds;
  int kernel_last_cap = 40;       // /proc/sys/kernel/cap_last_cap, or probed (prepare.cpp)
  bool supervise = false;         // LaunchOptions::supervise: fork a supervisor in any case
  LearnSink* learn = nullptr;     // LaunchOptions::learn: record instead of enforce a filter
  bool under_supervisor = false;  // harden forked; the parent waits and forwards signals
  int listen_pid_env = -1;        // index of LISTEN_PID in env_storage, rewritten after a fork
  bool rootless = false;  // harden was started without root: namespaces need a user namespace
  bool in_user_namespace = false;  // the namespaces step made one (rootless, or user = true)
  // With the exec lock: the target resolved at prepare time (PATH looked up inside the
  // view), the path execve uses, so the file that gets the execute right is the one run.
  std::string exec_path;
  std::vector<ExecLockFile> exec_lock;
  CgroupLayout cgroup;
  // The nft match of harden's own launch cgroup (`socket cgroupv2 level N "path"`), set by the
  // cgroup step for a [network] scope "cgroup" without a path; the nftables step writes it in.
  std::string nft_launch_cgroup_match;
  int listen_fd_count = 0;  // systemd socket activation: fds 3..3+n-1 (0 when not for us)
  // systemd's NOTIFY_SOCKET as passed to the target ("/run/systemd/notify", or "@name" for an
  // abstract socket); empty when none is passed. A constructed root must bind a path socket
  // in at the same place, or sd_notify() from the target cannot reach it.
  std::string notify_socket;
  // What the target's filter sends to its supervisor (session step; seccomp_notify.hpp).
  bool notify_errno_answers = false;
  bool notify_exec_calls = false;
  // The program the seccomp step loads with a listener, built by the session step (before the
  // limits step, whose address-space limit may leave no room to build it later).
  std::vector<sock_filter> notifying_program;
  // Room for the credentials step to read back the supplementary groups (the plan's count
  // plus one, so one group too many shows), allocated before the steps.
  std::vector<gid_t> groups_readback;
  HostRollback host;
};

struct StepError {
  int error = 0;       // errno of the failing call
  std::string detail;  // what was being done, e.g. "setresuid(65534)"
};

using StepResult = std::expected<void, StepError>;

inline std::unexpected<StepError> step_failed(int error, std::string detail) {
  return std::unexpected(StepError{error, std::move(detail)});
}

struct Step {
  std::string_view name;
  std::string_view why;  // one line: why the step is here and not elsewhere
  int exit_code;
  bool (*wanted)(const PlanData& plan);
  StepResult (*apply)(const PlanData& plan, Sys& sys, ExecContext& ctx);
};

std::span<const Step> enforcement_steps();

// Builds argv, envp and the fd list. `command` (from `-- CMD`) overrides the plan's command.
std::expected<ExecContext, std::string> prepare_exec(const PlanData& plan,
                                                     std::span<const std::string> command,
                                                     char* const* environ,
                                                     const LaunchOptions& options = {});

// Applies every wanted step in order, then execs the target. Returns only on failure, with
// the exit code to use; the message has already been written to stderr.
int enforce_and_exec(const Plan& plan, ExecContext& ctx, Sys& sys);

// enforce_and_exec() for real: on failure, leaves with _exit(2). Once a step has run the
// process is half-hardened and may be under the seccomp filter, so nothing else may run:
// no atexit handlers, no stdio flushing, no sanitizer leak check (which would itself make
// syscalls the filter kills, or hang).
[[noreturn]] void enforce_exec_or_exit(const Plan& plan, ExecContext& ctx, Sys& sys);

}  // namespace harden
