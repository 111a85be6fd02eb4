// Kubernetes manifests as YAML (or JSON) written from an nlohmann::ordered_json document, never
// by pasting text: kubectl and the API server read YAML 1.1 (sigs.k8s.io/yaml over go-yaml),
// where a plain `no`, `on`, `~`, `1_000` or `0x10` is not a string. So every string value is
// double-quoted, and a key is plain only when no YAML 1.1 resolver can read it as anything but
// a string. Comments are single lines: a newline or control character in their text (a path,
// a name from the policy) is escaped, so it can never start a line of YAML.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace harden {

// A manifest: comment lines (without the leading '#') above one document.
struct YamlDocument {
  std::vector<std::string> comments;
  nlohmann::ordered_json body;
};

// One or more documents, separated by "---". Block style, two-space indentation.
std::string to_yaml(const std::vector<YamlDocument>& documents);

// The same documents as JSON: one document as itself, several as a `v1` List (kubectl applies
// both). Comments cannot be carried; the caller warns on stderr anyway.
std::string to_json(const std::vector<YamlDocument>& documents);

// A YAML double-quoted scalar (valid JSON string syntax too), escaping what YAML does not
// allow raw: control characters, DEL and the C1 range.
std::string yaml_quoted(const std::string& text);

}  // namespace harden
