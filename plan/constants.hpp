// Symbolic names a policy may use where a number is expected: argument values of seccomp rules
// ("AF_INET", "O_RDONLY|O_CLOEXEC") and errno names of actions ("errno:EPERM"). The values
// come from the system headers harden is built against, so they match the kernel ABI of the
// machine the plan is compiled for.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace harden {

struct NamedConstant {
  std::string_view name;
  uint64_t value;  // negative C values (AT_FDCWD) are stored sign-extended to 64 bits
};

// Every symbolic argument constant, sorted by name.
std::span<const NamedConstant> argument_constants();

std::optional<uint64_t> argument_constant(std::string_view name);

// Names for "did you mean" hints.
std::vector<std::string_view> argument_constant_names();

// "A|B|0x40": each '|'-separated part is a constant name or a number (decimal, 0x hex, 0
// octal); the result is their bitwise or. The error is the part that is neither, as written.
[[nodiscard]] std::expected<uint64_t, std::string> evaluate_constant_expression(
    std::string_view expression);

// "EPERM" -> 1. Every errno name of <errno.h>, aliases (EWOULDBLOCK, ENOTSUP, EDEADLOCK)
// included.
std::optional<int> errno_from_name(std::string_view name);

// The preferred name of an errno value ("EAGAIN", not "EWOULDBLOCK"), or empty.
std::string_view errno_name(int value);

// Every errno name, for "did you mean" hints.
std::vector<std::string_view> errno_names();

// An audit watch's AUDIT_PERM_* bits as auditctl spells them, in its order ("rwxa").
std::string audit_permission_letters(uint32_t permissions);

}  // namespace harden
