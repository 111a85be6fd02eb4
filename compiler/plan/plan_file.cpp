#include "compiler/plan/plan_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "compiler/plan/plan_io.hpp"
#include "compiler/plan/unique_fd.hpp"

namespace harden {

namespace {

constexpr char kSealMagic[8] = {'H', 'R', 'D', 'N', 'S', 'E', 'A', 'L'};
// A plan is kilobytes; anything near this is not one of ours and is refused before allocating.
constexpr uint64_t kMaxPlanSize = uint64_t{64} << 20;

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

std::expected<std::string, std::string> read_plan_file(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return std::unexpected(errno_text(("cannot open " + path).c_str()));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return std::unexpected(errno_text("fstat"));
  if (std::string why = plan_file_distrust(st); !why.empty()) {
    return std::unexpected("refusing " + path + ": " + why);
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxPlanSize) {
    return std::unexpected(path + " is too large to be a plan");
  }
  return read_range(fd.get(), 0, static_cast<uint64_t>(st.st_size));
}

}  // namespace harden
