// Parsers for the sections of the core exec path: policy, exec, identity, capabilities,
// limits, environment ([filesystem] and [namespaces] have files of their own). They check
// shape and spelling, not meaning.
#include <algorithm>
#include <array>
#include <cctype>

#include "policy/sections.hpp"
#include "policy/toml_section.hpp"

namespace harden {

namespace {

constexpr std::array<SectionEntry, 16> kSections{{
    {"audit", parse_audit_section},
    {"capabilities", parse_capabilities_section},
    {"cgroup", parse_cgroup_section},
    {"environment", parse_environment_section},
    {"exec", parse_exec_section},
    {"filesystem", parse_filesystem_section},
    {"identity", parse_identity_section},
    {"ipc", parse_ipc_section},
    {"landlock", parse_landlock_section},
    {"limits", parse_limits_section},
    {"lint", parse_lint_section},
    {"lsm", parse_lsm_section},
    {"namespaces", parse_namespaces_section},
    {"network", parse_network_section},
    {"policy", parse_policy_section},
    {"seccomp", parse_seccomp_section},
}};

// A user or group may be written as a name or as a number; both end up as text so the
// compiler resolves them in one place.
std::optional<LocatedString> name_or_id(const TomlSection& section, std::string_view key) {
  const toml::node* n = section.node(key);
  if (!n) return std::nullopt;
  if (const auto* i = n->as_integer()) {
    if (i->get() < 0 || i->get() > 0xfffffffeLL) {
      section.diags().error(pos_of(*n), "'" + std::string(key) + "' id out of range",
                            "ids are 0 to 4294967294");
      return std::nullopt;
    }
    return LocatedString{std::to_string(i->get()), pos_of(*n)};
  }
  if (n->is_string()) return section.string(key);
  section.type_error(*n, key, "a name or a numeric id");
  return std::nullopt;
}

}  // namespace

std::span<const SectionEntry> policy_sections() {
  return kSections;
}

void parse_policy_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 3> kKeys{"description", "extends", "name"};
  const TomlSection section(table, "policy", kKeys, diags);
  section.string("description");
  if (auto name = section.string("name")) {
    bool valid = !name->value.empty() && name->value.size() <= 32;
    for (const char c : name->value) {
      valid = valid && (std::islower(static_cast<unsigned char>(c)) ||
                        std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    }
    if (!valid) {
      diags.error(name->pos, "invalid policy name '" + name->value + "'",
                  "use 1 to 32 characters from a-z, 0-9, '-' and '_' (it names the nftables "
                  "table and audit keys)");
    }
    policy.meta.name = std::move(*name);
  }
}

void parse_exec_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 8> kKeys{
      "command",         "memory_deny_write_execute", "new_session", "pass_fds",
      "pass_listen_fds", "pass_notify_socket",        "umask",       "working_directory"};
  const TomlSection section(table, "exec", kKeys, diags);
  ExecSection& exec = policy.exec;
  if (auto command = section.strings("command")) {
    const SourcePos pos = pos_of(*section.node("command"));
    if (command->empty()) {
      diags.error(pos, "'exec.command' is empty",
                  "give the program and its arguments, or "
                  "leave the key out and pass them after --");
    }
    std::vector<std::string> argv;
    for (auto& arg : *command)
      argv.push_back(std::move(arg.value));
    exec.command = Located<std::vector<std::string>>{std::move(argv), pos};
  }
  exec.working_directory = section.string("working_directory");
  exec.new_session = section.boolean("new_session");
  exec.pass_listen_fds = section.boolean("pass_listen_fds");
  exec.pass_notify_socket = section.boolean("pass_notify_socket");
  exec.memory_deny_write_execute = section.boolean("memory_deny_write_execute");
  if (const toml::node* n = section.node("umask")) {
    // An integer here would be read as decimal (TOML has no 0-prefixed octal), so only the
    // unambiguous string form is accepted.
    if (const auto* s = n->as_string()) {
      const std::string& text = s->get();
      bool valid = !text.empty() && text.size() <= 4;
      for (const char c : text)
        valid = valid && c >= '0' && c <= '7';
      if (!valid) {
        diags.error(pos_of(*n), "invalid umask '" + text + "'", "write it in octal, e.g. \"0027\"");
      }
      exec.umask = LocatedString{text, pos_of(*n)};
    } else if (const auto* i = n->as_integer();
               i && i->flags() == toml::value_flags::format_as_octal) {
      exec.umask = LocatedString{std::to_string(i->get()), pos_of(*n)};
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "%llo", static_cast<unsigned long long>(i->get()));
      exec.umask->value = buffer;
    } else {
      section.type_error(*n, "umask", "an octal string such as \"0027\" (or 0o027)");
    }
  }
  if (const toml::node* n = section.node("pass_fds")) {
    if (const auto* array = n->as_array()) {
      for (const toml::node& element : *array) {
        const auto* fd = element.as_integer();
        if (!fd || fd->get() < 3 || fd->get() > 65535) {
          diags.error(pos_of(element),
                      "'exec.pass_fds' entries must be file descriptor numbers "
                      "from 3 to 65535",
                      "0, 1 and 2 are always kept");
          continue;
        }
        exec.pass_fds.push_back({fd->get(), pos_of(element)});
      }
    } else {
      section.type_error(*n, "pass_fds", "an array of integers");
    }
  }
}

