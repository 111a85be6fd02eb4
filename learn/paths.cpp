#include "learn/paths.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string_view>

#include "lint/dangerous.hpp"
#include "plan/learn_observations.hpp"
#include "plan/unique_fd.hpp"

namespace harden {

namespace {

// Read as a whole: system trees that hold programs, libraries and data meant for everyone.
constexpr std::string_view kPublicTrees[] = {"/bin",    "/lib",  "/lib32", "/lib64",
                                             "/libx32", "/sbin", "/usr"};
// Top-level directories that may stand for what was made in them.
constexpr std::string_view kScratchDirs[] = {"/tmp"};
// Files read in one directory before the directory may stand for them.
constexpr size_t kCollapseAt = 3;
// The walk that looks for secrets stops (and refuses) beyond these.
constexpr size_t kMaxWalkEntries = 4096;
constexpr int kMaxWalkDepth = 8;

bool beneath(std::string_view path, std::string_view dir) {
  if (dir == "/") return true;
  return path == dir ||
         (path.starts_with(dir) && path.size() > dir.size() && path[dir.size()] == '/');
}

std::string parent_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

std::string top_of(const std::string& path) {
  const size_t slash = path.find('/', 1);
  return slash == std::string::npos ? path : path.substr(0, slash);
}

int depth_of(const std::string& path) {
  return path == "/" ? 0 : static_cast<int>(std::ranges::count(path, '/'));
}

// Whether a constructed root shows `path`: beneath one of its mounts, or a directory on the
// way to one (made in the new root). Without a constructed root, or without a known view,
// everything the host has is there.
bool in_view(const PathGrantRequest& request, const std::string& path) {
  if (!request.constructed_root || request.view.empty()) return true;
  return std::ranges::any_of(request.view, [&](const std::string& target) {
    return beneath(path, target) || beneath(target, path);
  });
}

std::string host_path(const PathGrantRequest& request, const std::string& path) {
  if (request.target_root.empty() || request.target_root == "/") return path;
  return request.target_root + (path == "/" ? "" : path);
}

// The path with every symlink resolved inside the target's root, as the target sees it.
std::optional<std::string> canonical(const PathGrantRequest& request, const std::string& path) {
  // A constructed root binds host paths at their own place, but not necessarily what a host
  // symlink points to: keep the target's spelling.
  if (request.constructed_root) return path;
  char resolved[PATH_MAX];
  if (!::realpath(host_path(request, path).c_str(), resolved)) return std::nullopt;
  std::string out(resolved);
  const std::string& root = request.target_root;
  if (root.empty() || root == "/") return out;
  if (!beneath(out, root)) return std::nullopt;  // leads out of the jail: not the target's
  return out.size() == root.size() ? "/" : out.substr(root.size());
}

// A file the target could read by its modes although not everyone may.
bool secret_for(const struct stat& st, const PathGrantRequest& request) {
  if (!S_ISREG(st.st_mode)) return false;
  if (st.st_mode & S_IROTH) return false;
  if (request.target_uid == 0) return true;           // root's own files are the host's secrets
  if (st.st_uid == request.target_uid) return false;  // the target's own
  return (st.st_mode & S_IRGRP) &&
         std::ranges::find(request.target_groups, st.st_gid) != request.target_groups.end();
}

// Whether the target's modes let it do this at all: a call the kernel refused for the modes
// was seen all the same (learn sees calls, not their results), and must not become a grant.
bool modes_allow(const struct stat& st, const PathGrantRequest& request, bool write) {
  if (request.target_uid == 0) return true;
  const mode_t owner = write ? S_IWUSR : S_IRUSR;
  const mode_t group = write ? S_IWGRP : S_IRGRP;
  const mode_t other = write ? S_IWOTH : S_IROTH;
  if (st.st_uid == request.target_uid) return st.st_mode & owner;
  if (std::ranges::find(request.target_groups, st.st_gid) != request.target_groups.end()) {
    return st.st_mode & group;
  }
  return st.st_mode & other;
}

// Walks `fd` (a directory) looking for a secret; false with `why` when one is found or the
// walk is too large to look at.
bool walk_clean(int fd, const std::string& shown, int depth, size_t& entries,
                const PathGrantRequest& request, std::string& why) {
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    why = shown + " cannot be listed";
    return false;
  }
  bool clean = true;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (++entries > kMaxWalkEntries) {
      why = "more than " + std::to_string(kMaxWalkEntries) + " entries to look at";
      clean = false;
      break;
    }
    struct stat st {};
    if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    const std::string path = shown + "/" + std::string(name);
    if (secret_for(st, request)) {
      why = path + " is readable by the target but not by everyone";
      clean = false;
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      if (depth >= kMaxWalkDepth) {
        why = "deeper than " + std::to_string(kMaxWalkDepth) + " levels";
        clean = false;
        break;
      }
      const int child =
          ::openat(::dirfd(dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0) continue;
      if (!walk_clean(child, path, depth + 1, entries, request, why)) {
        clean = false;
        break;
      }
    }
  }
  ::closedir(dir);
  return clean;
}

}  // namespace

