#include "policy/policy_writer.hpp"

#include <cstdio>

namespace harden {

namespace {

std::string text(const LocatedString& value) {
  return toml_quote(value.value);
}
std::string text(bool value) {
  return value ? "true" : "false";
}

std::string strings(const LocatedStrings& items) {
  std::vector<std::string> plain;
  for (const LocatedString& item : items)
    plain.push_back(item.value);
  return toml_string_array(plain);
}

// One entry of a view list: a plain path, or a table when it has more than a path.
std::string view_entry(const ViewEntry& entry) {
  if (!entry.source && !entry.noexec && !entry.size && !entry.mode) return text(entry.path);
  std::string out = "{ path = " + text(entry.path);
  if (entry.source) out += ", source = " + text(*entry.source);
  if (entry.noexec) out += ", noexec = " + text(entry.noexec->value);
  if (entry.size) out += ", size = " + std::to_string(entry.size->value);
  if (entry.mode) out += ", mode = " + text(*entry.mode);
  return out + " }";
}

std::string view_list(const std::vector<ViewEntry>& entries) {
  std::string out = "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    out += i ? ", " : "";
    out += view_entry(entries[i]);
  }
  return out + "]";
}

void key(std::string& out, std::string_view name, const std::string& value) {
  out += std::string(name) + " = " + value + "\n";
}

std::string section(std::string_view header, const std::string& body) {
  if (body.empty()) return {};
  return "[" + std::string(header) + "]\n" + body + "\n";
}

}  // namespace

std::string toml_quote(std::string_view value) {
  std::string out = "\"";
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    char escape[16];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      std::snprintf(escape, sizeof escape, "\\u%04X", c);
      out += escape;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // UTF-8 decoded to \uXXXX / \UXXXXXXXX. What is not a well-formed scalar value (a stray
      // continuation byte, a truncated or overlong sequence, a surrogate, beyond U+10FFFF)
      // becomes U+FFFD, one byte at a time: TOML refuses such escapes.
      const size_t extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
      uint32_t code = c & (0x3F >> extra);
      bool valid = extra > 0 && extra < 4 && c < 0xF5 && i + extra < value.size();
      for (size_t k = 1; valid && k <= extra; ++k) {
        const auto next = static_cast<unsigned char>(value[i + k]);
        valid = (next & 0xC0) == 0x80;
        code = (code << 6) | (next & 0x3F);
      }
      static constexpr uint32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
      valid = valid && code >= kSmallest[extra] && code <= 0x10FFFF &&
              !(code >= 0xD800 && code <= 0xDFFF);
      if (valid) {
        i += extra;
      } else {
        code = 0xFFFD;
      }
      std::snprintf(escape, sizeof escape, code > 0xFFFF ? "\\U%08X" : "\\u%04X", code);
      out += escape;
    }
  }
  return out + "\"";
}

std::string toml_string_array(std::span<const std::string> items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += i ? ", " : "";
    out += toml_quote(items[i]);
  }
  return out + "]";
}

std::string write_exec_section(const ExecSection& exec, std::span<const std::string> command) {
  std::string body;
  if (!command.empty()) key(body, "command", toml_string_array(command));
  if (exec.working_directory) key(body, "working_directory", text(*exec.working_directory));
  if (exec.umask) key(body, "umask", text(*exec.umask));
  if (exec.new_session) key(body, "new_session", text(exec.new_session->value));
  if (!exec.pass_fds.empty()) {
    std::string fds = "[";
    for (size_t i = 0; i < exec.pass_fds.size(); ++i)
      fds += (i ? ", " : "") + std::to_string(exec.pass_fds[i].value);
    key(body, "pass_fds", fds + "]");
  }
  if (exec.pass_listen_fds) key(body, "pass_listen_fds", text(exec.pass_listen_fds->value));
  if (exec.pass_notify_socket) {
    key(body, "pass_notify_socket", text(exec.pass_notify_socket->value));
  }
  if (exec.memory_deny_write_execute) {
    key(body, "memory_deny_write_execute", text(exec.memory_deny_write_execute->value));
  }
  return section("exec", body);
}

std::string write_identity_section(const IdentitySection& identity) {
  std::string body;
  if (identity.user) key(body, "user", text(*identity.user));
  if (identity.group) key(body, "group", text(*identity.group));
  if (identity.supplementary_groups) {
    key(body, "supplementary_groups", strings(*identity.supplementary_groups));
  }
  if (identity.no_new_privileges) {
    key(body, "no_new_privileges", text(identity.no_new_privileges->value));
  }
  return section("identity", body);
}

