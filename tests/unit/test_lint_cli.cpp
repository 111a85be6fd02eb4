// `harden lint` as CI runs it: the real binary, its exit codes (0 clean, 1 findings or over the
// threshold, 125 invalid, 2 usage), directory discovery, and the SARIF 2.1.0 and JSON documents
// checked field by field.
#include <catch2/catch.hpp>

#include <regex>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "lint/lint.hpp"
#include "tests/support/harness.hpp"

using namespace harden::test;
using nlohmann::json;

namespace {

constexpr const char* kClean = R"([policy]
name = "clean"
[exec]
umask = "0077"
[identity]
user = "nobody"
group = "nogroup"
[seccomp]
default_action = "kill-process"
allow = ["@basic-io"]
[filesystem]
chroot = "/srv"
[limits]
nofile = 64
nproc = 8
core = 0
[namespaces]
net = "loopback"
[landlock]
mode = "enforce"
)";

// A clean policy plus one warning: new_session = false on line 5.
std::string warning_policy() {
  std::string text = kClean;
  text.replace(text.find("umask = \"0077\"\n"), 15, "umask = \"0077\"\nnew_session = false\n");
  return text;
}

constexpr const char* kDangerous = R"([policy]
name = "dangerous"
[identity]
user = "nobody"
[capabilities]
keep = ["CAP_SYS_ADMIN"]
[seccomp]
default_action = "allow"
)";

constexpr const char* kInvalid = R"([policy]
name = "invalid"
[seccomp]
allow = ["ptrce"]
)";

}  // namespace

TEST_CASE("lint exit codes: clean 0, findings 1, invalid 125, usage 2", "[lint][cli]") {
  TempDir dir;
  const std::string clean = write_policy(dir, "clean", kClean);
  const std::string warned = write_policy(dir, "warned", warning_policy());
  const std::string dangerous = write_policy(dir, "dangerous", kDangerous);
  const std::string invalid = write_policy(dir, "invalid", kInvalid);

  RunResult r = run_harden({"lint", clean});
  INFO(r.describe());
  CHECK(r.exited(0));
  // No finding: what remains is the residual share, under 3.0 (man/harden-lint.1).
  static const std::regex clean_score(R"(exposure ([0-9.]+) (SAFE|OK))");
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, clean_score));
  CHECK(std::stod(m[1]) < 3.0);
  CHECK(std::stod(m[1]) > 0.0);

  r = run_harden({"lint", warned});
  INFO(r.describe());
  CHECK(r.exited(1));
  CHECK(r.out.find(warned + ":5:15: warning: new_session = false") != std::string::npos);
  CHECK(r.out.find("[new-session-off]") != std::string::npos);
  CHECK(r.out.find("  new_session = false\n                ^~~~~\n") != std::string::npos);
  // Not a terminal: no colour.
  CHECK(r.out.find('\033') == std::string::npos);
  // --fail-on error lets a warning pass; the exposure is still under the threshold.
  CHECK(run_harden({"lint", "--fail-on", "error", warned}).exited(0));
  // ... but not a threshold below its exposure.
  CHECK(run_harden({"lint", "--fail-on", "none", "--threshold", "0", warned}).exited(1));

  r = run_harden({"lint", "--fail-on", "none", dangerous});
  INFO(r.describe());
  CHECK(r.exited(1));  // over the default threshold of 5.0
  CHECK(r.out.find("above the threshold 5.0") != std::string::npos);
  CHECK(run_harden({"lint", "--fail-on", "none", "--threshold", "10", dangerous}).exited(0));

  r = run_harden({"lint", invalid});
  INFO(r.describe());
  CHECK(r.exited(125));
  CHECK(r.out.find(invalid + ":4:10: error: unknown syscall 'ptrce'") != std::string::npos);
  // An invalid policy among good ones still makes the run exit 125.
  CHECK(run_harden({"lint", clean, invalid}).exited(125));

  CHECK(run_harden({"lint"}).exited(2));
  CHECK(run_harden({"lint", "--format", "xml", clean}).exited(2));
  CHECK(run_harden({"lint", "--threshold", "11", clean}).exited(2));
  CHECK(run_harden({"lint", dir.file("missing.toml")}).exited(125));
}

