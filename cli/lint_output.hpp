// The three renderings of lint reports: text for people (file:line:col, the source line and a
// caret, colour only when asked), JSON for scripts, and SARIF 2.1.0 for code-scanning services.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "lint/lint.hpp"

namespace harden::cli {

struct LintSettings {
  std::optional<Severity> fail_on = Severity::warning;  // nullopt: findings never fail
  double threshold = 5.0;                               // fail when the exposure is above
};

// Whether a report makes `harden lint` exit 1 (an invalid policy is exit 2, decided apart).
bool report_fails(const LintReport& report, const LintSettings& settings);

std::string render_lint_text(std::span<const LintReport> reports, const LintSettings& settings,
                             bool colour);
std::string render_lint_json(std::span<const LintReport> reports, const LintSettings& settings,
                             std::span<const std::string> bases);
std::string render_lint_sarif(std::span<const LintReport> reports);

// Diagnostics as a JSON array of {file, line, column, severity, message, hint} (lint and
// validate --format json).
nlohmann::json diagnostics_json(const Diagnostics& diags);

// `harden lint --explain ID` and `--list-rules`.
std::string explain_lint_rule(const LintRule& rule);
std::string list_lint_rules();

}  // namespace harden::cli
