// `harden import --from oci-seccomp`: an OCI (runc, crun, Podman, Kubernetes) or Docker seccomp
// profile as a [seccomp] policy section. Docker's conditional entries are resolved the way
// Docker resolves them for one container: `includes`/`excludes` by the native architecture,
// the capabilities the target keeps and the running kernel. What is left out is listed in
// comments, so the generated section says exactly where it differs from the profile.
#include <seccomp.h>
#include <sys/utsname.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "export/export.hpp"
#include "export/seccomp_names.hpp"
#include "plan/constants.hpp"

namespace harden {

namespace {

using nlohmann::json;

struct ArchWord {
  std::string_view oci;     // SCMP_ARCH_X86_64
  std::string_view docker;  // amd64 (Docker's includes/excludes spelling)
  std::string_view harden;  // libseccomp's name, as [seccomp] architectures takes it
};

constexpr ArchWord kArchWords[] = {
    {"SCMP_ARCH_X86_64", "amd64", "x86_64"}, {"SCMP_ARCH_X86", "x86", "x86"},
    {"SCMP_ARCH_X32", "x32", "x32"},         {"SCMP_ARCH_AARCH64", "arm64", "aarch64"},
    {"SCMP_ARCH_ARM", "arm", "arm"},
};

const ArchWord* arch_by_oci(const std::string& oci) {
  for (const ArchWord& w : kArchWords) {
    if (w.oci == oci) return &w;
  }
  return nullptr;
}

const ArchWord& native_arch() {
  const std::string native = native_architecture_name();
  for (const ArchWord& w : kArchWords) {
    if (w.harden == native) return w;
  }
  return kArchWords[0];
}

// Which ABIs a kernel of the native architecture also runs.
bool runs_here(const ArchWord& arch) {
  const std::string native(native_arch().harden);
  if (arch.harden == native) return true;
  if (native == "x86_64") return arch.harden == "x86" || arch.harden == "x32";
  if (native == "aarch64") return arch.harden == "arm";
  return false;
}

std::string errno_word(int value) {
  const std::string_view name = errno_name(value);
  return name.empty() ? std::to_string(value) : std::string(name);
}

// A JSON number the OCI format declares unsigned, at most `max`: nullopt for anything else. A
// float must not reach get<uint64_t>(): converting 8.9e40 is undefined behaviour (found by the
// oci_seccomp fuzzer), and a negative or fractional number is no argument value either.
std::optional<uint64_t> unsigned_at_most(const json& value, uint64_t max) {
  if (!value.is_number_unsigned()) return std::nullopt;
  const auto number = value.get<uint64_t>();
  if (number > max) return std::nullopt;
  return number;
}

std::optional<std::string> action_of(const std::string& action, const json& errno_ret,
                                     std::string& error) {
  if (action == "SCMP_ACT_ALLOW") return "allow";
  if (action == "SCMP_ACT_KILL_PROCESS") return "kill-process";
  if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return "kill-thread";
  if (action == "SCMP_ACT_TRAP") return "trap";
  if (action == "SCMP_ACT_LOG") return "log";
  if (action == "SCMP_ACT_ERRNO") {
    if (errno_ret.is_null()) return "errno:" + errno_word(1);  // EPERM, as runtimes default
    const auto value = unsigned_at_most(errno_ret, 4095);
    if (!value) {
      error = "errnoRet " + errno_ret.dump() + " is not an errno number (0 to 4095)";
      return std::nullopt;
    }
    return "errno:" + errno_word(static_cast<int>(*value));
  }
  // SCMP_ACT_TRACE needs a tracer and SCMP_ACT_NOTIFY a supervisor: harden has neither, and
  // guessing an action could widen access.
  error = "action '" + action + "' has no harden equivalent";
  return std::nullopt;
}

std::vector<int> kernel_version() {
  utsname u{};
  uname(&u);
  int major = 0, minor = 0;
  std::sscanf(u.release, "%d.%d", &major, &minor);
  return {major, minor};
}

bool kernel_at_least(const std::string& text) {
  int major = 0, minor = 0;
  if (std::sscanf(text.c_str(), "%d.%d", &major, &minor) < 1) return true;
  return kernel_version() >= std::vector<int>{major, minor};
}

std::vector<std::string> strings_at(const json& object, const char* key) {
  std::vector<std::string> out;
  if (object.is_object() && object.contains(key) && object[key].is_array()) {
    for (const json& v : object[key]) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

bool any_in(const std::vector<std::string>& wanted, const std::vector<std::string>& have) {
  return std::ranges::any_of(
      wanted, [&](const std::string& w) { return std::ranges::find(have, w) != have.end(); });
}

std::string normalize_cap(std::string cap) {
  std::ranges::transform(cap, cap.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return cap.starts_with("CAP_") ? cap : "CAP_" + cap;
}

// Whether a Docker entry applies to this architecture, these capabilities and this kernel.
std::string why_not_applicable(const json& entry, const std::vector<std::string>& caps) {
  const std::string native(native_arch().docker);
  if (entry.contains("includes")) {
    const json& inc = entry["includes"];
    const auto arches = strings_at(inc, "arches");
    if (!arches.empty() && std::ranges::find(arches, native) == arches.end()) {
      return "only for other architectures";
    }
    for (const std::string& cap : strings_at(inc, "caps")) {
      if (std::ranges::find(caps, normalize_cap(cap)) == caps.end()) return "only with " + cap;
    }
    if (inc.contains("minKernel") && inc["minKernel"].is_string() &&
        !kernel_at_least(inc["minKernel"].get<std::string>())) {
      return "only on kernels from " + inc["minKernel"].get<std::string>();
    }
  }
  if (entry.contains("excludes")) {
    const json& exc = entry["excludes"];
    const auto arches = strings_at(exc, "arches");
    if (std::ranges::find(arches, native) != arches.end()) return "not for this architecture";
    std::vector<std::string> excluded_caps;
    for (const std::string& cap : strings_at(exc, "caps"))
      excluded_caps.push_back(normalize_cap(cap));
    if (any_in(excluded_caps, caps)) return "not with the kept capabilities";
  }
  return {};
}

struct ImportedRule {
  std::string syscall;
  std::string action;
  std::string args;  // TOML inline array, empty for none
};

std::optional<std::string> args_toml(const json& args, std::string& error) {
  static const std::map<std::string, std::string> kOps{{"SCMP_CMP_EQ", "eq"},
                                                       {"SCMP_CMP_NE", "ne"},
                                                       {"SCMP_CMP_LT", "lt"},
                                                       {"SCMP_CMP_LE", "le"},
                                                       {"SCMP_CMP_GT", "gt"},
                                                       {"SCMP_CMP_GE", "ge"},
                                                       {"SCMP_CMP_MASKED_EQ", "masked-eq"}};
  std::string out = "[";
  for (const json& arg : args) {
    const auto op = kOps.find(arg.value("op", ""));
    if (op == kOps.end() || !arg.contains("index") || !arg.contains("value")) {
      error = "argument condition " + arg.dump() + " is not understood";
      return std::nullopt;
    }
    const auto index = unsigned_at_most(arg["index"], 5);
    const auto value = unsigned_at_most(arg["value"], UINT64_MAX);
    const auto two =
        arg.contains("valueTwo") ? unsigned_at_most(arg["valueTwo"], UINT64_MAX) : uint64_t{0};
    if (!index || !value || !two) {
      error = "argument condition " + arg.dump() +
              " needs an index from 0 to 5 and unsigned 64-bit integers for value and valueTwo";
      return std::nullopt;
    }
    out += out.size() > 1 ? ", " : "";
    out += "{ index = " + std::to_string(*index) + ", op = \"" + op->second + "\"";
    // The OCI format compares whole 64-bit arguments; masked-eq's mask is `value` and the
    // expected result `valueTwo`. TOML integers are signed: big values go in hex strings.
    auto number = [](uint64_t v) {
      if (v <= 0x7fffffffffffffffULL) return std::to_string(v);
      char hex[24];
      std::snprintf(hex, sizeof hex, "\"0x%llx\"", static_cast<unsigned long long>(v));
      return std::string(hex);
    };
    if (op->second == "masked-eq") {
      out += ", value = " + number(*two) + ", mask = " + number(*value);
    } else {
      out += ", value = " + number(*value);
    }
    out += ", width = 64 }";
  }
  return out + "]";
}

}  // namespace

std::optional<std::string> import_profile(const std::string& json_text,
                                          const ImportOptions& options, Diagnostics& diags) {
  const SourcePos at{options.source_name, 0, 0};
  json profile = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (profile.is_discarded() || !profile.is_object()) {
    diags.error(at, "not a JSON seccomp profile", "expected an object with defaultAction");
    return std::nullopt;
  }
  // A whole OCI config.json is accepted too: its linux.seccomp object is the profile.
  if (profile.contains("linux") && profile["linux"].contains("seccomp")) {
    profile = profile["linux"]["seccomp"];
  }
  if (!profile.contains("defaultAction") || !profile["defaultAction"].is_string()) {
    diags.error(at, "the profile has no defaultAction");
    return std::nullopt;
  }
  std::vector<std::string> caps;
  for (const std::string& cap : options.caps)
    caps.push_back(normalize_cap(cap));

  std::string error;
  const auto default_action = action_of(profile["defaultAction"].get<std::string>(),
                                        profile.value("defaultErrnoRet", json()), error);
  if (!default_action) {
    diags.error(at, "defaultAction: " + error);
    return std::nullopt;
  }

  // Architectures: Docker's archMap entry for this machine, or the OCI list.
  std::vector<const ArchWord*> archs;
  std::vector<std::string> notes;
  std::vector<std::string> oci_archs;
  if (profile.contains("archMap")) {
    for (const json& entry : profile["archMap"]) {
      if (entry.value("architecture", "") != native_arch().oci) continue;
      oci_archs.push_back(entry["architecture"].get<std::string>());
      for (const std::string& sub : strings_at(entry, "subArchitectures"))
        oci_archs.push_back(sub);
    }
  } else {
    oci_archs = strings_at(profile, "architectures");
  }
  for (const std::string& name : oci_archs) {
    const ArchWord* arch = arch_by_oci(name);
    if (arch && runs_here(*arch)) {
      if (std::ranges::find(archs, arch) == archs.end()) archs.push_back(arch);
    } else {
      notes.push_back("architecture " + name + " (does not run on this machine)");
    }
  }
  if (archs.empty()) archs.push_back(&native_arch());
  if (archs.front() != &native_arch() && std::ranges::find(archs, &native_arch()) == archs.end()) {
    archs.insert(archs.begin(), &native_arch());
  }

  auto known = [&](const std::string& name) {
    return std::ranges::any_of(archs, [&](const ArchWord* arch) {
      const uint32_t token = seccomp_arch_resolve_name(std::string(arch->harden).c_str());
      // Negative numbers are libseccomp's pseudo syscalls (recv on x86 goes through
      // socketcall): not a call a filter can name on that architecture.
      return seccomp_syscall_resolve_name_arch(token, name.c_str()) >= 0;
    });
  };

  std::set<std::string> allowed;
  std::vector<ImportedRule> rules;
  std::set<std::string> unknown;
  std::map<std::string, std::set<std::string>> skipped;  // reason -> names
  const json empty_list = json::array();
  const json& entries = profile.contains("syscalls") ? profile["syscalls"] : empty_list;
  for (const json& entry : entries) {
    std::vector<std::string> names = strings_at(entry, "names");
    if (entry.contains("name") && entry["name"].is_string()) names.push_back(entry["name"]);
    if (const std::string why = why_not_applicable(entry, caps); !why.empty()) {
      for (const std::string& n : names)
        skipped[why].insert(n);
      continue;
    }
    const auto action =
        action_of(entry.value("action", ""), entry.value("errnoRet", json()), error);
    if (!action) {
      diags.error(at, "syscalls entry " + json(names).dump() + ": " + error);
      continue;
    }
    std::string args;
    if (entry.contains("args") && entry["args"].is_array() && !entry["args"].empty()) {
      const auto text = args_toml(entry["args"], error);
      if (!text) {
        diags.error(at, "syscalls entry " + json(names).dump() + ": " + error);
        continue;
      }
      args = *text;
    }
    for (const std::string& name : names) {
      if (!known(name)) {
        unknown.insert(name);
        continue;
      }
      if (*action == "allow" && args.empty()) {
        allowed.insert(name);
      } else {
        rules.push_back({name, *action, args});
      }
    }
  }
  if (diags.has_errors()) return std::nullopt;
  // A rule that only allows what is already allowed says nothing.
  std::erase_if(rules, [&](const ImportedRule& r) {
    return r.action == "allow" && allowed.contains(r.syscall);
  });
  if (*default_action == "allow" && !rules.empty()) {
    // Nothing to remove from: the rules alone carry the profile.
  }

  // Comments quote the profile's own words (names, capabilities, the file name): a control
  // character or a byte that is not ASCII there is written as \xNN, so a name holding a
  // newline can neither inject a line into the section nor make it invalid TOML.
  auto comment = [](const std::string& text) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string line = "# ";
    for (const char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte >= 0x7f) {
        line += "\\x";
        line += kDigits[byte >> 4];
        line += kDigits[byte & 15];
      } else {
        line += c;
      }
    }
    return line + "\n";
  };
  std::string out =
      comment("Imported by harden import --from oci-seccomp from " + options.source_name);
  std::string kept_caps;
  for (const std::string& cap : caps)
    kept_caps += (kept_caps.empty() ? "" : " ") + cap;
  out += comment("Resolved for " + std::string(native_arch().harden) + ", kernel " +
                 std::to_string(kernel_version()[0]) + "." + std::to_string(kernel_version()[1]) +
                 ", capabilities: " + (kept_caps.empty() ? "none" : kept_caps));
  auto name_list = [](const std::set<std::string>& names) {
    std::string text;
    for (const std::string& n : names)
      text += (text.empty() ? "" : " ") + n;
    return text;
  };
  for (const auto& [why, names] : skipped) {
    out += comment("left out (" + why + "): " + name_list(names));
  }
  if (!unknown.empty()) {
    out += comment("left out (no such syscall on these architectures): " + name_list(unknown));
  }
  for (const std::string& note : notes)
    out += comment("left out: " + note);
  out += "[seccomp]\n";
  out += "default_action = \"" + *default_action + "\"\n";
  out += "architectures = [";
  for (size_t i = 0; i < archs.size(); ++i) {
    const std::string name = archs[i] == &native_arch() ? "native" : std::string(archs[i]->harden);
    out += (i ? ", " : "") + ("\"" + name + "\"");
  }
  out += "]\n";
  if (archs.size() > 1) {
    out +=
        "# The profile also admits 32-bit programs; keep only \"native\" unless the service "
        "needs them.\n";
  }
  out += "allow = [\n";
  std::string line;
  for (const std::string& name : allowed) {
    const std::string word = "\"" + name + "\",";
    if (line.size() + word.size() + 1 > 96) {
      out += "  " + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += "  " + line + "\n";
  out += "]\n";
  for (const ImportedRule& rule : rules) {
    out += "\n[[seccomp.rule]]\nsyscall = \"" + rule.syscall + "\"\n";
    if (!rule.args.empty()) out += "args = " + rule.args + "\n";
    out += "action = \"" + rule.action + "\"\n";
  }
  return out;
}

std::optional<std::string> import_oci_seccomp(const std::string& json_text,
                                              const ImportOptions& options, Diagnostics& diags) {
  // A member of the wrong JSON type anywhere the importer reads one ("architecture": [...])
  // is a malformed profile, not a crash (found by the oci_seccomp fuzzer).
  try {
    return import_profile(json_text, options, diags);
  } catch (const json::exception& err) {
    diags.error(SourcePos{options.source_name, 0, 0},
                std::string("malformed seccomp profile: ") + err.what(),
                "each member must have the type the OCI runtime spec gives it");
    return std::nullopt;
  }
}

}  // namespace harden