TEST_CASE("an invalid policy ends every subcommand with 125, as it ends a launch", "[lint][cli]") {
  TempDir dir("harden-invalid-everywhere");
  const std::string invalid = dir.file("invalid.toml");
  write_file(invalid, "[policy]\nname = \"bad\"\n[identity]\nusr = \"nobody\"\n");
  const std::vector<std::vector<std::string>> commands = {
      {"validate", invalid},
      {"lint", invalid},
      {"compile", invalid, "-o", dir.file("wrapper")},
      {"export", "--format", "nft", invalid},
      {"down", "--policy", invalid},
      {"--policy", invalid, "--", "/bin/true"},
      {"run", "--policy", invalid, "--", "/bin/true"},
  };
  for (const auto& command : commands) {
    const RunResult r = run_harden(command);
    INFO(r.describe());
    CHECK(r.exited(125));
    CHECK((r.out + r.err).find(invalid + ":4:1: error: unknown key 'usr'") != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("wrapper")));
}

TEST_CASE("lint walks directories for policies and skips bases", "[lint][cli]") {
  TempDir dir;
  dir.mkdir("base");
  dir.mkdir(".hidden");
  write_file(dir.file("base/service.toml"), "[limits]\nnofile = 64\nnproc = 8\ncore = 0\n");
  write_file(dir.file(".hidden/ignored.toml"), "not toml at all [");
  write_file(dir.file("notes.txt"), "not a policy");
  std::string child = kClean;
  const std::string limits = "[limits]\nnofile = 64\nnproc = 8\ncore = 0\n";
  child.replace(child.find(limits), limits.size(), "");
  child.replace(child.find("name = \"clean\"\n"), 15,
                "name = \"child\"\nextends = [\"base/service.toml\"]\n");
  write_file(dir.file("a.toml"), child);
  write_file(dir.file("base/b.toml"), kClean);
  const RunResult r = run_harden({"lint", "--format", "json", dir.path()});
  INFO(r.describe());
  CHECK(r.exited(0));
  const json doc = json::parse(r.out);
  REQUIRE(doc["policies"].size() == 2);
  CHECK(doc["policies"][0]["file"] == dir.file("a.toml"));
  CHECK(doc["policies"][0]["name"] == "child");
  CHECK(doc["policies"][1]["file"] == dir.file("base/b.toml"));
  CHECK(doc["bases_skipped"] == json::array({dir.file("base/service.toml")}));
  // Only bases: nothing to lint is a usage error.
  // Named: linted, and a policy without a name is invalid.
  CHECK(run_harden({"lint", dir.file("base/service.toml")}).exited(125));
}

TEST_CASE("lint --format json carries findings, positions, suppressions and scores",
          "[lint][cli]") {
  TempDir dir;
  std::string text = kDangerous;
  text +=
      "[lint]\nallow = [{ rule = \"dangerous-capability\", reason = \"it mounts the data "
      "volume\" }]\n";
  const std::string file = write_policy(dir, "d", text);
  const RunResult r = run_harden({"lint", "--format", "json", file});
  INFO(r.describe());
  CHECK(r.exited(1));
  const json doc = json::parse(r.out);
  CHECK(doc["fail_on"] == "warning");
  CHECK(doc["threshold"] == 5.0);
  const json& policy = doc["policies"].at(0);
  CHECK(policy["valid"] == true);
  CHECK(policy["passed"] == false);
  CHECK(policy["exposure"].get<double>() > 5.0);
  CHECK(policy["verdict"] == harden::exposure_verdict(policy["exposure"].get<double>()));
  bool saw_cap = false, saw_default = false;
  for (const json& f : policy["findings"]) {
    if (f["rule"] == "dangerous-capability") {
      saw_cap = true;
      CHECK(f["line"] == 6);
      CHECK(f["column"] == 9);
      CHECK(f["suppressed"] == true);
      CHECK(f["reason"] == "it mounts the data volume");
      CHECK(f["item"] == "CAP_SYS_ADMIN");
    }
    if (f["rule"] == "seccomp-default-permissive") {
      saw_default = true;
      CHECK(f["line"] == 8);
      CHECK(f["severity"] == "error");
      CHECK(f["suppressed"] == false);
    }
  }
  CHECK(saw_cap);
  CHECK(saw_default);
  // The text output shows the suppression and its reason.
  const RunResult text_run = run_harden({"lint", file});
  CHECK(text_run.out.find("note: suppressed: CAP_SYS_ADMIN is kept") != std::string::npos);
  CHECK(text_run.out.find("  reason: it mounts the data volume\n") != std::string::npos);
}

