#include "export/k8s_common.hpp"

#include <algorithm>

namespace harden {

bool dns1123_label(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  return std::ranges::all_of(name, [&](char c) { return alnum(c) || c == '-'; });
}

std::optional<std::string> k8s_object_name(const Policy& policy, const ExportOptions& options,
                                           Diagnostics& diags) {
  if (!options.k8s_name.empty()) {
    if (dns1123_label(options.k8s_name)) return options.k8s_name;
    diags.error({}, "--name '" + options.k8s_name + "' is not a valid Kubernetes name",
                "use 1 to 63 characters from a-z, 0-9 and '-', starting and ending with a "
                "letter or digit (RFC 1123 label)");
    return std::nullopt;
  }
  std::string name = policy.meta.name.value;
  std::ranges::replace(name, '_', '-');
  if (dns1123_label(name)) return name;
  diags.error(policy.meta.name.pos,
              "the policy name '" + policy.meta.name.value + "' gives no valid Kubernetes name ('" +
                  name + "')",
              "pass --name NAME: 1 to 63 characters from a-z, 0-9 and '-', starting and "
              "ending with a letter or digit (RFC 1123 label)");
  return std::nullopt;
}

void NotTranslated::add(const SourcePos& pos, const std::string& what) {
  comments_.push_back("NOT TRANSLATED: " + what);
  diags_.warning(pos, "not translated to " + format_ + ": " + what);
}

SourcePos section_pos(const Policy& policy, std::string_view section) {
  const auto it = policy.meta.sections.find(section);
  if (it != policy.meta.sections.end()) return it->second;
  return {policy.file, 0, 0};
}

std::string render_manifest(const std::vector<YamlDocument>& documents,
                            const ExportOptions& options) {
  return options.json ? to_json(documents) : to_yaml(documents);
}

}  // namespace harden
