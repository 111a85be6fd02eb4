// The constant tables. Values are taken from the C headers by name (the K() macro), never typed
// in, so a table entry cannot disagree with the ABI. Entries that only newer headers define
// are guarded with #ifdef so the table builds everywhere and simply lacks what the headers lack.
#include "plan/constants.hpp"

#include <asm/prctl.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace harden {
namespace {

// The tables are data: kept filled to the column limit rather than one entry per line.
// clang-format off

// Sign-extends through int64_t so that a negative int (AT_FDCWD) compares as the kernel sees
// it: as the same bit pattern in the low 32 bits.
#define K(name) NamedConstant{#name, static_cast<uint64_t>(static_cast<int64_t>(name))}

// Grouped by family for reading; argument_constants() returns them sorted.
constexpr NamedConstant kConstantsByFamily[] = {
    // socket(2) domains, types and flags; protocols; socket options; send/recv flags.
    K(AF_UNSPEC), K(AF_UNIX), K(AF_LOCAL), K(AF_INET), K(AF_INET6), K(AF_NETLINK),
    K(AF_PACKET), K(AF_KEY), K(AF_BLUETOOTH), K(AF_ALG), K(AF_VSOCK), K(AF_CAN), K(AF_TIPC),
    K(AF_RDS), K(AF_X25), K(AF_AX25), K(AF_APPLETALK), K(AF_IPX), K(AF_NFC), K(AF_QIPCRTR),
    K(AF_SMC), K(AF_XDP),
    K(SOCK_STREAM), K(SOCK_DGRAM), K(SOCK_RAW), K(SOCK_RDM), K(SOCK_SEQPACKET), K(SOCK_PACKET),
    K(SOCK_NONBLOCK), K(SOCK_CLOEXEC),
    K(IPPROTO_IP), K(IPPROTO_ICMP), K(IPPROTO_TCP), K(IPPROTO_UDP), K(IPPROTO_IPV6),
    K(IPPROTO_ICMPV6), K(IPPROTO_RAW), K(IPPROTO_SCTP), K(IPPROTO_UDPLITE),
#ifdef IPPROTO_MPTCP
    K(IPPROTO_MPTCP),
#endif
    K(NETLINK_ROUTE), K(NETLINK_SOCK_DIAG), K(NETLINK_XFRM), K(NETLINK_SELINUX),
    K(NETLINK_AUDIT), K(NETLINK_NETFILTER), K(NETLINK_KOBJECT_UEVENT), K(NETLINK_GENERIC),
    K(SOL_SOCKET), K(SO_REUSEADDR), K(SO_REUSEPORT), K(SO_KEEPALIVE), K(SO_BROADCAST),
    K(SO_SNDBUF), K(SO_RCVBUF), K(SO_BINDTODEVICE), K(SO_PEERCRED), K(SO_ATTACH_FILTER),
    K(MSG_OOB), K(MSG_PEEK), K(MSG_DONTWAIT), K(MSG_WAITALL), K(MSG_TRUNC), K(MSG_NOSIGNAL),
    K(MSG_CMSG_CLOEXEC),
    // open(2), the *at(2) calls, fcntl(2), renameat2(2), mknod(2) modes.
    K(O_RDONLY), K(O_WRONLY), K(O_RDWR), K(O_ACCMODE), K(O_CREAT), K(O_EXCL), K(O_NOCTTY),
    K(O_TRUNC), K(O_APPEND), K(O_NONBLOCK), K(O_DSYNC), K(O_SYNC), K(O_ASYNC), K(O_DIRECT),
    K(O_LARGEFILE), K(O_DIRECTORY), K(O_NOFOLLOW), K(O_NOATIME), K(O_CLOEXEC), K(O_PATH),
    K(O_TMPFILE),
    K(AT_FDCWD), K(AT_SYMLINK_NOFOLLOW), K(AT_SYMLINK_FOLLOW), K(AT_REMOVEDIR),
    K(AT_EMPTY_PATH), K(AT_NO_AUTOMOUNT),
    K(F_DUPFD), K(F_DUPFD_CLOEXEC), K(F_GETFD), K(F_SETFD), K(F_GETFL), K(F_SETFL), K(F_GETLK),
    K(F_SETLK), K(F_SETLKW), K(F_OFD_GETLK), K(F_OFD_SETLK), K(F_OFD_SETLKW), K(F_GETOWN),
    K(F_SETOWN), K(F_GETSIG), K(F_SETSIG), K(F_SETPIPE_SZ), K(F_GETPIPE_SZ), K(F_ADD_SEALS),
    K(F_GET_SEALS), K(FD_CLOEXEC),
    K(RENAME_NOREPLACE), K(RENAME_EXCHANGE), K(RENAME_WHITEOUT),
    K(S_IFMT), K(S_IFREG), K(S_IFDIR), K(S_IFCHR), K(S_IFBLK), K(S_IFIFO), K(S_IFSOCK),
    K(S_IFLNK), K(S_ISUID), K(S_ISGID), K(S_ISVTX),
    // clone(2) and unshare(2) flags, setns(2) namespace types.
    K(CSIGNAL), K(CLONE_VM), K(CLONE_FS), K(CLONE_FILES), K(CLONE_SIGHAND), K(CLONE_PTRACE),
    K(CLONE_VFORK), K(CLONE_PARENT), K(CLONE_THREAD), K(CLONE_NEWNS), K(CLONE_SYSVSEM),
    K(CLONE_SETTLS), K(CLONE_PARENT_SETTID), K(CLONE_CHILD_CLEARTID), K(CLONE_DETACHED),
    K(CLONE_UNTRACED), K(CLONE_CHILD_SETTID), K(CLONE_NEWCGROUP), K(CLONE_NEWUTS),
    K(CLONE_NEWIPC), K(CLONE_NEWUSER), K(CLONE_NEWPID), K(CLONE_NEWNET), K(CLONE_IO),
#ifdef CLONE_PIDFD
    K(CLONE_PIDFD),
#endif
#ifdef CLONE_NEWTIME
    K(CLONE_NEWTIME),
#endif
    // mmap(2), mprotect(2), madvise(2), memfd_create(2).
    K(PROT_NONE), K(PROT_READ), K(PROT_WRITE), K(PROT_EXEC), K(PROT_GROWSDOWN),
    K(PROT_GROWSUP),
    K(MAP_SHARED), K(MAP_PRIVATE), K(MAP_SHARED_VALIDATE), K(MAP_TYPE), K(MAP_FIXED),
    K(MAP_ANONYMOUS), K(MAP_ANON), K(MAP_FIXED_NOREPLACE), K(MAP_GROWSDOWN), K(MAP_DENYWRITE),
    K(MAP_EXECUTABLE), K(MAP_LOCKED), K(MAP_NORESERVE), K(MAP_POPULATE), K(MAP_NONBLOCK),
    K(MAP_STACK), K(MAP_HUGETLB), K(MAP_SYNC),
    K(MADV_NORMAL), K(MADV_RANDOM), K(MADV_SEQUENTIAL), K(MADV_WILLNEED), K(MADV_DONTNEED),
    K(MADV_FREE), K(MADV_REMOVE), K(MADV_DONTFORK), K(MADV_DOFORK), K(MADV_MERGEABLE),
    K(MADV_UNMERGEABLE), K(MADV_HUGEPAGE), K(MADV_NOHUGEPAGE), K(MADV_DONTDUMP),
    K(MADV_DODUMP), K(MADV_WIPEONFORK), K(MADV_KEEPONFORK), K(MADV_HWPOISON),
    K(MFD_CLOEXEC), K(MFD_ALLOW_SEALING), K(MFD_HUGETLB),
#ifdef MFD_NOEXEC_SEAL
    K(MFD_NOEXEC_SEAL), K(MFD_EXEC),
#endif
    // prctl(2) options.
    K(PR_SET_PDEATHSIG), K(PR_GET_PDEATHSIG), K(PR_GET_DUMPABLE), K(PR_SET_DUMPABLE),
    K(PR_GET_KEEPCAPS), K(PR_SET_KEEPCAPS), K(PR_SET_NAME), K(PR_GET_NAME), K(PR_GET_SECCOMP),
    K(PR_SET_SECCOMP), K(PR_CAPBSET_READ), K(PR_CAPBSET_DROP), K(PR_GET_TSC), K(PR_SET_TSC),
    K(PR_GET_SECUREBITS), K(PR_SET_SECUREBITS), K(PR_SET_TIMERSLACK), K(PR_GET_TIMERSLACK),
    K(PR_MCE_KILL), K(PR_MCE_KILL_GET), K(PR_SET_MM), K(PR_SET_PTRACER),
    K(PR_SET_CHILD_SUBREAPER), K(PR_GET_CHILD_SUBREAPER), K(PR_SET_NO_NEW_PRIVS),
    K(PR_GET_NO_NEW_PRIVS), K(PR_GET_TID_ADDRESS), K(PR_SET_THP_DISABLE),
    K(PR_GET_THP_DISABLE), K(PR_CAP_AMBIENT), K(PR_GET_SPECULATION_CTRL),
    K(PR_SET_SPECULATION_CTRL), K(PR_SET_VMA),
#ifdef PR_SET_MDWE
    K(PR_SET_MDWE), K(PR_GET_MDWE),
#endif
#ifdef ARCH_SET_FS
    // arch_prctl(2), x86 only.
    K(ARCH_SET_GS), K(ARCH_SET_FS), K(ARCH_GET_FS), K(ARCH_GET_GS), K(ARCH_GET_CPUID),
    K(ARCH_SET_CPUID),
#endif
    // ioctl(2) requests commonly filtered: TIOCSTI and TIOCLINUX push input into a terminal.
    K(FIONREAD), K(FIONBIO), K(FIOCLEX), K(FIONCLEX), K(FIOASYNC), K(TIOCSTI), K(TIOCLINUX),
    K(TIOCGWINSZ), K(TIOCSWINSZ), K(TCGETS), K(TCSETS), K(TCSETSW), K(TCSETSF), K(TIOCGPGRP),
    K(TIOCSPGRP), K(TIOCSCTTY), K(TIOCNOTTY), K(TIOCGPTN), K(TIOCSPTLCK), K(TIOCGPTPEER),
    K(TIOCOUTQ), K(TIOCGSID), K(TIOCMGET), K(TCFLSH), K(TCSBRK), K(TCXONC), K(TIOCEXCL),
    K(TIOCNXCL), K(TIOCGETD), K(TIOCSETD),
    // ...and the socket ones: a daemon lists its interfaces and their addresses at start.
    K(SIOCGIFCONF), K(SIOCGIFFLAGS), K(SIOCSIFFLAGS), K(SIOCGIFADDR), K(SIOCGIFNETMASK),
    K(SIOCGIFBRDADDR), K(SIOCGIFDSTADDR), K(SIOCGIFINDEX), K(SIOCGIFNAME), K(SIOCGIFHWADDR),
    K(SIOCGIFMTU), K(SIOCGIFMETRIC), K(SIOCGIFTXQLEN), K(SIOCATMARK), K(SIOCGSTAMP),
    K(SIOCGSTAMPNS), K(SIOCGPGRP), K(SIOCSPGRP),
    // Signals (kill(2), tgkill(2), PR_SET_PDEATHSIG).
    K(SIGHUP), K(SIGINT), K(SIGQUIT), K(SIGILL), K(SIGTRAP), K(SIGABRT), K(SIGBUS), K(SIGFPE),
    K(SIGKILL), K(SIGUSR1), K(SIGSEGV), K(SIGUSR2), K(SIGPIPE), K(SIGALRM), K(SIGTERM),
    K(SIGCHLD), K(SIGCONT), K(SIGSTOP), K(SIGTSTP), K(SIGTTIN), K(SIGTTOU), K(SIGURG),
    K(SIGXCPU), K(SIGXFSZ), K(SIGVTALRM), K(SIGPROF), K(SIGWINCH), K(SIGIO), K(SIGPWR),
    K(SIGSYS),
    // wait4(2), waitid(2).
    K(WNOHANG), K(WUNTRACED), K(WSTOPPED), K(WEXITED), K(WCONTINUED), K(WNOWAIT), K(P_ALL),
    K(P_PID), K(P_PGID),
    // Flags of the fd-creating calls.
    K(EFD_CLOEXEC), K(EFD_NONBLOCK), K(EFD_SEMAPHORE), K(EPOLL_CLOEXEC), K(GRND_NONBLOCK),
    K(GRND_RANDOM),
#ifdef GRND_INSECURE
    K(GRND_INSECURE),
#endif
    // personality(2): the values Docker's default profile allows, and the risky flags.
    K(PER_LINUX), K(PER_LINUX32), K(UNAME26), K(ADDR_NO_RANDOMIZE), K(READ_IMPLIES_EXEC),
    // seccomp(2) operations (a sandboxed program sandboxing itself further).
    K(SECCOMP_SET_MODE_STRICT), K(SECCOMP_SET_MODE_FILTER), K(SECCOMP_GET_ACTION_AVAIL),
    K(SECCOMP_GET_NOTIF_SIZES),
    // mount(2) flags.
    K(MS_RDONLY), K(MS_NOSUID), K(MS_NODEV), K(MS_NOEXEC), K(MS_REMOUNT), K(MS_BIND),
    K(MS_MOVE), K(MS_REC), K(MS_PRIVATE), K(MS_SLAVE), K(MS_SHARED), K(MS_UNBINDABLE),
    // Clocks (clock_settime(2), timerfd_create(2)) and resources (prlimit64(2)).
    K(CLOCK_REALTIME), K(CLOCK_MONOTONIC), K(CLOCK_PROCESS_CPUTIME_ID),
    K(CLOCK_THREAD_CPUTIME_ID), K(CLOCK_MONOTONIC_RAW), K(CLOCK_REALTIME_COARSE),
    K(CLOCK_MONOTONIC_COARSE), K(CLOCK_BOOTTIME), K(CLOCK_REALTIME_ALARM),
    K(CLOCK_BOOTTIME_ALARM), K(CLOCK_TAI),
    K(RLIMIT_CPU), K(RLIMIT_FSIZE), K(RLIMIT_DATA), K(RLIMIT_STACK), K(RLIMIT_CORE),
    K(RLIMIT_RSS), K(RLIMIT_NPROC), K(RLIMIT_NOFILE), K(RLIMIT_MEMLOCK), K(RLIMIT_AS),
    K(RLIMIT_LOCKS), K(RLIMIT_SIGPENDING), K(RLIMIT_MSGQUEUE), K(RLIMIT_NICE), K(RLIMIT_RTPRIO),
    K(RLIMIT_RTTIME),
};
#undef K

// errno values in numeric order; an alias follows its primary name so errno_name() finds the
// primary first. Names inline, not pointers: no relocations at the wrapper's start.
struct ErrnoName {
  char name[16];
  int value;
};
#define E(name) ErrnoName{#name, name}
constexpr ErrnoName kErrnos[] = {
    E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC), E(EBADF),
    E(ECHILD), E(EAGAIN), E(EWOULDBLOCK), E(ENOMEM), E(EACCES), E(EFAULT), E(ENOTBLK), E(EBUSY),
    E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE),
    E(ENOTTY), E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE),
    E(EDOM), E(ERANGE), E(EDEADLK), E(EDEADLOCK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS),
    E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ECHRNG), E(EL2NSYNC), E(EL3HLT), E(EL3RST),
    E(ELNRNG), E(EUNATCH), E(ENOCSI), E(EL2HLT), E(EBADE), E(EBADR), E(EXFULL), E(ENOANO),
    E(EBADRQC), E(EBADSLT), E(EBFONT), E(ENOSTR), E(ENODATA), E(ETIME), E(ENOSR), E(ENONET),
    E(ENOPKG), E(EREMOTE), E(ENOLINK), E(EADV), E(ESRMNT), E(ECOMM), E(EPROTO), E(EMULTIHOP),
    E(EDOTDOT), E(EBADMSG), E(EOVERFLOW), E(ENOTUNIQ), E(EBADFD), E(EREMCHG), E(ELIBACC),
    E(ELIBBAD), E(ELIBSCN), E(ELIBMAX), E(ELIBEXEC), E(EILSEQ), E(ERESTART), E(ESTRPIPE),
    E(EUSERS), E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT),
    E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP), E(ENOTSUP), E(EPFNOSUPPORT),
    E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH),
    E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN),
    E(ESHUTDOWN), E(ETOOMANYREFS), E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTDOWN),
    E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EUCLEAN), E(ENOTNAM),
    E(ENAVAIL), E(EISNAM), E(EREMOTEIO), E(EDQUOT), E(ENOMEDIUM), E(EMEDIUMTYPE),
    E(ECANCELED), E(ENOKEY), E(EKEYEXPIRED), E(EKEYREVOKED), E(EKEYREJECTED), E(EOWNERDEAD),
    E(ENOTRECOVERABLE), E(ERFKILL), E(EHWPOISON),
};
#undef E

