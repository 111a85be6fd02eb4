// Parser for [lint]: suppressions of lint findings, each with a required reason. A suppression
// names a rule of the catalog (its ids are plain data in policy/lint_rule_ids.hpp); an unknown id
// is an error, since a typo would otherwise leave a finding unsuppressed or, worse, look like it
// suppresses something.
#include <array>
#include <cctype>

#include "policy/lint_rule_ids.hpp"
#include "policy/sections.hpp"
#include "policy/toml_section.hpp"

namespace harden {

namespace {

void parse_suppression(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 3> kKeys{"items", "reason", "rule"};
  const TomlSection section(table, "lint.allow", kKeys, diags);
  LintSuppression suppression;
  suppression.pos = pos_of(table);
  const auto rule = section.string("rule");
  const auto reason = section.string("reason");
  if (!rule) {
    diags.error(suppression.pos, "a [lint] allow entry needs a 'rule'",
                "write { rule = \"dangerous-syscall\", reason = \"why it is needed\" }");
    return;
  }
  const LintRuleId* known = find_lint_rule_id(rule->value);
  if (!known) {
    std::vector<std::string_view> ids;
    for (const LintRuleId& r : kLintRuleIds)
      ids.push_back(r.id);
    diags.error(rule->pos, "unknown lint rule '" + rule->value + "'",
                did_you_mean(rule->value, ids, "'harden lint --list-rules' prints the rules"));
    return;
  }
  if (!known->suppressible) {
    diags.error(rule->pos, "'" + rule->value + "' cannot be suppressed",
                "it is about the policy file or the suppressions themselves; fix its cause");
    return;
  }
  bool has_reason = false;
  if (reason) {
    for (const char c : reason->value)
      has_reason = has_reason || !std::isspace(static_cast<unsigned char>(c));
  }
  if (!has_reason) {
    diags.error(reason ? reason->pos : suppression.pos,
                "suppressing '" + rule->value + "' needs a reason",
                "add reason = \"...\": it is shown with every finding it hides");
    return;
  }
  suppression.rule = *rule;
  suppression.reason = *reason;
  if (auto items = section.strings("items")) {
    if (items->empty()) {
      diags.error(pos_of(*section.node("items")), "'items' is empty",
                  "leave it out to suppress every finding of the rule, or list names");
      return;
    }
    suppression.items = std::move(*items);
  }
  policy.lint.allow.push_back(std::move(suppression));
}

}  // namespace

void parse_lint_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 1> kKeys{"allow"};
  const TomlSection section(table, "lint", kKeys, diags);
  const toml::node* allow = section.node("allow");
  if (!allow) return;
  const auto* array = allow->as_array();
  if (!array) {
    section.type_error(*allow, "allow", "an array of { rule = \"...\", reason = \"...\" } tables");
    return;
  }
  for (const toml::node& element : *array) {
    if (const auto* entry = element.as_table()) {
      parse_suppression(*entry, policy, diags);
    } else {
      section.type_error(element, "allow",
                         "an array of { rule = \"...\", reason = \"...\" } tables");
    }
  }
}

}  // namespace harden
