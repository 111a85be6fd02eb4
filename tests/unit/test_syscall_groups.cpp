// The syscall group table: its invariants (sorted, documented, resolvable, acyclic, as
// systemd's test_filter_sets_ordered checks) and the contents a policy relies on.
#include <catch2/catch.hpp>

#include <seccomp.h>

#include <algorithm>
#include <set>
#include <string>

#include "compiler/syscall_groups.hpp"
#include "plan/constants.hpp"

using namespace harden;

namespace {

bool contains(const std::vector<std::string_view>& names, std::string_view name) {
  return std::ranges::binary_search(names, name);
}

std::vector<std::string_view> expanded(std::string_view group) {
  auto members = expand_syscall_group(group);
  REQUIRE(members.has_value());
  return *members;
}

}  // namespace

TEST_CASE("syscall groups: the table is sorted by name, names are unique and start with '@'",
          "[syscall_groups]") {
  const auto groups = syscall_groups();
  REQUIRE(groups.size() >= 28);
  for (size_t i = 0; i < groups.size(); ++i) {
    INFO(groups[i].name);
    CHECK(groups[i].name.starts_with('@'));
    if (i > 0) CHECK(groups[i - 1].name < groups[i].name);  // strictly: sorted and unique
  }
}

TEST_CASE("syscall groups: every group has help and sorted, unique, non-empty members",
          "[syscall_groups]") {
  for (const SyscallGroup& group : syscall_groups()) {
    INFO(group.name);
    CHECK_FALSE(group.help.empty());
    REQUIRE_FALSE(group.members.empty());
    for (size_t i = 1; i < group.members.size(); ++i) {
      CHECK(group.members[i - 1] < group.members[i]);
    }
  }
}

TEST_CASE("syscall groups: every member resolves on x86_64 or names an existing group",
          "[syscall_groups]") {
  for (const SyscallGroup& group : syscall_groups()) {
    for (std::string_view member : group.members) {
      INFO(group.name << " member " << member);
      if (member.starts_with('@')) {
        CHECK(find_syscall_group(member) != nullptr);
        CHECK(member != group.name);
      } else {
        const std::string name(member);
        CHECK(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str()) >= 0);
      }
    }
  }
}

TEST_CASE("syscall groups: every group expands without a cycle to sorted syscall names",
          "[syscall_groups]") {
  for (const SyscallGroup& group : syscall_groups()) {
    INFO(group.name);
    auto members = expand_syscall_group(group.name);
    REQUIRE(members.has_value());
    CHECK(std::ranges::is_sorted(*members));
    CHECK(std::ranges::adjacent_find(*members) == members->end());
    for (std::string_view name : *members)
      CHECK_FALSE(name.starts_with('@'));
    // Every direct syscall member is in the expansion.
    for (std::string_view member : group.members) {
      if (!member.starts_with('@')) CHECK(contains(*members, member));
    }
  }
}

TEST_CASE("syscall groups: nested groups are expanded", "[syscall_groups]") {
  const auto service = expanded("@system-service");
  for (std::string_view nested : {"@default", "@basic-io", "@file-system", "@network-io"}) {
    for (std::string_view name : expanded(nested)) {
      INFO(nested << " member " << name);
      CHECK(contains(service, name));
    }
  }
  const auto privileged = expanded("@privileged");
  for (std::string_view name : {"reboot", "init_module", "chown", "settimeofday", "swapon"}) {
    INFO(name);
    CHECK(contains(privileged, name));
  }
}

TEST_CASE("syscall groups: a cycle and an unknown nested group are reported, not followed",
          "[syscall_groups]") {
  static constexpr std::string_view kA[] = {"@b", "read"};
  static constexpr std::string_view kB[] = {"@a", "write"};
  static constexpr std::string_view kC[] = {"@missing"};
  static constexpr SyscallGroup kTable[] = {
      {"@a", "first", kA}, {"@b", "second", kB}, {"@c", "broken", kC}};

  auto cycle = expand_syscall_group("@a", kTable);
  REQUIRE_FALSE(cycle.has_value());
  CHECK(cycle.error() == "syscall group cycle: @a -> @b -> @a");

  auto missing = expand_syscall_group("@c", kTable);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error() == "unknown syscall group '@missing'");

  CHECK_FALSE(expand_syscall_group("@nope").has_value());
}

TEST_CASE("syscall groups: @system-service has the common calls and none of the dangerous ones",
          "[syscall_groups]") {
  const auto service = expanded("@system-service");
  for (std::string_view name :
       {"read", "write", "openat", "close", "mmap", "brk", "execve", "exit_group", "futex", "clone",
        "clone3", "socket", "accept4", "epoll_wait", "rt_sigaction", "getrandom"}) {
    INFO(name);
    CHECK(contains(service, name));
  }
  for (std::string_view name :
       {"reboot", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
        "mount", "umount2", "pivot_root", "swapon", "settimeofday", "ptrace", "bpf",
        "perf_event_open", "iopl", "ioperm", "acct", "open_by_handle_at"}) {
    INFO(name);
    CHECK_FALSE(contains(service, name));
  }
}

