// "Did you mean" hints: a truncated name is suggested by its unique prefix (CAP_NET_BIND ->
// CAP_NET_BIND_SERVICE), which edit distance alone cannot find; an ambiguous prefix falls back
// to edit distance, and a typo still finds its word.
#include <catch2/catch.hpp>

#include <string_view>
#include <vector>

#include "compiler/compile.hpp"
#include "policy/diagnostics.hpp"
#include "policy/policy_reader.hpp"
#include "tests/support/harness.hpp"

using namespace harden;

TEST_CASE("suggestions: a unique prefix beats edit distance", "[diagnostics]") {
  const std::vector<std::string_view> caps{"CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE",
                                           "CAP_NET_BROADCAST", "CAP_NET_RAW", "CAP_SYS_ADMIN"};
  CHECK(nearest_name("CAP_NET_BIND", caps) == "CAP_NET_BIND_SERVICE");
  CHECK(nearest_name("CAP_SYS_AD", caps) == "CAP_SYS_ADMIN");
  // Four candidates start with CAP_NET: no prefix answer, and none is a typo away.
  CHECK(nearest_name("CAP_NET", caps).empty());
  // Typos are still edit distance's.
  CHECK(nearest_name("CAP_NET_RAWW", caps) == "CAP_NET_RAW");
  // Too short a word to be a name's beginning.
  CHECK(nearest_name("CA", std::vector<std::string_view>{"CAP_X_LONG_NAME"}).empty());
}

TEST_CASE("suggestions: keep = CAP_NET_BIND names CAP_NET_BIND_SERVICE at its place",
          "[diagnostics]") {
  Diagnostics diags;
  const std::optional<Policy> policy = read_policy_text(
      "[policy]\nname = \"p\"\n[capabilities]\nkeep = [\"CAP_NET_BIND\"]\n", "p.toml", diags);
  REQUIRE(policy);
  CHECK_FALSE(compile_policy(*policy, diags).has_value());
  REQUIRE(diags.all().size() == 1);
  const Diagnostic& d = diags.all()[0];
  CHECK(d.pos.line == 4);
  CHECK(d.pos.column == 9);
  CHECK(d.hint == "did you mean 'CAP_NET_BIND_SERVICE'?");

  // The same through the real binary, from standard input.
  const harden::test::RunResult r = harden::test::run_harden(
      {"validate", "-"},
      {.stdin_data = "[policy]\nname = \"p\"\n[capabilities]\nkeep = [\"net_bind\"]\n"});
  CHECK(r.exited(125));
  CHECK(r.err.find("<stdin>:4:9: error: unknown capability 'net_bind'") != std::string::npos);
  CHECK(r.err.find("did you mean 'CAP_NET_BIND_SERVICE'?") != std::string::npos);
}