std::string write_filesystem_section(const FilesystemSection& fs) {
  std::string body;
  if (fs.chroot) key(body, "chroot", text(*fs.chroot));
  if (!fs.read_only.empty()) key(body, "read_only", view_list(fs.read_only));
  if (!fs.read_write.empty()) key(body, "read_write", view_list(fs.read_write));
  if (!fs.tmpfs.empty()) key(body, "tmpfs", view_list(fs.tmpfs));
  if (fs.proc) key(body, "proc", text(fs.proc->value));
  if (fs.sys) key(body, "sys", text(fs.sys->value));
  if (fs.dev) key(body, "dev", text(*fs.dev));
  return section("filesystem", body);
}

std::string write_namespaces_section(const NamespacesSection& ns) {
  std::string body;
  if (ns.ipc) key(body, "ipc", text(*ns.ipc));
  if (ns.mount) key(body, "mount", text(ns.mount->value));
  if (ns.uts) key(body, "uts", text(ns.uts->value));
  if (ns.hostname) key(body, "hostname", text(*ns.hostname));
  if (ns.net) key(body, "net", text(*ns.net));
  if (ns.cgroup) key(body, "cgroup", text(ns.cgroup->value));
  if (ns.pid) key(body, "pid", text(ns.pid->value));
  if (ns.user) key(body, "user", text(ns.user->value));
  return section("namespaces", body);
}

std::string write_ipc_section(const IpcSection& ipc) {
  std::string body;
  if (ipc.abstract_unix_sockets) {
    key(body, "abstract_unix_sockets", text(*ipc.abstract_unix_sockets));
  }
  if (ipc.signals) key(body, "signals", text(*ipc.signals));
  return section("ipc", body);
}

std::string write_cgroup_section(const CgroupSection& cgroup) {
  std::string body;
  if (cgroup.memory) key(body, "memory", std::to_string(cgroup.memory->value));
  if (cgroup.pids) key(body, "pids", std::to_string(cgroup.pids->value));
  if (cgroup.cpu) key(body, "cpu", text(*cgroup.cpu));
  if (cgroup.systemd) key(body, "systemd", text(*cgroup.systemd));
  return section("cgroup", body);
}

std::string write_limits_section(const LimitsSection& limits) {
  std::string body;
  const auto value = [](const std::optional<Located<uint64_t>>& number, bool infinite) {
    return infinite || !number ? std::string("\"infinity\"") : std::to_string(number->value);
  };
  for (const LimitValue& limit : limits.values) {
    const std::string soft = value(limit.soft, limit.soft_infinite);
    const std::string hard = value(limit.hard, limit.hard_infinite);
    key(body, limit.name.value,
        soft == hard ? soft : "{ soft = " + soft + ", hard = " + hard + " }");
  }
  return section("limits", body);
}

std::string write_environment_section(const EnvironmentSection& env) {
  std::string body;
  if (env.clear) key(body, "clear", text(env.clear->value));
  if (env.clear || !env.keep.empty()) key(body, "keep", strings(env.keep));
  std::string set = "{";
  for (size_t i = 0; i < env.set.size(); ++i) {
    set += (i ? ", " : " ") + toml_quote(env.set[i].first.value) + " = " + text(env.set[i].second);
  }
  if (!env.set.empty() || env.clear) key(body, "set", set + (env.set.empty() ? "}" : " }"));
  return section("environment", body);
}

std::string write_lsm_section(const LsmSection& lsm) {
  std::string body;
  if (lsm.apparmor_profile) key(body, "apparmor_profile", text(*lsm.apparmor_profile));
  if (lsm.selinux_context) key(body, "selinux_context", text(*lsm.selinux_context));
  if (lsm.optional) key(body, "optional", text(lsm.optional->value));
  return section("lsm", body);
}

std::string write_audit_section(const AuditSection& audit) {
  if (!audit.present) return {};
  std::string out = "[audit]\n";
  if (audit.key) key(out, "key", text(*audit.key));
  out += "\n";
  for (const AuditWatch& watch : audit.watches) {
    out += "[[audit.watch]]\n";
    key(out, "path", text(watch.path));
    if (watch.permissions) key(out, "permissions", text(*watch.permissions));
    if (watch.key) key(out, "key", text(*watch.key));
    out += "\n";
  }
  for (const AuditSyscallRule& rule : audit.syscalls) {
    out += "[[audit.syscall]]\n";
    key(out, "syscalls", strings(rule.syscalls));
    if (rule.key) key(out, "key", text(*rule.key));
    out += "\n";
  }
  return out;
}

}  // namespace harden
