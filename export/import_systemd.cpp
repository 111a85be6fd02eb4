// `harden import --from systemd UNIT`: the sandboxing directives of a service unit as a policy,
// for review. Each directive maps to the policy key that does the same (constants by name:
// capabilities, errno names, CLONE_* and AF_* in seccomp rules); what harden cannot say, and
// what belongs to the service manager (Type=, Restart=, ExecReload=, ...), is listed with its
// file:line, as a comment in the policy and, for sandboxing directives, as a warning.
//
// The mappings that need more than a key:
//  - capabilities: what the process ends up with. Root keeps its bounding set; another user
//    keeps only AmbientCapabilities= within it.
//  - SystemCallFilter=: an allow list becomes allow/deny with the kill-process default (or
//    SystemCallErrorNumber=); a ~deny list becomes default_action = "allow" with one refusing
//    rule per call of each group, since harden's deny only takes calls out of an allow list.
//    A per-entry errno (":EPERM") becomes refusing rules with that errno.
//  - RestrictNamespaces=, RestrictAddressFamilies=, LockPersonality=, ProtectKernelModules=,
//    ProtectKernelLogs=, ProtectClock=: refusing seccomp rules (systemd implements them with
//    seccomp too), on clone/unshare flags, socket families and personality values.
//  - The file-system directives (PrivateTmp=, ProtectSystem=, ProtectHome=, *Paths=,
//    PrivateDevices=): a constructed root holding the host's top-level directories, each
//    read-only or writable as the directives say, with tmpfs for /tmp and /var/tmp.
#include <sys/capability.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "compiler/syscall_groups.hpp"
#include "export/export.hpp"
#include "export/import_systemd_importer.hpp"
#include "export/systemd_unit_file.hpp"
#include "plan/constants.hpp"
#include "policy/policy_writer.hpp"