// clang-format on

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// Decimal, 0x hexadecimal or 0-prefixed octal: the whole text and nothing else.
std::optional<uint64_t> parse_number(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  } else if (text.size() > 1 && text[0] == '0') {
    base = 8;
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::span<const NamedConstant> argument_constants() {
  static const std::vector<NamedConstant> sorted = [] {
    std::vector<NamedConstant> all(std::begin(kConstantsByFamily), std::end(kConstantsByFamily));
    std::ranges::sort(all, {}, &NamedConstant::name);
    return all;
  }();
  return sorted;
}

std::optional<uint64_t> argument_constant(std::string_view name) {
  const auto table = argument_constants();
  const auto it = std::ranges::lower_bound(table, name, {}, &NamedConstant::name);
  if (it == table.end() || it->name != name) return std::nullopt;
  return it->value;
}

std::vector<std::string_view> argument_constant_names() {
  std::vector<std::string_view> names;
  for (const NamedConstant& constant : argument_constants())
    names.push_back(constant.name);
  return names;
}

std::expected<uint64_t, std::string> evaluate_constant_expression(std::string_view expression) {
  uint64_t value = 0;
  size_t start = 0;
  while (true) {
    const size_t bar = expression.find('|', start);
    const std::string_view part =
        trim(expression.substr(start, bar == std::string_view::npos ? bar : bar - start));
    if (auto number = parse_number(part)) {
      value |= *number;
    } else if (auto constant = argument_constant(part)) {
      value |= *constant;
    } else {
      return std::unexpected(std::string(part));
    }
    if (bar == std::string_view::npos) return value;
    start = bar + 1;
  }
}

std::optional<int> errno_from_name(std::string_view name) {
  for (const ErrnoName& entry : kErrnos) {
    if (std::string_view(entry.name) == name) return entry.value;
  }
  return std::nullopt;
}

std::string_view errno_name(int value) {
  for (const ErrnoName& entry : kErrnos) {
    if (entry.value == value) return entry.name;
  }
  return {};
}

std::vector<std::string_view> errno_names() {
  std::vector<std::string_view> names;
  for (const auto& entry : kErrnos)
    names.emplace_back(entry.name);
  return names;
}

std::string audit_permission_letters(uint32_t permissions) {
  std::string out;
  if (permissions & AUDIT_PERM_READ) out += 'r';
  if (permissions & AUDIT_PERM_WRITE) out += 'w';
  if (permissions & AUDIT_PERM_EXEC) out += 'x';
  if (permissions & AUDIT_PERM_ATTR) out += 'a';
  return out;
}

}  // namespace harden
