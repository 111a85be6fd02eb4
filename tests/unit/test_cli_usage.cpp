// harden's own command line when it is wrong: the real binary, its exit code (125 for anything
// that may have been meant as a launch, 2 for the other subcommands), the hint that names the
// fix (nearest option or subcommand, the missing "--"), and that the target never runs.
#include <catch2/catch.hpp>

#include "tests/support/harness.hpp"

using namespace harden::test;

namespace {

constexpr const char* kPolicy = R"([policy]
name = "usage"
[identity]
user = "nobody"
group = "nogroup"
[seccomp]
default_action = "kill-process"
allow = ["@service"]
)";

struct Fixture {
  TempDir dir{"harden-usage"};
  std::string policy = write_policy(dir, "usage", kPolicy);
  std::string marker = dir.file("target-ran");
  // A target that leaves a trace: a usage error must never start it.
  std::vector<std::string> target() const { return {"/usr/bin/touch", marker}; }
};

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("a misspelt launch option exits 125 and names the option meant", "[cli][usage]") {
  Fixture f;
  const RunResult r = run_harden(concat({"--polcy", f.policy, "--"}, f.target()));
  INFO(r.describe());
  CHECK(r.exited(125));
  CHECK(r.err.find("unknown option '--polcy' of harden: did you mean '--policy'?") !=
        std::string::npos);
  CHECK(r.err.find("Run 'harden --help'") != std::string::npos);
  CHECK_FALSE(path_exists(f.marker));

  const RunResult supervise =
      run_harden(concat({"--policy", f.policy, "--supervize", "--"}, f.target()));
  INFO(supervise.describe());
  CHECK(supervise.exited(125));
  CHECK(supervise.err.find("did you mean '--supervise'?") != std::string::npos);
  CHECK_FALSE(path_exists(f.marker));
}

TEST_CASE("a misspelt option of harden run exits 125 and names the option meant", "[cli][usage]") {
  Fixture f;
  const RunResult r = run_harden(concat({"run", "--polcy=" + f.policy, "--"}, f.target()));
  INFO(r.describe());
  CHECK(r.exited(125));
  CHECK(r.err.find("unknown option '--polcy' of harden run: did you mean '--policy'?") !=
        std::string::npos);
  CHECK(r.err.find("Run 'harden run --help'") != std::string::npos);
  CHECK_FALSE(path_exists(f.marker));
}

TEST_CASE("a command without -- before it exits 125 with the command line that works",
          "[cli][usage]") {
  Fixture f;
  SECTION("short form") {
    const RunResult r = run_harden(concat({"--policy", f.policy}, f.target()));
    INFO(r.describe());
    CHECK(r.exited(125));
    CHECK(r.err.find("harden: the target's command must follow '--': harden --policy " + f.policy +
                     " -- /usr/bin/touch " + f.marker) != std::string::npos);
  }
  SECTION("harden run, with an option of the target's and a word that needs quoting") {
    const RunResult r = run_harden({"run", "-p", f.policy, "/bin/echo", "-n", "two words", "it's"});
    INFO(r.describe());
    CHECK(r.exited(125));
    CHECK(r.err.find("must follow '--': harden run -p " + f.policy +
                     " -- /bin/echo -n 'two words' 'it'\\''s'") != std::string::npos);
  }
  SECTION("--policy=FILE") {
    const RunResult r = run_harden(concat({"--policy=" + f.policy}, f.target()));
    INFO(r.describe());
    CHECK(r.exited(125));
    CHECK(r.err.find("must follow '--': harden --policy=" + f.policy + " -- /usr/bin/touch") !=
          std::string::npos);
  }
  SECTION("a word before -- that is not harden's") {
    const RunResult r = run_harden(concat({"--policy", f.policy, "extra", "--"}, f.target()));
    INFO(r.describe());
    CHECK(r.exited(125));
    CHECK(r.err.find("'extra' is not an argument of harden; the target's whole command goes "
                     "after '--'") != std::string::npos);
  }
  CHECK_FALSE(path_exists(f.marker));
}

TEST_CASE("an unknown subcommand exits 125 and names the nearest one", "[cli][usage]") {
  Fixture f;
  const RunResult r = run_harden({"valdate", f.policy});
  INFO(r.describe());
  CHECK(r.exited(125));
  CHECK(r.err.find("unknown command 'valdate': did you mean 'harden validate'?") !=
        std::string::npos);

  const RunResult far = run_harden({"frobnicate", f.policy});
  INFO(far.describe());
  CHECK(far.exited(125));
  // Nothing near: the commands, and how to run a program of that name.
  CHECK(far.err.find(
            "unknown command 'frobnicate' (the commands are run, learn, compile, validate,") !=
        std::string::npos);
  CHECK(far.err.find("to run it under a policy: harden --policy FILE -- frobnicate " + f.policy) !=
        std::string::npos);
}

TEST_CASE("usage errors of the other subcommands exit 2 with the option meant", "[cli][usage]") {
  Fixture f;
  const RunResult lint = run_harden({"lint", "--fromat", "json", f.policy});
  INFO(lint.describe());
  CHECK(lint.exited(2));
  CHECK(lint.err.find("unknown option '--fromat' of harden lint: did you mean '--format'?") !=
        std::string::npos);
  CHECK(lint.err.find("Run 'harden lint --help'") != std::string::npos);

  const RunResult steps = run_harden({"steps", "extra"});
  INFO(steps.describe());
  CHECK(steps.exited(2));
  CHECK(steps.err.find("'harden steps' takes no argument such as 'extra'") != std::string::npos);

  const RunResult unknown = run_harden({"validate", "--zzzzzzzz", f.policy});
  INFO(unknown.describe());
  CHECK(unknown.exited(2));
  CHECK(unknown.err.find("unknown option '--zzzzzzzz' of harden validate; its options are in "
                         "'harden validate --help'") != std::string::npos);
}

TEST_CASE("a correct command line is accepted, and --help and --version exit 0", "[cli][usage]") {
  Fixture f;
  const RunResult help = run_harden({"--help"});
  CHECK(help.exited(0));
  const RunResult version = run_harden({"--version"});
  CHECK(version.exited(0));
  const RunResult validate = run_harden({"validate", "-q", f.policy});
  INFO(validate.describe());
  CHECK(validate.exited(0));
  CHECK(validate.err.empty());
}
