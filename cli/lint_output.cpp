#include "cli/lint_output.hpp"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/json_text.hpp"
#include "lint/dangerous.hpp"
#include "policy/diagnostics.hpp"

namespace harden::cli {

namespace {

using nlohmann::json;

bool at_or_above(Severity severity, Severity floor) {
  // Severity orders error < warning < note: smaller is more severe.
  return static_cast<int>(severity) <= static_cast<int>(floor);
}

std::string one_decimal(double value) {
  char text[16];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

std::string plural(size_t n, std::string_view word, std::string_view plural_word = {}) {
  if (n == 1) return "1 " + std::string(word);
  return std::to_string(n) + " " +
         (plural_word.empty() ? std::string(word) + "s" : std::string(plural_word));
}

// Words wrapped at `width` columns, each line indented.
std::string wrap(std::string_view text, size_t width, std::string_view indent) {
  std::string out, line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += std::string(indent) + line + "\n";
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
    start = end + 1;
  }
  if (!line.empty()) out += std::string(indent) + line + "\n";
  return out;
}

json position(const SourcePos& pos) {
  return {{"file", pos.file}, {"line", pos.line}, {"column", pos.column}};
}

std::string_view sarif_level(Severity severity) {
  return severity_name(severity);  // SARIF's levels are the same words: error, warning, note
}

}  // namespace

bool report_fails(const LintReport& report, const LintSettings& settings) {
  if (!report.valid) return true;
  if (report.exposure > settings.threshold) return true;
  if (!settings.fail_on) return false;
  return std::ranges::any_of(report.findings, [&](const LintFinding& f) {
    return !f.suppressed && at_or_above(f.severity, *settings.fail_on);
  });
}

std::string render_lint_text(std::span<const LintReport> reports, const LintSettings& settings,
                             bool colour) {
  std::string out;
  size_t invalid = 0, failing = 0;
  for (const LintReport& report : reports) {
    if (!report.valid) {
      ++invalid;
      out += render_all(report.diagnostics, colour);
      out += printable(report.file) + ": invalid (" +
             plural(report.diagnostics.error_count(), "error") + "); nothing else was checked\n";
      continue;
    }
    size_t counts[3] = {0, 0, 0};
    size_t suppressed = 0;
    for (const LintFinding& finding : report.findings) {
      Diagnostic d{finding.severity, finding.pos,
                   finding.message + " [" + std::string(finding.rule) + "]", finding.hint};
      if (finding.suppressed) {
        ++suppressed;
        d.severity = Severity::note;
        d.message = "suppressed: " + d.message;
        d.hint.clear();
        out += render_diagnostic(d, report.diagnostics, colour) +
               "  reason: " + printable(finding.reason) + "\n";
        continue;
      } else {
        ++counts[static_cast<int>(finding.severity)];
        if (d.hint.empty()) {
          if (const LintRule* rule = find_lint_rule(finding.rule)) d.hint = rule->fix;
        }
      }
      out += render_diagnostic(d, report.diagnostics, colour);
    }
    const bool fails = report_fails(report, settings);
    failing += fails ? 1 : 0;
    std::string verdict = one_decimal(report.exposure) + " " + std::string(report.verdict);
    if (colour) verdict = (fails ? "\033[1;31m" : "\033[1;32m") + verdict + "\033[0m";
    out += printable(report.file) + ": exposure " + verdict + " (" + plural(counts[0], "error") +
           ", " + plural(counts[1], "warning") + ", " + plural(counts[2], "note") + ", " +
           std::to_string(suppressed) + " suppressed)";
    if (report.exposure > settings.threshold) {
      out += "; above the threshold " + one_decimal(settings.threshold);
    }
    out += "\n";
  }
  if (reports.size() > 1) {
    out += plural(reports.size(), "policy", "policies") +
           " checked: " + std::to_string(reports.size() - failing - invalid) + " passed, " +
           std::to_string(failing) + " failed, " + std::to_string(invalid) + " invalid\n";
  }
  return out;
}

json diagnostics_json(const Diagnostics& diags) {
  json diagnostics = json::array();
  for (const Diagnostic& d : diags.by_position()) {
    json item = position(d.pos);
    item["severity"] = severity_name(d.severity);
    item["message"] = d.message;
    item["hint"] = d.hint;
    diagnostics.push_back(std::move(item));
  }
  return diagnostics;
}

std::string render_lint_json(std::span<const LintReport> reports, const LintSettings& settings,
                             std::span<const std::string> bases) {
  json policies = json::array();
  for (const LintReport& report : reports) {
    json diagnostics = diagnostics_json(report.diagnostics);
    json findings = json::array();
    for (const LintFinding& f : report.findings) {
      json item = position(f.pos);
      item["rule"] = f.rule;
      item["severity"] = severity_name(f.severity);
      item["message"] = f.message;
      item["hint"] = f.hint;
      item["item"] = f.item;
      item["suppressed"] = f.suppressed;
      if (f.suppressed) item["reason"] = f.reason;
      findings.push_back(std::move(item));
    }
    policies.push_back({{"file", report.file},
                        {"name", report.policy_name},
                        {"valid", report.valid},
                        {"exposure", report.exposure},
                        {"verdict", report.verdict},
                        {"passed", !report_fails(report, settings)},
                        {"diagnostics", std::move(diagnostics)},
                        {"findings", std::move(findings)}});
  }
  json doc = {{"tool", "harden lint"},
              {"version", HARDEN_VERSION},
              {"threshold", settings.threshold},
              {"fail_on", settings.fail_on ? severity_name(*settings.fail_on) : "none"},
              {"policies", std::move(policies)},
              {"bases_skipped", std::vector<std::string>(bases.begin(), bases.end())}};
  return json_text(doc, 2) + "\n";
}

std::string render_lint_sarif(std::span<const LintReport> reports) {
  json rules = json::array();
  const auto catalog = lint_rules();
  for (const LintRule& rule : catalog) {
    rules.push_back({{"id", rule.id},
                     {"name", rule.name},
                     {"shortDescription", {{"text", rule.title}}},
                     {"fullDescription", {{"text", rule.rationale}}},
                     {"help",
                      {{"text", std::string(rule.fix) + "\n\n" + std::string(rule.rationale)},
                       {"markdown", "**Fix:** " + std::string(rule.fix) + "\n\n" +
                                        std::string(rule.rationale)}}},
                     {"defaultConfiguration", {{"level", sarif_level(rule.severity)}}},
                     {"properties", {{"weight", rule.weight}}}});
  }
  auto rule_index = [&](std::string_view id) {
    for (size_t i = 0; i < catalog.size(); ++i) {
      if (catalog[i].id == id) return static_cast<int>(i);
    }
    return -1;
  };
  auto location = [](const SourcePos& pos, const std::string& fallback_file) {
    const std::string& file = pos.file.empty() ? fallback_file : pos.file;
    json artifact = {{"uri", std::filesystem::path(file).generic_string()}};
    if (!std::filesystem::path(file).is_absolute()) artifact["uriBaseId"] = "%SRCROOT%";
    json physical = {{"artifactLocation", artifact}};
    if (pos.line > 0) {
      physical["region"] = {{"startLine", pos.line}, {"startColumn", std::max(1u, pos.column)}};
    }
    return json{{"physicalLocation", physical}};
  };
  json results = json::array();
  for (const LintReport& report : reports) {
    if (!report.valid) {
      for (const Diagnostic& d : report.diagnostics.by_position()) {
        if (d.severity != Severity::error) continue;
        results.push_back(
            {{"ruleId", kRuleInvalidPolicy},
             {"ruleIndex", rule_index(kRuleInvalidPolicy)},
             {"level", "error"},
             {"message", {{"text", d.message + (d.hint.empty() ? "" : " (" + d.hint + ")")}}},
             {"locations", json::array({location(d.pos, report.file)})}});
      }
      continue;
    }
    for (const LintFinding& f : report.findings) {
      json result = {
          {"ruleId", f.rule},
          {"ruleIndex", rule_index(f.rule)},
          {"level", sarif_level(f.severity)},
          {"message", {{"text", f.message}}},
          {"locations", json::array({location(f.pos, report.file)})},
          {"properties", {{"policy", report.policy_name}, {"exposure", report.exposure}}}};
      if (f.suppressed) {
        result["suppressions"] = json::array({{{"kind", "inSource"}, {"justification", f.reason}}});
      }
      results.push_back(std::move(result));
    }
  }
  json driver = {{"name", "harden"},
                 {"version", HARDEN_VERSION},
                 {"semanticVersion", HARDEN_VERSION},
                 {"informationUri", HARDEN_INFORMATION_URI},
                 {"rules", std::move(rules)}};
  json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({{{"tool", {{"driver", std::move(driver)}}},
                                     {"results", std::move(results)}}})}};
  return json_text(doc, 2) + "\n";
}