void parse_identity_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 4> kKeys{"group", "no_new_privileges",
                                                         "supplementary_groups", "user"};
  const TomlSection section(table, "identity", kKeys, diags);
  IdentitySection& identity = policy.identity;
  identity.user = name_or_id(section, "user");
  identity.group = name_or_id(section, "group");
  identity.no_new_privileges = section.boolean("no_new_privileges");
  if (const toml::node* n = section.node("supplementary_groups")) {
    if (const auto* array = n->as_array()) {
      LocatedStrings groups;
      for (const toml::node& element : *array) {
        if (const auto* s = element.as_string()) {
          groups.push_back({s->get(), pos_of(element)});
        } else if (const auto* i = element.as_integer(); i && i->get() >= 0) {
          groups.push_back({std::to_string(i->get()), pos_of(element)});
        } else {
          section.type_error(element, "supplementary_groups", "group names or numeric ids");
        }
      }
      identity.supplementary_groups = std::move(groups);
      identity.supplementary_groups_pos = pos_of(*n);
    } else {
      section.type_error(*n, "supplementary_groups", "an array of group names");
    }
  }
}

void parse_capabilities_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 1> kKeys{"keep"};
  const TomlSection section(table, "capabilities", kKeys, diags);
  if (auto keep = section.strings("keep")) policy.capabilities.keep = std::move(*keep);
}

namespace {

// "infinity", a number, or a number with a K/M/G/T suffix (powers of 1024).
std::optional<uint64_t> parse_limit_amount(const toml::node& n, bool& infinite, Diagnostics& diags,
                                           std::string_view key) {
  infinite = false;
  if (const auto* i = n.as_integer()) {
    if (i->get() < 0) {
      diags.error(pos_of(n), "limit '" + std::string(key) + "' cannot be negative",
                  "use \"infinity\" for no limit");
      return std::nullopt;
    }
    return static_cast<uint64_t>(i->get());
  }
  if (const auto* s = n.as_string()) {
    std::string text = s->get();
    if (text == "infinity" || text == "unlimited") {
      infinite = true;
      return 0;
    }
    if (auto bytes = parse_byte_count(text)) return bytes;
    diags.error(pos_of(n), "invalid value '" + s->get() + "' for limit '" + std::string(key) + "'",
                "use a number, a number with K/M/G/T, or \"infinity\"");
    return std::nullopt;
  }
  diags.error(pos_of(n), "limit '" + std::string(key) +
                             "' must be a number, a string such as "
                             "\"64M\" or \"infinity\", or { soft = ..., hard = ... }, not " +
                             std::string(toml_type_name(n)));
  return std::nullopt;
}

}  // namespace

void parse_limits_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 16> kKeys{
      "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
      "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
  const TomlSection section(table, "limits", kKeys, diags);
  for (const auto& [key, value] : table) {
    const std::string name(key.str());
    if (std::find(kKeys.begin(), kKeys.end(), std::string_view(name)) == kKeys.end()) continue;
    LimitValue limit;
    limit.name = {name, pos_of(key.source())};
    if (const auto* pair = value.as_table()) {
      static constexpr std::array<std::string_view, 2> kPairKeys{"hard", "soft"};
      const TomlSection pair_section(*pair, "limits." + name, kPairKeys, diags);
      const toml::node* soft = pair->get("soft");
      const toml::node* hard = pair->get("hard");
      if (!soft || !hard) {
        diags.error(pos_of(value), "limit '" + name + "' needs both soft and hard",
                    "write { soft = 1024, hard = 4096 }, or a single value for both");
        continue;
      }
      bool soft_inf = false, hard_inf = false;
      auto soft_value = parse_limit_amount(*soft, soft_inf, diags, name);
      auto hard_value = parse_limit_amount(*hard, hard_inf, diags, name);
      if (!soft_value || !hard_value) continue;
      limit.soft = Located<uint64_t>{*soft_value, pos_of(*soft)};
      limit.hard = Located<uint64_t>{*hard_value, pos_of(*hard)};
      limit.soft_infinite = soft_inf;
      limit.hard_infinite = hard_inf;
    } else {
      bool infinite = false;
      auto amount = parse_limit_amount(value, infinite, diags, name);
      if (!amount) continue;
      limit.soft = limit.hard = Located<uint64_t>{*amount, pos_of(value)};
      limit.soft_infinite = limit.hard_infinite = infinite;
    }
    policy.limits.values.push_back(std::move(limit));
  }
}

void parse_environment_section(const toml::table& table, Policy& policy, Diagnostics& diags) {
  static constexpr std::array<std::string_view, 3> kKeys{"clear", "keep", "set"};
  const TomlSection section(table, "environment", kKeys, diags);
  EnvironmentSection& env = policy.environment;
  env.clear = section.boolean("clear");
  if (auto keep = section.strings("keep")) env.keep = std::move(*keep);
  if (const toml::node* n = section.node("set")) {
    if (const auto* vars = n->as_table()) {
      for (const auto& [key, value] : *vars) {
        if (const auto* s = value.as_string()) {
          env.set.push_back(
              {{std::string(key.str()), pos_of(key.source())}, {s->get(), pos_of(value)}});
        } else {
          diags.error(pos_of(value),
                      "environment value for '" + std::string(key.str()) +
                          "' must be a string, not " + std::string(toml_type_name(value)),
                      "quote it: " + std::string(key.str()) + " = \"...\"");
        }
      }
    } else {
      section.type_error(*n, "set", "a table such as { PATH = \"/usr/bin:/bin\" }");
    }
  }
}

}  // namespace harden
