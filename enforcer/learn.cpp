// The learning launch's filter and its recorder; see learn.hpp.
#include "enforcer/learn.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>
#include <optional>

#include "enforcer/syscall_names.hpp"
#include "plan/plan_io.hpp"
#include "plan/unique_fd.hpp"

namespace harden::enforce::learn {

namespace {

constexpr sock_filter statement(uint16_t code, uint32_t k) {
  return {code, 0, 0, k};
}
constexpr sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return {code, jt, jf, k};
}

// Every CLONE_NEW* bit (CLONE_NEWTIME is CSIGNAL's bit for clone(2), a namespace only for
// unshare and clone3).
constexpr uint64_t kCloneNamespaces = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                      CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;
constexpr uint64_t kCloneTime = 0x80;  // CLONE_NEWTIME
// What a clone makes: a thread (both), a forked process (neither), a vfork-style child (VM).
constexpr uint64_t kCloneKind = CLONE_THREAD | CLONE_VM;
constexpr uint64_t kLow32 = 0xffffffffULL;

// At most this many programs are named per syscall, and this many endpoints kept per kind:
// enough for a draft's comments and rules, bounded whatever the target does.
constexpr size_t kMaxProgramsPerCall = 6;
constexpr size_t kMaxEndpoints = 256;
constexpr size_t kMaxPaths = 65536;
constexpr size_t kMaxProgramCache = 4096;

int as_int(uint64_t register_value) {
  return static_cast<int>(static_cast<uint32_t>(register_value));
}

}  // namespace

std::string proc_readlink(int proc_fd, const std::string& relative) {
  char buffer[PATH_MAX];
  const ssize_t n = proc_fd >= 0 ? ::readlinkat(proc_fd, relative.c_str(), buffer, sizeof buffer)
                                 : ::readlink(("/proc/" + relative).c_str(), buffer, sizeof buffer);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof buffer) return {};
  return std::string(buffer, static_cast<size_t>(n));
}

int proc_open(int proc_fd, const std::string& relative) {
  return proc_fd >= 0 ? ::openat(proc_fd, relative.c_str(), O_RDONLY | O_CLOEXEC)
                      : ::open(("/proc/" + relative).c_str(), O_RDONLY | O_CLOEXEC);
}

