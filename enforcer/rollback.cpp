// Rollback of host state: a launch that does not reach execve leaves the host as it found it.
//
// The host steps (audit, cgroup, nftables, nftables-netns) note each change they make (an
// audit rule added or removed, an nft table created or replaced, a cgroup directory made).
// Undoing needs the host privileges harden holds at the start, which a later step takes away
// (the uid change, a user namespace) and which the child of a fork may never regain. So
// before the first host step harden forks a guardian that keeps them: a grandchild (nobody's
// child here, so the target never sees it exit), in a session of its own (Ctrl-C at the
// terminal does not stop it), in harden's cgroup (not the launch's, which it must be able to
// remove). It reads the changes from a socket, close-on-exec on harden's side. At EOF either
// the last holder of the socket executed the target (a word in a shared page says an execve
// was under way: the guardian exits) or every holder ended without (killed, say: the guardian
// undoes, newest first). A failing harden says so in the page and waits there (futex: it may
// be under its seccomp filter already) until the guardian has undone all but the cgroup
// directories, which go once the launch's last process has left them.
#include <dirent.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <new>
#include <thread>

#include "enforcer/host.hpp"
#include "enforcer/layers.hpp"
#include "enforcer/proc_text.hpp"
#include "enforcer/write_stderr.hpp"
#include "plan/nft_script.hpp"

namespace harden {

namespace {

// How long a guardian waits for the launch's last process to leave a cgroup it made.
constexpr auto kCgroupWait = std::chrono::seconds(30);
// How often a guardian looks at the page while it waits for changes; how long a failed
// harden waits for the guardian (which may have died) at most.
constexpr int kGuardPollMs = 10;
constexpr long kFinishWaitNs = 10'000'000;
constexpr int kFinishWaits = 500;  // 5 s

long futex(std::atomic<uint32_t>& word, int op, uint32_t value, const timespec* timeout) {
  // Not FUTEX_PRIVATE_FLAG: the word lives in a MAP_SHARED page of two processes.
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), op, value, timeout, nullptr, 0);
}

void say(std::string_view text) {
  write_stderr(text);
}

// ---- the record stream: kind, has-previous, two lengths, two strings ----------------------

std::string encode(const HostChange& change) {
  const auto put32 = [](std::string& out, size_t n) {
    for (int shift = 0; shift < 32; shift += 8)
      out += static_cast<char>((n >> shift) & 0xff);
  };
  std::string out;
  out += static_cast<char>(change.kind);
  out += static_cast<char>(change.previous.has_value());
  put32(out, change.text.size());
  put32(out, change.previous ? change.previous->size() : 0);
  out += change.text;
  if (change.previous) out += *change.previous;
  return out;
}

// Takes every complete record off the front of `buffer`.
void decode(std::string& buffer, std::vector<HostChange>& out) {
  constexpr size_t kHeader = 10;
  const auto get32 = [&](size_t at) {
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i)
      n |= uint32_t{static_cast<unsigned char>(buffer[at + i])} << (8 * i);
    return size_t{n};
  };
  while (buffer.size() >= kHeader) {
    const size_t text = get32(2), previous = get32(6);
    if (buffer.size() < kHeader + text + previous) return;
    HostChange change;
    change.kind = static_cast<HostChange::Kind>(buffer[0]);
    change.text = buffer.substr(kHeader, text);
    if (buffer[1]) change.previous = buffer.substr(kHeader + text, previous);
    out.push_back(std::move(change));
    buffer.erase(0, kHeader + text + previous);
  }
}

std::string describe(const HostChange& change) {
  switch (change.kind) {
    case HostChange::Kind::audit_rule_added:
      return "an audit rule it added";
    case HostChange::Kind::audit_rule_removed:
      return "an audit rule it removed";
    case HostChange::Kind::nft_table:
      return "table inet " + change.text;
    case HostChange::Kind::cgroup_dir:
      return "cgroup " + change.text;
  }
  return "a change";
}

// Closes every fd from 3 up except the two given.
void close_all_but(int a, int b) {
  const unsigned low = static_cast<unsigned>(std::min(a, b));
  const unsigned high = static_cast<unsigned>(std::max(a, b));
  if (low > 3) syscall(SYS_close_range, 3U, low - 1, 0U);
  if (high > low + 1) syscall(SYS_close_range, low + 1, high - 1, 0U);
  syscall(SYS_close_range, high + 1, ~0U, 0U);
}

