// Native syscall names by number, for denial reports (generated from <sys/syscall.h>).
#pragma once

#include <cstdint>
#include <string_view>

namespace harden::enforce {

// "openat" for 257 on x86_64; empty for a number the headers do not name.
[[nodiscard]] std::string_view syscall_name(uint32_t nr);

}  // namespace harden::enforce