namespace {

// Reads `size` bytes at `address` in `tid`'s memory; false when any of it is unreadable.
bool read_memory(pid_t tid, uint64_t address, void* out, size_t size) {
  if (address == 0) return false;
  iovec local{out, size};
  iovec remote{reinterpret_cast<void*>(address), size};
  return ::process_vm_readv(tid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

// A NUL-terminated string of at most PATH_MAX bytes, read page by page (a string may end just
// before an unmapped page). nullopt when unreadable or unterminated.
std::optional<std::string> read_string(pid_t tid, uint64_t address) {
  if (address == 0) return std::nullopt;
  constexpr uint64_t kPage = 4096;
  std::string out;
  uint64_t at = address;
  while (out.size() < PATH_MAX) {
    const size_t chunk = static_cast<size_t>(kPage - (at % kPage));
    char buffer[kPage];
    if (!read_memory(tid, at, buffer, chunk)) return std::nullopt;
    const void* nul = std::memchr(buffer, '\0', chunk);
    if (nul) {
      out.append(buffer, static_cast<size_t>(static_cast<const char*>(nul) - buffer));
      return out;
    }
    out.append(buffer, chunk);
    at += chunk;
  }
  return std::nullopt;
}

// "/a/./b//../c" -> "/a/c": lexically, as the target wrote it (symlinks are resolved later by
// the draft writer, which knows the target's root).
std::string normalize(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t at = 0;
  while (at <= path.size()) {
    const size_t slash = path.find('/', at);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    const std::string_view part = path.substr(at, end - at);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string_view::npos) break;
    at = slash + 1;
  }
  std::string out;
  for (const std::string_view part : parts) {
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

std::string parent_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

pid_t tgid_of(int proc_fd, pid_t tid) {
  const int fd = proc_open(proc_fd, std::to_string(tid) + "/status");
  if (fd < 0) return -1;
  char buffer[1024];
  const ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
  ::close(fd);
  if (n <= 0) return -1;
  buffer[n] = '\0';
  const char* line = std::strstr(buffer, "\nTgid:");
  return line ? static_cast<pid_t>(std::atoi(line + 6)) : -1;
}

// A copy of the target's fd `fd` (pidfd_getfd), to ask the socket what it is.
UniqueFd borrow_fd(int proc_fd, pid_t tid, int fd) {
  const pid_t tgid = tgid_of(proc_fd, tid);
  if (tgid <= 0) return {};
  const UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, tgid, 0)));
  if (!pidfd) return {};
  return UniqueFd(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
}

// What one call adds besides its name and registers: kept only if the notification is still
// valid after the reads.
struct Reading {
  std::vector<std::pair<std::string, uint32_t>> paths;
  std::vector<LearnedEndpoint> binds, connects;
  std::vector<std::string> remarks;
};

class CallReader {
 public:
  CallReader(const seccomp_notif& notif, int proc_fd, const std::set<LearnedEndpoint>& bound,
             Reading& out)
      : notif_(notif), proc_fd_(proc_fd), bound_(bound), out_(out) {}

  uint64_t arg(int i) const { return notif_.data.args[i]; }
  pid_t tid() const { return static_cast<pid_t>(notif_.pid); }

  // The absolute path a (dirfd, path) pair names, as the target sees it.
  std::optional<std::string> path_at(int dirfd, uint64_t address, bool empty_means_fd = false) {
    std::optional<std::string> path = read_string(tid(), address);
    if (!path) return std::nullopt;
    if (path->empty() && !empty_means_fd) return std::nullopt;
    if (!path->empty() && (*path)[0] == '/') return normalize(*path);
    const std::string proc = std::to_string(tid());
    std::string base = proc_readlink(
        proc_fd_, dirfd == AT_FDCWD ? proc + "/cwd" : proc + "/fd/" + std::to_string(dirfd));
    if (base.empty() || base[0] != '/') return std::nullopt;  // a pipe, a socket, gone
    // The link shows the directory from harden's root; the target's root may be beneath it
    // (a chroot). Outside harden's mount namespace the kernel already shows it from the
    // target's root.
    const std::string root = proc_readlink(proc_fd_, proc + "/root");
    if (!root.empty() && root != "/" && base.starts_with(root) &&
        (base.size() == root.size() || base[root.size()] == '/')) {
      base = base.size() == root.size() ? "/" : base.substr(root.size());
    }
    return normalize(path->empty() ? base : base + "/" + *path);
  }

  void use(const std::optional<std::string>& path, uint32_t access) {
    if (path) out_.paths.emplace_back(*path, access);
  }
  void create_in_parent(const std::optional<std::string>& path) {
    if (path) out_.paths.emplace_back(parent_of(*path), learn_access::kCreateIn);
  }
  void remove_in_parent(const std::optional<std::string>& path) {
    if (path) out_.paths.emplace_back(parent_of(*path), learn_access::kRemoveIn);
  }
  // A rename or link from one directory to another: both need Landlock's refer right.
  void across_directories(const std::optional<std::string>& from,
                          const std::optional<std::string>& to) {
    if (!from || !to || parent_of(*from) == parent_of(*to)) return;
    out_.paths.emplace_back(parent_of(*from), learn_access::kReferIn);
    out_.paths.emplace_back(parent_of(*to), learn_access::kReferIn);
  }

  void open_call(int dirfd, uint64_t path_address, uint64_t flags) {
    if (flags & O_PATH) return;  // no access is checked on an O_PATH descriptor
    const auto path = path_at(dirfd, path_address);
    if ((flags & O_TMPFILE) == O_TMPFILE) {
      use(path, learn_access::kCreateIn);
      return;
    }
    const uint64_t mode = flags & O_ACCMODE;
    use(path, mode == O_RDONLY ? learn_access::kRead
                               : (mode == O_WRONLY ? learn_access::kWrite
                                                   : learn_access::kRead | learn_access::kWrite));
    if (flags & O_TRUNC) use(path, learn_access::kWrite);
    if (flags & O_CREAT) create_in_parent(path);
  }

  // bind, connect, sendto, sendmsg: the address and what kind of socket `fd` is.
  void socket_address(int fd, uint64_t address, uint64_t length, bool is_bind, bool is_send) {
    if (address == 0 || length < sizeof(sa_family_t)) return;
    sockaddr_storage storage{};
    const size_t size = std::min<size_t>(static_cast<size_t>(length), sizeof storage);
    if (!read_memory(tid(), address, &storage, size)) return;
    if (storage.ss_family == AF_UNIX) {
      const auto* un = reinterpret_cast<const sockaddr_un*>(&storage);
      const size_t path_size = size - offsetof(sockaddr_un, sun_path);
      if (path_size == 0) return;  // autobind
      if (un->sun_path[0] == '\0') {
        out_.remarks.push_back(
            "abstract unix socket @" +
            std::string(un->sun_path + 1, strnlen(un->sun_path + 1, path_size - 1)) +
            (is_bind ? " bound" : " reached"));
        return;
      }
      std::string path(un->sun_path, strnlen(un->sun_path, path_size));
      if (path.empty()) return;
      // A relative socket path resolves against the working directory.
      std::optional<std::string> absolute =
          path[0] == '/' ? std::optional<std::string>(normalize(path)) : std::nullopt;
      if (!absolute) {
        const std::string cwd = proc_readlink(proc_fd_, std::to_string(tid()) + "/cwd");
        if (!cwd.empty()) absolute = normalize(cwd + "/" + path);
      }
      if (is_bind) {
        create_in_parent(absolute);
      } else if (absolute) {
        out_.remarks.push_back("unix socket " + *absolute +
                               " reached (Landlock does not "
                               "restrict connecting to a path socket; the view must show it)");
      }
      return;
    }
    if (storage.ss_family != AF_INET && storage.ss_family != AF_INET6) return;
    const UniqueFd socket = borrow_fd(proc_fd_, tid(), fd);
    int type = 0;
    socklen_t type_size = sizeof type;
    if (!socket || ::getsockopt(socket.get(), SOL_SOCKET, SO_TYPE, &type, &type_size) != 0) return;
    if (type != SOCK_STREAM && type != SOCK_DGRAM) return;
    LearnedEndpoint endpoint;
    endpoint.protocol = type == SOCK_STREAM ? "tcp" : "udp";
    char text[INET6_ADDRSTRLEN] = {};
    if (storage.ss_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
      endpoint.port = ntohs(in->sin_port);
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    } else {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
      endpoint.port = ntohs(in6->sin6_port);
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    }
    if (is_bind) {
      out_.binds.push_back(endpoint);  // any local address: the port is what matters
      return;
    }
    if (is_send) {
      // A datagram to a peer from a socket bound to a port of its own is most likely an
      // answer to that peer (a UDP server): the firewall passes it as established.
      sockaddr_storage local{};
      socklen_t local_size = sizeof local;
      if (::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&local), &local_size) == 0) {
        const uint16_t port = ntohs(reinterpret_cast<const sockaddr_in*>(&local)->sin_port);
        for (const LearnedEndpoint& bound : bound_) {
          if (bound.protocol == "udp" && bound.port == port && port != 0) return;
        }
      }
    }
    endpoint.address = text;
    out_.connects.push_back(endpoint);
  }

