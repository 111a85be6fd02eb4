// harden compile POLICY -o OUT [--plan-only] [--stub PATH]
//
// Seals the compiled plan (plan_io.hpp) either into a plan file for `harden run --plan`, or
// behind a copy of the harden-exec stub, giving a standalone wrapper that starts without
// reading any TOML or generating any BPF.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "cli/commands.hpp"
#include "compiler/compile.hpp"
#include "enforcer/layers.hpp"
#include "plan/plan_file.hpp"
#include "plan/plan_io.hpp"
#include "plan/unique_fd.hpp"

namespace harden::cli {

namespace {

namespace fs = std::filesystem;

// The static stub maps no library; plans with a [network] firewall need libnftables, which
// only the dynamic one can load (stub/CMakeLists.txt).
constexpr std::string_view kStaticStubName = "harden-exec";
constexpr std::string_view kDynamicStubName = "harden-exec-dynamic";

std::string_view stub_name_for(const PlanData& plan) {
  const bool needs_nftables =
      enforce::nftables::wanted(plan) || enforce::nftables_netns::wanted(plan);
  return needs_nftables ? kDynamicStubName : kStaticStubName;
}

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// The stub beside this harden binary (the build tree), or in ../libexec/harden (installed).
std::expected<std::string, std::string> find_stub(std::string_view stub_name) {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error) return std::unexpected("cannot find harden's own path: " + error.message());
  const fs::path dir = self.parent_path();
  for (const fs::path& candidate :
       {dir / stub_name, dir / ".." / "libexec" / "harden" / stub_name}) {
    if (::access(candidate.c_str(), R_OK) == 0) return candidate.lexically_normal().string();
  }
  return std::unexpected("no " + std::string(stub_name) + " stub next to " + self.string() +
                         " or in ../libexec/harden; give one with --stub");
}

std::expected<std::string, std::string> read_stub(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::unexpected(errno_text("cannot open the stub " + path));
  if (has_seal_footer(fd.get())) {
    return std::unexpected(path + " is already a compiled wrapper, not the harden-exec stub");
  }
  std::string bytes;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(errno_text("reading the stub " + path));
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  if (!bytes.starts_with("\x7f"
                         "ELF"))
    return std::unexpected(path + " is not an ELF program");
  // The stub names its version (harden_exec.cpp); a stub from another harden would refuse
  // every plan this one writes.
  const std::string tag = "HARDEN-EXEC-STUB " + std::string(harden_version()) + "\n";
  if (bytes.find(tag) == std::string::npos) {
    return std::unexpected(path + " is not the harden-exec stub of harden " +
                           std::string(harden_version()));
  }
  return bytes;
}

// Writes the file next to its final name and renames it into place, so a running service
// never sees half a wrapper and a failed compile leaves the old one intact.
std::expected<void, std::string> write_atomically(const std::string& path,
                                                  std::initializer_list<std::string_view> parts,
                                                  mode_t mode) {
  const fs::path target(path);
  std::string temp = (target.parent_path().empty() ? fs::path(".") : target.parent_path()) /
                     ("." + target.filename().string() + ".XXXXXX");
  const UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (!fd) return std::unexpected(errno_text("cannot create a file beside " + path));
  auto fail = [&](const std::string& what) {
    const std::string message = errno_text(what);
    ::unlink(temp.c_str());
    return std::unexpected(message);
  };
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd.get(), mode & ~mask) != 0) return fail("chmod " + temp);
  for (std::string_view part : parts) {
    while (!part.empty()) {
      const ssize_t n = ::write(fd.get(), part.data(), part.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail("writing " + temp);
      part.remove_prefix(static_cast<size_t>(n));
    }
  }
  if (::fsync(fd.get()) != 0) return fail("fsync " + temp);
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("renaming it to " + path);
  return {};
}

}  // namespace

Subcommand add_compile_command(CLI::App& parent) {
  struct Options {
    std::string policy;
    std::string output;
    std::string stub;
    bool plan_only = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "compile",
      "Compile a policy into a standalone wrapper (svc-wrapper -- CMD runs CMD under it) or, "
      "with --plan-only, into a sealed plan file for 'harden run --plan'");
  app->add_option("policy", options->policy, "Policy file")->required()->check(CLI::ExistingFile);
  app->add_option("-o,--output", options->output, "The wrapper (or plan) to write")->required();
  app->add_flag("--plan-only", options->plan_only, "Write only the sealed plan");
  app->add_option("--stub", options->stub,
                  "The stub to build the wrapper from (default: harden-exec, or "
                  "harden-exec-dynamic for a policy with a [network] firewall, beside harden or "
                  "in ../libexec/harden)")
      ->check(CLI::ExistingFile);
  return {app, [options](const Invocation& inv) {
            if (!inv.command.empty()) {
              std::fputs("harden compile: takes no command after --\n", stderr);
              return kUsageError;
            }
            Diagnostics diags;
            const std::optional<Plan> plan = compile_policy_file(options->policy, diags);
            print_diagnostics(diags);
            if (!plan) {
              std::fprintf(stderr, "harden compile: %zu error(s) in %s; nothing was written\n",
                           diags.error_count(), options->policy.c_str());
              return kInvalidPolicy;
            }
            const std::string sealed = plan_to_bytes(*plan);
            std::expected<void, std::string> written;
            if (options->plan_only) {
              written = write_atomically(options->output, {sealed}, 0644);
            } else {
              auto stub_path =
                  options->stub.empty() ? find_stub(stub_name_for(plan->data())) : options->stub;
              auto stub = stub_path ? read_stub(*stub_path) : std::unexpected(stub_path.error());
              if (!stub) {
                std::fprintf(stderr, "harden compile: %s\n", stub.error().c_str());
                return 1;
              }
              written = write_atomically(
                  options->output, {*stub, sealed, seal_footer(stub->size(), sealed.size())}, 0755);
            }
            if (!written) {
              std::fprintf(stderr, "harden compile: %s\n", written.error().c_str());
              return 1;
            }
            std::printf("%s: %s for policy '%s' (plan %zu bytes, %zu BPF instructions)\n",
                        options->output.c_str(), options->plan_only ? "sealed plan" : "wrapper",
                        plan->data().policy_name.c_str(), sealed.size(),
                        plan->data().seccomp.program.size());
            return 0;
          }};
}

}  // namespace harden::cli
