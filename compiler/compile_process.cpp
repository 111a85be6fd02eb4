// Resolves the process-level sections: [limits], [environment], [exec].
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

#include "compiler/compile_layers.hpp"

namespace harden {

namespace {

struct LimitName {
  std::string_view name;
  int resource;
};

constexpr std::array<LimitName, 16> kLimitNames{{
    {"as", RLIMIT_AS},
    {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},
    {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
}};

// `path` with "//", "." and ".." folded, as the kernel would walk it without symlinks.
std::string lexically_normal(const std::string& path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part(path.data() + start, end - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (const std::string_view part : parts)
    out += "/" + std::string(part);
  return out.empty() ? "/" : out;
}

bool valid_env_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

}  // namespace

std::vector<ResourceLimit> compile_limits(const LimitsSection& limits, Diagnostics& diags) {
  std::vector<ResourceLimit> plan;
  for (const LimitValue& value : limits.values) {
    const auto it = std::find_if(kLimitNames.begin(), kLimitNames.end(),
                                 [&](const LimitName& l) { return l.name == value.name.value; });
    if (it == kLimitNames.end()) continue;  // the parser already reported it
    ResourceLimit limit;
    limit.resource = it->resource;
    limit.soft = value.soft_infinite ? RLIM_INFINITY : value.soft->value;
    limit.hard = value.hard_infinite ? RLIM_INFINITY : value.hard->value;
    if (limit.soft > limit.hard) {
      diags.error(value.soft->pos,
                  "soft limit of '" + value.name.value + "' is above its hard limit",
                  "the soft limit must be at most the hard limit");
      continue;
    }
    if (limit.resource == RLIMIT_NOFILE && limit.hard > (1U << 20)) {
      // The kernel refuses a nofile hard limit above fs.nr_open (1048576 by default); fail
      // here with a position rather than at start time.
      diags.error(value.hard->pos, "'nofile' above 1048576 is refused by the kernel (fs.nr_open)",
                  "use at most 1048576");
      continue;
    }
    plan.push_back(limit);
  }
  return plan;
}

EnvironmentPlan compile_environment(const EnvironmentSection& env, Diagnostics& diags) {
  EnvironmentPlan plan;
  plan.clear = !env.clear || env.clear->value;
  for (const LocatedString& name : env.keep) {
    if (!valid_env_name(name.value)) {
      diags.error(name.pos, "invalid environment variable name '" + name.value + "'",
                  "names are letters, digits and '_', not starting with a digit");
      continue;
    }
    plan.keep.push_back(name.value);
  }
  for (const auto& [name, value] : env.set) {
    if (!valid_env_name(name.value)) {
      diags.error(name.pos, "invalid environment variable name '" + name.value + "'",
                  "names are letters, digits and '_', not starting with a digit");
      continue;
    }
    if (value.value.find('\0') != std::string::npos) {
      diags.error(value.pos, "environment value contains a NUL byte");
      continue;
    }
    plan.set.push_back(name.value + "=" + value.value);
  }
  if (!plan.clear && !plan.keep.empty()) {
    diags.warning(env.keep.front().pos, "'keep' has no effect when clear = false",
                  "with clear = false every variable of the caller is passed on");
  }
  return plan;
}

ExecPlan compile_exec(const ExecSection& exec, Diagnostics& diags) {
  ExecPlan plan;
  if (exec.command) plan.command = exec.command->value;
  if (exec.working_directory) {
    if (exec.working_directory->value.empty() || exec.working_directory->value[0] != '/') {
      diags.error(exec.working_directory->pos, "'working_directory' must be an absolute path",
                  "write it as the target sees it, e.g. \"/srv/app\"");
    } else if (const std::string normal = lexically_normal(exec.working_directory->value);
               normal == "/proc" || normal.starts_with("/proc/")) {
      // /proc/self/fd/N, /proc/self/cwd, /proc/1/root: magic links that lead wherever a
      // descriptor or another process points, outside any root. The enforcer refuses them
      // anyway (RESOLVE_NO_MAGICLINKS); a policy naming one is a mistake or an attack.
      diags.error(exec.working_directory->pos,
                  "'working_directory' cannot be in /proc ('" + normal + "')",
                  "/proc/self/fd/N and /proc/PID/cwd lead outside the root; name the "
                  "directory itself, e.g. \"/srv/app\"");
    }
    plan.working_directory = exec.working_directory->value;
  }
  if (exec.umask) plan.umask = static_cast<mode_t>(std::stoul("0" + exec.umask->value, nullptr, 8));
  if (exec.new_session) plan.new_session = exec.new_session->value;
  if (exec.pass_notify_socket) plan.pass_notify_socket = exec.pass_notify_socket->value;
  if (exec.memory_deny_write_execute) {
    plan.memory_deny_write_execute = exec.memory_deny_write_execute->value;
  }
  return plan;
}

FdPlan compile_fds(const ExecSection& exec, Diagnostics& /*diags*/) {
  FdPlan plan;
  for (const auto& fd : exec.pass_fds)
    plan.pass.push_back(static_cast<int>(fd.value));
  std::sort(plan.pass.begin(), plan.pass.end());
  plan.pass.erase(std::unique(plan.pass.begin(), plan.pass.end()), plan.pass.end());
  if (exec.pass_listen_fds) plan.pass_listen_fds = exec.pass_listen_fds->value;
  return plan;
}

}  // namespace harden
