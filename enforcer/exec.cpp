// The last step: execve the target. A bare name is looked up in the target's PATH, inside
// the new root, after every layer is in place (so the lookup itself is confined too).
//
// When execve says ENOENT for a file that is there, the file is fine and its interpreter is
// missing: the ELF interpreter (PT_INTERP, ld.so) or the program of its #! line is not in the
// filesystem view. Only then (off the success path) harden reads the file's header to say
// so, and only with calls the loaded seccomp filter is known to allow (asked of the filter's
// own program with the BPF evaluator), so the diagnosis can never get harden killed.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "enforcer/layers.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/plan_io.hpp"

namespace harden::enforce::exec {

namespace {

// Whether the filter this process runs under (the one harden loaded) allows the call as is.
bool filter_allows(const PlanData& plan, const ExecContext& ctx, long nr,
                   std::array<uint64_t, 6> args) {
  const bool notifying =
      ctx.under_supervisor && (ctx.notify_errno_answers || ctx.notify_exec_calls);
  std::span<const sock_filter> program;
  if (notifying) {
    program = ctx.notifying_program;
  } else if (plan.seccomp.enabled) {
    program = plan.seccomp.program;
  } else {
    return true;  // no filter of harden's
  }
  const auto action = evaluate_seccomp_program(
      program, make_seccomp_data(native_audit_arch(), static_cast<int>(nr), args));
  return action && (*action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW;
}

}  // namespace

std::optional<std::string> missing_interpreter(const PlanData& plan, const ExecContext& ctx,
                                               const char* path) {
  constexpr uint64_t kFlags = O_RDONLY | O_CLOEXEC;
  constexpr uint64_t kAtFdcwd = static_cast<uint64_t>(static_cast<int64_t>(AT_FDCWD));
  if (!filter_allows(plan, ctx, SYS_openat, {kAtFdcwd, 0, kFlags, 0, 0, 0}) ||
      !filter_allows(plan, ctx, SYS_close, {}) || !filter_allows(plan, ctx, SYS_pread64, {}) ||
      !filter_allows(plan, ctx, SYS_openat, {kAtFdcwd, 0, O_PATH | O_CLOEXEC, 0, 0, 0})) {
    return std::nullopt;
  }
  const int fd = ::openat(AT_FDCWD, path, static_cast<int>(kFlags));
  if (fd < 0) return std::nullopt;  // the file itself is missing (or unreadable)
  std::optional<std::string> interpreter = landlock::interpreter_of(fd);
  ::close(fd);
  if (!interpreter || interpreter->empty()) return std::nullopt;
  const int found = ::openat(AT_FDCWD, interpreter->c_str(), O_PATH | O_CLOEXEC);
  if (found >= 0) {
    ::close(found);
    return std::nullopt;  // it is there: ENOENT came from elsewhere
  }
  return errno == ENOENT || errno == ENOTDIR ? interpreter : std::nullopt;
}

int run(const PlanData& plan, Sys& sys, const ExecContext& ctx, StepError& error) {
  // With the exec lock the path was resolved at prepare time; run exactly that file.
  const std::string& command = ctx.exec_path.empty() ? ctx.argv_storage.at(0) : ctx.exec_path;
  if (command.find('/') != std::string::npos) {
    sys.execve(command.c_str(), ctx.argv.data(), ctx.envp.data());
    const int failure = errno;
    if (failure == ENOENT) {
      if (std::optional<std::string> interpreter =
              missing_interpreter(plan, ctx, command.c_str())) {
        error = {0, "its interpreter " + *interpreter +
                        " is not in the policy's filesystem view; add it (and the libraries "
                        "it loads) to [filesystem], or use a static binary"};
        return exit_code::kNotFound;
      }
    }
    error = {failure, "execve"};
    return failure == ENOENT || failure == ENOTDIR ? exit_code::kNotFound
                                                   : exit_code::kCannotExecute;
  }
  // Like execvpe(3), but with the target's PATH rather than harden's.
  int seen_eacces = 0;
  char candidate[4096];
  std::string_view dirs = ctx.search_path;
  while (true) {
    const size_t colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    if (dir.empty()) dir = ".";
    if (dir.size() + 1 + command.size() < sizeof candidate) {
      std::memcpy(candidate, dir.data(), dir.size());
      candidate[dir.size()] = '/';
      std::memcpy(candidate + dir.size() + 1, command.c_str(), command.size() + 1);
      sys.execve(candidate, ctx.argv.data(), ctx.envp.data());
      if (errno == EACCES)
        seen_eacces = EACCES;
      else if (errno != ENOENT && errno != ENOTDIR) {
        error = {errno, std::string("execve(") + candidate + ")"};
        return exit_code::kCannotExecute;
      } else if (errno == ENOENT) {
        // Found, but its interpreter is not: execvpe would go on and say "not found".
        if (std::optional<std::string> interpreter = missing_interpreter(plan, ctx, candidate)) {
          error = {0, std::string(candidate) + ": its interpreter " + *interpreter +
                          " is not in the policy's filesystem view; add it (and the libraries "
                          "it loads) to [filesystem], or use a static binary"};
          return exit_code::kNotFound;
        }
      }
    }
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  if (seen_eacces) {
    error = {EACCES, "found in PATH but not executable"};
    return exit_code::kCannotExecute;
  }
  error = {ENOENT, "not found in PATH (" + ctx.search_path + ")"};
  return exit_code::kNotFound;
}

}  // namespace harden::enforce::exec
