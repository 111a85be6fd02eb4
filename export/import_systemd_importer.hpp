// The systemd unit importer's inner parts (export/import_systemd.cpp): the Importer that reads
// a unit's directives and writes the policy, shared by the file that reads the sandboxing and
// file-system directives and the one that turns the syscall directives into [seccomp]
// (import_systemd_syscalls.cpp). Not an interface: export.hpp's import_systemd_unit is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "export/export.hpp"
#include "export/systemd_unit_file.hpp"

namespace harden::import_systemd {

[[nodiscard]] std::string lower(std::string text);
// "file:line" of a directive.
[[nodiscard]] std::string where(const SourcePos& pos);

struct Rule {
  std::string syscall;
  std::vector<std::string> args;  // inline tables, as TOML text
  std::string action;
  std::string why;  // the directive and line, as the rule's reason
};

struct PathSpec {
  std::string path;
  bool ignore_missing = false;
  SourcePos pos;
};

class Importer {
 public:
  Importer(const ImportOptions& options, Diagnostics& diags) : options_(options), diags_(diags) {}

  void read(const std::vector<UnitDirective>& directives);
  std::string write() const;

 private:
  void directive(const UnitDirective& d);
  void not_imported(const UnitDirective& d, const std::string& why) {
    not_imported_.push_back(where(d.pos) + ": " + d.key + "=" + d.value + " (" + why + ")");
    diags_.warning(d.pos, "not imported: " + d.key + "= (" + why + ")");
  }
  void bad_value(const UnitDirective& d, const std::string& why) {
    diags_.error(d.pos, d.key + "=" + d.value + ": " + why);
  }
  std::optional<bool> boolean(const UnitDirective& d) {
    auto value = parse_unit_bool(d.value);
    if (!value) {
      bad_value(d, value.error());
      return std::nullopt;
    }
    return *value;
  }
  std::optional<uint64_t> capability_set(const UnitDirective& d, bool& invert);
  void system_call_filter(const UnitDirective& d);
  void restrict_namespaces(const UnitDirective& d);
  void restrict_address_families(const UnitDirective& d);
  void refuse_outside(const std::string& syscall, std::vector<uint64_t> allowed,
                      const std::string& action, const std::string& why);
  std::vector<PathSpec> paths(const UnitDirective& d);
  void deny_syscalls(const std::string& name, const std::string& errno_name, const std::string& why,
                     const SourcePos& pos);

  std::string write_seccomp() const;
  std::string write_filesystem() const;

  const ImportOptions& options_;
  Diagnostics& diags_;
  std::vector<std::string> not_imported_;
  std::vector<std::string> kept_in_unit_;
  std::string description_;

  std::optional<std::string> user_, group_;
  std::vector<std::string> supplementary_;
  std::optional<bool> no_new_privileges_;
  std::optional<uint64_t> bounding_, ambient_;
  std::vector<std::string> command_;
  std::string working_directory_;
  std::optional<std::string> umask_;
  bool mdwe_ = false;
  std::vector<std::pair<std::string, std::string>> environment_;
  std::vector<std::string> pass_environment_;

  enum class FilterMode { none, allow, deny };
  FilterMode filter_mode_ = FilterMode::none;
  std::vector<std::string> allow_;  // names and groups
  std::vector<std::string> deny_;   // allow mode: taken out of allow_
  std::vector<Rule> rules_;
  struct ProtectDeny {
    std::string name;
    std::string why;
    SourcePos pos;
  };
  std::vector<ProtectDeny> protect_denies_;
  std::string deny_mode_action_ = "kill-process";
  std::optional<std::string> error_number_;
  std::optional<std::vector<std::string>> architectures_;
  bool seccomp_wanted_ = false;

  bool filesystem_ = false;
  bool private_tmp_ = false;
  bool private_devices_ = false;
  bool kernel_tunables_ = false;
  std::string protect_system_ = "no";
  std::string protect_home_ = "no";
  std::vector<PathSpec> read_only_, read_write_, inaccessible_;
  std::optional<SourcePos> private_devices_missing_;

  bool private_network_ = false;
  bool protect_hostname_ = false;
  std::vector<std::pair<std::string, std::string>> limits_;
  std::optional<uint64_t> memory_max_;
  std::optional<uint64_t> tasks_max_;
  std::optional<std::string> cpu_quota_;
};

}  // namespace harden::import_systemd
