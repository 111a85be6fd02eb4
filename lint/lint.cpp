// Runs the lint catalog on one policy: validation first (an invalid policy gets no findings,
// only its diagnostics), then every rule, then the policy's own suppressions, then the score.
#include "lint/lint.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>

#include "compiler/compile.hpp"
#include "lint/dangerous.hpp"
#include "policy/policy_reader.hpp"

namespace harden {

SourcePos LintInput::section_or_name(std::string_view section) const {
  const auto it = policy.meta.sections.find(section);
  if (it != policy.meta.sections.end()) return it->second;
  if (policy.meta.name.pos.line > 0) return policy.meta.name.pos;
  return SourcePos{policy.file, 1, 1};
}

std::optional<Severity> severity_from_name(std::string_view name) {
  for (const Severity s : {Severity::error, Severity::warning, Severity::note}) {
    if (severity_name(s) == name) return s;
  }
  return std::nullopt;
}

namespace {

bool same_item(std::string_view rule, std::string_view wanted, std::string_view item) {
  if (rule == "dangerous-capability") {
    return canonical_capability_name(wanted) == canonical_capability_name(item);
  }
  return wanted == item;
}

bool same_pos(const SourcePos& a, const SourcePos& b) {
  return a.file == b.file && a.line == b.line && a.column == b.column;
}

// The policy's [lint] allow entries, applied in order; the first that matches a finding
// accepts it. An entry that accepts nothing is itself reported.
void apply_suppressions(const Policy& policy, std::vector<LintFinding>& findings) {
  for (const LintSuppression& suppression : policy.lint.allow) {
    bool used = false;
    for (LintFinding& finding : findings) {
      if (finding.rule != suppression.rule.value) continue;
      const bool matches = suppression.items.empty() ||
                           std::ranges::any_of(suppression.items, [&](const LocatedString& item) {
                             return same_item(finding.rule, item.value, finding.item);
                           });
      if (!matches) continue;
      used = true;
      if (finding.suppressed) continue;  // already justified (a seccomp rule's reason)
      finding.suppressed = true;
      finding.reason = suppression.reason.value;
      finding.suppressed_at = suppression.pos;
    }
    if (!used) {
      findings.push_back(
          make_finding(kRuleUnusedSuppression, suppression.rule.pos,
                       "this suppression of '" + suppression.rule.value + "' matches no finding",
                       suppression.rule.value, 0));
    }
  }
}

}  // namespace

std::vector<LintFinding> run_lint_rules(const LintInput& input) {
  std::vector<LintFinding> findings;
  for (const LintRule& rule : lint_rules()) {
    if (!rule.check) continue;
    const size_t first = findings.size();
    rule.check(input, findings);
    for (size_t i = first; i < findings.size(); ++i) {
      findings[i].rule = rule.id;
      findings[i].severity = rule.severity;
    }
  }
  return findings;
}

LintReport lint_policy(const Policy& policy, const PlanData& plan, const Diagnostics& diags) {
  LintReport report;
  report.file = policy.file;
  report.policy_name = policy.meta.name.value;
  report.valid = true;
  report.diagnostics = diags;
  const LintInput input{policy, plan};
  std::vector<LintFinding> findings = run_lint_rules(input);
  // Validation warnings are findings too, so they can fail CI and be suppressed; one at the
  // same place as a rule's finding says the same thing and is dropped.
  const size_t rule_findings = findings.size();
  for (const Diagnostic& d : diags.all()) {
    if (d.severity != Severity::warning) continue;
    const bool duplicate =
        std::any_of(findings.begin(), findings.begin() + static_cast<ptrdiff_t>(rule_findings),
                    [&](const LintFinding& f) { return same_pos(f.pos, d.pos); });
    if (duplicate) continue;
    findings.push_back(make_finding(kRuleValidateWarning, d.pos, d.message, {}, 0, d.hint));
  }
  apply_suppressions(policy, findings);
  for (LintFinding& finding : findings) {
    if (const LintRule* rule = find_lint_rule(finding.rule)) finding.severity = rule->severity;
  }
  std::ranges::stable_sort(findings, [](const LintFinding& a, const LintFinding& b) {
    return std::tie(a.pos.file, a.pos.line, a.pos.column, a.rule) <
           std::tie(b.pos.file, b.pos.line, b.pos.column, b.rule);
  });
  report.findings = std::move(findings);
  report.exposure = exposure_score(report.findings, residual_exposure(plan));
  report.verdict = exposure_verdict(report.exposure);
  return report;
}

namespace {

// A policy that did not read or compile: its diagnostics, and the worst exposure.
LintReport invalid_report(const std::string& file, const std::optional<Policy>& policy,
                          Diagnostics diags) {
  LintReport report;
  report.file = file;
  if (policy) report.policy_name = policy->meta.name.value;
  report.diagnostics = std::move(diags);
  report.exposure = 10;
  report.verdict = exposure_verdict(report.exposure);
  return report;
}

}  // namespace

LintReport lint_policy_file(const std::string& path, HostChecks host) {
  RealPolicyFileSystem files;
  return lint_policy_file(path, host, files);
}

LintReport lint_policy_file(const std::string& path, HostChecks host, PolicyFileSystem& files) {
  Diagnostics diags;
  std::optional<Policy> policy =
      read_policy(path, diags, files, policy_search_path_from_environment());
  std::optional<Plan> plan;
  if (policy) plan = compile_policy(*policy, diags, CompileOptions{host});
  if (!policy || !plan) return invalid_report(path, policy, std::move(diags));
  return lint_policy(*policy, plan->data(), diags);
}

LintReport lint_policy_text(const std::string& text, const std::string& name, HostChecks host) {
  Diagnostics diags;
  std::optional<Policy> policy = read_policy_text(text, name, diags);
  std::optional<Plan> plan;
  if (policy) plan = compile_policy(*policy, diags, CompileOptions{host});
  if (!policy || !plan) return invalid_report(name, policy, std::move(diags));
  return lint_policy(*policy, plan->data(), diags);
}

double exposure_score(std::span<const LintFinding> findings, double residual) {
  std::map<std::string_view, double> badness;
  for (const LintFinding& finding : findings)
    badness[finding.rule] += finding.badness;
  double total_weight = 0;
  double exposed = 0;
  for (const LintRule& rule : lint_rules()) {
    total_weight += rule.weight;
    const auto it = badness.find(rule.id);
    if (it != badness.end()) exposed += rule.weight * std::min(1.0, it->second);
  }
  const double found = total_weight > 0 ? exposed / total_weight : 0;
  const double score =
      (1 - kResidualShare) * found + kResidualShare * std::clamp(residual, 0.0, 1.0);
  // One decimal, as systemd-analyze shows it; rounding keeps the order of scores.
  return std::round(100.0 * score) / 10.0;
}

std::string_view exposure_verdict(double exposure) {
  // systemd-analyze security's words and bands.
  if (exposure >= 10.0) return "DANGEROUS";
  if (exposure >= 9.0) return "UNSAFE";
  if (exposure >= 7.5) return "EXPOSED";
  if (exposure >= 5.0) return "MEDIUM";
  if (exposure >= 1.0) return "OK";
  if (exposure > 0.0) return "SAFE";
  return "PERFECT";
}

}  // namespace harden

