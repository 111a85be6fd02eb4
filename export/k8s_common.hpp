// What the Kubernetes exporters share: object names (DNS-1123), the label that ties a Pod to
// its NetworkPolicy, the list of what a manifest does not translate, and writing the
// documents as YAML or JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "export/export.hpp"
#include "export/yaml.hpp"

namespace harden {

// RFC 1123 label as Kubernetes checks it (IsDNS1123Label): 1-63 of a-z, 0-9 and '-', starting
// and ending with a letter or digit. Container, volume and (here) object names.
bool dns1123_label(std::string_view name);

// The name of the objects and the container: --name when given, else the policy name with
// '_' turned into '-'. An error (and nullopt) when the result is no DNS-1123 label.
std::optional<std::string> k8s_object_name(const Policy& policy, const ExportOptions& options,
                                           Diagnostics& diags);

// The label the Pod carries and the NetworkPolicy selects.
inline constexpr std::string_view kK8sNameLabel = "app.kubernetes.io/name";

// What a manifest leaves out, said twice: a "NOT TRANSLATED" comment in the output and a
// warning at the policy line.
class NotTranslated {
 public:
  NotTranslated(Diagnostics& diags, std::string format)
      : diags_(diags), format_(std::move(format)) {}
  void add(const SourcePos& pos, const std::string& what);
  // A comment that is not a loss (where a value went, how to install the output).
  void note(const std::string& text) { comments_.push_back(text); }
  const std::vector<std::string>& comments() const { return comments_; }

 private:
  Diagnostics& diags_;
  std::string format_;
  std::vector<std::string> comments_;
};

// Where a section of the policy was opened, for warnings about it as a whole.
SourcePos section_pos(const Policy& policy, std::string_view section);

// The documents as YAML, or JSON with --json.
std::string render_manifest(const std::vector<YamlDocument>& documents,
                            const ExportOptions& options);

}  // namespace harden