 private:
  const seccomp_notif& notif_;
  int proc_fd_;
  const std::set<LearnedEndpoint>& bound_;  // what the target bound so far
  Reading& out_;
};

void read_call(const seccomp_notif& notif, CallReader& call) {
  using namespace learn_access;
  const auto nr = static_cast<long>(notif.data.nr);
  switch (nr) {
    case SYS_open:
      call.open_call(AT_FDCWD, call.arg(0), call.arg(1));
      break;
    case SYS_openat:
      call.open_call(as_int(call.arg(0)), call.arg(1), call.arg(2));
      break;
    case SYS_openat2: {
      open_how how{};
      if (read_memory(call.tid(), call.arg(2), &how, sizeof how.flags)) {
        call.open_call(as_int(call.arg(0)), call.arg(1), how.flags);
      }
      break;
    }
    case SYS_creat: {
      const auto path = call.path_at(AT_FDCWD, call.arg(0));
      call.use(path, kWrite);
      call.create_in_parent(path);
      break;
    }
    case SYS_truncate:
      call.use(call.path_at(AT_FDCWD, call.arg(0)), kWrite);
      break;
    case SYS_execve:
      call.use(call.path_at(AT_FDCWD, call.arg(0)), kExecute);
      break;
    case SYS_execveat:
      call.use(call.path_at(as_int(call.arg(0)), call.arg(1), (call.arg(4) & AT_EMPTY_PATH) != 0),
               kExecute);
      break;
    case SYS_mkdir:
    case SYS_mknod:
      call.create_in_parent(call.path_at(AT_FDCWD, call.arg(0)));
      break;
    case SYS_mkdirat:
    case SYS_mknodat:
      call.create_in_parent(call.path_at(as_int(call.arg(0)), call.arg(1)));
      break;
    case SYS_unlink:
    case SYS_rmdir:
      call.remove_in_parent(call.path_at(AT_FDCWD, call.arg(0)));
      break;
    case SYS_unlinkat:
      call.remove_in_parent(call.path_at(as_int(call.arg(0)), call.arg(1)));
      break;
    case SYS_rename: {
      const auto from = call.path_at(AT_FDCWD, call.arg(0));
      call.remove_in_parent(from);
      const auto to = call.path_at(AT_FDCWD, call.arg(1));
      call.create_in_parent(to);
      call.remove_in_parent(to);
      call.across_directories(from, to);
      break;
    }
    case SYS_renameat:
    case SYS_renameat2: {
      const auto from = call.path_at(as_int(call.arg(0)), call.arg(1));
      call.remove_in_parent(from);
      const auto to = call.path_at(as_int(call.arg(2)), call.arg(3));
      call.create_in_parent(to);
      call.remove_in_parent(to);
      call.across_directories(from, to);
      break;
    }
    case SYS_link: {
      const auto to = call.path_at(AT_FDCWD, call.arg(1));
      call.create_in_parent(to);
      call.across_directories(call.path_at(AT_FDCWD, call.arg(0)), to);
      break;
    }
    case SYS_symlink:
      call.create_in_parent(call.path_at(AT_FDCWD, call.arg(1)));
      break;
    case SYS_linkat: {
      const auto to = call.path_at(as_int(call.arg(2)), call.arg(3));
      call.create_in_parent(to);
      call.across_directories(
          call.path_at(as_int(call.arg(0)), call.arg(1), (call.arg(4) & AT_EMPTY_PATH) != 0), to);
      break;
    }
    case SYS_symlinkat:
      call.create_in_parent(call.path_at(as_int(call.arg(1)), call.arg(2)));
      break;
    case SYS_bind:
      call.socket_address(as_int(call.arg(0)), call.arg(1), call.arg(2), true, false);
      break;
    case SYS_connect:
      call.socket_address(as_int(call.arg(0)), call.arg(1), call.arg(2), false, false);
      break;
    case SYS_sendto:
      call.socket_address(as_int(call.arg(0)), call.arg(4), call.arg(5), false, true);
      break;
    case SYS_sendmsg: {
      msghdr header{};
      if (read_memory(call.tid(), call.arg(1), &header, sizeof header) && header.msg_name) {
        call.socket_address(as_int(call.arg(0)), reinterpret_cast<uint64_t>(header.msg_name),
                            header.msg_namelen, false, true);
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace

std::vector<sock_filter> record_all_program() {
  const auto arch = static_cast<uint32_t>(offsetof(seccomp_data, arch));
  const auto nr = static_cast<uint32_t>(offsetof(seccomp_data, nr));
  std::vector<sock_filter> program = {
      statement(BPF_LD | BPF_W | BPF_ABS, arch),
      jump(BPF_JMP | BPF_JEQ | BPF_K, native_audit_arch(), 0, 6),
      statement(BPF_LD | BPF_W | BPF_ABS, nr),
#ifdef __x86_64__
      // x32 calls carry the native arch with bit 30 set in the number.
      jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000U, 4, 0),
#else
      jump(BPF_JMP | BPF_JA, 0, 0, 0),
#endif
      jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 1, 0),
      jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 0, 1),
      statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      statement(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      statement(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
  };
  return program;
}

std::expected<Plan, std::string> learning_plan(const Plan& base) {
  PlanData data = base.data();
  data.seccomp = SeccompPlan{};
  data.seccomp.enabled = true;
  data.seccomp.program = record_all_program();
  data.seccomp.default_action_origin = {"harden learn's recording filter", 0, 0};
  data.landlock = LandlockPlan{};
  // The base's firewall would refuse a new peer as Landlock would a new file (and an earlier
  // draft merged into is such a base): the draft writes the firewall instead.
  data.network = NetworkPlan{};
  return validated_plan(std::move(data));
}

Recorder::Recorder(int listener, int proc_fd) : listener_(listener), proc_fd_(proc_fd) {
  seccomp_notif_sizes sizes{};
  syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes);
  notif_.resize(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  resp_.resize(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
}

const std::string& Recorder::program_of(pid_t tid) {
  auto it = programs_.find(tid);
  if (it != programs_.end()) return it->second;
  if (programs_.size() >= kMaxProgramCache) programs_.clear();
  std::string exe = proc_readlink(proc_fd_, std::to_string(tid) + "/exe");
  if (exe.ends_with(" (deleted)")) exe.resize(exe.size() - 10);
  const size_t slash = exe.rfind('/');
  return programs_.emplace(tid, slash == std::string::npos ? exe : exe.substr(slash + 1))
      .first->second;
}

void Recorder::record(const seccomp_notif& notif) {
  LearnObservations& obs = observations_;
  const uint32_t nr = static_cast<uint32_t>(notif.data.nr);
  const auto tid = static_cast<pid_t>(notif.pid);
  // The name of a number is looked up once (the map's nodes stay where they are).
  constexpr uint32_t kCachedNumbers = 4096;
  LearnedSyscall* slot = nr < by_number_.size() ? by_number_[nr] : nullptr;
  if (!slot) {
    const std::string_view known = syscall_name(nr);
    slot = &obs.syscalls[known.empty() ? "nr:" + std::to_string(nr) : std::string(known)];
    if (nr < kCachedNumbers) {
      if (nr >= by_number_.size()) by_number_.resize(nr + 1, nullptr);
      by_number_[nr] = slot;
    }
  }
  LearnedSyscall& call = *slot;
  ++call.count;
  if (call.programs.size() < kMaxProgramsPerCall) {
    const std::string& program = program_of(tid);
    if (!program.empty()) call.programs.insert(program);
  }
  const __u64* args = notif.data.args;
  switch (static_cast<long>(nr)) {
    case SYS_socket:
      obs.sockets.insert(
          {args[0] & kLow32, args[1] & kLow32 & ~uint64_t{SOCK_NONBLOCK | SOCK_CLOEXEC}});
      break;
    case SYS_clone:
      obs.clone_flags.insert(args[0] & (kCloneNamespaces | kCloneKind));
      break;
    case SYS_clone3: {
      uint64_t flags = 0;  // clone_args.flags, the first member
      if (read_memory(tid, args[0], &flags, sizeof flags)) {
        obs.clone_flags.insert(flags & (kCloneNamespaces | kCloneTime | kCloneKind));
      }
      break;
    }
    case SYS_unshare:
      obs.unshare_namespaces.insert(args[0] & (kCloneNamespaces | kCloneTime));
      break;
    case SYS_ioctl:
      obs.ioctl_requests.insert(args[1] & kLow32);
      break;
    case SYS_prctl:
      obs.prctl_options.insert(args[0] & kLow32);
      break;
    case SYS_personality:
      obs.personalities.insert(args[0] & kLow32);
      break;
    case SYS_execve:
    case SYS_execveat:
      programs_.clear();  // the caller's executable changes (a thread's becomes the leader's)
      break;
    default:
      break;
  }

  Reading reading;
  CallReader reader(notif, proc_fd_, obs.binds, reading);
  read_call(notif, reader);
  if (reading.paths.empty() && reading.binds.empty() && reading.connects.empty() &&
      reading.remarks.empty()) {
    return;
  }
  // What was read belongs to this call only if the thread is still waiting in it: otherwise it
  // may have died and its tid been reused, and the memory or links read were someone else's.
  uint64_t id = notif.id;
  if (ioctl(listener_, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return;
  for (auto& [path, access] : reading.paths) {
    if (obs.paths.size() >= kMaxPaths && !obs.paths.contains(path)) {
      obs.remarks.insert("more than " + std::to_string(kMaxPaths) +
                         " distinct paths: the rest were not recorded");
      continue;
    }
    obs.paths[path] |= access;
  }
  for (auto& endpoint : reading.binds) {
    if (obs.binds.size() < kMaxEndpoints) obs.binds.insert(endpoint);
  }
  for (auto& endpoint : reading.connects) {
    if (obs.connects.size() < kMaxEndpoints) {
      obs.connects.insert(endpoint);
    } else {
      obs.remarks.insert("more than " + std::to_string(kMaxEndpoints) +
                         " distinct peers: the rest were not recorded");
    }
  }
  for (auto& remark : reading.remarks)
    obs.remarks.insert(remark);
}

void Recorder::answer() {
  std::fill(notif_.begin(), notif_.end(), 0);
  auto* notif = reinterpret_cast<seccomp_notif*>(notif_.data());
  if (ioctl(listener_, SECCOMP_IOCTL_NOTIF_RECV, notif) != 0) return;  // gone meanwhile
  ++observations_.notifications;
  const auto nr = static_cast<long>(notif->data.nr);
  // harden's own calls between loading the filter and executing the target are not the
  // target's: recording starts with that execve (the only task under the filter until then is
  // harden's single-threaded child).
  if (!observations_.target_started) {
    if (nr == SYS_execve || nr == SYS_execveat) observations_.target_started = true;
  } else {
    record(*notif);
  }
  std::fill(resp_.begin(), resp_.end(), 0);
  auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_.data());
  resp->id = notif->id;
  if (nr == SYS_clone3) {
    resp->error = -ENOSYS;  // as under the draft: the C library falls back to clone
  } else {
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  }
  ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

}  // namespace harden::enforce::learn
