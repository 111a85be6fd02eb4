// The last step: execve the target. A bare name is looked up in the target's PATH, inside
// the new root, after every layer is in place (so the lookup itself is confined too).
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "enforcer/layers.hpp"

namespace harden::enforce::exec {

int run(Sys& sys, const ExecContext& ctx, StepError& error) {
  // With the exec lock the path was resolved at prepare time; run exactly that file.
  const std::string& command = ctx.exec_path.empty() ? ctx.argv_storage.at(0) : ctx.exec_path;
  if (command.find('/') != std::string::npos) {
    sys.execve(command.c_str(), ctx.argv.data(), ctx.envp.data());
    error = {errno, "execve"};
    return errno == ENOENT || errno == ENOTDIR ? exit_code::kNotFound : exit_code::kCannotExecute;
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
