// Syscall names and named syscall groups ("@system-service", "@network-io", ...) as a sorted,
// documented table. The names and contents follow systemd's SystemCallFilter= sets
// (src/shared/seccomp-util.c, systemd 252) so a policy reads the same as a unit file; members are
// syscall names or other groups. The table holds only names libseccomp resolves on x86_64; see
// syscall_groups.cpp.
#pragma once

#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace harden {

// One argument comparison of a group's conditional member, written as in a [[seccomp.rule]]:
// a 32-bit comparison of argument `index` (the kernel truncates int arguments, so the upper
// half never counts); value and mask are constant expressions ("CLONE_NEWNS|CLONE_NEWPID").
struct SyscallArgCheck {
  unsigned index = 0;
  std::string_view op;  // eq ne lt le gt ge masked-eq
  std::string_view value;
  std::string_view mask = {};  // masked-eq only
};

// A member a group grants only for some arguments. `allow_only`: the call is allowed when one
// of the group's allow_only checks for it holds (several entries for one call are OR-ed).
// `refuse`: the call is allowed except when the check holds; then it gets the policy's default
// action, like any call the policy does not allow.
struct SyscallCondition {
  enum class Kind { allow_only, refuse };
  std::string_view syscall;
  Kind kind;
  SyscallArgCheck check;
  std::string_view why;  // one line, for the man page and messages
};

struct SyscallGroup {
  std::string_view name;  // with the leading '@'
  std::string_view help;  // one line, shown by `harden explain` and in the man page
  std::span<const std::string_view> members;  // syscall names and "@group" names, sorted
  // Members granted only for some arguments, sorted by syscall; never also in `members`.
  std::span<const SyscallCondition> conditions = {};
};

// The group every filter allows, whatever the policy says: see compile_seccomp().
inline constexpr std::string_view kDefaultSyscallGroup = "@default";

// The whole table, sorted by name.
std::span<const SyscallGroup> syscall_groups();

// The group called `name` ("@aio"), or nullptr.
const SyscallGroup* find_syscall_group(std::string_view name);

// Every group name, for "did you mean" hints.
std::vector<std::string_view> syscall_group_names();

// The syscalls a group grants, nested groups included, sorted and unique. The error names
// the problem (an unknown nested group, a cycle such as "@a -> @b -> @a").
[[nodiscard]] std::expected<std::vector<std::string_view>, std::string> expand_syscall_group(
    std::string_view name);

// The same over another table; lets a test prove that cycles are caught.
[[nodiscard]] std::expected<std::vector<std::string_view>, std::string> expand_syscall_group(
    std::string_view name, std::span<const SyscallGroup> table);

// The conditional members of a group, nested groups included, in table order. A call that the
// group (or a nested group) also grants unconditionally is left out: the wider grant wins.
[[nodiscard]] std::expected<std::vector<SyscallCondition>, std::string> syscall_group_conditions(
    std::string_view name);
[[nodiscard]] std::expected<std::vector<SyscallCondition>, std::string> syscall_group_conditions(
    std::string_view name, std::span<const SyscallGroup> table);

// The name of syscall `nr` on the native architecture ("openat"), or empty when libseccomp
// knows none. For denial reports and `harden explain`.
std::string syscall_name(int nr);

// Every syscall name libseccomp knows on the native architecture (numbers 0..1023), sorted;
// for "did you mean" hints.
std::span<const std::string> native_syscall_names();

// The calls that give a file or directory its mode, as systemd's RestrictSUIDSGID= filters
// them: the index of the mode argument, and of the flags (-1: none; open and openat use their
// mode only with O_CREAT or O_TMPFILE). openat2 keeps its mode in memory and is not listed.
// The compiler's restrict_suid_sgid rules and the systemd exporter read this one table.
struct ModeSettingCall {
  std::string_view name;
  int mode;
  int flags;
};
std::span<const ModeSettingCall> mode_setting_calls();

}  // namespace harden