std::string explain_lint_rule(const LintRule& rule) {
  std::string out = std::string(rule.id) + " (" + std::string(severity_name(rule.severity)) +
                    ", weight " + one_decimal(rule.weight) + "): " + std::string(rule.title) +
                    "\n\n";
  out += wrap(rule.rationale, 76, "  ");
  out += "\nFix:\n" + wrap(rule.fix, 76, "  ");
  if (rule.id == "dangerous-syscall") {
    out += "\nThe dangerous system calls (weight, why):\n";
    for (const DangerousSyscall& call : dangerous_syscalls()) {
      char line[160];
      std::snprintf(line, sizeof line, "  %-18s %.1f  %.*s\n", std::string(call.name).c_str(),
                    call.weight, static_cast<int>(call.why.size()), call.why.data());
      out += line;
    }
  } else if (rule.id == "dangerous-capability") {
    out += "\nThe dangerous capabilities (weight, why):\n";
    for (const DangerousCapability& cap : dangerous_capabilities()) {
      char line[160];
      std::snprintf(line, sizeof line, "  %-23s %.1f  %.*s\n", std::string(cap.name).c_str(),
                    cap.weight, static_cast<int>(cap.why.size()), cap.why.data());
      out += line;
    }
  } else if (rule.id == "sensitive-path-unwatched") {
    out += "\nThe sensitive paths (weight, who may read them on Debian, what they hold):\n";
    for (const SensitivePath& path : sensitive_paths()) {
      std::string readers = path.owned_by_root ? "root" : "each home's owner";
      if (!path.group.empty()) readers += ", group " + std::string(path.group);
      char line[200];
      std::snprintf(line, sizeof line, "  %-30s %.1f  %-21s %.*s\n", std::string(path.path).c_str(),
                    path.weight, readers.c_str(), static_cast<int>(path.why.size()),
                    path.why.data());
      out += line;
    }
  }
  return out;
}

std::string list_lint_rules() {
  std::string out;
  for (const LintRule& rule : lint_rules()) {
    char line[200];
    std::snprintf(line, sizeof line, "%-27s %-8s %4.1f  %.*s\n", std::string(rule.id).c_str(),
                  std::string(severity_name(rule.severity)).c_str(), rule.weight,
                  static_cast<int>(rule.title.size()), rule.title.data());
    out += line;
  }
  return out;
}

}  // namespace harden::cli
