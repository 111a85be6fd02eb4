#include "cli/plan_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <expected>

#include "cli/commands.hpp"
#include "compiler/compile.hpp"
#include "plan/plan_file.hpp"
#include "plan/plan_io.hpp"
#include "plan/unique_fd.hpp"

namespace harden::cli {

std::optional<Plan> load_plan(const PlanSource& source, const char* command) {
  if (!source.policy.empty()) {
    Diagnostics diags;
    std::optional<Plan> plan = compile_policy_file(source.policy, diags);
    print_diagnostics(diags);
    if (!plan)
      std::fprintf(stderr, "harden %s: %s is not a valid policy\n", command, source.policy.c_str());
    return plan;
  }
  std::expected<std::string, std::string> bytes = std::unexpected(std::string());
  if (!source.plan.empty()) {
    bytes = read_plan_file(source.plan);
  } else {
    const UniqueFd fd(::open(source.wrapper.c_str(), O_RDONLY | O_CLOEXEC));
    bytes = fd ? read_sealed_plan(fd.get())
               : std::unexpected(std::string("cannot open it: ") + std::strerror(errno));
  }
  std::expected<Plan, std::string> plan =
      bytes
          ? plan_from_bytes({reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size()})
          : std::unexpected(bytes.error());
  if (plan) return std::move(*plan);
  std::fprintf(stderr, "harden %s: %s: %s\n", command, source.name().c_str(), plan.error().c_str());
  return std::nullopt;
}

}  // namespace harden::cli