bool directory_grants_no_secret(const std::string& dir, const PathGrantRequest& request,
                                std::string& why) {
  for (const SensitivePath& sensitive : sensitive_paths()) {
    if (beneath(sensitive.path, dir) || beneath(dir, sensitive.path)) {
      why = std::string(sensitive.path) + " (" + std::string(sensitive.why) + ")";
      return false;
    }
  }
  if (depth_of(dir) < 2 && std::ranges::find(kScratchDirs, dir) == std::end(kScratchDirs)) {
    why = "it is a top-level directory";
    return false;
  }
  const int fd = ::open(host_path(request, dir).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    why = dir + " cannot be opened";
    return false;
  }
  size_t entries = 0;
  return walk_clean(fd, dir, 0, entries, request, why);
}

PathGrants grant_paths(const std::map<std::string, uint32_t>& paths,
                       const PathGrantRequest& request) {
  using namespace learn_access;
  PathGrants grants;
  std::map<std::string, std::set<std::string>> read_files_by_dir;
  std::set<std::string> read_dirs, write_dirs, refer_dirs;
  const auto created_in = [&](const std::string& dir) {
    auto it = paths.find(dir);
    return it != paths.end() && (it->second & (kCreateIn | kRemoveIn));
  };
  std::vector<std::string> missing;  // tried, but not there (a search path, a fallback)
  std::vector<std::string> outside;  // not in the base's constructed root
  for (const auto& [path, access] : paths) {
    if (!in_view(request, path)) {
      outside.push_back(path);
      continue;
    }
    if (beneath(path, "/proc") || beneath(path, "/sys")) {
      // Per-process paths (/proc/self, /proc/PID) name other files at every start: the tree
      // is read as a whole (what it shows is the target's own, or guarded by the kernel).
      if (access & kRead) grants.read.insert(top_of(path));
      if (access & (kWrite | kCreateIn | kRemoveIn)) {
        grants.notes.push_back("not granted: writing " + path +
                               " (a kernel interface; grant it by hand in [landlock] write if "
                               "the service needs it)");
      }
      continue;
    }
    if (beneath(path, "/dev/fd") || path.starts_with("/dev/std")) continue;  // inherited fds
    const std::optional<std::string> resolved = canonical(request, path);
    struct stat st {};
    if (!resolved || ::stat(host_path(request, *resolved).c_str(), &st) != 0) {
      if (!created_in(parent_of(path)) && !(access & (kCreateIn | kRemoveIn))) {
        missing.push_back(path);
      }
      continue;
    }
    const std::string& real = *resolved;
    const bool dir = S_ISDIR(st.st_mode);
    const bool wants_write = access & (kWrite | kCreateIn | kRemoveIn);
    if ((wants_write && !modes_allow(st, request, true)) ||
        ((access & (kRead | kExecute)) && !wants_write && !modes_allow(st, request, false))) {
      grants.notes.push_back("not granted: " + std::string(wants_write ? "writing " : "reading ") +
                             real + " (its modes refuse the target: the call failed)");
      continue;
    }
    if (access & kExecute) grants.execute.insert(real);
    if ((access & kWrite) && !dir) grants.write.insert(real);
    if (((access & kWrite) && dir) || (access & (kCreateIn | kRemoveIn | kReferIn))) {
      if (dir) write_dirs.insert(real);
    }
    if ((access & kReferIn) && dir) refer_dirs.insert(real);
    if (access & kRead) {
      const bool is_public = std::ranges::any_of(
          kPublicTrees, [&](std::string_view tree) { return beneath(real, tree); });
      if (is_public) {
        grants.read.insert(top_of(real));
      } else if (dir) {
        read_dirs.insert(real);
      } else {
        read_files_by_dir[parent_of(real)].insert(real);
      }
    }
  }
  if (!outside.empty()) {
    std::string list;
    for (size_t i = 0; i < outside.size() && i < 12; ++i)
      list += (i ? ", " : "") + outside[i];
    if (outside.size() > 12) list += " and " + std::to_string(outside.size() - 12) + " more";
    grants.notes.push_back(
        "not granted, since the base policy's view does not show them (the target's attempt "
        "failed; a Landlock rule on them would stop the launch): " +
        list + ". Add a bind to [filesystem] if the service needs one");
  }
  if (!missing.empty()) {
    constexpr size_t kNamed = 12;
    std::string list;
    for (size_t i = 0; i < missing.size() && i < kNamed; ++i)
      list += (i ? ", " : "") + missing[i];
    if (missing.size() > kNamed)
      list += " and " + std::to_string(missing.size() - kNamed) + " more";
    grants.notes.push_back(
        "not granted, since they did not exist when the draft was written "
        "(tried and not found, or made and removed by others): " +
        list);
  }
  std::string why;
  for (const auto& [dir, files] : read_files_by_dir) {
    if (files.size() >= kCollapseAt) {
      if (directory_grants_no_secret(dir, request, why)) {
        grants.read.insert(dir);
        continue;
      }
      grants.notes.push_back("the files read in " + dir + " are listed one by one: the " +
                             "directory would grant more (" + why + ")");
    }
    grants.read.insert(files.begin(), files.end());
  }
  for (const std::string& dir : read_dirs) {
    if (dir == "/" || !directory_grants_no_secret(dir, request, why)) {
      grants.notes.push_back("not granted: listing " + dir + " (" +
                             (dir == "/" ? std::string("it is the whole file system") : why) + ")");
      continue;
    }
    grants.read.insert(dir);
  }
  for (const std::string& dir : write_dirs) {
    if (!directory_grants_no_secret(dir, request, why)) {
      grants.notes.push_back("not granted: creating or removing files in " + dir + " (" + why +
                             "); give the service a directory of its own");
      continue;
    }
    grants.write.insert(dir);
    if (refer_dirs.contains(dir)) grants.refer.insert(dir);
  }
  // What a wider entry already grants goes: read beneath read or write, write beneath write.
  const auto covered = [](const std::set<std::string>& by, const std::string& path, bool self) {
    return std::ranges::any_of(by, [&](const std::string& wider) {
      return (self ? wider != path : true) && beneath(path, wider);
    });
  };
  std::erase_if(grants.write, [&](const std::string& p) { return covered(grants.write, p, true); });
  std::erase_if(grants.refer, [&](const std::string& p) { return covered(grants.refer, p, true); });
  std::erase_if(grants.read, [&](const std::string& p) {
    return covered(grants.read, p, true) || covered(grants.write, p, false);
  });
  return grants;
}

}  // namespace harden
