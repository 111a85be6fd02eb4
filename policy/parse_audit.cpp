// Parser for [audit], its [[audit.watch]] and [[audit.syscall]] tables. Paths, permission
// letters, keys and syscall names are checked by compiler/compile_audit.cpp.
#include <array>

#include "policy/sections.hpp"
#include "policy/toml_section.hpp"

namespace harden {

namespace {

void parse_watch(const toml::table& table, AuditSection& audit, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 4> kKeys{"key", "path", "permissions", "reason"};
  const TomlSection section(table, "audit.watch", kKeys, diags);
  AuditWatch watch;
  watch.pos = pos_of(table);
  auto path = section.string("path");
  if (!path) {
    if (!section.node("path")) {
      diags.error(watch.pos, "an [[audit.watch]] needs a 'path'", "add path = \"/etc/shadow\"");
    }
    return;
  }
  watch.path = *path;
  watch.permissions = section.string("permissions");
  watch.key = section.string("key");
  section.string("reason");
  audit.watches.push_back(std::move(watch));
}

void parse_syscall_rule(const toml::table& table, AuditSection& audit, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 3> kKeys{"key", "reason", "syscalls"};
  const TomlSection section(table, "audit.syscall", kKeys, diags);
  AuditSyscallRule rule;
  rule.pos = pos_of(table);
  auto syscalls = section.strings("syscalls");
  if (!syscalls) {
    if (!section.node("syscalls")) {
      diags.error(rule.pos, "an [[audit.syscall]] needs 'syscalls'", "add syscalls = [\"execve\"]");
    }
    return;
  }
  rule.syscalls = std::move(*syscalls);
  rule.key = section.string("key");
  section.string("reason");
  audit.syscalls.push_back(std::move(rule));
}

}  // namespace

void parse_audit_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 3> kKeys{"key", "syscall", "watch"};
  const TomlSection section(table, "audit", kKeys, diags);
  AuditSection& audit = policy.audit;
  audit.present = true;
  audit.pos = pos_of(table);
  audit.key = section.string("key");
  section.each_table("watch", "a list of [[audit.watch]] tables",
                     [&](const toml::table& t) { parse_watch(t, audit, diags); });
  section.each_table("syscall", "a list of [[audit.syscall]] tables",
                     [&](const toml::table& t) { parse_syscall_rule(t, audit, diags); });
}

}  // namespace harden
