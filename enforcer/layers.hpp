// Internal: each layer of the enforcer, one namespace and one file each, with the same verbs:
// wanted(plan) says whether the policy asks for the layer, apply(plan, sys, ctx) does it.
#pragma once

#include <functional>

#include "enforcer/steps.hpp"

namespace harden::enforce {

#define HARDEN_LAYER(name)                                            \
  namespace name {                                                    \
  bool wanted(const PlanData& plan);                                  \
  StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx); \
  }

HARDEN_LAYER(verify)             // steps.cpp
HARDEN_LAYER(loginuid)           // loginuid.cpp
HARDEN_LAYER(host_guard)         // rollback.cpp
HARDEN_LAYER(audit)              // audit.cpp
HARDEN_LAYER(nftables)           // nftables.cpp: scope uid and cgroup, in the host's netns
HARDEN_LAYER(namespaces)         // namespaces.cpp
HARDEN_LAYER(nftables_netns)     // nftables.cpp: scope netns, in the sandbox's netns
HARDEN_LAYER(kill_reports)       // session.cpp: the kernel's kill records, for the supervisor
HARDEN_LAYER(session)            // session.cpp
HARDEN_LAYER(keyring)            // keyring.cpp
HARDEN_LAYER(lsm)                // lsm.cpp
HARDEN_LAYER(mounts)             // mounts.cpp
HARDEN_LAYER(filesystem)         // filesystem.cpp
HARDEN_LAYER(limits)             // limits.cpp
HARDEN_LAYER(umask)              // process.cpp
HARDEN_LAYER(credentials)        // credentials.cpp
HARDEN_LAYER(capabilities)       // caps.cpp
HARDEN_LAYER(no_new_privs)       // process.cpp
HARDEN_LAYER(mdwe)               // process.cpp: memory_deny_write_execute
HARDEN_LAYER(working_directory)  // process.cpp
HARDEN_LAYER(fds)                // fds.cpp
HARDEN_LAYER(signals)            // process.cpp
HARDEN_LAYER(seccomp)            // seccomp.cpp
HARDEN_LAYER(cgroup)             // cgroup.cpp
HARDEN_LAYER(landlock)           // landlock.cpp

#undef HARDEN_LAYER

// What the steps hand to each other through ExecContext (enforcer/steps.hpp). Everything else
// in it is set by prepare_exec() before the first step and only read afterwards.
//   host              audit, cgroup, nftables (rollback::note) -> host-guard's guardian, and
//                     rollback::after_failure when a later step or execve fails
//   keep_fds          prepare_exec, host-guard (the guardian's fds) -> fds
//   in_user_namespace namespaces -> tests only (the state it made, read back)
//   under_supervisor  session -> credentials (parent-death signal, supervisor still alive),
//                     seccomp
//   notify_errno_answers, notify_exec_calls, notifying_program
//                     session -> seccomp (which filter, with or without a listener)
//   env_storage/envp  prepare_exec; session rewrites LISTEN_PID after forking
//   exec_lock, exec_path
//                     prepare_exec (inside the view) -> landlock (execute rights), execve
//   cgroup            prepare_exec (the layout) -> cgroup
//   groups_readback   prepare_exec (room, allocated early) -> credentials (read-back)

namespace environment {
// Builds the target's environment from the plan and harden's own environment.
void build(const PlanData& plan, char* const* environ, ExecContext& ctx);
}  // namespace environment

namespace rollback {
// Records a change a host step made (and tells the guardian, when there is one).
StepResult note(Sys& sys, ExecContext& ctx, HostChange change);
// Forks the guardian (host-guard step, or the first note when the step deferred it).
StepResult start_guardian(Sys& sys, ExecContext& ctx);
// Undoes `changes` newest first: everything but cgroup directories, then `before_cgroups()`,
// then those. Returns what could not be undone.
std::vector<std::string> undo(Sys& sys, std::span<const HostChange> changes,
                              const std::function<void()>& before_cgroups);
// After a failed step or execve: has the guardian undo this launch's changes and waits for it,
// or (without a guardian) undoes them itself.
void after_failure(Sys& sys, ExecContext& ctx);
}  // namespace rollback

namespace exec {
// execve the target, searching ctx.search_path for a bare name. Returns only on failure:
// the exit code (126 or 127) and the error in `error`.
int run(const PlanData& plan, Sys& sys, const ExecContext& ctx, StepError& error);
// After execve said ENOENT for `path`: the interpreter it names (PT_INTERP or #!) when the
// file is there and that interpreter is not, asking only calls the loaded filter allows.
std::optional<std::string> missing_interpreter(const PlanData& plan, const ExecContext& ctx,
                                               const char* path);
}  // namespace exec

namespace landlock {
// The exec lock's files: the target (PATH looked up inside the filesystem view) and its
// ELF or #! interpreters, opened now, before anything about the process changes.
std::expected<void, std::string> prepare_exec_lock(const PlanData& plan, ExecContext& ctx);
// The interpreter the kernel loads for an open executable: its ELF PT_INTERP, or the
// program of its #! line; nullopt for a static binary or an unknown format.
std::optional<std::string> interpreter_of(int fd);
}  // namespace landlock

namespace cgroup {
// Where each controller lives (v2 or v1) and whether harden runs in a systemd service.
// Only reads /proc; the step decides what to do with it.
CgroupLayout detect_layout(char* const* environ);
// The systemd unit (a .service or .scope) whose cgroup the process is in, from facts a caller
// cannot set by itself: its membership in a hierarchy systemd manages (the text of
// /proc/self/cgroup) and systemd being PID 1 (/proc/1/comm). Empty when it is not in one.
std::string systemd_unit_of(std::string_view proc_self_cgroup, std::string_view pid1_comm);
}  // namespace cgroup

namespace session {
// Whether harden forks and stays as a supervisor, and what the supervisor does.
struct SessionChoice {
  bool fork = false;
  bool setsid = false;         // the target gets a session of its own
  bool exec_lock = false;      // execve mediated: the total exec lock
  bool errno_answers = false;  // errno answers go through the supervisor, reported
  bool learn = false;          // harden learn: every call goes to the recording supervisor
};
SessionChoice choose(const PlanData& plan, Sys& sys, const ExecContext& ctx);
}  // namespace session

namespace namespaces {
// The CLONE_NEW* flags the plan asks for, besides the user namespace.
int unshare_flags(const NamespacesPlan& ns);
}  // namespace namespaces

}  // namespace harden::enforce