[[noreturn]] void guard(int records, int done, HostGuardPage& page) {
  // Out of the caller's session and process group: a Ctrl-C or a kill of the group stops
  // the launch, never its undoing.
  ::setsid();
  for (const int sig : {SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU})
    ::signal(sig, SIG_IGN);
  // Nothing of the caller's but stderr (for what could not be undone).
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(null_fd, STDOUT_FILENO);
  }
  close_all_but(records, done);
  std::vector<HostChange> changes;
  std::string buffer;
  char chunk[4096];
  bool failed = false;
  for (;;) {
    // Once harden says it failed, take what is left in the socket and stop reading.
    failed = page.failed.load(std::memory_order_acquire) != 0;
    pollfd readable{records, POLLIN, 0};
    if (!failed && ::poll(&readable, 1, kGuardPollMs) == 0) continue;
    const ssize_t n = ::recv(records, chunk, sizeof chunk, failed ? MSG_DONTWAIT : 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF (an execve or an exit), or drained after a failure
    buffer.append(chunk, static_cast<size_t>(n));
    decode(buffer, changes);
  }
  if (!failed && page.exec_started.load(std::memory_order_acquire) != 0) _exit(0);  // it runs
  RealSys sys;
  const auto undone = [&] {
    ::close(done);
    page.done.store(1, std::memory_order_release);
    futex(page.done, FUTEX_WAKE, 1, nullptr);
  };
  for (const std::string& error : enforce::rollback::undo(sys, changes, undone)) {
    say("harden: the launch failed and " + error + "; undo it by hand (harden down)\n");
  }
  _exit(0);
}

enum class ProcessesIn { none, others, this_one };

// Whether a cgroup still has processes, and whether this process is one of them (it cannot
// wait for itself to leave).
ProcessesIn processes_in(const std::string& dir) {
  const std::string procs = read_proc_text((dir + "/cgroup.procs").c_str());
  const std::string self = std::to_string(::getpid());
  ProcessesIn found = ProcessesIn::none;
  for (std::string_view pid : lines_of(procs)) {
    if (pid == self) return ProcessesIn::this_one;
    if (!pid.empty()) found = ProcessesIn::others;
  }
  return found;
}

// Whether a cgroup has cgroups below it (other launches' under harden/).
bool has_child_cgroups(const std::string& dir) {
  DIR* listing = ::opendir(dir.c_str());
  if (!listing) return false;
  bool found = false;
  while (const dirent* entry = ::readdir(listing)) {
    if (entry->d_type == DT_DIR && std::strcmp(entry->d_name, ".") != 0 &&
        std::strcmp(entry->d_name, "..") != 0) {
      found = true;
      break;
    }
  }
  ::closedir(listing);
  return found;
}

}  // namespace

int RealSys::host_guard_start(int& record_fd, int& done_fd) {
  // A stream socket rather than a pipe: send(MSG_NOSIGNAL) to a guardian that died fails
  // with EPIPE instead of killing harden with SIGPIPE.
  int records[2], done[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, records) != 0) return -1;
  if (::pipe2(done, O_CLOEXEC) != 0) {
    const int error = errno;
    ::close(records[0]);
    ::close(records[1]);
    errno = error;
    return -1;
  }
  void* page = ::mmap(nullptr, sizeof(HostGuardPage), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page != MAP_FAILED) new (page) HostGuardPage;
  const pid_t middle = page == MAP_FAILED ? -1 : ::fork();
  if (middle == 0) {
    if (::fork() != 0) _exit(0);  // the guardian is the grandchild
    guard(records[0], done[1], *static_cast<HostGuardPage*>(page));
  }
  const int error = errno;
  ::close(records[0]);
  ::close(done[1]);
  if (middle > 0) {
    while (::waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
    }
    // The guardian holds the other end of `done` for as long as it lives; a hang-up now
    // means the second fork failed. (Asked this way because the caller may have left
    // SIGCHLD ignored, and then the middle's status is gone.)
    pollfd alive{done[0], POLLIN, 0};
    if (::poll(&alive, 1, 0) == 0) {
      guard_page_ = static_cast<HostGuardPage*>(page);
      record_fd = records[1];
      done_fd = done[0];
      return 0;
    }
  }
  ::close(records[1]);
  ::close(done[0]);
  if (page != MAP_FAILED) ::munmap(page, sizeof(HostGuardPage));
  errno = middle < 0 ? error : EAGAIN;
  return -1;
}

