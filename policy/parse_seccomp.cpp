// Parser for [seccomp] and its [[seccomp.rule]] tables. Names are checked by the seccomp
// compiler (compiler/seccomp.cpp), which knows the syscall table.
#include <array>

#include "policy/sections.hpp"
#include "policy/toml_section.hpp"

namespace harden {

namespace {

std::optional<ArgValue> arg_value(const toml::node& n, std::string_view key, Diagnostics& diags) {
  ArgValue value;
  value.pos = pos_of(n);
  if (const auto* i = n.as_integer()) {
    // Negative numbers are allowed (e.g. -1 as an fd); they compare as their two's
    // complement bit pattern, which is what the kernel sees.
    value.number = static_cast<uint64_t>(i->get());
    return value;
  }
  if (const auto* s = n.as_string()) {
    value.symbol = s->get();
    return value;
  }
  diags.error(pos_of(n), "'" + std::string(key) +
                             "' must be a number or a constant name such "
                             "as \"AF_INET\", not " +
                             std::string(toml_type_name(n)));
  return std::nullopt;
}

void parse_rule_arg(const toml::table& table, SeccompRule& rule, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 5> kKeys{"index", "mask", "op", "value", "width"};
  const TomlSection section(table, "seccomp.rule.args", kKeys, diags);
  SeccompArg arg;
  arg.pos = pos_of(table);
  auto index = section.integer("index");
  auto op = section.string("op");
  const toml::node* value = section.node("value");
  if (!index || !op || !value) {
    diags.error(pos_of(table), "an argument condition needs 'index', 'op' and 'value'",
                "write { index = 0, op = \"eq\", value = \"AF_INET\" }");
    return;
  }
  arg.index = *index;
  arg.op = *op;
  auto parsed = arg_value(*value, "value", diags);
  if (!parsed) return;
  arg.value = *parsed;
  if (const toml::node* mask = section.node("mask")) {
    if (auto m = arg_value(*mask, "mask", diags)) arg.mask = *m;
  }
  arg.width = section.integer("width");
  rule.args.push_back(std::move(arg));
}

void parse_rule(const toml::table& table, SeccompSection& seccomp, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 5> kKeys{"action", "args", "reason", "report",
                                                         "syscall"};
  const TomlSection section(table, "seccomp.rule", kKeys, diags);
  SeccompRule rule;
  rule.pos = pos_of(table);
  auto syscall = section.string("syscall");
  if (!syscall) {
    diags.error(pos_of(table), "a [[seccomp.rule]] needs a 'syscall'", "add syscall = \"name\"");
    return;
  }
  rule.syscall = *syscall;
  rule.reason = section.string("reason");
  rule.report = section.boolean("report");
  if (auto action = section.string("action")) {
    rule.action = *action;
  } else {
    rule.action = {"allow", pos_of(table)};
  }
  if (const toml::node* args = section.node("args")) {
    if (const auto* array = args->as_array()) {
      if (array->size() > 6) {
        diags.error(pos_of(*args), "a syscall has at most 6 arguments");
      }
      for (const toml::node& element : *array) {
        if (const auto* arg = element.as_table()) {
          parse_rule_arg(*arg, rule, diags);
        } else {
          section.type_error(element, "args", "an array of inline tables");
        }
      }
    } else {
      section.type_error(*args, "args", "an array of { index, op, value } tables");
    }
  }
  seccomp.rules.push_back(std::move(rule));
}

}  // namespace

void parse_seccomp_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 8> kKeys{
      "allow",       "architectures", "default_action",     "deny",
      "log_denials", "reopen",        "restrict_suid_sgid", "rule"};
  const TomlSection section(table, "seccomp", kKeys, diags);
  SeccompSection& seccomp = policy.seccomp;
  seccomp.present = true;
  seccomp.pos = pos_of(table);
  seccomp.default_action = section.string("default_action");
  if (auto allow = section.strings("allow")) seccomp.allow = std::move(*allow);
  if (auto deny = section.strings("deny")) seccomp.deny = std::move(*deny);
  if (auto reopen = section.strings("reopen")) seccomp.reopen = std::move(*reopen);
  seccomp.architectures = section.strings("architectures");
  seccomp.log_denials = section.boolean("log_denials");
  seccomp.restrict_suid_sgid = section.boolean("restrict_suid_sgid");
  section.each_table("rule", "a list of [[seccomp.rule]] tables",
                     [&](const toml::table& rule) { parse_rule(rule, seccomp, diags); });
}

}  // namespace harden