namespace harden {
namespace import_systemd {

std::string lower(std::string text) {
  std::ranges::transform(text, text.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string where(const SourcePos& pos) {
  return pos.file + ":" + std::to_string(pos.line);
}

// Directives of the service manager, not of the sandbox: they stay in the unit.
constexpr std::array<std::string_view, 30> kServiceManagement{"BusName",
                                                              "ExecCondition",
                                                              "ExecReload",
                                                              "ExecStartPost",
                                                              "ExecStartPre",
                                                              "ExecStop",
                                                              "ExecStopPost",
                                                              "FileDescriptorStoreMax",
                                                              "GuessMainPID",
                                                              "KillMode",
                                                              "KillSignal",
                                                              "NotifyAccess",
                                                              "OOMPolicy",
                                                              "PIDFile",
                                                              "RemainAfterExit",
                                                              "Restart",
                                                              "RestartPreventExitStatus",
                                                              "RestartSec",
                                                              "SendSIGHUP",
                                                              "SendSIGKILL",
                                                              "Sockets",
                                                              "StandardError",
                                                              "StandardInput",
                                                              "StandardOutput",
                                                              "SuccessExitStatus",
                                                              "SyslogIdentifier",
                                                              "TimeoutSec",
                                                              "TimeoutStartSec",
                                                              "TimeoutStopSec",
                                                              "Type"};

// LimitXXX= -> the [limits] key.
const std::map<std::string, std::string, std::less<>>& limit_keys() {
  static const std::map<std::string, std::string, std::less<>> keys{
      {"LimitAS", "as"},           {"LimitCORE", "core"},         {"LimitCPU", "cpu"},
      {"LimitDATA", "data"},       {"LimitFSIZE", "fsize"},       {"LimitLOCKS", "locks"},
      {"LimitMEMLOCK", "memlock"}, {"LimitMSGQUEUE", "msgqueue"}, {"LimitNICE", "nice"},
      {"LimitNOFILE", "nofile"},   {"LimitNPROC", "nproc"},       {"LimitRSS", "rss"},
      {"LimitRTPRIO", "rtprio"},   {"LimitRTTIME", "rttime"},     {"LimitSIGPENDING", "sigpending"},
      {"LimitSTACK", "stack"}};
  return keys;
}

// "4096", "64K" (1024-based, as systemd reads sizes), "infinity" -> a TOML value; nullopt for
// what harden's [limits] cannot take (time units, nice values with a sign).
std::optional<std::string> limit_value(const std::string& text) {
  if (text == "infinity") return "\"infinity\"";
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  const std::string_view suffix(end, text.data() + text.size() - end);
  static const std::map<std::string_view, int> kShift{
      {"", 0}, {"K", 10}, {"M", 20}, {"G", 30}, {"T", 40}};
  const auto shift = kShift.find(suffix);
  if (shift == kShift.end()) return std::nullopt;
  if (shift->second > 0 && value > (~uint64_t{0} >> shift->second)) return std::nullopt;
  return std::to_string(value << shift->second);
}

std::optional<uint64_t> byte_size(const std::string& text) {
  const auto value = limit_value(text);
  if (!value || value->front() == '"') return std::nullopt;
  return std::stoull(*value);
}

// Top-level directories that belong to /usr on a merged-/usr system (ProtectSystem= covers
// them with /usr).
bool usr_part(const std::string& name) {
  return name == "usr" || name == "bin" || name == "sbin" || name.starts_with("lib");
}

std::optional<uint64_t> Importer::capability_set(const UnitDirective& d, bool& invert) {
  std::string value = d.value;
  invert = !value.empty() && value[0] == '~';
  if (invert) value.erase(0, 1);
  auto words = split_unit_words(value);
  if (!words) {
    bad_value(d, words.error());
    return std::nullopt;
  }
  uint64_t set = 0;
  for (const std::string& word : *words) {
    cap_value_t cap = 0;
    if (cap_from_name(lower(word).c_str(), &cap) != 0 || cap > CAP_LAST_CAP) {
      bad_value(d, "unknown capability '" + word + "'");
      return std::nullopt;
    }
    set |= uint64_t{1} << cap;
  }
  return set;
}

void Importer::read(const std::vector<UnitDirective>& directives) {
  for (const UnitDirective& d : directives) {
    if (d.section == "Unit") {
      if (d.key == "Description") description_ = d.value;
      continue;
    }
    if (d.section != "Service") continue;  // [Install], [Socket]: not about the sandbox
    directive(d);
  }
  for (const ProtectDeny& deny : protect_denies_) {
    if (filter_mode_ == FilterMode::allow) {
      if (std::ranges::find(deny_, deny.name) == deny_.end()) deny_.push_back(deny.name);
    } else {
      deny_syscalls(deny.name, "EPERM", deny.why, deny.pos);
    }
  }
}

void Importer::directive(const UnitDirective& d) {
  const std::string& key = d.key;
  if (std::ranges::find(kServiceManagement, key) != kServiceManagement.end()) {
    kept_in_unit_.push_back(key + "=");
    return;
  }
  if (key == "User") {
    user_ = d.value;
  } else if (key == "Group") {
    group_ = d.value;
  } else if (key == "SupplementaryGroups") {
    auto words = split_unit_words(d.value);
    if (!words) return bad_value(d, words.error());
    if (words->empty()) supplementary_.clear();
    supplementary_.insert(supplementary_.end(), words->begin(), words->end());
  } else if (key == "NoNewPrivileges") {
    no_new_privileges_ = boolean(d);
  } else if (key == "CapabilityBoundingSet" || key == "AmbientCapabilities") {
    std::optional<uint64_t>& target = key == "AmbientCapabilities" ? ambient_ : bounding_;
    if (d.value.empty()) {
      target.reset();
      return;
    }
    bool invert = false;
    const std::optional<uint64_t> set = capability_set(d, invert);
    if (!set) return;
    const uint64_t all = (uint64_t{2} << CAP_LAST_CAP) - 1;
    const uint64_t value = invert ? (~*set & all) : *set;
    const uint64_t start = key == "AmbientCapabilities" ? 0 : all;
    if (!target) {
      target = invert ? (start & value) : value;
    } else {
      target = invert ? (*target & value) : (*target | value);
    }
  } else if (key == "ExecStart") {
    if (d.value.empty()) {
      command_.clear();
      return;
    }
    auto command = parse_unit_command(d.value);
    if (!command) return bad_value(d, command.error());
    if (!command_.empty()) {
      return not_imported(d, "a second ExecStart= (Type=oneshot): harden runs one command");
    }
    if (command->prefixes.find_first_of("+!") != std::string::npos) {
      not_imported(d,
                   "the '+' or '!' prefix runs the command outside the sandbox; the policy "
                   "sandboxes it");
    }
    const bool specifiers = std::ranges::any_of(command->argv, [](const std::string& arg) {
      return arg.find('%') != std::string::npos || arg.find('$') != std::string::npos;
    });
    if (specifiers) {
      return not_imported(d,
                          "specifiers (%) and variables ($) are expanded by systemd; "
                          "write the command in [exec] by hand");
    }
    command_ = command->argv;
  } else if (key == "WorkingDirectory") {
    std::string path = d.value;
    if (path.starts_with('-')) path.erase(0, 1);
    if (!path.starts_with('/')) return not_imported(d, "only an absolute path can be imported");
    working_directory_ = path;
  } else if (key == "UMask") {
    umask_ = d.value;
  } else if (key == "Environment") {
    auto words = split_unit_words(d.value);
    if (!words) return bad_value(d, words.error());
    for (const std::string& word : *words) {
      const size_t eq = word.find('=');
      if (eq == std::string::npos || eq == 0)
        return bad_value(d, "'" + word + "' is not NAME=value");
      if (word.find('%') != std::string::npos) {
        not_imported(d, "'" + word.substr(0, eq) + "' holds a specifier (%), expanded by systemd");
        continue;
      }
      environment_.emplace_back(word.substr(0, eq), word.substr(eq + 1));
    }
  } else if (key == "PassEnvironment") {
    auto words = split_unit_words(d.value);
    if (!words) return bad_value(d, words.error());
    pass_environment_.insert(pass_environment_.end(), words->begin(), words->end());
  } else if (key == "SystemCallFilter") {
    system_call_filter(d);
  } else if (key == "SystemCallErrorNumber") {
    if (d.value == "kill") {
      error_number_.reset();
      return;
    }
    int number = 0;
    const auto [end, ec] = std::from_chars(d.value.data(), d.value.data() + d.value.size(), number);
    if (ec == std::errc() && end == d.value.data() + d.value.size()) {
      const std::string_view name = errno_name(number);
      if (name.empty()) return bad_value(d, "no errno name for " + d.value);
      error_number_ = std::string(name);
    } else if (errno_from_name(d.value)) {
      error_number_ = d.value;
    } else {
      return bad_value(d, "unknown errno name");
    }
  } else if (key == "SystemCallArchitectures") {
    auto words = split_unit_words(d.value);
    if (!words) return bad_value(d, words.error());
    std::vector<std::string> archs;
    for (std::string word : *words) {
      std::ranges::replace(word, '-', '_');
      if (word == "x86_64" || word == "arm64") word = word == "arm64" ? "aarch64" : word;
      archs.push_back(word);
    }
    architectures_ = archs;
    seccomp_wanted_ = true;
  } else if (key == "RestrictNamespaces") {
    restrict_namespaces(d);
  } else if (key == "RestrictAddressFamilies") {
    restrict_address_families(d);
  } else if (key == "LockPersonality") {
    if (boolean(d).value_or(false)) {
      // Reading the persona (0xffffffff) and PER_LINUX (0) stay allowed.
      refuse_outside("personality", {*evaluate_constant_expression("PER_LINUX"), 0xffffffffULL},
                     "errno:EPERM",
                     "LockPersonality= (" + where(d.pos) + "): personas other than PER_LINUX");
      seccomp_wanted_ = true;
    }
  } else if (key == "ProtectKernelModules" || key == "ProtectKernelLogs" || key == "ProtectClock") {
    if (!boolean(d).value_or(false)) return;
    const std::string group = key == "ProtectKernelModules" ? "@module"
                              : key == "ProtectClock"       ? "@clock"
                                                            : "syslog";
    // Decided once the whole unit is read: a deny entry under an allow list, else rules.
    protect_denies_.push_back({group, key + "= (" + where(d.pos) + ")", d.pos});
    seccomp_wanted_ = true;
    if (key != "ProtectKernelLogs") return;
    not_imported(d,
                 "only the syslog call is refused; /dev/kmsg and /proc/kmsg are not in "
                 "dev = \"minimal\" anyway");
  } else if (key == "MemoryDenyWriteExecute") {
    mdwe_ = boolean(d).value_or(false);
  } else if (key == "PrivateTmp") {
    private_tmp_ = boolean(d).value_or(false);
    filesystem_ = filesystem_ || private_tmp_;
  } else if (key == "PrivateDevices") {
    private_devices_ = boolean(d).value_or(false);
    filesystem_ = filesystem_ || private_devices_;
  } else if (key == "ProtectSystem") {
    const std::string value = lower(d.value);
    if (value == "strict" || value == "full") {
      protect_system_ = value;
    } else if (auto b = parse_unit_bool(value)) {
      protect_system_ = *b ? "yes" : "no";
    } else {
      return bad_value(d, "expected yes, no, full or strict");
    }
    filesystem_ = filesystem_ || protect_system_ != "no";
  } else if (key == "ProtectHome") {
    const std::string value = lower(d.value);
    if (value == "read-only" || value == "tmpfs") {
      protect_home_ = value;
    } else if (auto b = parse_unit_bool(value)) {
      protect_home_ = *b ? "yes" : "no";
    } else {
      return bad_value(d, "expected yes, no, read-only or tmpfs");
    }
    filesystem_ = filesystem_ || protect_home_ != "no";
  } else if (key == "ReadOnlyPaths" || key == "ReadWritePaths" || key == "InaccessiblePaths") {
    std::vector<PathSpec> list = paths(d);
    auto& target = key == "ReadOnlyPaths"    ? read_only_
                   : key == "ReadWritePaths" ? read_write_
                                             : inaccessible_;
    target.insert(target.end(), list.begin(), list.end());
    filesystem_ = true;
  } else if (key == "ProtectKernelTunables" || key == "ProtectControlGroups") {
    kernel_tunables_ = kernel_tunables_ || boolean(d).value_or(false);
  } else if (key == "PrivateNetwork") {
    private_network_ = boolean(d).value_or(false);
  } else if (key == "ProtectHostname") {
    protect_hostname_ = boolean(d).value_or(false);
  } else if (limit_keys().contains(key)) {
    const std::string& name = limit_keys().find(key)->second;
    const size_t colon = d.value.find(':');
    const std::string soft_text = d.value.substr(0, colon);
    const std::string hard_text =
        colon == std::string::npos ? soft_text : d.value.substr(colon + 1);
    // Sizes take K/M/G/T; time limits (cpu, rttime) and nice have units and signs of their
    // own in systemd, so only their plain numbers map one to one.
    const bool plain_only = name == "cpu" || name == "rttime" || name == "nice";
    const auto plain = [](const std::string& t) {
      return t == "infinity" ||
             (!t.empty() && t.find_first_not_of("0123456789") == std::string::npos);
    };
    const auto soft = limit_value(soft_text);
    const auto hard = limit_value(hard_text);
    if (!soft || !hard || (plain_only && !(plain(soft_text) && plain(hard_text)))) {
      return not_imported(d, "only plain numbers, K/M/G/T sizes and infinity are imported");
    }
    limits_.emplace_back(name,
                         *soft == *hard ? *soft : "{ soft = " + *soft + ", hard = " + *hard + " }");
  } else if (key == "MemoryMax") {
    memory_max_ = byte_size(d.value);
    if (!memory_max_ && d.value != "infinity")
      not_imported(d, "only a size in bytes (K/M/G/T) is imported");
  } else if (key == "TasksMax") {
    tasks_max_ = byte_size(d.value);
    if (!tasks_max_ && d.value != "infinity") not_imported(d, "only a number is imported");
  } else if (key == "CPUQuota") {
    cpu_quota_ = d.value;
  } else {
    not_imported(d, "harden has no equivalent, or this importer does not know it");
  }
}

std::vector<PathSpec> Importer::paths(const UnitDirective& d) {
  std::vector<PathSpec> out;
  auto words = split_unit_words(d.value);
  if (!words) {
    bad_value(d, words.error());
    return out;
  }
  for (std::string word : *words) {
    PathSpec spec{{}, false, d.pos};
    while (!word.empty() && (word[0] == '-' || word[0] == '+')) {
      if (word[0] == '+') {
        not_imported(d, "'+' paths are relative to RootDirectory=, which harden does not import");
        word.clear();
        break;
      }
      spec.ignore_missing = true;
      word.erase(0, 1);
    }
    if (word.empty()) continue;
    while (word.size() > 1 && word.back() == '/')
      word.pop_back();
    if (!word.starts_with('/')) {
      bad_value(d, "'" + word + "' is not an absolute path");
      continue;
    }
    if (options_.path_exists && !options_.path_exists(word)) {
      if (spec.ignore_missing) continue;
      diags_.warning(d.pos,
                     word + " does not exist on this machine; the policy will not validate here");
    }
    spec.path = word;
    out.push_back(spec);
  }
  return out;
}

std::string Importer::write_filesystem() const {
  if (!filesystem_) return {};
  std::vector<std::string> read_only, read_write, tmpfs;
  const auto covered = [](const std::vector<PathSpec>& list, const std::string& path) {
    return std::ranges::any_of(list, [&](const PathSpec& p) { return p.path == path; });
  };
  for (const std::string& name : options_.root_entries) {
    if (name == "proc" || name == "sys" || name == "dev" || name == "tmp" || name == "lost+found") {
      continue;
    }
    const std::string path = "/" + name;
    if (covered(inaccessible_, path)) continue;
    const bool home = name == "home" || name == "root";
    if (home && protect_home_ == "yes") continue;
    if (home && protect_home_ == "tmpfs") {
      tmpfs.push_back("{ path = " + toml_quote(path) + ", mode = \"0755\" }");
      continue;
    }
    bool ro = protect_system_ == "strict" ||
              (protect_system_ != "no" && (usr_part(name) || name == "boot" || name == "efi")) ||
              (protect_system_ == "full" && name == "etc") ||
              (home && protect_home_ == "read-only");
    if (covered(read_write_, path)) ro = false;
    if (covered(read_only_, path)) ro = true;
    (ro ? read_only : read_write).push_back(toml_quote(path));
  }
  const auto top_level = [&](const std::string& path) {
    return path.find('/', 1) == std::string::npos &&
           std::ranges::find(options_.root_entries, path.substr(1)) != options_.root_entries.end();
  };
  for (const PathSpec& p : read_write_)
    if (!top_level(p.path)) read_write.push_back(toml_quote(p.path));
  for (const PathSpec& p : read_only_)
    if (!top_level(p.path)) read_only.push_back(toml_quote(p.path));
  if (private_tmp_) {
    tmpfs.push_back("\"/tmp\"");
    if (std::ranges::find(options_.root_entries, "var") != options_.root_entries.end()) {
      tmpfs.push_back("\"/var/tmp\"");
    }
  } else {
    read_write.push_back("\"/tmp\"");
  }
  for (const PathSpec& p : inaccessible_) {
    if (!top_level(p.path))
      tmpfs.push_back("{ path = " + toml_quote(p.path) + ", mode = \"0000\" }");
  }
  const auto list = [](const std::vector<std::string>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i)
      out += (i ? ",\n  " : "\n  ") + items[i];
    return out + (items.empty() ? "]" : ",\n]");
  };
  std::string out = "\n[filesystem]\n";
  out += "read_only = " + list(read_only) + "\n";
  out += "read_write = " + list(read_write) + "\n";
  if (!tmpfs.empty()) out += "tmpfs = " + list(tmpfs) + "\n";
  out += "proc = true\nsys = true\ndev = \"minimal\"\n";
  return out;
}

std::string Importer::write() const {
  std::string out = "# harden import --from systemd " + options_.source_name + "\n";
  if (!description_.empty()) out += "# " + description_ + "\n";
  out += "# Review before use: harden validate FILE, harden lint FILE.\n";
  if (!kept_in_unit_.empty()) {
    out += "# Kept in the unit (service management, not sandboxing):";
    for (const std::string& key : kept_in_unit_)
      out += " " + key;
    out += "\n";
  }
  for (const std::string& line : not_imported_)
    out += "# NOT IMPORTED: " + line + "\n";
  if (filesystem_ && !private_devices_) {
    out +=
        "# NOTE: without PrivateDevices= the unit sees the host's /dev; the policy gets\n"
        "# dev = \"minimal\" (harden binds no host /dev)\n";
  }
  if (filesystem_ && !kernel_tunables_) {
    out +=
        "# NOTE: /proc/sys and /sys are read-only in a constructed root (stricter than the "
        "unit)\n";
  }
  std::string name = options_.policy_name;
  out += "\n[policy]\nname = " + toml_quote(name) + "\n";
  if (!description_.empty()) out += "description = " + toml_quote(description_) + "\n";

  if (!command_.empty() || !working_directory_.empty() || umask_ || mdwe_) {
    out += "\n[exec]\n";
    if (!command_.empty()) out += "command = " + toml_string_array(command_) + "\n";
    if (!working_directory_.empty())
      out += "working_directory = " + toml_quote(working_directory_) + "\n";
    if (umask_) out += "umask = " + toml_quote(*umask_) + "\n";
    if (mdwe_) out += "memory_deny_write_execute = true\n";
  }

  const bool root = !user_ || *user_ == "root" || *user_ == "0";
  if (user_ || group_ || !supplementary_.empty() || no_new_privileges_) {
    out += "\n[identity]\n";
    if (user_) out += "user = " + toml_quote(*user_) + "\n";
    if (group_) out += "group = " + toml_quote(*group_) + "\n";
    if (!supplementary_.empty())
      out += "supplementary_groups = " + toml_string_array(supplementary_) + "\n";
    if (no_new_privileges_) {
      out += std::string("no_new_privileges = ") + (*no_new_privileges_ ? "true" : "false") + "\n";
    }
  }
  if (!no_new_privileges_) {
    out +=
        "# NoNewPrivileges= not set: harden's default (true) applies; write\n"
        "# no_new_privileges = false if the service runs setuid programs.\n";
  }

  const uint64_t all = (uint64_t{2} << CAP_LAST_CAP) - 1;
  const uint64_t bounding = bounding_.value_or(all);
  const uint64_t keep = root ? bounding : (ambient_.value_or(0) & bounding);
  std::vector<std::string> caps;
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (!((keep >> cap) & 1U)) continue;
    std::unique_ptr<char, decltype(&cap_free)> text(cap_to_name(cap), &cap_free);
    std::string upper = text ? text.get() : std::to_string(cap);
    std::ranges::transform(upper, upper.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    caps.push_back(upper);
  }
  out += "\n[capabilities]\n";
  if (root && !bounding_) {
    out += "# The unit runs as root without CapabilityBoundingSet=: it has every capability.\n";
  }
  out += "keep = " + toml_string_array(caps) + "\n";

  out += write_seccomp();
  out += write_filesystem();

  if (private_network_ || protect_hostname_) {
    out += "\n[namespaces]\n";
    if (private_network_) out += "net = \"private\"\n";
    if (protect_hostname_) out += "uts = true\n";
  }
  if (!limits_.empty()) {
    out += "\n[limits]\n";
    for (const auto& [name_, value] : limits_)
      out += name_ + " = " + value + "\n";
  }
  if (memory_max_ || tasks_max_ || cpu_quota_) {
    out += "\n[cgroup]\n";
    if (memory_max_) out += "memory = " + std::to_string(*memory_max_) + "\n";
    if (tasks_max_) out += "pids = " + std::to_string(*tasks_max_) + "\n";
    if (cpu_quota_) out += "cpu = " + toml_quote(*cpu_quota_) + "\n";
  }
  if (!environment_.empty() || !pass_environment_.empty()) {
    out += "\n[environment]\n";
    if (!pass_environment_.empty()) out += "keep = " + toml_string_array(pass_environment_) + "\n";
    if (!environment_.empty()) {
      out += "[environment.set]\n";
      for (const auto& [key, value] : environment_)
        out += toml_quote(key) + " = " + toml_quote(value) + "\n";
    }
  }
  return out;
}
}  // namespace import_systemd

using import_systemd::Importer;
using import_systemd::lower;

std::string policy_name_from_unit(const std::string& file) {
  std::string base = file.substr(file.find_last_of('/') + 1);
  for (const char* suffix : {".service", ".socket", ".conf"}) {
    if (base.ends_with(suffix)) base.resize(base.size() - std::string_view(suffix).size());
  }
  std::string name;
  for (const char c : lower(base)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    name += ok ? c : '-';
  }
  if (name.size() > 32) name.resize(32);
  return name.empty() ? "imported" : name;
}

std::optional<std::string> import_systemd_unit(const std::string& unit_text,
                                               const ImportOptions& options, Diagnostics& diags) {
  const std::vector<UnitDirective> directives =
      parse_unit_file(unit_text, options.source_name, diags);
  if (diags.has_errors()) return std::nullopt;
  const bool service = std::ranges::any_of(
      directives, [](const UnitDirective& d) { return d.section == "Service"; });
  if (!service) {
    diags.error({options.source_name, 0, 0}, "no [Service] section: nothing to import",
                "import a service unit or a drop-in with a [Service] section");
    return std::nullopt;
  }
  ImportOptions with_name = options;
  if (with_name.policy_name.empty())
    with_name.policy_name = policy_name_from_unit(options.source_name);
  Importer importer(with_name, diags);
  importer.read(directives);
  if (diags.has_errors()) return std::nullopt;
  return importer.write();
}

}  // namespace harden
