// Environment layer: the target's environment is built from the plan (cleared to an
// allowlist plus set values by default), never inherited wholesale unless asked.
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "enforcer/layers.hpp"

namespace harden::enforce::environment {

namespace {

std::string_view name_of(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

const char* find_var(char* const* environ, std::string_view name) {
  for (char* const* e = environ; e && *e; ++e) {
    if (name_of(*e) == name) return *e;
  }
  return nullptr;
}

void put(ExecContext& ctx, std::string entry) {
  const std::string_view name = name_of(entry);
  for (auto& existing : ctx.env_storage) {
    if (name_of(existing) == name) {
      existing = std::move(entry);
      return;
    }
  }
  ctx.env_storage.push_back(std::move(entry));
}

}  // namespace

void build(const PlanData& plan, char* const* environ, ExecContext& ctx) {
  const EnvironmentPlan& env = plan.environment;
  ctx.env_storage.clear();
  if (env.clear) {
    for (const std::string& name : env.keep) {
      if (const char* entry = find_var(environ, name)) ctx.env_storage.emplace_back(entry);
    }
  } else {
    for (char* const* e = environ; e && *e; ++e)
      ctx.env_storage.emplace_back(*e);
  }
  for (const std::string& entry : env.set)
    put(ctx, entry);

  // systemd socket activation: the variables travel with the fds they describe. Only when
  // they were meant for this very process (LISTEN_PID), as sd_listen_fds(3) requires.
  ctx.listen_pid_env = -1;
  if (plan.fds.pass_listen_fds && !ctx.keep_fds.empty()) {
    for (const char* name : {"LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PID"}) {
      if (const char* entry = find_var(environ, name)) put(ctx, entry);
    }
  }

  const char* path = nullptr;
  for (size_t i = 0; i < ctx.env_storage.size(); ++i) {
    const std::string_view name = name_of(ctx.env_storage[i]);
    if (name == "PATH") path = ctx.env_storage[i].c_str() + 5;
    if (name == "LISTEN_PID") ctx.listen_pid_env = static_cast<int>(i);
  }
  // The search path for a bare command is the target's own PATH, or the usual default.
  ctx.search_path = path ? path : "/usr/local/bin:/usr/bin:/bin";
  ctx.envp.clear();
  for (auto& entry : ctx.env_storage)
    ctx.envp.push_back(entry.data());
  ctx.envp.push_back(nullptr);
}

}  // namespace harden::enforce::environment
