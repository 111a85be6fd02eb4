#include "enforcer/syscall_names.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace harden::enforce {

namespace {

constexpr auto kSorted = [] {
  std::array kTable = std::to_array<std::pair<uint32_t, std::string_view>>({
#include "syscall_names.inc"
  });
  std::ranges::sort(kTable);
  return kTable;
}();

}  // namespace

std::string_view syscall_name(uint32_t nr) {
  const auto it =
      std::ranges::lower_bound(kSorted, nr, {}, &std::pair<uint32_t, std::string_view>::first);
  return it != kSorted.end() && it->first == nr ? it->second : std::string_view{};
}

}  // namespace harden::enforce
