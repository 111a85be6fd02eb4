// The dangerous-grant tables. Sources for the choices: minijail's and Docker's default seccomp
// denylists, systemd's @privileged/@debug/@mount/@module/@reboot/@raw-io groups, and the kernel
// bugs that made each call a favourite (io_uring, userfaultfd, unprivileged user namespaces,
// open_by_handle_at "shocker", bpf verifier escapes). Weights: 1.0 means the call alone hands
// over the kernel (loading modules, kexec, raw port IO, bpf); about 0.5 a well-known escape or
// privilege path; 0.2 to 0.3 extra kernel surface or an information leak.
//
// The sensitive paths are the secrets a compromised service reads first to become more than
// itself: password hashes, host keys, private keys, root's and users' homes. Sources: the files
// CIS and STIG audit rules watch, and the targets of credential-dumping tooling (MITRE ATT&CK
// T1003.008 /etc/passwd and /etc/shadow, T1552.004 private keys). Left out on purpose: public
// files (/etc/passwd, *.pub host keys, certificates), /proc/kcore (reading it needs
// CAP_SYS_RAWIO, a dangerous capability already, and a constructed root's /proc masks it), and
// other distributions' spellings of the same directories (/etc/pki/tls/private): the list is
// Debian's, like the owners and groups it records. Weights: 0.6 for secrets that hand over
// every account or the host's identity, 0.5 for private keys, 0.2 to 0.3 for what maps the way
// to root or holds older hashes.
#include "lint/dangerous.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/personality.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace harden {

