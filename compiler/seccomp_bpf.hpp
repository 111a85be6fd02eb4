// Shared by the seccomp compiler's files: seccomp.cpp (policy -> rules, libseccomp's program),
// seccomp_args.cpp (argument comparisons) and seccomp_bpf.cpp (harden's own instructions in
// front of libseccomp's: the architecture and number checks, and every refusing rule).
// Internal to compiler/.
#pragma once

#include <seccomp.h>

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"

namespace harden::seccomp_bpf {

inline constexpr uint32_t kX32SyscallBit = 0x40000000;       // __X32_SYSCALL_BIT
inline constexpr uint32_t kEnosys = SECCOMP_RET_ERRNO | 38;  // ENOSYS

struct FilterArch {
  uint32_t token;       // SCMP_ARCH_*
  uint32_t audit_arch;  // what the kernel puts in seccomp_data.arch
  uint32_t max_nr;      // highest syscall number libseccomp knows for it
};

using Conjunction = std::vector<scmp_arg_cmp>;  // one libseccomp rule: all must hold

// One argument comparison as a disjunction of single comparisons.
struct ArgCondition {
  unsigned index = 0;
  bool width64 = false;
  bool always = false;  // e.g. "ge 0": no comparison needed
  std::vector<scmp_arg_cmp> any_of;
};

// One argument condition of a rule; errors (position, hint) go to diags. (seccomp_args.cpp)
[[nodiscard]] std::optional<ArgCondition> compile_arg(const SeccompArg& arg, Diagnostics& diags);

// AND of a conjunction with one more comparison; two comparisons of one argument fold into one
// masked comparison; nullopt when they contradict each other. (seccomp_args.cpp)
[[nodiscard]] std::optional<Conjunction> and_with(Conjunction conjunction, const scmp_arg_cmp& cmp);

// One [[seccomp.rule]], compiled. Its alternatives are OR-ed (one libseccomp rule each for an
// allow rule; one block of checks each for a refusing rule).
struct CompiledRule {
  const SeccompRule* source = nullptr;
  int nr = 0;
  uint32_t action = 0;
  std::vector<Conjunction> alternatives;  // OR of these; an empty one matches every call
};

// The order refusing rules of one call are checked in: kill-process, kill-thread, trap, errno,
// anything else (the strictest answer wins where two rules match). (seccomp_bpf.cpp)
int refusal_rank(uint32_t action);

// harden's instructions in front of libseccomp's program: the architecture check, the number
// range checks (ENOSYS above the known table, kill for x32 unless listed) and the refusing
// rules, checked before anything that allows; then a jump to the program that follows.
[[nodiscard]] std::expected<std::vector<sock_filter>, std::string> build_prologue(
    std::span<const FilterArch> archs, std::span<const CompiledRule> refusing);

}  // namespace harden::seccomp_bpf
