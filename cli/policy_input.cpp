#include "cli/policy_input.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "lint/lint.hpp"
#include "policy/policy_files.hpp"
#include "policy/policy_reader.hpp"

namespace harden::cli {

std::expected<PolicyInputs, std::string> expand_policy_paths(
    const std::vector<std::string>& paths) {
  if (std::count(paths.begin(), paths.end(), "-") > 1)
    return std::unexpected("'-' (standard input) may be given once");
  PolicyInputs inputs;
  inputs.files = find_policy_files(paths, inputs.bases);
  return inputs;
}

std::optional<Plan> compile_policy_input(const PolicyFileInput& input, Diagnostics& diags,
                                         const CompileOptions& options) {
  if (input.found_beneath.empty()) return compile_policy_file(input.path, diags, options);
  RealPolicyFileSystem real;
  BeneathPolicyFileSystem files(real, input.found_beneath);
  const std::optional<Policy> policy =
      read_policy(input.path, diags, files, policy_search_path_from_environment());
  if (!policy) return std::nullopt;
  return compile_policy(*policy, diags, options);
}

LintReport lint_policy_input(const PolicyFileInput& input, HostChecks host) {
  if (input.found_beneath.empty()) return lint_policy_file(input.path, host);
  RealPolicyFileSystem real;
  BeneathPolicyFileSystem files(real, input.found_beneath);
  return lint_policy_file(input.path, host, files);
}

std::expected<std::string, std::string> read_policy_stdin() {
  std::string text;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return std::unexpected(std::string("cannot read standard input: ") + std::strerror(errno));
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxPolicyFileSize) {
      return std::unexpected("standard input holds more than " +
                             std::to_string(kMaxPolicyFileSize >> 20) +
                             " MiB, more than any policy file may");
    }
  }
  return text;
}

}  // namespace harden::cli