namespace {

// Every CLONE_NEW* flag clone(2) takes. CLONE_NEWTIME shares its bit with CSIGNAL in clone(2),
// so it is only a namespace flag for unshare(2) and clone3(2).
constexpr DangerousFlag kCloneNamespaceFlags[] = {
    {"CLONE_NEWNS", CLONE_NEWNS},     {"CLONE_NEWCGROUP", CLONE_NEWCGROUP},
    {"CLONE_NEWUTS", CLONE_NEWUTS},   {"CLONE_NEWIPC", CLONE_NEWIPC},
    {"CLONE_NEWUSER", CLONE_NEWUSER}, {"CLONE_NEWPID", CLONE_NEWPID},
    {"CLONE_NEWNET", CLONE_NEWNET},
};
constexpr DangerousFlag kUnshareNamespaceFlags[] = {
    {"CLONE_NEWNS", CLONE_NEWNS},     {"CLONE_NEWCGROUP", CLONE_NEWCGROUP},
    {"CLONE_NEWUTS", CLONE_NEWUTS},   {"CLONE_NEWIPC", CLONE_NEWIPC},
    {"CLONE_NEWUSER", CLONE_NEWUSER}, {"CLONE_NEWPID", CLONE_NEWPID},
    {"CLONE_NEWNET", CLONE_NEWNET},   {"CLONE_NEWTIME", 0x80},
};
// Personality flags that weaken exploit mitigations of the next exec: executable data,
// no ASLR, a mapping at address 0, the legacy address-space layout.
constexpr DangerousFlag kPersonalityExecFlags[] = {
    {"READ_IMPLIES_EXEC", READ_IMPLIES_EXEC}, {"ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE},
    {"MMAP_PAGE_ZERO", MMAP_PAGE_ZERO},       {"ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT},
    {"ADDR_LIMIT_3GB", ADDR_LIMIT_3GB},
};

// What glibc's fork() passes to clone: a harmless value for the probe.
constexpr uint64_t kForkCloneFlags = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD;

// clang-format off
constexpr DangerousSyscall kSyscalls[] = {
    {"add_key", "kernel keyrings are shared per user and a frequent source of kernel bugs", 0.3},
    {"bpf", "loads programs into the kernel; verifier bugs are kernel code execution", 1.0},
    {"clone", "creates namespaces (user namespaces unlock kernel surface meant for root)", 0.6,
     0, kForkCloneFlags, kCloneNamespaceFlags},
    {"clone3", "creates namespaces; its flags live in memory, so no filter can check them", 0.6},
    {"delete_module", "unloads kernel modules", 1.0},
    {"finit_module", "loads kernel modules: arbitrary kernel code", 1.0},
    {"fsconfig", "new mount API: configures file systems to mount", 0.4},
    {"fsmount", "new mount API: mounts a configured file system", 0.5},
    {"fsopen", "new mount API: opens a file system context", 0.4},
    {"init_module", "loads kernel modules: arbitrary kernel code", 1.0},
    {"io_uring_setup", "io_uring runs I/O that seccomp never sees and has had many kernel bugs", 0.5},
    {"ioperm", "raw I/O port access", 1.0},
    {"iopl", "raw I/O port access", 1.0},
    {"kexec_file_load", "replaces the running kernel", 1.0},
    {"kexec_load", "replaces the running kernel", 1.0},
    {"keyctl", "kernel keyrings are shared per user and a frequent source of kernel bugs", 0.3},
    {"mount", "changes the file system view; with privileges, of the whole host", 0.8},
    {"move_mount", "new mount API: attaches mounts anywhere in the tree", 0.5},
    {"open_by_handle_at", "opens files by handle, bypassing the path (the 'shocker' escape)", 0.8},
    {"open_tree", "new mount API: clones mount trees", 0.4},
    {"perf_event_open", "kernel profiling: side channels and a large attack surface", 0.6},
    {"personality", "can turn off ASLR and make data executable for the next exec", 0.2,
     0, PER_LINUX, kPersonalityExecFlags},
    {"pidfd_getfd", "steals file descriptors from other processes", 0.3},
    {"pivot_root", "changes the root file system", 0.5},
    {"process_vm_readv", "reads the memory of other processes", 0.3},
    {"process_vm_writev", "writes the memory of other processes", 0.5},
    {"ptrace", "controls other processes: read and write their memory and registers", 0.8},
    {"reboot", "reboots or halts the machine, or loads a kexec kernel", 0.5},
    {"request_key", "kernel keyrings are shared per user and a frequent source of kernel bugs", 0.3},
    {"setns", "joins the namespaces of another process", 0.4},
    {"swapoff", "changes the machine's swap", 0.2},
    {"swapon", "changes the machine's swap", 0.2},
    {"umount2", "unmounts file systems, uncovering what the sandbox hid", 0.4},
    {"unshare", "creates namespaces (user namespaces unlock kernel surface meant for root)", 0.6,
     0, 0, kUnshareNamespaceFlags},
    {"userfaultfd", "pauses the kernel on page faults: the classic race-exploit helper", 0.4},
};

constexpr DangerousCapability kCapabilities[] = {
    {"CAP_AUDIT_CONTROL",
     "changes the audit rules that watch the service, and its own audit loginuid (whom its "
     "records name)",
     0.3},
    {"CAP_BPF", "loads BPF programs into the kernel", 0.8},
    {"CAP_CHECKPOINT_RESTORE", "reads and rewrites other processes' state", 0.4},
    {"CAP_CHOWN", "changes the owner of any file", 0.4},
    {"CAP_DAC_OVERRIDE", "ignores file permissions: reads and writes every file", 0.8},
    {"CAP_DAC_READ_SEARCH", "reads every file and opens files by handle", 0.7},
    {"CAP_FOWNER", "acts as the owner of every file (chmod, utimes, ...)", 0.4},
    {"CAP_KILL", "signals processes of every user", 0.3},
    {"CAP_MAC_ADMIN", "changes the LSM policy", 0.8},
    {"CAP_MAC_OVERRIDE", "overrides the LSM policy", 0.8},
    {"CAP_MKNOD", "creates device nodes", 0.3},
    {"CAP_NET_ADMIN", "reconfigures the network: interfaces, routes, firewall", 0.6},
    {"CAP_NET_RAW", "raw sockets: spoofed packets and sniffing", 0.3},
    {"CAP_PERFMON", "kernel profiling and its side channels", 0.4},
    {"CAP_SETFCAP", "gives files capabilities, which any user then gets by running them", 0.6},
    {"CAP_SETGID", "becomes any group", 0.6},
    {"CAP_SETPCAP", "changes the capability bounding set and securebits", 0.5},
    {"CAP_SETUID", "becomes any user, root included", 0.8},
    {"CAP_SYSLOG", "reads kernel addresses from the kernel log", 0.2},
    {"CAP_SYS_ADMIN", "the catch-all: mount, namespaces, bpf, and much more; close to root", 1.0},
    {"CAP_SYS_BOOT", "reboots the machine and loads kexec kernels", 0.6},
    {"CAP_SYS_CHROOT", "chroot, the first step of many escapes from a chroot", 0.4},
    {"CAP_SYS_MODULE", "loads kernel modules: arbitrary kernel code", 1.0},
    {"CAP_SYS_PTRACE", "traces every process, including root's", 0.8},
    {"CAP_SYS_RAWIO", "raw device and port I/O", 1.0},
    {"CAP_SYS_TIME", "sets the system clock", 0.3},
};

// Owners and modes are Debian's: /etc/shadow and /etc/gshadow 0640 root:shadow, /etc/ssl/private
// 0710 root:ssl-cert with 0640 keys, /etc/sudoers 0440 and /etc/sudoers.d 0750 root:root,
// everything else 0600 or 0700 root:root; each home under /home 0700 (or 0750) its user's.
constexpr SensitivePath kSensitivePaths[] = {
    {"/etc/gshadow", "group password hashes and group administrators", 0.3, "shadow"},
    {"/etc/krb5.keytab", "the host's Kerberos keys: whoever holds them is this host to every "
     "kerberized service", 0.6},
    {"/etc/security/opasswd", "earlier password hashes of every account, kept by pam_pwhistory", 0.3},
    {"/etc/shadow", "the password hash of every account, to crack offline", 0.6, "shadow"},
    {"/etc/ssh/ssh_host_ecdsa_key", "an SSH host private key: whoever holds it can pose as this "
     "host", 0.5},
    {"/etc/ssh/ssh_host_ed25519_key", "an SSH host private key: whoever holds it can pose as this "
     "host", 0.5},
    {"/etc/ssh/ssh_host_rsa_key", "an SSH host private key: whoever holds it can pose as this "
     "host", 0.5},
    {"/etc/ssl/private", "the TLS private keys of the host's services", 0.5, "ssl-cert"},
    {"/etc/sudoers", "who may become root, and which commands need no password", 0.2, "root"},
    {"/etc/sudoers.d", "who may become root, and which commands need no password", 0.2, "root"},
    {"/etc/wireguard", "WireGuard private keys: whoever holds them joins the VPN as this host", 0.5},
    {"/home", "users' SSH and GPG private keys, access tokens and shell histories", 0.5, {},
     false},
    {"/root", "root's SSH private keys, access tokens and shell history", 0.5},
};
// clang-format on

}  // namespace

std::span<const DangerousSyscall> dangerous_syscalls() {
  return kSyscalls;
}
std::span<const DangerousCapability> dangerous_capabilities() {
  return kCapabilities;
}
std::span<const SensitivePath> sensitive_paths() {
  return kSensitivePaths;
}

const DangerousSyscall* find_dangerous_syscall(std::string_view name) {
  const auto it = std::ranges::lower_bound(kSyscalls, name, {}, &DangerousSyscall::name);
  return it != std::end(kSyscalls) && it->name == name ? &*it : nullptr;
}

std::string canonical_capability_name(std::string_view name) {
  std::string upper(name);
  std::ranges::transform(upper, upper.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (!upper.starts_with("CAP_")) upper = "CAP_" + upper;
  return upper;
}

const DangerousCapability* find_dangerous_capability(std::string_view name) {
  const std::string canonical = canonical_capability_name(name);
  const auto it = std::ranges::find(kCapabilities, canonical, &DangerousCapability::name);
  return it != std::end(kCapabilities) ? &*it : nullptr;
}

}  // namespace harden
