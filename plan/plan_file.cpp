#include "plan/plan_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "plan/plan_io.hpp"
#include "plan/unique_fd.hpp"

namespace harden {

namespace {

constexpr char kSealMagic[8] = {'H', 'R', 'D', 'N', 'S', 'E', 'A', 'L'};
// A plan is kilobytes; anything near this is not one of ours and is refused before allocating.
constexpr uint64_t kMaxPlanSize = uint64_t{16} << 20;

bool pread_all(int fd, void* buffer, size_t size, off_t offset) {
  auto* at = static_cast<char*>(buffer);
  while (size > 0) {
    const ssize_t n = ::pread(fd, at, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;  // the file shrank under us
      return false;
    }
    at += n, size -= static_cast<size_t>(n), offset += n;
  }
  return true;
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

struct Footer {
  uint64_t offset = 0;
  uint64_t size = 0;
};

std::expected<Footer, std::string> read_footer(int fd, const struct stat& st) {
  if (static_cast<uint64_t>(st.st_size) < kSealFooterSize) {
    return std::unexpected("no plan is sealed into this file (it has no harden footer)");
  }
  unsigned char footer[kSealFooterSize];
  if (!pread_all(fd, footer, sizeof footer, st.st_size - static_cast<off_t>(kSealFooterSize))) {
    return std::unexpected(errno_text("reading the footer"));
  }
  if (std::memcmp(footer + 16, kSealMagic, sizeof kSealMagic) != 0) {
    return std::unexpected("no plan is sealed into this file (it has no harden footer)");
  }
  Footer f;
  std::memcpy(&f.offset, footer, 8);
  std::memcpy(&f.size, footer + 8, 8);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (f.size > kMaxPlanSize || f.offset > file_size || f.size > file_size - f.offset ||
      f.offset + f.size + kSealFooterSize != file_size) {
    return std::unexpected(
        "the sealed plan's footer does not fit the file: it was truncated or "
        "modified");
  }
  return f;
}

std::expected<std::string, std::string> read_range(int fd, uint64_t offset, uint64_t size) {
  std::string bytes;
  bytes.resize(size);
  if (!pread_all(fd, bytes.data(), size, static_cast<off_t>(offset))) {
    return std::unexpected(errno_text("reading the plan"));
  }
  return bytes;
}

std::string mode_text(mode_t mode) {
  return std::to_string((mode >> 6) & 7) + std::to_string((mode >> 3) & 7) +
         std::to_string(mode & 7);
}

// Why a directory on the way to a plan cannot be trusted, or empty. Its owner could replace
// what it holds, and so could its group or others if they may write it, except in a sticky
// directory (such as /tmp), where only an entry's owner may rename or remove it: every entry on
// the path is required to be root's or the caller's anyway.
std::string directory_distrust(const std::string& path, const struct stat& st) {
  if (!S_ISDIR(st.st_mode)) return path + " is not a directory";
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return "the directory " + path + " is owned by uid " + std::to_string(st.st_uid) +
           ", neither root nor the caller, so its owner could replace the plan";
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
    return "the directory " + path + " is writable by its group or by others (mode " +
           mode_text(st.st_mode) + ", not sticky), so someone else could replace the plan";
  }
  return {};
}

// Opens `path` (every symbolic link resolved first, then each directory from / down opened
// with O_NOFOLLOW, so what is checked is what is read) when the file and every directory above
// it may be trusted.
std::expected<UniqueFd, std::string> open_trusted(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (!resolved) return std::unexpected(errno_text(("cannot open " + path).c_str()));
  const std::string real(resolved);
  std::free(resolved);
  std::vector<std::string> parts;
  for (size_t at = 1; at <= real.size();) {
    size_t slash = real.find('/', at);
    if (slash == std::string::npos) slash = real.size();
    if (slash > at) parts.push_back(real.substr(at, slash - at));
    at = slash + 1;
  }
  if (parts.empty()) return std::unexpected(path + " is not a file");
  UniqueFd dir(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  std::string where = "/";
  for (size_t i = 0;; ++i) {
    struct stat st {};
    if (!dir || ::fstat(dir.get(), &st) != 0) return std::unexpected(errno_text(where.c_str()));
    if (std::string why = directory_distrust(where, st); !why.empty()) {
      return std::unexpected("refusing " + path + ": " + why);
    }
    const bool last = i + 1 == parts.size();
    const int flags = last ? O_RDONLY | O_NONBLOCK | O_NOCTTY : O_PATH | O_DIRECTORY;
    UniqueFd next(::openat(dir.get(), parts[i].c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
    where += (where.size() > 1 ? "/" : "") + parts[i];
    if (!next) return std::unexpected(errno_text(("cannot open " + where).c_str()));
    if (last) {
      if (::fstat(next.get(), &st) != 0) return std::unexpected(errno_text("fstat"));
      if (std::string why = plan_file_distrust(st); !why.empty()) {
        return std::unexpected("refusing " + path + ": " + why);
      }
      return next;
    }
    dir = std::move(next);
  }
}

}  // namespace

std::string seal_footer(uint64_t plan_offset, uint64_t plan_size) {
  std::string footer(kSealFooterSize, '\0');
  std::memcpy(footer.data(), &plan_offset, 8);
  std::memcpy(footer.data() + 8, &plan_size, 8);
  std::memcpy(footer.data() + 16, kSealMagic, sizeof kSealMagic);
  return footer;
}

bool has_seal_footer(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return read_footer(fd, st).has_value();
}

std::expected<std::string, std::string> read_sealed_plan(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::unexpected(errno_text("fstat"));
  if (std::string why = plan_file_distrust(st); !why.empty()) {
    return std::unexpected("refusing the wrapper: " + why);
  }
  auto footer = read_footer(fd, st);
  if (!footer) return std::unexpected(footer.error());
  return read_range(fd, footer->offset, footer->size);
}

std::expected<std::string, std::string> read_own_sealed_plan() {
  const UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!self) {
    return std::unexpected(std::string("cannot open /proc/self/exe to read the sealed plan: ") +
                           std::strerror(errno) + " (is /proc mounted?)");
  }
  // The directories above the wrapper are checked through its path; the file found there must
  // be the very one the kernel executed.
  char link[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", link, sizeof link - 1);
  if (n < 0) return std::unexpected(errno_text("readlink /proc/self/exe"));
  link[n] = '\0';
  auto named = open_trusted(link);
  if (!named) return std::unexpected(named.error());
  struct stat mine {
  }, found{};
  if (::fstat(self.get(), &mine) != 0 || ::fstat(named->get(), &found) != 0) {
    return std::unexpected(errno_text("fstat"));
  }
  if (mine.st_dev != found.st_dev || mine.st_ino != found.st_ino) {
    return std::unexpected(std::string("the wrapper at ") + link +
                           " was replaced after it started; run it again");
  }
  return read_sealed_plan(self.get());
}

std::expected<std::string, std::string> read_plan_file(const std::string& path) {
  auto fd = open_trusted(path);
  if (!fd) return std::unexpected(fd.error());
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return std::unexpected(errno_text("fstat"));
  if (static_cast<uint64_t>(st.st_size) > kMaxPlanSize) {
    return std::unexpected(path + " is too large to be a plan (" + std::to_string(st.st_size) +
                           " bytes; a plan is at most " + std::to_string(kMaxPlanSize >> 20) +
                           " MiB)");
  }
  return read_range(fd->get(), 0, static_cast<uint64_t>(st.st_size));
}

}  // namespace harden
