// The exec lock, prepare-time half (the rules are added by the Landlock step): after
// harden's own execve, the target may execute only itself and its interpreters, plus what
// the policy's `execute` list names.
//
// The target's path is decided here, before any step, by looking the command up the way
// execve will see it once the filesystem view is final: inside the chroot, in the target's
// own PATH, relative to its working directory. The file found is opened now (an fd names
// the inode, so the rule cannot be redirected later) and exec::run executes that same
// path; if it is swapped in between, Landlock refuses the other inode. Each file's
// interpreter (ELF PT_INTERP, or the #! line of a script) is found and opened the same way.
#include <elf.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "enforcer/layers.hpp"

namespace harden::enforce::landlock {

namespace {

// binfmt_script and binfmt_elf nest at most this deep in the kernel (BINPRM_MAX_RECURSION).
constexpr int kMaxInterpreterDepth = 4;

// The view's root as the host sees it now, before any step: the chroot directory, or "/"
// (a constructed root's paths are first mapped to their bind sources by host_path()).
UniqueFd open_view_root(const PlanData& plan) {
  const std::string root = plan.filesystem.chroot.empty() ? "/" : plan.filesystem.chroot;
  return UniqueFd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
}

// Where a path of a constructed root is on the host now: under the source of the bind
// mount with the longest target that contains it. Other paths (tmpfs, proc) have no host
// file yet; they map to themselves and are simply not found, which leaves the lock closed.
std::string host_path(const PlanData& plan, std::string_view view_path) {
  const ViewMount* best = nullptr;
  for (const ViewMount& m : plan.filesystem.view) {
    if (m.kind != ViewKind::bind || !view_path.starts_with(m.target)) continue;
    if (view_path.size() != m.target.size() && view_path[m.target.size()] != '/') continue;
    if (!best || m.target.size() > best->target.size()) best = &m;
  }
  if (!best) return std::string(view_path);
  return best->source + std::string(view_path.substr(best->target.size()));
}

// Opens a path as the target will see it: beneath the view's root, with absolute symlinks
// in the jail resolved inside it (RESOLVE_IN_ROOT), exactly as after chroot.
UniqueFd open_in_view(int root, std::string_view view_path) {
  while (!view_path.empty() && view_path.front() == '/')
    view_path.remove_prefix(1);
  const std::string relative = view_path.empty() ? "." : std::string(view_path);
  open_how how{};
  how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC;  // O_NONBLOCK: never hang on a FIFO
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return UniqueFd(static_cast<int>(syscall(SYS_openat2, root, relative.c_str(), &how, sizeof how)));
}

bool is_executable_file(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

bool read_at(int fd, void* buffer, size_t size, off_t offset) {
  return ::pread(fd, buffer, size, offset) == static_cast<ssize_t>(size);
}

template <typename Ehdr, typename Phdr>
std::optional<std::string> elf_interpreter(int fd) {
  Ehdr header{};
  if (!read_at(fd, &header, sizeof header, 0) || header.e_phentsize != sizeof(Phdr)) {
    return std::nullopt;
  }
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Phdr ph{};
    if (!read_at(fd, &ph, sizeof ph, static_cast<off_t>(header.e_phoff + i * sizeof ph))) break;
    if (ph.p_type != PT_INTERP) continue;
    if (ph.p_filesz < 2 || ph.p_filesz > 4096) return std::nullopt;
    std::string path(ph.p_filesz, '\0');
    if (!read_at(fd, path.data(), path.size(), static_cast<off_t>(ph.p_offset))) break;
    path.resize(std::strlen(path.c_str()));
    return path;
  }
  return std::nullopt;
}

// "#!/bin/sh -e" -> "/bin/sh"
std::optional<std::string> script_interpreter(int fd) {
  std::array<char, 256> line{};
  const ssize_t n = ::pread(fd, line.data(), line.size() - 1, 0);
  if (n < 3 || line[0] != '#' || line[1] != '!') return std::nullopt;
  std::string_view text(line.data() + 2, static_cast<size_t>(n) - 2);
  text = text.substr(0, text.find('\n'));
  const size_t start = text.find_first_not_of(" \t");
  if (start == std::string_view::npos) return std::nullopt;
  text.remove_prefix(start);
  return std::string(text.substr(0, text.find_first_of(" \t")));
}

// Adds the interpreter chain of an opened file to the lock.
void add_interpreters(const PlanData& plan, int root, int fd, ExecContext& ctx) {
  for (int depth = 0; depth < kMaxInterpreterDepth; ++depth) {
    const std::optional<std::string> next = interpreter_of(fd);
    if (!next || next->empty()) return;
    UniqueFd next_fd = open_in_view(root, host_path(plan, *next));
    // A missing interpreter makes the execve fail on its own (ENOENT): nothing to allow.
    if (!next_fd.valid()) return;
    fd = next_fd.get();
    ctx.exec_lock.push_back({*next, std::move(next_fd)});
  }
}

// The directory a relative path is taken from when the target runs: its working directory.
std::string base_directory(const PlanData& plan) {
  if (!plan.exec.working_directory.empty()) return plan.exec.working_directory;
  if (!plan.filesystem.chroot.empty() || plan.filesystem.constructed_root) return "/";
  std::array<char, 4096> cwd{};
  return ::getcwd(cwd.data(), cwd.size()) ? std::string(cwd.data()) : std::string("/");
}

std::string join(const std::string& dir, std::string_view name) {
  return dir.empty() || dir.back() == '/' ? dir + std::string(name) : dir + "/" + std::string(name);
}

}  // namespace

std::optional<std::string> interpreter_of(int fd) {
  unsigned char ident[EI_NIDENT] = {};
  if (!read_at(fd, ident, sizeof ident, 0)) return script_interpreter(fd);
  if (std::memcmp(ident, ELFMAG, SELFMAG) != 0) return script_interpreter(fd);
  if (ident[EI_CLASS] == ELFCLASS64) return elf_interpreter<Elf64_Ehdr, Elf64_Phdr>(fd);
  if (ident[EI_CLASS] == ELFCLASS32) return elf_interpreter<Elf32_Ehdr, Elf32_Phdr>(fd);
  return std::nullopt;
}

std::expected<void, std::string> prepare_exec_lock(const PlanData& plan, ExecContext& ctx) {
  if (!plan.landlock.enabled || !plan.landlock.restrict_fs) return {};
  const UniqueFd root = open_view_root(plan);
  if (!root.valid()) {
    return std::unexpected("exec lock: cannot open the filesystem view's root: " +
                           std::string(std::strerror(errno)));
  }
  const std::string& command = ctx.argv_storage.at(0);
  const std::string base = base_directory(plan);
  if (command.find('/') != std::string::npos) {
    const std::string path = command.front() == '/' ? command : join(base, command);
    UniqueFd fd = open_in_view(root.get(), host_path(plan, path));
    // Not found or unreadable: leave the lookup to execve, which reports it (126/127).
    if (fd.valid()) {
      ctx.exec_path = path;
      const int raw = fd.get();
      ctx.exec_lock.push_back({path, std::move(fd)});
      add_interpreters(plan, root.get(), raw, ctx);
    }
  } else {
    std::string_view dirs = ctx.search_path;
    while (ctx.exec_path.empty()) {
      const size_t colon = dirs.find(':');
      std::string dir(dirs.substr(0, colon));
      if (dir.empty() || dir.front() != '/') dir = join(base, dir.empty() ? "." : dir);
      const std::string path = join(dir, command);
      UniqueFd fd = open_in_view(root.get(), host_path(plan, path));
      if (fd.valid() && is_executable_file(fd.get())) {
        ctx.exec_path = path;
        const int raw = fd.get();
        ctx.exec_lock.push_back({path, std::move(fd)});
        add_interpreters(plan, root.get(), raw, ctx);
      }
      if (colon == std::string_view::npos) break;
      dirs.remove_prefix(colon + 1);
    }
  }
  // The policy's own `execute` programs bring their interpreters along.
  for (const LandlockPathRule& rule : plan.landlock.paths) {
    if (!rule.with_interpreter) continue;
    const UniqueFd fd = open_in_view(root.get(), host_path(plan, rule.path));
    if (fd.valid() && is_executable_file(fd.get()))
      add_interpreters(plan, root.get(), fd.get(), ctx);
  }
  return {};
}

}  // namespace harden::enforce::landlock
