// harden-exec: the stub of a compiled wrapper. `harden compile svc.toml -o svc-wrapper` copies
// this program and appends the sealed plan; at start the wrapper reads that plan from its own
// file, verifies it and applies it exactly as `harden run` does, then execs the target:
//
//   svc-wrapper [--supervise] [-- COMMAND [ARGS...]]     (no command: the policy's own)
//
// No TOML, no BPF generation, no CLI library, no stdio or locale set-up: the start-up cost is
// reading a few kilobytes and the syscalls the plan itself asks for.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "enforcer/steps.hpp"
#include "enforcer/write_stderr.hpp"
#include "plan/plan_file.hpp"
#include "plan/plan_io.hpp"
#include "plan/unique_fd.hpp"

extern char** environ;

namespace {

using namespace harden;

// `harden compile` looks for this line to be sure it seals plans behind a stub of its own
// version; the usage message prints it, which also keeps it in the binary.
constexpr std::string_view kStubTag = "HARDEN-EXEC-STUB " HARDEN_VERSION "\n";

void say(std::string_view text) {
  write_stderr(text);
}

int refuse(std::string_view program, std::string_view why, int code) {
  say(std::string(program) + ": " + std::string(why) + "; the target was not started\n");
  return code;
}

// The wrapper's own file: /proc/self/exe is the very inode the kernel executed, so nothing can
// swap the plan between execve and this open (a path from argv[0] or AT_EXECFN could be).
std::expected<Plan, std::string> own_plan() {
  auto bytes = read_own_sealed_plan();
  if (!bytes) return std::unexpected(bytes.error());
  return plan_from_bytes({reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size()});
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view program = argc > 0 && argv[0] ? argv[0] : "harden-exec";
  std::span<char*> args(argv + (argc > 0 ? 1 : 0), static_cast<size_t>(argc > 0 ? argc - 1 : 0));
  LaunchOptions options;
  if (!args.empty() && std::string_view(args.front()) == "--supervise") {
    options.supervise = true;
    args = args.subspan(1);
  }
  std::vector<std::string> command;
  if (!args.empty()) {
    if (std::string_view(args.front()) != "--") {
      say(kStubTag);
      return refuse(program,
                    "usage: " + std::string(program) + " [--supervise] [-- COMMAND [ARGS...]]",
                    exit_code::kPolicyError);
    }
    command.assign(args.begin() + 1, args.end());
  }
  auto plan = own_plan();
  if (!plan) return refuse(program, plan.error(), exit_code::kVerifyPlan);
  auto ctx = prepare_exec(plan->data(), command, environ, options);
  if (!ctx) return refuse(program, ctx.error(), exit_code::kPolicyError);
  RealSys sys;
  enforce_exec_or_exit(*plan, *ctx, sys);
}
