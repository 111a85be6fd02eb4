// Environment layer: the target's environment is built from the plan (cleared to an
// allowlist plus set values by default), never inherited wholesale unless asked.
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "enforcer/layers.hpp"

namespace harden::enforce::environment {

namespace {

// Only NAME=value entries count. execve(2) accepts any string in envp, so a caller can hand
// harden an entry without '=' ("NOTIFY_SOCKET", "PATH"): it names no variable, is never
// matched, and is never passed on (reading its "value" would run past its end).
bool is_variable(std::string_view entry) {
  return entry.find('=') != std::string_view::npos;
}

std::string_view name_of(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

const char* find_var(char* const* environ, std::string_view name) {
  for (char* const* e = environ; e && *e; ++e) {
    if (is_variable(*e) && name_of(*e) == name) return *e;
  }
  return nullptr;
}

void remove(ExecContext& ctx, std::string_view name) {
  std::erase_if(ctx.env_storage, [&](const std::string& e) { return name_of(e) == name; });
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
    for (char* const* e = environ; e && *e; ++e) {
      if (is_variable(*e)) ctx.env_storage.emplace_back(*e);
    }
  }
  for (const std::string& entry : env.set)
    put(ctx, entry);

  // systemd socket activation: the variables travel with the fds they describe. Only when
  // they were meant for this very process (LISTEN_PID), as sd_listen_fds(3) requires.
  // Otherwise they go, even with clear = false: they would name fds the target does not have.
  ctx.listen_pid_env = -1;
  const bool listening = plan.fds.pass_listen_fds && ctx.listen_fd_count > 0;
  for (const char* name : {"LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PID"}) {
    const char* entry = find_var(environ, name);
    if (listening && entry) {
      put(ctx, entry);
    } else {
      remove(ctx, name);
    }
  }

  // systemd's notification socket (sd_notify(3): READY=1, STATUS=, WATCHDOG=1), so a
  // Type=notify unit works through harden. A constructed root binds the socket in
  // (ctx.notify_socket names it); a classic chroot cannot, see prepare_exec().
  ctx.notify_socket.clear();
  constexpr std::string_view kNotify = "NOTIFY_SOCKET=";
  const char* notify = find_var(environ, "NOTIFY_SOCKET");
  if (plan.exec.pass_notify_socket && notify && notify[kNotify.size()] != '\0') {
    put(ctx, notify);
    ctx.notify_socket = notify + kNotify.size();
  } else {
    remove(ctx, "NOTIFY_SOCKET");
  }

  const char* path = nullptr;
  for (size_t i = 0; i < ctx.env_storage.size(); ++i) {
    const std::string_view name = name_of(ctx.env_storage[i]);
    if (name == "PATH") path = ctx.env_storage[i].c_str() + 5;  // every entry has its '='
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
