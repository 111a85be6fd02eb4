// The policy text compiled as harden compiles it, for the exporter tests.
#pragma once

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <utility>

#include "compiler/compile.hpp"
#include "policy/policy_reader.hpp"

namespace harden::test {

struct Compiled {
  Policy policy;
  Plan plan;
};

// Reads and compiles a policy written in the test ("test.toml"); a Catch failure when invalid.
inline Compiled compile_text(const std::string& text) {
  Diagnostics diags;
  std::optional<Policy> policy = read_policy_text(text, "test.toml", diags);
  INFO(render_all(diags));
  REQUIRE(policy);
  std::optional<Plan> plan = compile_policy(*policy, diags);
  INFO(render_all(diags));
  REQUIRE(plan);
  return {std::move(*policy), std::move(*plan)};
}

}  // namespace harden::test
