#include "enforcer/syscall_names.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace harden::enforce {

namespace {

// Names stored inline rather than as pointers: a table of pointers needs one relocation per
// entry at every start of the static wrapper stub, and the page faults that come with them.
// (The longest x86-64 name, set_mempolicy_home_node, has 23 characters; a longer one would not
// compile.)
struct SyscallName {
  uint32_t nr;
  char name[24];
};

constexpr auto kSorted = [] {
  std::array kTable = std::to_array<SyscallName>({
#include "syscall_names.inc"
  });
  std::ranges::sort(kTable, {}, &SyscallName::nr);
  return kTable;
}();

}  // namespace

std::string_view syscall_name(uint32_t nr) {
  const auto it = std::ranges::lower_bound(kSorted, nr, {}, &SyscallName::nr);
  return it != kSorted.end() && it->nr == nr ? std::string_view(it->name) : std::string_view{};
}

}  // namespace harden::enforce