int RealSys::host_guard_note(int record_fd, const HostChange& change) {
  const std::string bytes = encode(change);
  std::string_view left = bytes;
  while (!left.empty()) {
    const ssize_t n = ::send(record_fd, left.data(), left.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    left.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

int RealSys::host_guard_finish(int, int) {
  // No close or read: this may run under the target's filter (an execve that failed), and
  // what it does not allow could kill harden or hide its exit status.
  if (!guard_page_) return -1;
  guard_page_->failed.store(1, std::memory_order_release);
  for (int i = 0; i < kFinishWaits; ++i) {
    if (guard_page_->done.load(std::memory_order_acquire) != 0) return 0;
    const timespec wait{0, kFinishWaitNs};
    futex(guard_page_->done, FUTEX_WAIT, 0, &wait);
  }
  return -1;  // the guardian died (or is stuck): it undoes nothing more from here
}

int RealSys::undo_host_change(const HostChange& change, std::string& error) {
  errno = 0;
  switch (change.kind) {
    case HostChange::Kind::audit_rule_added:
    case HostChange::Kind::audit_rule_removed: {
      auto done = host::audit_undo(change);
      if (done) return 0;
      error = done.error();
      return -1;
    }
    case HostChange::Kind::nft_table: {
      auto done = host::nft_run(change.previous ? nft_replace_script(change.text, *change.previous)
                                                : nft_delete_script(change.text));
      if (done) return 0;
      error = done.error();
      return -1;
    }
    case HostChange::Kind::cgroup_dir: {
      // A cgroup goes only once empty: wait for the launch's processes to leave it (harden's
      // supervisor ends after its child); never for this process itself.
      const auto deadline = std::chrono::steady_clock::now() + kCgroupWait;
      while (::rmdir(change.text.c_str()) != 0) {
        if (errno == ENOENT) return 0;
        const int failed = errno;
        const ProcessesIn in = processes_in(change.text);
        // Busy because of cgroups below it (other launches' under harden/, made meanwhile):
        // it is in use, and left to them. Busy with neither a child nor a listed process,
        // something of the launch is still on its way out that cgroup.procs does not show
        // (only thread-group leaders are listed): wait for it like for a listed one.
        if (failed == EBUSY && in == ProcessesIn::none && has_child_cgroups(change.text)) {
          return 0;
        }
        if (failed != EBUSY || in == ProcessesIn::this_one ||
            std::chrono::steady_clock::now() > deadline) {
          error = "rmdir: " + std::string(std::strerror(failed));
          errno = failed;
          return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return 0;
    }
  }
  errno = EINVAL;
  return -1;
}

namespace enforce {

namespace rollback {

// Forks the guardian and keeps its fds open until execve.
StepResult start_guardian(Sys& sys, ExecContext& ctx) {
  if (sys.host_guard_start(ctx.host.record_fd, ctx.host.done_fd) != 0) {
    return step_failed(errno,
                       "forking the guardian that undoes the host steps' changes should "
                       "the launch stop before execve");
  }
  // The fds step leaves them open: close-on-exec, they end with the execve, which is how
  // the guardian learns that the launch went through.
  for (const int fd : {ctx.host.record_fd, ctx.host.done_fd}) {
    ctx.keep_fds.insert(std::upper_bound(ctx.keep_fds.begin(), ctx.keep_fds.end(), fd), fd);
  }
  return {};
}

StepResult note(Sys& sys, ExecContext& ctx, HostChange change) {
  HostRollback& host = ctx.host;
  if (host.guardian_deferred) {
    // Before the change is made (the nftables step notes before its transaction): a guardian
    // that cannot be forked stops the launch with nothing to undo.
    host.guardian_deferred = false;
    if (auto started = start_guardian(sys, ctx); !started) return started;
  }
  host.changes.push_back(std::move(change));
  if (host.record_fd >= 0 && !host.guardian_lost &&
      sys.host_guard_note(host.record_fd, host.changes.back()) != 0) {
    host.guardian_lost = true;
    return step_failed(errno, "telling the rollback guardian about " +
                                  describe(host.changes.back()) +
                                  " (it is gone: harden undoes what it can itself)");
  }
  return {};
}

std::vector<std::string> undo(Sys& sys, std::span<const HostChange> changes,
                              const std::function<void()>& before_cgroups) {
  std::vector<std::string> errors;
  const auto undo_one = [&](const HostChange& change) {
    std::string error;
    if (sys.undo_host_change(change, error) != 0) {
      if (error.empty()) error = std::strerror(errno);
      errors.push_back("cannot undo " + describe(change) + ": " + error);
    }
  };
  // Newest first. A cgroup can only go once the launch's processes have left it, which the
  // others need not wait for: they go first, then the cgroups, newest (innermost) first.
  for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
    if (it->kind != HostChange::Kind::cgroup_dir) undo_one(*it);
  }
  before_cgroups();
  for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
    if (it->kind == HostChange::Kind::cgroup_dir) undo_one(*it);
  }
  return errors;
}

void after_failure(Sys& sys, ExecContext& ctx) {
  HostRollback& host = ctx.host;
  if (host.record_fd >= 0) {
    // The guardian undoes; wait for it, so whoever started harden finds the host as it was.
    // A guardian that could not be told a change (it died) cannot undo it: harden does
    // what it can itself.
    sys.host_guard_finish(host.record_fd, host.done_fd);
    host.record_fd = host.done_fd = -1;
    if (!host.guardian_lost) return;
  }
  for (const std::string& error : undo(sys, host.changes, [] {})) {
    say("harden: the launch failed and " + error + "\n");
  }
}

}  // namespace rollback

namespace host_guard {

bool wanted(const PlanData& plan) {
  return audit::wanted(plan) || cgroup::wanted(plan) || nftables::wanted(plan) ||
         (nftables_netns::wanted(plan) && !plan.namespaces.net);
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  // When the only host step is the nftables table (scope uid, or cgroup on a named cgroup), its
  // only change is noted before its transaction, in harden's own cgroup and namespaces: the
  // guardian can wait until then, and a start that finds its table sealed forks none.
  if (!audit::wanted(plan) && !cgroup::wanted(plan) &&
      !(nftables_netns::wanted(plan) && !plan.namespaces.net)) {
    ctx.host.guardian_deferred = true;
    return {};
  }
  return rollback::start_guardian(sys, ctx);
}

}  // namespace host_guard

}  // namespace enforce

}  // namespace harden
