// Helpers for the isolation kernel tests: a directory holding the probe and policies, host
// IPC objects removed even when a test fails, and a run that signals harden mid-way.
#pragma once

#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/harness.hpp"

namespace harden::test {

// A world-readable directory with the static probe in bin/ and the policies of one test.
struct Jail {
  TempDir dir{"harden-ns"};
  Jail() {
    dir.chmod(0755);
    dir.mkdir("bin", 0755);
    copy_file(probe_binary(), bin() + "/harden_probe", 0755);
  }
  std::string bin() const { return dir.file("bin"); }
  std::string probe() const { return bin() + "/harden_probe"; }

  // A policy named `name` with `body` after its [policy] table; readable by any user.
  std::string policy(const std::string& name, const std::string& body) const {
    const std::string path = write_policy(dir, name, "[policy]\nname = \"" + name + "\"\n" + body);
    ::chmod(path.c_str(), 0644);
    return path;
  }

  // A constructed root holding the probe (read-only), a tmpfs /tmp, /proc and a minimal
  // /dev; `filesystem_extra` goes into [filesystem], `sections` after it.
  std::string root_policy(const std::string& name, const std::string& filesystem_extra,
                          const std::string& sections = {}) const {
    return policy(name, "[filesystem]\nread_only = [\"" + bin() +
                            "\"]\ntmpfs = [\"/tmp\"]\nproc = true\ndev = \"minimal\"\n" +
                            filesystem_extra + sections);
  }
};

// A System V shared memory segment, message queue and semaphore set under one key, and a
// POSIX message queue, made on the host (or only named, with create = false). All are removed
// when the object dies, whatever the test did.
class HostIpc {
 public:
  explicit HostIpc(const std::string& name, bool create = true)
      : key_(static_cast<key_t>((std::hash<std::string>{}(name)&0x3fffffff) | 0x40000000)),
        queue_("/" + name) {
    if (!create) return;
    if (::shmget(key_, 4096, IPC_CREAT | IPC_EXCL | 0600) < 0 ||
        ::msgget(key_, IPC_CREAT | IPC_EXCL | 0600) < 0 ||
        ::semget(key_, 1, IPC_CREAT | IPC_EXCL | 0600) < 0) {
      remove();
      throw std::runtime_error("cannot create host System V IPC objects");
    }
    const mqd_t q = ::mq_open(queue_.c_str(), O_RDONLY | O_CREAT | O_EXCL, 0600, nullptr);
    if (q == static_cast<mqd_t>(-1)) {
      remove();
      throw std::runtime_error("cannot create host POSIX message queue " + queue_);
    }
    ::mq_close(q);
  }
  ~HostIpc() { remove(); }
  HostIpc(const HostIpc&) = delete;
  HostIpc& operator=(const HostIpc&) = delete;

  key_t key() const { return key_; }
  const std::string& queue() const { return queue_; }

 private:
  void remove() const {
    if (const int id = ::shmget(key_, 0, 0); id >= 0) ::shmctl(id, IPC_RMID, nullptr);
    if (const int id = ::msgget(key_, 0); id >= 0) ::msgctl(id, IPC_RMID, nullptr);
    if (const int id = ::semget(key_, 0, 0); id >= 0) ::semctl(id, 0, IPC_RMID);
    ::mq_unlink(queue_.c_str());
  }

  key_t key_;
  std::string queue_;
};

struct SignalledRun {
  bool status_exited = false;
  int exit_code = -1;
  int term_signal = 0;
  pid_t target_pid = -1;  // the target's pid as the host sees it
  std::string out;
};

// The first child of `pid` (from /proc/PID/task/PID/children), or -1.
inline pid_t first_child(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  pid_t child = -1;
  in >> child;
  return in ? child : -1;
}

// Who run_and_signal() sends the signal to.
enum class SignalTarget {
  harden,         // harden's pid alone, as a service manager does
  process_group,  // harden's whole process group, as a terminal does on Ctrl-C (harden is
                  // started as the leader of a group of its own, as a shell's job is)
};

// Starts argv (harden running `probe wait-signal` in a PID namespace), waits for the probe's
// "ready" line, sends `sig` to harden itself and collects the rest. Never waits more than 30s.
inline SignalledRun run_and_signal(const std::vector<std::string>& argv, int sig,
                                   SignalTarget to = SignalTarget::harden) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    if (to == SignalTarget::process_group) ::setpgid(0, 0);
    ::dup2(pipefd[1], STDOUT_FILENO);
    const int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, STDIN_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  SignalledRun result;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool signalled = false;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{pipefd[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = ::read(pipefd[0], buffer, sizeof buffer);
    if (n <= 0) break;
    result.out.append(buffer, static_cast<size_t>(n));
    if (!signalled && result.out.find("ready:") != std::string::npos) {
      // harden -> harden as PID 1 -> the target.
      const pid_t init = first_child(pid);
      result.target_pid = init > 0 ? first_child(init) : -1;
      ::kill(to == SignalTarget::process_group ? -pid : pid, sig);
      signalled = true;
    }
  }
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.status_exited = WIFEXITED(status);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return result;
}

}  // namespace harden::test
