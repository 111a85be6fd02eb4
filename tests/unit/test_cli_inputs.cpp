// The real binary's policy inputs and JSON documents: validate and lint take directories and
// "-" (standard input, named <stdin> in diagnostics, extends found from the working
// directory); validate and steps write JSON that scripts can parse.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "enforcer/steps.hpp"
#include "tests/support/harness.hpp"

using namespace harden::test;
using nlohmann::json;

namespace {

constexpr const char* kGood = "[policy]\nname = \"good\"\n[identity]\nuser = \"nobody\"\n";
constexpr const char* kBad = "[policy]\nname = \"bad\"\n[seccomp]\nallow = [\"ptrce\"]\n";
constexpr const char* kBase = "[identity]\nuser = \"nobody\"\n";

// dir/a.toml (valid), dir/sub/b.toml (invalid), dir/base.toml (a base), dir/.hidden/c.toml.
struct Tree {
  TempDir dir{"harden-inputs"};
  Tree() {
    dir.mkdir("sub");
    dir.mkdir(".hidden");
    write_file(dir.file("a.toml"), kGood);
    write_file(dir.file("sub/b.toml"), kBad);
    write_file(dir.file("base.toml"), kBase);
    write_file(dir.file(".hidden/c.toml"), kBad);
    write_file(dir.file("notes.txt"), kBad);
  }
};

}  // namespace

TEST_CASE("validate DIR: every policy beneath it, bases and hidden directories left out", "[cli]") {
  Tree t;
  RunResult r = run_harden({"validate", t.dir.path()});
  INFO(r.describe());
  CHECK(r.exited(125));  // sub/b.toml is invalid
  CHECK(r.out.find(t.dir.file("a.toml") + ": ok") != std::string::npos);
  CHECK(r.err.find(t.dir.file("sub/b.toml") + ":4:") != std::string::npos);
  CHECK(r.err.find("did you mean 'ptrace'") != std::string::npos);
  CHECK(r.out.find("base.toml") == std::string::npos);
  CHECK(r.err.find(".hidden") == std::string::npos);

  RunResult json_run = run_harden({"validate", "--format", "json", t.dir.path()});
  CHECK(json_run.exited(125));
  const json doc = json::parse(json_run.out);
  CHECK(doc["valid"] == false);
  REQUIRE(doc["policies"].size() == 2);
  CHECK(doc["policies"][0]["file"] == t.dir.file("a.toml"));
  CHECK(doc["policies"][0]["valid"] == true);
  CHECK(doc["policies"][1]["file"] == t.dir.file("sub/b.toml"));
  CHECK(doc["policies"][1]["valid"] == false);
  CHECK(doc["policies"][1]["errors"] == 1);
  const json& d = doc["policies"][1]["diagnostics"][0];
  CHECK(d["line"] == 4);
  CHECK(d["column"] == 10);
  CHECK(d["severity"] == "error");
  CHECK(d["hint"] == "did you mean 'ptrace'?");
  CHECK(doc["bases"] == json::array({t.dir.file("base.toml")}));

  // A directory holding only a base has nothing to validate: a usage error, not success.
  TempDir only_base{"harden-inputs-base"};
  write_file(only_base.file("base.toml"), kBase);
  RunResult empty = run_harden({"validate", only_base.path()});
  CHECK(empty.exited(2));
  CHECK(empty.err.find("no policies found") != std::string::npos);
}

TEST_CASE("validate DIR and lint DIR never follow a symbolic link out of DIR", "[cli][input]") {
  // A checked-out tree is someone else's input: a link in it to a file outside must fail the
  // check, and nothing of that file may be read into the output. Before, the file was read
  // (and checked, and quoted where it parsed) wherever the link led.
  Tree t;
  TempDir outside{"harden-inputs-outside"};
  write_file(outside.file("secret.toml"),
             "[policy]\nname = \"outside\"\n[identity]\nuser = \"SECRETUSER\"\n", 0600);
  REQUIRE(::symlink(outside.file("secret.toml").c_str(), t.dir.file("sub/link.toml").c_str()) == 0);
  // A link that stays inside the tree is a policy like any other.
  REQUIRE(::symlink("../a.toml", t.dir.file("sub/inside.toml").c_str()) == 0);
  for (const char* command : {"validate", "lint"}) {
    RunResult r = run_harden({command, t.dir.path()});
    INFO(r.describe());
    CHECK(r.exited(125));
    const std::string all = r.out + r.err;  // lint reports on stdout, validate on stderr
    CHECK(all.find(t.dir.file("sub/link.toml") + ": error: cannot read policy file") !=
          std::string::npos);
    CHECK(all.find("a symbolic link in it leads outside") != std::string::npos);
    CHECK((r.out + r.err).find("SECRETUSER") == std::string::npos);
    CHECK((r.out + r.err).find("outside\"") == std::string::npos);
    CHECK(r.out.find(t.dir.file("sub/inside.toml")) != std::string::npos);
  }
  // Named on the command line, the file is the caller's choice and is read.
  RunResult named = run_harden({"validate", t.dir.file("sub/link.toml")});
  INFO(named.describe());
  CHECK(named.out.find(t.dir.file("sub/link.toml") + ": ok") != std::string::npos);
}

