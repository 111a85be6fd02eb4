// Lint: full validation of a policy, then a catalog of rules that find what is valid but weak
// (a permissive seccomp default, a dangerous syscall or capability, running as root, ...), an
// exposure score from 0.0 to 10.0 in the manner of `systemd-analyze security`, and the
// suppressions the policy itself declares in [lint] allow. Pure: reads files, changes nothing.
// The catalog is a sorted table; harden-lint(1) documents every rule and weight.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/compile.hpp"
#include "plan/plan.hpp"
#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"
#include "policy/policy_files.hpp"

namespace harden {

struct LintFinding {
  std::string_view rule;  // a LintRule id
  Severity severity = Severity::warning;
  SourcePos pos;
  std::string message;
  std::string hint;  // a fix specific to this finding; empty: the rule's fix
  std::string item;  // what the finding is about ("ptrace", "CAP_SYS_ADMIN", "nproc"), may be empty
  double badness =
      1;  // this finding's share of its rule's weight (the rule's total is capped at 1)
  bool suppressed = false;
  std::string reason;       // why it is accepted (from [lint] allow or a rule's reason)
  SourcePos suppressed_at;  // the suppression that accepted it
};

// A finding of `rule`; its severity is the rule's, filled in by the runner.
inline LintFinding make_finding(std::string_view rule, SourcePos pos, std::string message,
                                std::string item = {}, double badness = 1.0,
                                std::string hint = {}) {
  LintFinding finding;
  finding.rule = rule;
  finding.pos = std::move(pos);
  finding.message = std::move(message);
  finding.item = std::move(item);
  finding.badness = badness;
  finding.hint = std::move(hint);
  return finding;
}

// What a rule's check sees: the policy as written (positions) and the plan it compiles to
// (what is really enforced).
struct LintInput {
  const Policy& policy;
  const PlanData& plan;

  // The header of [section] when the policy has it, else the policy's name: where a finding
  // about a missing key points.
  SourcePos section_or_name(std::string_view section) const;
};

using LintCheck = void (*)(const LintInput& input, std::vector<LintFinding>& out);

struct LintRule {
  std::string_view id;         // kebab-case, stable; used in [lint] allow and SARIF
  std::string_view name;       // CamelCase, SARIF's rule name
  Severity severity;           // error, warning or note
  double weight;               // share of the exposure score; 0 for rules about the lint itself
  std::string_view title;      // one line
  std::string_view rationale;  // one paragraph: why it matters
  std::string_view fix;        // how to fix it
  LintCheck check;             // nullptr for rules the linter itself reports
};

// The catalog, sorted by id.
std::span<const LintRule> lint_rules();
const LintRule* find_lint_rule(std::string_view id);

// Rule ids the linter reports itself (no check function).
inline constexpr std::string_view kRuleValidateWarning = "validate-warning";
inline constexpr std::string_view kRuleUnusedSuppression = "unused-suppression";
inline constexpr std::string_view kRuleInvalidPolicy = "invalid-policy";

struct LintReport {
  std::string file;
  std::string policy_name;
  bool valid = false;
  Diagnostics diagnostics;            // every diagnostic of validation (errors make valid false)
  std::vector<LintFinding> findings;  // sorted by position
  double exposure = 0;                // 0.0 to 10.0, one decimal
  std::string_view verdict;           // PERFECT SAFE OK MEDIUM EXPOSED UNSAFE DANGEROUS
};

// Reads, validates and lints one policy file.
// `host`: skip (the default) lints the policy as written, the same on every machine; check also
// asks this host for what must exist (users, the chroot, bind sources), as validate --host.
LintReport lint_policy_file(const std::string& path, HostChecks host = HostChecks::skip);
// The same with the file access given (a file a directory search found: see PolicyFileInput).
LintReport lint_policy_file(const std::string& path, HostChecks host, PolicyFileSystem& files);
// The same for policy text already in memory (harden lint -): `name` ("<stdin>") names it in
// messages, and its `extends` are found relative to the directory of `name`.
LintReport lint_policy_text(const std::string& text, const std::string& name,
                            HostChecks host = HostChecks::skip);

// Lints a policy that read_policy() and compile_policy() accepted; `diags` are the warnings
// they reported (they become validate-warning findings).
LintReport lint_policy(const Policy& policy, const PlanData& plan, const Diagnostics& diags);

// One part of what a policy leaves open besides its findings (lint_surface.cpp): `open` from 0
// (closed) to 1, counted with `weight` in the residual.
struct SurfacePart {
  std::string_view name;
  double weight;
  double open;
};
std::vector<SurfacePart> residual_surface(const PlanData& plan);
// The weighted mean of the parts, 0 to 1.
double residual_exposure(const PlanData& plan);
// The residual's share of the 0-10 scale: findings can reach 7.0, what remains open 3.0.
inline constexpr double kResidualShare = 0.3;

// The score of a set of findings (suppressed ones count: a suppression accepts an exposure, it
// does not remove it): 10 x sum(weight x min(1, sum of badness)) / sum of all weights.
// `residual`: residual_exposure() of the plan (0 when there is none to read).
double exposure_score(std::span<const LintFinding> findings, double residual = 0);
std::string_view exposure_verdict(double exposure);

// A policy file to check, and where a search found it.
struct PolicyFileInput {
  std::string path;
  // The directory a search found the file in, or empty for a file named as such. A found file
  // is read beneath that directory (BeneathPolicyFileSystem): a symbolic link in a checked-out
  // tree that leads out of it is an error, never followed.
  std::string found_beneath;
};

// The policy files under `paths`: a file is taken as given; a directory is searched
// recursively (hidden directories skipped) for *.toml files and symbolic links, sorted, leaving
// out bases: files that do not themselves set [policy] name (they are linted through the
// policies that extend them). Those go to `bases`. A found file that cannot be read beneath its
// directory is kept as a policy, so that reading it reports why.
std::vector<PolicyFileInput> find_policy_files(std::span<const std::string> paths,
                                               std::vector<std::string>& bases);

// Runs the rules alone, before suppressions (for tests).
std::vector<LintFinding> run_lint_rules(const LintInput& input);

std::optional<Severity> severity_from_name(std::string_view name);

}  // namespace harden
