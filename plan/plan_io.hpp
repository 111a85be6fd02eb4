// The sealed plan: a Plan as bytes, for `harden compile` (a plan file, or the payload of a
// compiled wrapper) and for `harden run --plan` / the wrapper stub, which read it back without
// any TOML parsing or BPF generation.
//
// Layout (little-endian):
//   0   8  magic "HRDNPLAN"
//   8   4  schema version (kPlanSchemaVersion: bumped by hand for incompatible changes)
//   12  4  AUDIT_ARCH_* the plan was compiled for
//   16  8  layout fingerprint: a hash of every plan struct's member names and types, so a plan
//          written by a build whose PlanData differs is refused even if nobody bumped the
//          schema version
//   24  16 harden version that wrote it, NUL-padded
//   40  8  payload length
//   48  …  payload: the members of PlanData in visit_fields() order (plan_fields.hpp)
//   …   32 SHA-256 of everything before it
//
// The checksum catches corruption and truncation, not an attacker: anyone who can rewrite the
// file can recompute it. A plan's integrity comes from its file's owner and mode (written by
// root, not writable by anyone else; plan_file_distrust() refuses other owners and group- or
// world-writable files, and plan_file.hpp checks the directories above), exactly like the
// binaries it wraps. The decoder trusts no count: each is bounded by the bytes its elements
// need and all of a decode's memory by a fixed ceiling, and the seccomp program is checked
// as the kernel would before the plan is returned.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "plan/plan.hpp"

namespace harden {

inline constexpr uint32_t kPlanSchemaVersion = 1;
inline constexpr size_t kPlanHeaderSize = 48;
inline constexpr size_t kPlanChecksumSize = 32;

// The version of harden this library belongs to (the project version from CMake).
[[nodiscard]] std::string_view harden_version();

// The hash of the plan structs' member lists (plan_fields.hpp), computed at compile time.
[[nodiscard]] uint64_t plan_layout_fingerprint();

// The AUDIT_ARCH_* of the machine harden was built for.
[[nodiscard]] uint32_t native_audit_arch();

// The plan as bytes, ready to be written to a file or appended to the wrapper stub.
[[nodiscard]] std::string plan_to_bytes(const Plan& plan);
// The same for contents never validated: for tests and fuzzers that craft a plan the reader
// must refuse (the reader checks whatever bytes it gets, so this grants nothing).
[[nodiscard]] std::string plan_data_to_bytes(const PlanData& data);

// Reads a plan back. Refuses, with a message saying why, anything truncated, corrupted, with
// trailing bytes, for another architecture, schema, layout or harden version. Nothing is
// trusted before the checksum matches.
[[nodiscard]] std::expected<Plan, std::string> plan_from_bytes(
    std::span<const unsigned char> bytes);

// Empty when the plan's contents can be enforced as written; otherwise why not. A plan is
// checked when it is read back (plan_from_bytes) and again by the verify-plan step, since a
// plan can also be made in memory: an id of (uid_t)-1 or (gid_t)-1, which the kernel reads as
// "leave unchanged" (the target would keep the caller's ids, root for a service), is refused.
[[nodiscard]] std::string plan_contents_refusal(const PlanData& plan);

// The header fields, for messages and `harden compile` output.
struct PlanHeader {
  uint32_t schema_version = 0;
  uint32_t audit_arch = 0;
  uint64_t layout = 0;
  std::string harden_version;
  uint64_t payload_size = 0;
};
[[nodiscard]] std::expected<PlanHeader, std::string> read_plan_header(
    std::span<const unsigned char> bytes);

// The name of an AUDIT_ARCH_* value ("x86_64", "aarch64", "i386", or hex).
[[nodiscard]] std::string audit_arch_name(uint32_t arch);

// Empty when a file with this status may be trusted to hold a plan; otherwise why not: a
// regular file owned by root or the caller (geteuid) that neither its group nor others may
// write. Anyone else who may write it could have swapped it for a weaker plan.
[[nodiscard]] std::string plan_file_distrust(const struct stat& st);

}  // namespace harden
