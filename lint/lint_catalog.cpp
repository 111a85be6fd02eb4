// The lint catalog: one row per rule, sorted by id (a unit test checks the order, that every
// rule is documented in man/harden-lint.1, and that every rule has a triggering and a clean
// policy under tests/policies/lint/<id>/). Weights are shares of the exposure score; see
// exposure_score() in lint.cpp and WEIGHTS in harden-lint(1).
#include <algorithm>

#include "lint/lint_checks.hpp"
#include "policy/lint_rule_ids.hpp"

namespace harden {

namespace {

using namespace lint;

// clang-format off
constexpr LintRule kRules[] = {
    {"dangerous-capability", "DangerousCapability", Severity::error, 10,
     "A dangerous capability is kept",
     "Capabilities such as CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_MODULE, CAP_DAC_OVERRIDE or "
     "CAP_SETUID each give the target a piece of root: mounting, tracing any process, loading "
     "kernel code, reading every file, becoming any user. One of them is usually enough to "
     "leave the sandbox. The list and each capability's weight are the table in "
     "lint/dangerous.cpp.",
     "Remove the capability from [capabilities] keep. If the service truly needs it, say why "
     "with [lint] allow = [{ rule = \"dangerous-capability\", items = [\"CAP_...\"], "
     "reason = \"...\" }].",
     check_dangerous_capabilities},
    {"dangerous-syscall", "DangerousSyscall", Severity::error, 10,
     "A dangerous system call is allowed without a justification",
     "Some system calls are the usual first step of a kernel exploit or a sandbox escape: "
     "ptrace, bpf, perf_event_open, mount and the new mount API, pivot_root, kexec_load, "
     "init_module, userfaultfd, the keyring calls, io_uring_setup, open_by_handle_at, "
     "process_vm_writev, and clone or unshare with namespace flags, personality with flags that "
     "turn off exploit mitigations. Broad groups such as @system-service include several of "
     "them. Lint runs the compiled filter on each call (with each dangerous flag for clone, "
     "unshare and personality), so deny entries, argument rules and the default action are "
     "accounted for exactly.",
     "Start from @service instead of @system-service, or add the call to [seccomp] deny (for "
     "clone, add a [[seccomp.rule]] that refuses the namespace flags with masked-eq: a rule "
     "narrows what allow grants). If the service needs it, allow it with a "
     "[[seccomp.rule]] that has a reason, or with [lint] allow = [{ rule = "
     "\"dangerous-syscall\", items = [\"name\"], reason = \"...\" }].",
     check_dangerous_syscalls},
    {"environment-inherited", "EnvironmentInherited", Severity::warning, 2,
     "The target inherits harden's whole environment",
     "With [environment] clear = false every variable of the caller reaches the target: "
     "credentials and tokens meant for someone else, LD_PRELOAD and LD_LIBRARY_PATH that load "
     "code into it, proxy settings that redirect its traffic.",
     "Remove clear = false and list what the service needs in keep and set.",
     check_environment},
    {"exec-lock-interpreter", "ExecLockInterpreter", Severity::warning, 1,
     "Programs listed in [landlock] execute reopen the exec lock to the ELF interpreter",
     "With no program listed, harden refuses every execve after the target's own start. A "
     "listed program must be allowed to run later, so execve stays open and Landlock alone "
     "limits it to the listed files and their interpreters. The kernel needs the execute right "
     "on a dynamic program's interpreter (ld.so), and that interpreter started as a program "
     "loads any file the target can read as code: Landlock does not govern mmap.",
     "Remove [landlock] execute if the service does not start other programs. Otherwise keep "
     "what may be read (and so loaded) narrow, list only static programs, or accept the "
     "residual with [lint] allow = [{ rule = \"exec-lock-interpreter\", reason = \"...\" }].",
     check_exec_lock_interpreter},
    {"exec-lock-off", "ExecLockOff", Severity::warning, 3,
     "The exec lock is off: the target may run any program",
     "With Landlock restricting the file system, harden's exec lock lets the target execute "
     "only itself, its interpreter and the [landlock] execute list. Without it, a compromised "
     "service runs a shell, a downloader or an interpreter from the host, and every further "
     "step of an attack becomes easy.",
     "Add a [landlock] section (mode \"enforce\", filesystem left on); list helpers the "
     "service runs in execute.",
     check_exec_lock},
    {"filesystem-unrestricted", "FilesystemUnrestricted", Severity::warning, 6,
     "The file system is not restricted at all",
     "Without a chroot, a constructed root ([filesystem] read_only, read_write, tmpfs) or "
     "Landlock path rules the target sees every file of the host that its user may read, and writes wherever its user may: "
     "configuration of other services, keys, world-writable directories.",
     "Build a constructed root: [filesystem] read_only = [\"/usr\", ...], read_write for "
     "the service's data, tmpfs = [\"/tmp\"]; or set chroot to a directory holding only what "
     "the service needs.",
     check_filesystem},
    {"filesystem-writable-executable", "FilesystemWritableExecutable", Severity::warning, 3,
     "A writable place in the file system view is also executable",
     "A read_write bind or a tmpfs without noexec lets the target write a file and then execute "
     "it: a downloaded exploit or tool runs even when nothing else in the view could have "
     "served it. Keeping writable places noexec (W^X for the file system) closes that, for "
     "every program the target runs.",
     "Add noexec = true to the read_write or tmpfs entry: { path = \"/var/lib/app\", noexec "
     "= true }.",
     check_writable_executable},
    {"invalid-policy", "InvalidPolicy", Severity::error, 0,
     "The policy does not validate",
     "A policy that harden validate rejects cannot be run at all; lint reports its errors and "
     "checks nothing else. It cannot be suppressed.",
     "Fix the errors; each has a position and a hint.",
     nullptr},
    {"ipc-host", "IpcHost", Severity::error, 4,
     "System V IPC and POSIX message queues are shared with the host",
     "With [namespaces] ipc = \"host\" the target sees the host's System V shared memory "
     "segments, semaphores and message queues, and its POSIX message queues: other services' "
     "data, readable and writable whenever their permissions allow, and a channel to them. The "
     "private IPC namespace (the default) gives the target its own.",
     "Remove ipc = \"host\" (private is the default).",
     check_ipc_host},
    {"landlock-off", "LandlockOff", Severity::warning, 4,
     "Landlock is off",
     "Landlock (Linux 5.13 and later; this project targets ABI 7) lets an unprivileged process "
     "give up file system access, TCP ports, abstract UNIX sockets and signals to processes "
     "outside its sandbox, for itself and every child, with no way back. Without a [landlock] "
     "section (or with mode = \"off\") the target keeps every right its uid gives it.",
     "Add a [landlock] section; by default it grants what the [filesystem] view shows and adds "
     "the exec lock.",
     check_landlock},
    {"limits-missing", "LimitsMissing", Severity::warning, 2,
     "A basic resource limit is missing",
     "Without nproc a fork bomb takes every process slot of the user; without nofile the "
     "target can exhaust descriptors; without core = 0 a crash writes the process's memory, "
     "secrets included, to disk. Each missing (or infinite) limit is a third of the rule.",
     "Add [limits] nproc, nofile and core (core = 0 unless you collect core dumps).",
     check_limits},
    {"network-unrestricted", "NetworkUnrestricted", Severity::warning, 5,
     "The target shares the host's network",
     "With [namespaces] net = \"host\" (the default) the target can connect to every address "
     "the host reaches (internal services, cloud metadata endpoints, the rest of the network) "
     "and listen on any port its user may. A private or loopback-only network namespace "
     "removes all of it; a service that must talk on the host network needs a firewall that "
     "lets through only its own traffic: a [network] section whose egress and ingress are "
     "\"drop\" or \"reject\" (an allow with neither addresses nor ports opens its direction "
     "again), or Landlock's connect_tcp and bind_tcp. With only one direction restricted the "
     "finding remains, at 0.7 of the weight when the target may still connect anywhere and "
     "0.3 when it may still listen on any port.",
     "Set [namespaces] net = \"loopback\" (or \"private\") when the service needs no "
     "network; otherwise add a [network] firewall with egress = \"drop\" and ingress = "
     "\"drop\" and [[network.allow]] entries for its own traffic (scope \"uid\" filters "
     "egress only: add [landlock] bind_tcp for the ports it serves).",
     check_network},
    {"new-session-off", "NewSessionOff", Severity::warning, 2,
     "The target shares the caller's terminal session",
     "With [exec] new_session = false the target keeps the caller's controlling terminal and "
     "can push input into it with the TIOCSTI ioctl: commands typed into the caller's shell "
     "after the target exits.",
     "Remove new_session = false.",
     check_new_session},
    {"no-new-privileges-off", "NoNewPrivilegesOff", Severity::error, 6,
     "no_new_privileges is turned off",
     "no_new_privs makes execve never grant privileges: setuid and setgid bits and file "
     "capabilities are ignored. Without it any setuid program the target can run (su, mount, "
     "a helper left by a package) is a way back to root, around the capability and uid drop.",
     "Remove no_new_privileges = false from [identity].",
     check_no_new_privileges},
    {"runs-as-root", "RunsAsRoot", Severity::error, 8,
     "The target runs as root",
     "A target running as uid 0 owns the host's files even with every capability dropped, "
     "and any slip (a kept capability, a setuid helper, a writable path) is a full compromise. "
     "With no [identity] user, harden keeps the caller's ids, which for a system service is "
     "root. Group root (gid 0) is part of the same rule, with a smaller weight.",
     "Set [identity] user (and group) to a dedicated unprivileged account.",
     check_runs_as_root},
    {"seccomp-default-permissive", "SeccompDefaultPermissive", Severity::error, 8,
     "The seccomp default action lets unlisted calls through",
     "With default_action \"allow\" or \"log\" the filter is a denylist: every system call the "
     "policy did not think of, including the ones added to the kernel after it was written, "
     "is allowed. An allowlist with a refusing default is the only filter that fails closed.",
     "Set default_action = \"kill-process\" (or \"errno:EPERM\") and list the calls the "
     "service needs in allow.",
     check_seccomp_default_permissive},
    {"seccomp-foreign-arch", "SeccompForeignArch", Severity::warning, 3,
     "System calls of a non-native architecture are allowed",
     "An x86_64 process can also make i386 (int 0x80) and x32 system calls. They have other "
     "numbers, so an allowlist written for the native table means something else there, and "
     "audit rules and other filters often watch only the native one. harden refuses them "
     "unless [seccomp] architectures lists them.",
     "Remove every entry but \"native\" from [seccomp] architectures.",
     check_foreign_architectures},
    {"seccomp-missing", "SeccompMissing", Severity::error, 8,
     "There is no seccomp filter",
     "Without a [seccomp] section the target may make every system call the kernel has, "
     "about 360 of them, and every kernel bug behind any of them is within reach.",
     "Add a [seccomp] section with default_action = \"kill-process\" and an allow list, "
     "starting from @service.",
     check_seccomp_missing},
    {"seccomp-reopen", "SeccompReopen", Severity::warning, 3,
     "A denied system call is taken back out of deny",
     "Deny lists add up across extends, so a policy cannot lose its base's denials by writing "
     "its own list; [seccomp] reopen is the one way to take a denied call back, usually one "
     "the base refused on purpose (the keyrings, clone3, personality, ...). Each reopened call "
     "is reported, so that the reason is written down where a reviewer sees it.",
     "Remove the entry from [seccomp] reopen. If the service needs the call, say why with "
     "[lint] allow = [{ rule = \"seccomp-reopen\", items = [\"name\"], reason = \"...\" }].",
     check_seccomp_reopen},
    {"sensitive-path-unwatched", "SensitivePathUnwatched", Severity::warning, 3,
     "A sensitive host file is readable and no audit watch records reads of it",
     "Some host files are secrets that turn one compromised service into the host, its users "
     "or its peers: /etc/shadow, SSH host keys, TLS private keys, the Kerberos keytab, root's "
     "and users' homes (the table in lint/dangerous.cpp). The rule reports one the target "
     "can read: its view shows it (the host's file system, a chroot holding it, a constructed "
     "root binding it or a parent), Landlock in enforce mode does not refuse it, and its "
     "identity passes the file's Debian permissions (uid 0 for a file root owns, the file's "
     "group such as shadow, or CAP_DAC_READ_SEARCH or CAP_DAC_OVERRIDE kept). When a service "
     "must be able to read such a file, an audit watch at least records every read, so a "
     "theft is seen.",
     "Take the file out of reach: bind only the directories the service needs, add a "
     "Landlock read list, run as a user outside the file's group. Or watch it: [[audit.watch]] "
     "path = \"/etc/shadow\", permissions = \"r\" (a watch on a parent directory counts).",
     check_sensitive_paths},
    {"umask-permissive", "UmaskPermissive", Severity::note, 1,
     "The umask lets the target create world-writable files",
     "Without [exec] umask the target inherits the caller's, and a umask without the o+w bit "
     "(0002) creates files any user can change.",
     "Set [exec] umask = \"0027\" (or \"0077\").",
     check_umask},
    {"unused-suppression", "UnusedSuppression", Severity::note, 0,
     "A [lint] allow entry suppresses nothing",
     "A suppression that matches no finding is stale: the grant it justified is gone, or its "
     "items are misspelt. Left in place it would silently accept the grant if it came back.",
     "Remove the entry from [lint] allow, or correct its items.",
     nullptr},
    {"validate-warning", "ValidateWarning", Severity::warning, 0,
     "harden validate reported a warning",
     "The policy is valid but validation found something that does not do what it seems to: "
     "an argument rule that can never match or has no effect, a deny that leaves calls of "
     "@default allowed, and the like.",
     "Follow the warning's hint.",
     nullptr},
};
// clang-format on

// The policy reader checks [lint] allow entries against policy/lint_rule_ids.hpp, which
// must list exactly these rules: a rule added here and not there fails the build. (Which are
// suppressible is checked by a unit test: a function pointer is not a constant expression
// in every build, the sanitizer one among them.)
constexpr bool ids_agree() {
  if (std::size(kRules) != kLintRuleIds.size()) return false;
  for (std::size_t i = 0; i < kLintRuleIds.size(); ++i) {
    if (kRules[i].id != kLintRuleIds[i].id) return false;
  }
  return true;
}
static_assert(ids_agree(), "policy/lint_rule_ids.hpp must list the catalog's rules, in order");

}  // namespace

std::span<const LintRule> lint_rules() {
  return kRules;
}

const LintRule* find_lint_rule(std::string_view id) {
  const auto it = std::ranges::lower_bound(kRules, id, {}, &LintRule::id);
  return it != std::end(kRules) && it->id == id ? &*it : nullptr;
}

}  // namespace harden