TEST_CASE("syscall groups: @default has what every program needs to start", "[syscall_groups]") {
  const auto always = expanded(kDefaultSyscallGroup);
  for (std::string_view name : {"execve", "exit", "exit_group", "rt_sigreturn", "brk", "mmap",
                                "arch_prctl", "set_tid_address", "rseq", "restart_syscall"}) {
    INFO(name);
    CHECK(contains(always, name));
  }
  CHECK_FALSE(contains(always, "clone3"));
  CHECK_FALSE(contains(always, "open"));
}

TEST_CASE("syscall groups: lookup by name", "[syscall_groups]") {
  for (const SyscallGroup& group : syscall_groups()) {
    CHECK(find_syscall_group(group.name) == &group);
  }
  CHECK(find_syscall_group("system-service") == nullptr);
  CHECK(find_syscall_group("@System-Service") == nullptr);
  CHECK(find_syscall_group("") == nullptr);
  const auto names = syscall_group_names();
  CHECK(names.size() == syscall_groups().size());
  CHECK(std::ranges::find(names, "@network-io") != names.end());
}

TEST_CASE("syscall names: numbers and names of the native architecture", "[syscall_groups]") {
  const auto names = native_syscall_names();
  REQUIRE(names.size() > 300);
  CHECK(std::ranges::is_sorted(names));
  CHECK(std::ranges::binary_search(names, std::string("openat")));
  for (const char* name : {"read", "openat", "clone3", "execve"}) {
    INFO(name);
    CHECK(syscall_name(seccomp_syscall_resolve_name(name)) == name);
  }
  CHECK(syscall_name(-1).empty());
  CHECK(syscall_name(100000).empty());
}

TEST_CASE("syscall groups: conditions are sorted, documented, resolvable and not also members",
          "[syscall_groups]") {
  for (const SyscallGroup& group : syscall_groups()) {
    INFO(group.name);
    for (size_t i = 0; i < group.conditions.size(); ++i) {
      const SyscallCondition& condition = group.conditions[i];
      INFO(condition.syscall << " " << condition.check.op << " " << condition.check.value);
      if (i > 0) CHECK(group.conditions[i - 1].syscall <= condition.syscall);
      CHECK_FALSE(condition.why.empty());
      CHECK(condition.check.index <= 5);
      CHECK(evaluate_constant_expression(condition.check.value).has_value());
      CHECK((condition.check.op == "masked-eq") == !condition.check.mask.empty());
      if (!condition.check.mask.empty()) {
        CHECK(evaluate_constant_expression(condition.check.mask).has_value());
      }
      const std::string name(condition.syscall);
      CHECK(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str()) >= 0);
      CHECK_FALSE(contains(expanded(group.name), condition.syscall));
    }
  }
}

TEST_CASE("syscall groups: @service is @system-service less what lint calls dangerous",
          "[syscall_groups]") {
  const auto system_service = expanded("@system-service");
  const auto service = expanded("@service");
  // Refused outright.
  const std::set<std::string_view> removed{
      "add_key",        "clone3", "io_uring_enter",   "io_uring_register",
      "io_uring_setup", "keyctl", "process_vm_readv", "process_vm_writev",
      "request_key",    "setns",  "userfaultfd"};
  // Granted for some arguments only.
  const std::set<std::string_view> conditional{"clone", "ioctl", "personality", "unshare"};
  for (std::string_view name : system_service) {
    INFO(name);
    CHECK(contains(service, name) == (!removed.contains(name) && !conditional.contains(name)));
  }
  for (std::string_view name : service) {
    INFO(name);
    CHECK(contains(system_service, name));
  }
  auto conditions = syscall_group_conditions("@service");
  REQUIRE(conditions.has_value());
  std::set<std::string_view> with_conditions;
  for (const SyscallCondition& c : *conditions)
    with_conditions.insert(c.syscall);
  CHECK(with_conditions == conditional);
  // A group that grants the call outright beats a nested group's condition.
  auto wider = syscall_group_conditions("@system-service");
  REQUIRE(wider.has_value());
  CHECK(wider->empty());
}

TEST_CASE("syscall groups: conditions of nested groups are collected, a wider grant wins",
          "[syscall_groups]") {
  static constexpr std::string_view kInner[] = {"read"};
  static constexpr SyscallCondition kInnerConditions[] = {
      {"ioctl", SyscallCondition::Kind::refuse, {1, "eq", "TIOCSTI"}, "no injected input"},
      {"write", SyscallCondition::Kind::allow_only, {0, "eq", "1"}, "stdout only"}};
  static constexpr std::string_view kOuter[] = {"@inner", "close"};
  static constexpr std::string_view kWide[] = {"@inner", "write"};
  static constexpr SyscallGroup kTable[] = {{"@inner", "inner", kInner, kInnerConditions},
                                            {"@outer", "outer", kOuter},
                                            {"@wide", "wide", kWide}};
  auto outer = syscall_group_conditions("@outer", kTable);
  REQUIRE(outer.has_value());
  REQUIRE(outer->size() == 2);
  auto wide = syscall_group_conditions("@wide", kTable);
  REQUIRE(wide.has_value());
  REQUIRE(wide->size() == 1);
  CHECK(wide->front().syscall == "ioctl");
}