TEST_CASE("validate DIR: a file toml++ cannot read safely is reported, not parsed",
          "[cli][input]") {
  // The search decides policy or base by reading each file; it goes through the reader's own
  // checks (before, toml++ read it directly and reached __builtin_unreachable on U+FB3F).
  Tree t;
  write_file(t.dir.file("sub/wide.toml"), "[policy]\nname = \"wide\"\n\xef\xac\xbf = 1\n");
  for (const char* command : {"validate", "lint"}) {
    RunResult r = run_harden({command, t.dir.path()});
    INFO(r.describe());
    CHECK(r.exited(125));
    CHECK((r.out + r.err).find(t.dir.file("sub/wide.toml") + ":3:1: error: the character U+FB3F") !=
          std::string::npos);
  }
}

TEST_CASE("validate - and lint -: the policy from standard input", "[cli]") {
  Tree t;
  // extends is relative to the working directory.
  const std::string child = "[policy]\nname = \"child\"\nextends = [\"base.toml\"]\n";
  RunResult ok = run_harden({"validate", "-"}, {.stdin_data = child, .working_dir = t.dir.path()});
  INFO(ok.describe());
  CHECK(ok.exited(0));
  CHECK(ok.out == "<stdin>: ok\n");

  RunResult missing = run_harden({"validate", "-"}, {.stdin_data = child, .working_dir = "/"});
  CHECK(missing.exited(125));
  CHECK(missing.err.find("<stdin>:3:") != std::string::npos);

  RunResult bad = run_harden({"validate", "-"}, {.stdin_data = kBad});
  CHECK(bad.exited(125));
  CHECK(bad.err.find("<stdin>:4:10: error: unknown syscall 'ptrce'") != std::string::npos);

  RunResult twice = run_harden({"validate", "-", "-"}, {.stdin_data = kGood});
  CHECK(twice.exited(2));
  CHECK(twice.err.find("may be given once") != std::string::npos);

  // More than a policy file may hold is refused, not read without end.
  RunResult huge = run_harden({"validate", "-"}, {.stdin_data = std::string((1 << 20) + 10, '#')});
  CHECK(huge.exited(2));
  CHECK(huge.err.find("more than 1 MiB") != std::string::npos);

  RunResult lint = run_harden({"lint", "--format", "json", "-"}, {.stdin_data = kBad});
  INFO(lint.describe());
  CHECK(lint.exited(125));
  const json doc = json::parse(lint.out);
  CHECK(doc["policies"][0]["file"] == "<stdin>");
  CHECK(doc["policies"][0]["diagnostics"][0]["file"] == "<stdin>");

  RunResult lint_dir = run_harden({"lint", "--format", "json", "--fail-on", "none", "--threshold",
                                   "10", t.dir.file("a.toml"), "-"},
                                  {.stdin_data = kGood});
  INFO(lint_dir.describe());
  CHECK(lint_dir.exited(0));
  CHECK(json::parse(lint_dir.out)["policies"].size() == 2);
}

TEST_CASE("steps --format json: the order table, as the enforcer walks it", "[cli]") {
  RunResult r = run_harden({"steps", "--format", "json"});
  INFO(r.describe());
  REQUIRE(r.exited(0));
  const json doc = json::parse(r.out);
  const auto steps = harden::enforcement_steps();
  REQUIRE(doc["steps"].size() == steps.size() + 1);
  for (size_t i = 0; i < steps.size(); ++i) {
    CHECK(doc["steps"][i]["name"] == std::string(steps[i].name));
    CHECK(doc["steps"][i]["exit_code"] == steps[i].exit_code);
    CHECK(doc["steps"][i]["why"] == std::string(steps[i].why));
  }
  CHECK(doc["steps"].back()["name"] == "exec");
  CHECK(doc["steps"].back()["exit_code"] == 126);
}