TEST_CASE("lint --format sarif is SARIF 2.1.0 with rule metadata and physical locations",
          "[lint][cli][sarif]") {
  TempDir dir;
  const std::string dangerous = write_policy(dir, "dangerous", kDangerous);
  const std::string invalid = write_policy(dir, "invalid", kInvalid);
  const RunResult r = run_harden({"lint", "--format", "sarif", dangerous, invalid});
  INFO(r.describe());
  CHECK(r.exited(125));
  const json doc = json::parse(r.out);
  CHECK(doc["$schema"].get<std::string>().find("sarif-2.1.0") != std::string::npos);
  CHECK(doc["version"] == "2.1.0");
  REQUIRE(doc["runs"].is_array());
  REQUIRE(doc["runs"].size() == 1);
  const json& run = doc["runs"][0];
  const json& driver = run["tool"]["driver"];
  CHECK(driver["name"] == "harden");
  CHECK(driver["version"].is_string());
  CHECK(driver["informationUri"].get<std::string>().find(':') != std::string::npos);
  const auto catalog = harden::lint_rules();
  REQUIRE(driver["rules"].size() == catalog.size());
  std::set<std::string> ids;
  for (size_t i = 0; i < catalog.size(); ++i) {
    const json& rule = driver["rules"][i];
    INFO(rule.dump());
    CHECK(rule["id"] == catalog[i].id);
    CHECK(rule["name"] == catalog[i].name);
    CHECK(rule["shortDescription"]["text"] == catalog[i].title);
    CHECK(rule["fullDescription"]["text"] == catalog[i].rationale);
    CHECK(rule["help"]["text"].get<std::string>().find(catalog[i].fix) != std::string::npos);
    const std::string level = rule["defaultConfiguration"]["level"];
    CHECK((level == "error" || level == "warning" || level == "note"));
    ids.insert(rule["id"]);
  }
  REQUIRE(run["results"].is_array());
  CHECK(run["results"].size() >= 3);
  std::set<std::string> seen_rules;
  for (const json& result : run["results"]) {
    INFO(result.dump());
    const std::string rule_id = result["ruleId"];
    CHECK(ids.count(rule_id) == 1);
    CHECK(driver["rules"][result["ruleIndex"].get<size_t>()]["id"] == rule_id);
    const std::string level = result["level"];
    CHECK((level == "error" || level == "warning" || level == "note"));
    CHECK_FALSE(result["message"]["text"].get<std::string>().empty());
    REQUIRE(result["locations"].size() == 1);
    const json& physical = result["locations"][0]["physicalLocation"];
    const std::string uri = physical["artifactLocation"]["uri"];
    CHECK((uri == dangerous || uri == invalid));
    CHECK(physical["region"]["startLine"].get<int>() >= 1);
    CHECK(physical["region"]["startColumn"].get<int>() >= 1);
    seen_rules.insert(rule_id);
    if (rule_id == "seccomp-default-permissive") {
      CHECK(physical["region"]["startLine"] == 8);
      CHECK(physical["region"]["startColumn"] == 18);
    }
    if (rule_id == "invalid-policy") {
      CHECK(uri == invalid);
      CHECK(physical["region"]["startLine"] == 4);
      CHECK(physical["region"]["startColumn"] == 10);
    }
  }
  CHECK(seen_rules.count("dangerous-capability") == 1);
  CHECK(seen_rules.count("invalid-policy") == 1);
}

TEST_CASE("lint --explain and --list-rules", "[lint][cli]") {
  RunResult r = run_harden({"lint", "--explain", "dangerous-syscall"});
  INFO(r.describe());
  CHECK(r.exited(0));
  CHECK(r.out.find("dangerous-syscall (error, weight 10.0)") != std::string::npos);
  CHECK(r.out.find("Fix:") != std::string::npos);
  CHECK(r.out.find("  ptrace ") != std::string::npos);
  r = run_harden({"lint", "--explain", "dangerous-syscal"});
  CHECK(r.exited(2));
  CHECK(r.err.find("did you mean 'dangerous-syscall'?") != std::string::npos);
  r = run_harden({"lint", "--list-rules"});
  CHECK(r.exited(0));
  for (const harden::LintRule& rule : harden::lint_rules()) {
    CHECK(r.out.find(std::string(rule.id) + " ") != std::string::npos);
  }
}

TEST_CASE("the shipped policies pass lint at the default threshold", "[lint][cli]") {
  const RunResult r = run_harden({"lint", "--format", "json", source_dir() + "/policies"});
  INFO(r.describe());
  CHECK(r.exited(0));
  const json doc = json::parse(r.out);
  CHECK(doc["policies"].size() >= 3);
  for (const json& policy : doc["policies"]) {
    CHECK(policy["passed"] == true);
    CHECK(policy["exposure"].get<double>() <= 5.0);
  }
}