namespace harden {

namespace {

// A base sets no name of its own; reading the file alone (no extends) tells. It is read as the
// reader will read it, beneath the directory searched; a file that cannot be read so, or is not
// TOML, is linted, so that the reader reports why.
bool declares_policy_name(const std::string& path, const std::string& searched) {
  RealPolicyFileSystem real;
  BeneathPolicyFileSystem files(real, searched);
  const std::expected<std::string, ReadError> text = files.read_main(path);
  return !text || policy_text_sets_name(*text);
}

}  // namespace

std::vector<PolicyFileInput> find_policy_files(std::span<const std::string> paths,
                                               std::vector<std::string>& bases) {
  namespace fs = std::filesystem;
  std::vector<PolicyFileInput> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      files.push_back({path, {}});  // a missing file is reported by the reader, with the error
      continue;
    }
    std::vector<PolicyFileInput> found;
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::path& entry = it->path();
      if (it->is_directory(ec) && entry.filename().string().starts_with('.')) {
        it.disable_recursion_pending();
        continue;
      }
      // A symbolic link is taken whatever it points to: reading it beneath `path` refuses
      // one that leads out (it would otherwise go unchecked, or read a file outside the tree).
      if (!(it->is_symlink(ec) || it->is_regular_file(ec)) || entry.extension() != ".toml")
        continue;
      if (declares_policy_name(entry.string(), path))
        found.push_back({entry.string(), path});
      else
        bases.push_back(entry.string());
    }
    std::ranges::sort(found, {}, &PolicyFileInput::path);
    files.insert(files.end(), found.begin(), found.end());
  }
  std::ranges::sort(bases);
  return files;
}

}  // namespace harden
