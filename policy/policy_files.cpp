#include "policy/policy_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

#include "plan/unique_fd.hpp"

namespace harden {

namespace {

namespace fs = std::filesystem;

std::unexpected<ReadError> fail(int error, std::string why) {
  return std::unexpected(ReadError{error, std::move(why)});
}

// The whole of an open file, when it is a regular file of at most kMaxPolicyFileSize bytes.
std::expected<std::string, ReadError> read_regular(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(errno, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail(EINVAL, "it is not a regular file");
  const auto too_large = [] {
    return fail(EFBIG, "it is larger than " + std::to_string(kMaxPolicyFileSize >> 20) +
                           " MiB, too large to be a policy");
  };
  if (static_cast<uint64_t>(st.st_size) > kMaxPolicyFileSize) return too_large();
  std::string text;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno, std::strerror(errno));
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxPolicyFileSize) return too_large();  // it grew while we read
  }
  return text;
}

// `relative` with "." and empty components dropped and ".." applied; nullopt when it climbs
// above its start.
std::optional<std::string> normalize_relative(std::string_view relative) {
  std::vector<std::string_view> parts;
  while (!relative.empty()) {
    const size_t slash = relative.find('/');
    const std::string_view part = relative.substr(0, slash);
    relative = slash == std::string_view::npos ? std::string_view{} : relative.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

std::string join(const std::string& root, const std::string& relative) {
  if (root.empty() || root == ".") return relative;
  if (relative.empty()) return root;
  return root.back() == '/' ? root + relative : root + "/" + relative;
}

std::string absolute_directory(const std::string& directory) {
  std::error_code ec;
  fs::path absolute = fs::absolute(directory.empty() ? "." : directory, ec);
  if (ec) absolute = directory.empty() ? "." : directory;
  std::string text = absolute.lexically_normal().string();
  while (text.size() > 1 && text.back() == '/')
    text.pop_back();
  return text;
}

std::string joined_search_path(const std::vector<std::string>& roots) {
  std::string out;
  for (size_t i = 1; i < roots.size(); ++i)
    out += (out.empty() ? "" : ":") + roots[i];
  return out.empty() ? "(empty)" : out;
}

}  // namespace

std::vector<std::string> policy_search_path_from_environment() {
  const char* value = std::getenv("HARDEN_POLICY_PATH");
  const std::string_view text = value ? value : kDefaultPolicySearchPath;
  std::vector<std::string> roots;
  size_t start = 0;
  while (start <= text.size()) {
    size_t colon = text.find(':', start);
    if (colon == std::string_view::npos) colon = text.size();
    if (colon > start) roots.emplace_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  return roots;
}

std::expected<std::string, ReadError> RealPolicyFileSystem::read_main(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; read_regular then refuses it.
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd) return fail(errno, std::strerror(errno));
  return read_regular(fd.get());
}

std::expected<std::string, ReadError> RealPolicyFileSystem::read_beneath(
    const std::string& root, const std::string& relative) {
  const UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return fail(errno, "cannot open the directory " + root + ": " + std::strerror(errno));
  open_how how{};
  how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const UniqueFd fd(
      static_cast<int>(::syscall(SYS_openat2, dir.get(), relative.c_str(), &how, sizeof how)));
  if (!fd) {
    const int error = errno;
    if (error == EXDEV) return fail(error, "a symbolic link in it leads outside " + root);
    if (error == ENOSYS) return fail(error, "this kernel has no openat2(2) (Linux 5.6)");
    return fail(error, std::strerror(error));
  }
  return read_regular(fd.get());
}

std::expected<std::string, ReadError> BeneathPolicyFileSystem::read_main(const std::string& path) {
  const std::string relative = fs::path(path).lexically_relative(root_).lexically_normal().string();
  if (relative.empty() || relative == "." || relative.starts_with("..") || relative.front() == '/')
    return fail(EXDEV, "it is not beneath " + root_);
  return files_.read_beneath(root_, relative);
}

std::expected<std::string, ReadError> FakePolicyFileSystem::read_main(const std::string& path) {
  const auto it = files.find(path);
  if (it == files.end()) return fail(ENOENT, std::strerror(ENOENT));
  if (it->second.size() > kMaxPolicyFileSize) return fail(EFBIG, "it is too large");
  return it->second;
}

std::expected<std::string, ReadError> FakePolicyFileSystem::read_beneath(
    const std::string& root, const std::string& relative) {
  if (relative.empty() || relative.front() == '/' || !normalize_relative(relative))
    return fail(EXDEV, "outside the root");
  return read_main(join(root, relative));
}

PolicyResolver::PolicyResolver(PolicyFileSystem& files, std::vector<std::string> search_path)
    : files_(files) {
  roots_.emplace_back(".");
  for (auto& directory : search_path) {
    if (!directory.empty()) roots_.push_back(absolute_directory(directory));
  }
}

void PolicyResolver::set_tree_root(const std::string& file) {
  tree_display_ = fs::path(file).parent_path().string();
  roots_[0] = absolute_directory(tree_display_);
}

std::expected<PolicySource, std::string> PolicyResolver::open_main(const std::string& path) {
  auto text = files_.read_main(path);
  if (!text) return std::unexpected(text.error().why);
  return adopt_text(std::move(*text), path);
}

PolicySource PolicyResolver::adopt_text(std::string text, const std::string& name) {
  set_tree_root(name);
  PolicySource source;
  source.name = name;
  source.key = join(roots_[0], fs::path(name).filename().string());
  source.text = std::move(text);
  source.root = 0;
  return source;
}

std::expected<PolicySource, ReadError> PolicyResolver::try_root(size_t root,
                                                                const std::string& relative) {
  auto text = files_.read_beneath(roots_[root], relative);
  if (!text) return std::unexpected(text.error());
  PolicySource source;
  source.key = join(roots_[root], relative);
  source.name = root == 0 ? join(tree_display_, relative) : source.key;
  source.text = std::move(*text);
  source.root = root;
  source.relative_dir = fs::path(relative).parent_path().string();
  return source;
}

std::expected<PolicySource, std::string> PolicyResolver::open_base(const std::string& entry,
                                                                   const PolicySource& from) {
  if (entry.empty()) return std::unexpected(std::string("an empty file name"));
  if (entry.find('\0') != std::string::npos)
    return std::unexpected(std::string("a file name with a NUL byte"));
  // Candidates, in order: the including file's own root, then the search path.
  std::vector<std::pair<size_t, std::string>> candidates;
  if (entry.front() == '/') {
    const std::string absolute = fs::path(entry).lexically_normal().string();
    for (size_t root = 0; root < roots_.size(); ++root) {
      const std::string& dir = roots_[root];
      const std::string prefix = dir == "/" ? dir : dir + "/";
      if (absolute.starts_with(prefix)) {
        auto relative = normalize_relative(absolute.substr(prefix.size()));
        if (relative && !relative->empty()) candidates.emplace_back(root, *relative);
      }
    }
    if (candidates.empty()) {
      return std::unexpected("'" + entry + "' is outside the policy's directory " + roots_[0] +
                             " and the search path " + joined_search_path(roots_));
    }
  } else {
    auto own = normalize_relative(join(from.relative_dir, entry));
    if (!own || own->empty()) {
      return std::unexpected("'" + entry + "' leads outside the directory " + roots_[from.root] +
                             " it must stay in");
    }
    candidates.emplace_back(from.root, *own);
    if (auto plain = normalize_relative(entry); plain && !plain->empty()) {
      for (size_t root = from.root + 1; root < roots_.size(); ++root) {
        if (root != 0) candidates.emplace_back(root, *plain);
      }
    }
  }
  std::string tried;
  for (const auto& [root, relative] : candidates) {
    auto source = try_root(root, relative);
    if (source) return std::move(*source);
    if (source.error().error != ENOENT) {
      return std::unexpected("cannot read '" + join(roots_[root], relative) +
                             "': " + source.error().why);
    }
    tried += (tried.empty() ? "" : ", ") + join(roots_[root], relative);
  }
  return std::unexpected("no such base: tried " + tried);
}

}  // namespace harden
