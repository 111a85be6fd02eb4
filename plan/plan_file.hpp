// Plans on disk: a plan file (`harden compile --plan-only`, read by `harden run --plan`) or the
// payload of a compiled wrapper: the stub executable, then the plan, then a footer
//
//   [stub ELF][plan bytes (plan_io.hpp)][footer: u64 plan offset, u64 plan size, "HRDNSEAL"]
//
// so the stub finds its plan with two preads and the ELF loader never sees it.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

namespace harden {

inline constexpr size_t kSealFooterSize = 24;

// The footer to append after a plan that starts at `plan_offset` in the wrapper file.
[[nodiscard]] std::string seal_footer(uint64_t plan_offset, uint64_t plan_size);

// True when the file ends with a seal footer (a compiled wrapper, not a bare stub).
[[nodiscard]] bool has_seal_footer(int fd);

// The plan bytes of a compiled wrapper open on `fd` (the stub opens /proc/self/exe). Refuses
// a file others may write (plan_file_distrust) and a footer that does not fit the file.
[[nodiscard]] std::expected<std::string, std::string> read_sealed_plan(int fd);

// The plan sealed into the running wrapper (/proc/self/exe), after the checks of
// read_sealed_plan() and, through the path it was started from, of every directory above it
// (as read_plan_file()); the file at that path must be the one the kernel executed.
[[nodiscard]] std::expected<std::string, std::string> read_own_sealed_plan();

// A whole plan file of at most 16 MiB, when it may be trusted: plan_file_distrust() (a regular
// file owned by root or the caller, writable by no one else) and every directory from it up to
// / owned by root or the caller and writable by neither its group nor others unless sticky.
[[nodiscard]] std::expected<std::string, std::string> read_plan_file(const std::string& path);

}  // namespace harden
