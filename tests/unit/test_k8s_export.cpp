// The Kubernetes exports (Pod/Deployment, SeccompProfile, NetworkPolicy) checked against the
// published shapes: Kubernetes' structural schema and enums (tests/data/k8s, from
// k8s.io/client-go and k8s.io/api) and the Security Profiles Operator's CRD. The YAML is read
// back by a YAML 1.1 parser (PyYAML, like go-yaml v2 under kubectl) and must equal the JSON
// export: a policy named `no` stays the string "no". The SeccompProfile is evaluated against
// the plan's own compiled filter.
#include <catch2/catch.hpp>

#include <seccomp.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "compiler/compile.hpp"
#include "export/export.hpp"
#include "export/yaml.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/seccomp_model.hpp"
#include "policy/policy_reader.hpp"
#include "tests/support/harness.hpp"
#include "tests/unit/export_support.hpp"

using namespace harden;
using harden::test::compile_text;
using harden::test::Compiled;
using nlohmann::json;

namespace {

json data_file(const std::string& name) {
  std::ifstream in(test::source_dir() + "/tests/data/k8s/" + name);
  REQUIRE(in.good());
  return json::parse(in);
}

// ---- Kubernetes' structural schema (structured-merge-diff's typed schema) ----------------

class StructuralSchema {
 public:
  StructuralSchema()
      : types_(data_file("k8s-structural-schema.json")), enums_(data_file("k8s-enums.json")) {}

  // Every problem of `value` as type `type`, one line each (empty: valid).
  std::vector<std::string> check(const json& value, const std::string& type) const {
    std::vector<std::string> problems;
    check_named(value, type, "$", problems);
    return problems;
  }

 private:
  void check_named(const json& value, const std::string& type, const std::string& at,
                   std::vector<std::string>& problems) const {
    if (!types_.contains(type)) {
      problems.push_back(at + ": unknown type " + type);
      return;
    }
    check_type(value, types_[type], type, at, problems);
  }

  void check_type(const json& value, const json& schema, const std::string& owner,
                  const std::string& at, std::vector<std::string>& problems) const {
    if (schema.contains("namedType")) return check_named(value, schema["namedType"], at, problems);
    if (schema.contains("scalar")) {
      const std::string scalar = schema["scalar"];
      const bool ok = scalar == "untyped"   ? !value.is_structured()
                      : scalar == "string"  ? value.is_string()
                      : scalar == "numeric" ? value.is_number()
                      : scalar == "boolean" ? value.is_boolean()
                                            : false;
      if (!ok) problems.push_back(at + ": not a " + scalar + ": " + value.dump());
      return;
    }
    if (schema.contains("list")) {
      if (!value.is_array()) return problems.push_back(at + ": not a list");
      for (size_t i = 0; i < value.size(); ++i)
        check_type(value[i], schema["list"]["elementType"], owner,
                   at + "[" + std::to_string(i) + "]", problems);
      return;
    }
    if (schema.contains("map")) {
      if (!value.is_object()) return problems.push_back(at + ": not an object");
      const json& map = schema["map"];
      static const json kNoFields = json::array();
      const json& fields = map.contains("fields") ? map["fields"] : kNoFields;
      for (const auto& [key, member] : value.items()) {
        const json* field_type = nullptr;
        for (const json& field : fields) {
          if (field["name"] == key) field_type = &field["type"];
        }
        if (field_type == nullptr && map.contains("elementType")) field_type = &map["elementType"];
        if (field_type == nullptr) {
          problems.push_back(at + ": unknown field '" + key + "' in " + owner);
          continue;
        }
        const std::string enum_key = owner + "." + key;
        if (enums_.contains(enum_key)) {
          const json& allowed = enums_[enum_key];
          const auto in_enum = [&](const json& v) {
            return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
          };
          const bool ok = member.is_array() ? std::all_of(member.begin(), member.end(), in_enum)
                                            : in_enum(member);
          if (!ok)
            problems.push_back(at + "." + key + ": " + member.dump() + " not in " + allowed.dump());
        }
        check_type(member, *field_type, field_type->contains("namedType") ? owner : owner,
                   at + "." + key, problems);
      }
      return;
    }
    problems.push_back(at + ": schema without a kind for " + owner);
  }

  json types_;
  json enums_;
};

// ---- the CRD's openAPIV3Schema (the subset the SeccompProfile CRD uses) ---------------------

void check_openapi(const json& value, const json& schema, const std::string& at,
                   std::vector<std::string>& problems) {
  const std::string type = schema.value("type", "");
  if (type == "object") {
    if (!value.is_object()) return problems.push_back(at + ": not an object");
    for (const std::string& required : schema.value("required", std::vector<std::string>{})) {
      if (!value.contains(required)) problems.push_back(at + ": missing " + required);
    }
    if (!schema.contains("properties")) return;  // free-form (metadata)
    for (const auto& [key, member] : value.items()) {
      if (!schema["properties"].contains(key)) {
        problems.push_back(at + ": unknown field '" + key + "'");
        continue;
      }
      check_openapi(member, schema["properties"][key], at + "." + key, problems);
    }
  } else if (type == "array") {
    if (!value.is_array()) return problems.push_back(at + ": not an array");
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>()) {
      problems.push_back(at + ": fewer than minItems");
    }
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<size_t>()) {
      problems.push_back(at + ": more than maxItems");
    }
    for (size_t i = 0; i < value.size(); ++i)
      check_openapi(value[i], schema["items"], at + "[" + std::to_string(i) + "]", problems);
  } else if (type == "string") {
    if (!value.is_string()) return problems.push_back(at + ": not a string");
  } else if (type == "integer") {
    // int64 with minimum 0: a uint64 above 2^63-1 does not fit.
    if (!value.is_number_integer()) return problems.push_back(at + ": not an integer");
    if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t{INT64_MAX}) {
      problems.push_back(at + ": above int64");
    }
    if (schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>()) {
      problems.push_back(at + ": below minimum");
    }
  } else if (type == "boolean") {
    if (!value.is_boolean()) problems.push_back(at + ": not a boolean");
  }
  if (schema.contains("enum")) {
    const json& allowed = schema["enum"];
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
      problems.push_back(at + ": " + value.dump() + " not in enum");
    }
  }
}

std::vector<std::string> check_seccomp_profile_crd(const json& document) {
  const json crd = data_file("spo-seccompprofile-v1beta1.json");
  std::vector<std::string> problems;
  if (document.value("apiVersion", "") !=
      crd["group"].get<std::string>() + "/" + crd["version"].get<std::string>()) {
    problems.push_back("apiVersion " + document.value("apiVersion", ""));
  }
  if (document.value("kind", "") != crd["kind"])
    problems.push_back("kind " + document.value("kind", ""));
  // Cluster scope: no namespace.
  if (document["metadata"].contains("namespace"))
    problems.push_back("a namespace on a cluster-scoped object");
  check_openapi(document, crd["openAPIV3Schema"], "$", problems);
  return problems;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines)
    out += line + "\n";
  return out;
}

// Reads YAML with PyYAML (YAML 1.1, the resolver go-yaml v2 and so kubectl follow) and says
// whether it equals the JSON text.
bool yaml_equals_json(const std::string& yaml, const std::string& json_text) {
  test::TempDir dir("harden-yaml");
  test::write_file(dir.file("doc.yaml"), yaml);
  test::write_file(dir.file("doc.json"), json_text);
  const test::RunResult python =
      test::run({"python3", "-c",
                 "import sys, json, yaml\n"
                 "docs = list(yaml.safe_load_all(open(sys.argv[1], encoding='utf-8')))\n"
                 "want = json.load(open(sys.argv[2], encoding='utf-8'))\n"
                 "if docs != [want]:\n"
                 "    print(json.dumps(docs), file=sys.stderr)\n"
                 "    sys.exit(1)\n",
                 dir.file("doc.yaml"), dir.file("doc.json")});
  if (python.exited(0)) return true;
  if (python.err.find("No module named 'yaml'") != std::string::npos) {
    test::skip("PyYAML is not installed (Debian package python3-yaml)");
  }
  UNSCOPED_INFO(python.describe());
  return false;
}

using ExportFunction = std::optional<std::string>(const Policy&, const Plan&, const ExportOptions&,
                                                  Diagnostics&);

ExportOptions k8s_options(bool as_json = false) {
  ExportOptions options;
  options.image = "registry.example/app:1";
  options.json = as_json;
  return options;
}

}  // namespace

TEST_CASE("YAML emitter: every string stays a string for a YAML 1.1 reader",
          "[export][k8s][yaml]") {
  nlohmann::ordered_json doc;
  for (const char* tricky : {"no",
                             "yes",
                             "on",
                             "off",
                             "y",
                             "n",
                             "true",
                             "False",
                             "null",
                             "~",
                             "",
                             "1_000",
                             "0x10",
                             "0o17",
                             "012",
                             "1e3",
                             ".5",
                             "1:20",
                             "- item",
                             "key: value",
                             "# not a comment",
                             "&anchor",
                             "*alias",
                             "!tag",
                             "|",
                             ">",
                             "'single'",
                             "\"double\"",
                             "back\\slash",
                             "tab\there",
                             "line\nbreak",
                             "del\x7f",
                             "nul-free \x01 control",
                             "caf\xc3\xa9",
                             "c1 \xc2\x85 next-line",
                             "\xef\xbb\xbf"
                             "bom",
                             "2001-12-14",
                             "=",
                             "<<"}) {
    doc["values"].push_back(tricky);
    doc[tricky] = tricky;  // as a key too
  }
  doc["number"] = 42;
  doc["flag"] = false;
  doc["nothing"] = nullptr;
  doc["empty_list"] = nlohmann::ordered_json::array();
  doc["empty_map"] = nlohmann::ordered_json::object();
  doc["nested"] = {{"list", {{{"a", 1}, {"b", {"x", "y"}}}, {1, 2}}}};
  const std::string yaml = to_yaml({{{"a comment\nwith a newline: not: yaml"}, doc}});
  INFO(yaml);
  // The comment's newline cannot start a line of YAML.
  CHECK(yaml.starts_with("# a comment\\u000Awith a newline: not: yaml\n"));
  CHECK(yaml_equals_json(yaml, doc.dump()));
  CHECK(yaml.find("\nno: ") == std::string::npos);
  CHECK(yaml.find("\"no\": \"no\"\n") != std::string::npos);
}

TEST_CASE("k8s: a policy named no is the string no, in YAML and JSON alike",
          "[export][k8s][yaml]") {
  for (const std::string name :
       {"no", "yes", "on", "off", "null", "true", "1_000", "0x10", "012"}) {
    const Compiled c =
        compile_text("[policy]\nname = \"" + name + "\"\n[identity]\nuser = \"65534\"\n");
    Diagnostics diags;
    const auto yaml = export_k8s(c.policy, c.plan, k8s_options(), diags);
    const auto json_text = export_k8s(c.policy, c.plan, k8s_options(true), diags);
    INFO(render_all(diags));
    REQUIRE(yaml);
    REQUIRE(json_text);
    INFO(*yaml);
    CHECK(yaml_equals_json(*yaml, *json_text));
    const json doc = json::parse(*json_text);
    // '_' becomes '-' (RFC 1123); the value is a string either way.
    std::string expected = name;
    std::ranges::replace(expected, '_', '-');
    CHECK(doc["metadata"]["name"] == expected);
    CHECK(doc["spec"]["containers"][0]["name"] == expected);
  }
}

TEST_CASE("k8s: names are RFC 1123 labels, derived or refused with a hint", "[export][k8s]") {
  const Compiled underscored = compile_text("[policy]\nname = \"my_web_1\"\n");
  Diagnostics diags;
  const auto doc = export_k8s(underscored.policy, underscored.plan, k8s_options(true), diags);
  REQUIRE(doc);
  CHECK(json::parse(*doc)["spec"]["containers"][0]["name"] == "my-web-1");

  // '_' at either end leaves a '-' there: no label, and --name is the way out.
  const Compiled edge = compile_text("[policy]\nname = \"_svc\"\n");
  Diagnostics refused;
  CHECK_FALSE(export_k8s(edge.policy, edge.plan, k8s_options(), refused));
  const std::string message = render_all(refused);
  CHECK(message.find("test.toml:2:") != std::string::npos);
  CHECK(message.find("gives no valid Kubernetes name ('-svc')") != std::string::npos);
  CHECK(message.find("--name") != std::string::npos);
  for (ExportFunction* write : {&export_k8s_seccomp_profile, &export_k8s_network_policy}) {
    Diagnostics also;
    CHECK_FALSE((*write)(edge.policy, edge.plan, k8s_options(), also));
    CHECK(also.has_errors());
  }

  ExportOptions named = k8s_options(true);
  named.k8s_name = "svc";
  Diagnostics fine;
  const auto renamed = export_k8s(edge.policy, edge.plan, named, fine);
  REQUIRE(renamed);
  CHECK(json::parse(*renamed)["metadata"]["name"] == "svc");
  for (const std::string& bad :
       std::vector<std::string>{"Svc", "svc-", "-svc", "s.v.c", std::string(64, 'a')}) {
    named.k8s_name = bad;
    Diagnostics wrong;
    CHECK_FALSE(export_k8s(edge.policy, edge.plan, named, wrong));
    CHECK(render_all(wrong).find("RFC 1123") != std::string::npos);
  }
  // An image is required: a Pod without one is refused by the API server.
  ExportOptions no_image;
  Diagnostics missing_image;
  CHECK_FALSE(export_k8s(underscored.policy, underscored.plan, no_image, missing_image));
  CHECK(render_all(missing_image).find("--image") != std::string::npos);
}

TEST_CASE("k8s: every section Kubernetes cannot express is named, in the output and on stderr",
          "[export][k8s]") {
  struct Case {
    std::string section;   // appended to the policy
    std::string expected;  // in the NOT TRANSLATED comment and the warning
  };
  const std::vector<Case> cases{
      {"[landlock]\nread = [\"/usr\"]\n", "[landlock]"},
      {"[ipc]\nsignals = \"deny\"\n[landlock]\nmode = \"best-effort\"\nfilesystem = false\n",
       "[ipc]"},
      {"[cgroup]\npids = 64\n", "[cgroup] pids"},
      {"[limits]\nnofile = 1024\n", "[limits]"},
      {"[network]\negress = \"drop\"\nscope = \"uid\"\n", "[network]"},
      {"[[audit.watch]]\npath = \"/etc/hostname\"\n", "[audit]"},
      {"[namespaces]\nnet = \"private\"\n", "[namespaces] net"},
      {"[namespaces]\nhostname = \"web.example\"\n", "[namespaces] hostname"},
      {"[filesystem]\nchroot = \"/usr\"\n", "[filesystem] chroot"},
      {"[filesystem]\nread_only = [\"/usr\"]\n", "[filesystem] constructed root"},
      {"[filesystem]\nread_only = [\"/usr\"]\n",
       "[filesystem] read_only and read_write host binds"},
      {"[filesystem]\ntmpfs = [{ path = \"/tmp\", mode = \"0700\" }]\n",
       "[filesystem] tmpfs /tmp: mode"},
      {"[exec]\nmemory_deny_write_execute = true\n", "[exec] memory_deny_write_execute"},
      {"[exec]\numask = \"0027\"\n", "[exec] umask"},
      {"[environment]\nkeep = [\"LANG\"]\n", "[environment] keep"},
      {"[lsm]\napparmor_profile = \"web\"\noptional = true\n", "[lsm] optional"},
  };
  for (const Case& c : cases) {
    const Compiled compiled =
        compile_text("[policy]\nname = \"sect\"\n[identity]\nuser = \"65534\"\n" + c.section);
    Diagnostics diags;
    const auto yaml = export_k8s(compiled.policy, compiled.plan, k8s_options(), diags);
    INFO(c.section);
    REQUIRE(yaml);
    INFO(*yaml);
    // A comment line of the manifest, before any YAML.
    const size_t comment = yaml->find("# NOT TRANSLATED: " + c.expected);
    CHECK(comment != std::string::npos);
    CHECK(comment < yaml->find("apiVersion:"));
    const std::string warnings = render_all(diags);
    CHECK(warnings.find("warning: not translated to Kubernetes: " + c.expected) !=
          std::string::npos);
  }
  // A policy of only what maps has no such line.
  const Compiled plain = compile_text("[policy]\nname = \"plain\"\n[identity]\nuser = \"65534\"\n");
  Diagnostics quiet;
  const auto yaml = export_k8s(plain.policy, plain.plan, k8s_options(), quiet);
  REQUIRE(yaml);
  CHECK(yaml->find("NOT TRANSLATED") == std::string::npos);
  CHECK(quiet.all().empty());
}

TEST_CASE("k8s: Pod and Deployment match Kubernetes' schema and carry the policy's context",
          "[export][k8s]") {
  const Compiled c = compile_text(R"([policy]
name = "kube"
[exec]
command = ["/usr/sbin/web", "--port", "8080"]
working_directory = "/srv"
[identity]
user = "65534"
group = "65534"
supplementary_groups = ["65534"]
[capabilities]
keep = ["CAP_NET_BIND_SERVICE"]
[seccomp]
allow = ["@system-service"]
[filesystem]
read_only = ["/usr", "/srv"]
tmpfs = [{ path = "/tmp", size = "64M" }]
proc = true
dev = "minimal"
[namespaces]
pid = true
hostname = "kube"
[cgroup]
memory = "512M"
cpu = "50%"
[environment]
set = { MODE = "on", EMPTY = "" }
[lsm]
apparmor_profile = "harden-kube"
selinux_context = "system_u:system_r:container_t:s0:c1,c2"
)");
  const StructuralSchema schema;
  for (const std::string kind : {"pod", "deployment"}) {
    ExportOptions options = k8s_options(true);
    options.k8s_kind = kind;
    Diagnostics diags;
    const auto text = export_k8s(c.policy, c.plan, options, diags);
    REQUIRE(text);
    const json doc = json::parse(*text);
    INFO(doc.dump(2));
    const std::string type =
        kind == "pod" ? "io.k8s.api.core.v1.Pod" : "io.k8s.api.apps.v1.Deployment";
    CHECK(join(schema.check(doc, type)) == "");
    const json pod = kind == "pod" ? doc["spec"] : doc["spec"]["template"]["spec"];
    if (kind == "deployment") {
      CHECK(doc["apiVersion"] == "apps/v1");
      CHECK(doc["spec"]["selector"]["matchLabels"] ==
            doc["spec"]["template"]["metadata"]["labels"]);
    }
    const json& container = pod["containers"][0];
    const json& sc = container["securityContext"];
    CHECK(sc["runAsUser"] == 65534);
    CHECK(sc["runAsGroup"] == 65534);
    CHECK(sc["runAsNonRoot"] == true);
    CHECK(sc["allowPrivilegeEscalation"] == false);
    CHECK(sc["privileged"] == false);
    CHECK(sc["capabilities"]["drop"] == json::array({"ALL"}));
    CHECK(sc["capabilities"]["add"] == json::array({"NET_BIND_SERVICE"}));
    CHECK(sc["readOnlyRootFilesystem"] == true);
    CHECK(sc["seccompProfile"] ==
          json({{"type", "Localhost"}, {"localhostProfile", "harden/kube.json"}}));
    CHECK(sc["appArmorProfile"] ==
          json({{"type", "Localhost"}, {"localhostProfile", "harden-kube"}}));
    CHECK(sc["seLinuxOptions"] == json({{"user", "system_u"},
                                        {"role", "system_r"},
                                        {"type", "container_t"},
                                        {"level", "s0:c1,c2"}}));
    CHECK(container["command"] == json::array({"/usr/sbin/web", "--port", "8080"}));
    CHECK(container["workingDir"] == "/srv");
    CHECK(container["resources"]["limits"] == json({{"memory", "536870912"}, {"cpu", "500m"}}));
    CHECK(container["env"] ==
          json::array({{{"name", "EMPTY"}, {"value", ""}}, {{"name", "MODE"}, {"value", "on"}}}));
    CHECK(container["volumeMounts"] == json::array({{{"name", "tmpfs-0"}, {"mountPath", "/tmp"}}}));
    CHECK(pod["volumes"] ==
          json::array({{{"name", "tmpfs-0"},
                        {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", "67108864"}}}}}));
    CHECK(pod["securityContext"]["supplementalGroups"] == json::array({65534}));
    CHECK(pod["automountServiceAccountToken"] == false);
    CHECK(pod["shareProcessNamespace"] == false);
    CHECK(pod["hostname"] == "kube");
  }
  // Without no_new_privileges, escalation is allowed, and said so.
  const Compiled loose =
      compile_text("[policy]\nname = \"loose\"\n[identity]\nno_new_privileges = false\n");
  Diagnostics diags;
  const auto text = export_k8s(loose.policy, loose.plan, k8s_options(true), diags);
  REQUIRE(text);
  const json doc = json::parse(*text);
  CHECK(doc["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] == true);
  CHECK_FALSE(doc["spec"]["containers"][0]["securityContext"].contains("readOnlyRootFilesystem"));
  CHECK(join(schema.check(doc, "io.k8s.api.core.v1.Pod")) == "");
  // The checker itself rejects what the API server would: an unknown field, a wrong enum.
  json bad = doc;
  bad["spec"]["containers"][0]["securityContext"]["seccompProfile"] = {{"type", "localhost"}};
  bad["spec"]["containers"][0]["securityContext"]["runAsUsr"] = 1;
  const std::string problems = join(schema.check(bad, "io.k8s.api.core.v1.Pod"));
  CHECK(problems.find("unknown field 'runAsUsr'") != std::string::npos);
  CHECK(problems.find("\"localhost\" not in") != std::string::npos);
}

TEST_CASE("k8s-seccompprofile: the SPO resource matches its CRD and the plan's filter",
          "[export][k8s][seccomp]") {
  const Compiled c = compile_text(R"([policy]
name = "spo"
[seccomp]
default_action = "errno:EPERM"
allow = ["@service"]
deny = ["getcpu"]
log_denials = true
[[seccomp.rule]]
syscall = "socket"
args = [{ index = 0, op = "eq", value = "AF_INET" }]
)");
  Diagnostics diags;
  ExportOptions options = k8s_options(true);
  const auto text = export_k8s_seccomp_profile(c.policy, c.plan, options, diags);
  INFO(render_all(diags));
  REQUIRE(text);
  const json doc = json::parse(*text);
  INFO(doc.dump(2));
  CHECK(join(check_seccomp_profile_crd(doc)) == "");
  CHECK(doc["metadata"]["name"] == "spo");
  // The spec is the oci-seccomp export, field for field (what crun runs in the consumer test),
  // but for ioctl: @service refuses some of its requests with the default action, a rule that
  // runtimes skip next to an allow rule. The OCI export refuses ioctl whole (stricter); the
  // resource must never be stricter, so it allows ioctl as @service does and names it wider.
  Diagnostics oci_diags;
  json oci = json::parse(*export_oci_seccomp(c.policy, c.plan, options, oci_diags));
  oci.erase("defaultErrnoRet");  // EPERM: also what runtimes return without it
  json spec = doc["spec"];
  CHECK(render_all(oci_diags).find("'ioctl' is left out of the profile") != std::string::npos);
  const std::string warnings = render_all(diags);
  const std::string ioctl_wider = "'ioctl' is exported wider than the policy";
  CHECK(warnings.find(ioctl_wider) != std::string::npos);
  CHECK(warnings.find(ioctl_wider) == warnings.rfind(ioctl_wider));  // said once
  CHECK(spec["syscalls"][0]["names"].dump().find("\"ioctl\"") != std::string::npos);
  const auto without_ioctl = [](const json& syscalls) {
    json out = json::array();
    for (json entry : syscalls) {
      json names = json::array();
      for (const json& n : entry["names"])
        if (n != "ioctl") names.push_back(n);
      if (names.empty()) continue;
      entry["names"] = names;
      out.push_back(entry);
    }
    return out;
  };
  CHECK(spec["defaultAction"] == oci["defaultAction"]);
  CHECK(spec["architectures"] == oci["architectures"]);
  CHECK(spec["flags"] == json::array({"SECCOMP_FILTER_FLAG_LOG"}));
  const json spec_calls = without_ioctl(spec["syscalls"]);
  const json oci_calls = without_ioctl(oci["syscalls"]);
  REQUIRE(spec_calls.size() == oci_calls.size());
  for (size_t i = 0; i < oci_calls.size(); ++i)
    CHECK(spec_calls[i] == oci_calls[i]);
  // Every call the resource allows whatever its arguments, the compiled filter allows; every
  // call it leaves to the default action, the filter refuses with EPERM (argument values
  // chosen at random).
  const PlanData& plan = c.plan.data();
  std::set<std::string> named;
  for (const json& entry : spec["syscalls"]) {
    for (const json& n : entry["names"])
      named.insert(n.get<std::string>());
    if (entry["action"] != "SCMP_ACT_ALLOW" || entry.contains("args")) continue;
    for (const json& n : entry["names"]) {
      const int nr = seccomp_syscall_resolve_name(n.get<std::string>().c_str());
      if (nr < 0) continue;
      const auto action = evaluate_seccomp_program(
          plan.seccomp.program, make_seccomp_data(plan.audit_arch, nr, {7, 0x1234, 0, 1, 2, 3}));
      REQUIRE(action);
      CHECK(describe_seccomp_action(*action) == "allow");
    }
  }
  for (const char* refused : {"getcpu", "mount", "bpf", "kexec_load"}) {
    CHECK_FALSE(named.contains(refused));
    const auto action = evaluate_seccomp_program(
        plan.seccomp.program,
        make_seccomp_data(plan.audit_arch, seccomp_syscall_resolve_name(refused)));
    REQUIRE(action);
    CHECK(describe_seccomp_action(*action) == "errno:EPERM");
  }
  // The YAML form reads back as the JSON form.
  ExportOptions yaml_options = k8s_options();
  Diagnostics yaml_diags;
  const auto yaml = export_k8s_seccomp_profile(c.policy, c.plan, yaml_options, yaml_diags);
  REQUIRE(yaml);
  CHECK(yaml->find("# <kubelet root>/seccomp/operator/spo.json") != std::string::npos);
  CHECK(yaml_equals_json(*yaml, *text));
}

TEST_CASE("k8s-seccompprofile: what the CRD cannot hold is named, never stricter",
          "[export][k8s][seccomp]") {
  // An errno default other than EPERM: the CRD has no defaultErrnoRet.
  const Compiled enosys = compile_text(
      "[policy]\nname = \"enosys\"\n[seccomp]\ndefault_action = \"errno:ENOSYS\"\nallow = "
      "[\"@basic-io\"]\n");
  Diagnostics diags;
  const auto text = export_k8s_seccomp_profile(enosys.policy, enosys.plan, k8s_options(), diags);
  REQUIRE(text);
  CHECK(text->find("# NOT TRANSLATED: [seccomp] default_action's errno 38") != std::string::npos);
  CHECK(render_all(diags).find("test.toml:4:") != std::string::npos);

  // A 64-bit comparison with a value above 2^63-1 (the CRD's values are int64, minimum 0):
  // never stricter than the policy, always named. An allowing equality keeps its low 63 bits ...
  const std::string big = R"(
[[seccomp.rule]]
syscall = "lseek"
args = [{ index = 1, op = "eq", value = "0xffffffffffffffff", width = 64 }]
)";
  const Compiled allow =
      compile_text("[policy]\nname = \"big\"\n[seccomp]\nallow = [\"@basic-io\"]\n" + big);
  const SyscallDecision* lseek = allow.plan.seccomp_model()->find("lseek");
  REQUIRE(lseek);
  REQUIRE(lseek->conditionally_allowed());
  Diagnostics loosened_diags;
  const auto loosened =
      export_k8s_seccomp_profile(allow.policy, allow.plan, k8s_options(true), loosened_diags);
  REQUIRE(loosened);
  const json loosened_doc = json::parse(*loosened);
  CHECK(join(check_seccomp_profile_crd(loosened_doc)) == "");
  const json low63 = json::array({{{"index", 1},
                                   {"value", INT64_MAX},
                                   {"valueTwo", INT64_MAX},
                                   {"op", "SCMP_CMP_MASKED_EQ"}}});
  CHECK(std::ranges::any_of(loosened_doc["spec"]["syscalls"], [&](const json& entry) {
    return entry["names"] == json::array({"lseek"}) && entry["action"] == "SCMP_ACT_ALLOW" &&
           entry["args"] == low63;
  }));
  CHECK(render_all(loosened_diags)
            .find("test.toml:6:1: warning: not translated to the "
                  "SeccompProfile: 'lseek' is exported wider than the "
                  "policy") != std::string::npos);
  const auto loosened_yaml =
      export_k8s_seccomp_profile(allow.policy, allow.plan, k8s_options(), loosened_diags);
  REQUIRE(loosened_yaml);
  CHECK(loosened_yaml->find("# NOT TRANSLATED: 'lseek' is exported wider than the policy") !=
        std::string::npos);
  // ... a refusing equality cannot be narrowed: the rule is left out, so lseek is allowed whole
  // as @basic-io says (not refused whole) ...
  const Compiled refuse =
      compile_text("[policy]\nname = \"big2\"\n[seccomp]\nallow = [\"@basic-io\"]\n" + big +
                   "action = \"errno:EACCES\"\n");
  Diagnostics refused;
  const auto dropped =
      export_k8s_seccomp_profile(refuse.policy, refuse.plan, k8s_options(true), refused);
  INFO(render_all(refused));
  REQUIRE(dropped);
  const json dropped_doc = json::parse(*dropped);
  CHECK(join(check_seccomp_profile_crd(dropped_doc)) == "");
  CHECK(dropped_doc["spec"]["syscalls"][0]["action"] == "SCMP_ACT_ALLOW");
  CHECK_FALSE(dropped_doc["spec"]["syscalls"][0].contains("args"));
  CHECK(std::ranges::count(dropped_doc["spec"]["syscalls"][0]["names"], json("lseek")) == 1);
  CHECK(dropped->find("EACCES") == std::string::npos);
  CHECK(dropped->find("\"errnoRet\": 13") == std::string::npos);
  CHECK(render_all(refused).find("its refusing rule is left out") != std::string::npos);
  // ... and a refusing "ne" is narrowed to the values up to 2^63-1 (all of them differ).
  const Compiled ne = compile_text(
      "[policy]\nname = \"big3\"\n[seccomp]\nallow = [\"@basic-io\"]\n[[seccomp.rule]]\n"
      "syscall = \"lseek\"\nargs = [{ index = 1, op = \"ne\", value = \"0xffffffffffffffff\", "
      "width = 64 }]\naction = \"errno:EACCES\"\n");
  Diagnostics narrowed_diags;
  const auto narrowed =
      export_k8s_seccomp_profile(ne.policy, ne.plan, k8s_options(true), narrowed_diags);
  INFO(render_all(narrowed_diags));
  REQUIRE(narrowed);
  const json narrowed_doc = json::parse(*narrowed);
  CHECK(join(check_seccomp_profile_crd(narrowed_doc)) == "");
  const json le_max = json::array({{{"index", 1}, {"op", "SCMP_CMP_LE"}, {"value", INT64_MAX}}});
  CHECK(std::ranges::any_of(narrowed_doc["spec"]["syscalls"], [&](const json& entry) {
    return entry["names"] == json::array({"lseek"}) && entry["action"] == "SCMP_ACT_ERRNO" &&
           entry["errnoRet"] == 13 && entry["args"] == le_max;
  }));
  CHECK(render_all(narrowed_diags).find("narrowed to values up to 2^63-1") != std::string::npos);
  // No [seccomp]: nothing to export.
  const Compiled none = compile_text("[policy]\nname = \"none\"\n");
  Diagnostics empty;
  CHECK_FALSE(export_k8s_seccomp_profile(none.policy, none.plan, k8s_options(), empty));
  CHECK(render_all(empty).find("no [seccomp] section") != std::string::npos);
}

TEST_CASE("k8s-networkpolicy: [network] as a NetworkPolicy, what does not map named",
          "[export][k8s][network]") {
  // scope = "netns" without a namespace of harden's own: a namespace made outside harden, as
  // the Pod's is.
  const Compiled c = compile_text(R"([policy]
name = "fw"
[network]
scope = "netns"
ingress = "reject"
egress = "drop"
[[network.allow]]
direction = "ingress"
protocol = "tcp"
ports = [8080, "9000-9100"]
[[network.allow]]
direction = "egress"
protocol = "udp"
ports = [53]
addresses = ["192.0.2.53", "2001:db8::/32"]
[[network.allow]]
direction = "egress"
addresses = ["198.51.100.0/24"]
)");
  const StructuralSchema schema;
  Diagnostics diags;
  const auto text = export_k8s_network_policy(c.policy, c.plan, k8s_options(true), diags);
  REQUIRE(text);
  const json doc = json::parse(*text);
  INFO(doc.dump(2));
  CHECK(join(schema.check(doc, "io.k8s.api.networking.v1.NetworkPolicy")) == "");
  CHECK(doc["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "fw");
  CHECK(doc["spec"]["policyTypes"] == json::array({"Ingress", "Egress"}));
  CHECK(doc["spec"]["ingress"] == json::parse(R"([{"ports": [{"protocol": "TCP", "port": 8080},
      {"protocol": "TCP", "port": 9000, "endPort": 9100}]}])"));
  CHECK(doc["spec"]["egress"] == json::parse(R"([
      {"to": [{"ipBlock": {"cidr": "192.0.2.53/32"}}, {"ipBlock": {"cidr": "2001:db8::/32"}}],
       "ports": [{"protocol": "UDP", "port": 53}]},
      {"to": [{"ipBlock": {"cidr": "198.51.100.0/24"}}]}])"));
  const std::string warnings = render_all(diags);
  CHECK(warnings.find("test.toml:5:") != std::string::npos);  // ingress = "reject"
  CHECK(warnings.find("only denies") != std::string::npos);
  CHECK(warnings.find("loopback = \"filter\"") != std::string::npos);
  Diagnostics yaml_diags;
  const auto yaml = export_k8s_network_policy(c.policy, c.plan, k8s_options(), yaml_diags);
  REQUIRE(yaml);
  CHECK(yaml->find("# NOT TRANSLATED: [network] ingress = \"reject\"") != std::string::npos);
  CHECK(yaml_equals_json(*yaml, *text));

  // A private network namespace: nothing in or out.
  const Compiled isolated =
      compile_text("[policy]\nname = \"iso\"\n[namespaces]\nnet = \"private\"\n");
  Diagnostics iso_diags;
  const auto deny_all =
      export_k8s_network_policy(isolated.policy, isolated.plan, k8s_options(true), iso_diags);
  REQUIRE(deny_all);
  const json iso = json::parse(*deny_all);
  CHECK(join(schema.check(iso, "io.k8s.api.networking.v1.NetworkPolicy")) == "");
  CHECK(iso["spec"]["policyTypes"] == json::array({"Ingress", "Egress"}));
  CHECK_FALSE(iso["spec"].contains("ingress"));
  CHECK_FALSE(iso["spec"].contains("egress"));
  // ... with [network], which then filters only the loopback traffic: named.
  const Compiled iso_fw = compile_text(
      "[policy]\nname = \"iso\"\n[namespaces]\nnet = \"private\"\n[network]\negress = "
      "\"drop\"\n");
  Diagnostics iso_fw_diags;
  const auto iso_fw_text =
      export_k8s_network_policy(iso_fw.policy, iso_fw.plan, k8s_options(), iso_fw_diags);
  REQUIRE(iso_fw_text);
  CHECK(iso_fw_text->find("# NOT TRANSLATED: [network] (with [namespaces] net") !=
        std::string::npos);
  CHECK(render_all(iso_fw_diags).find("test.toml:5:1: warning") != std::string::npos);

  // Nothing restricted: refused, as an empty policy would look like a firewall.
  for (const std::string body : {"", "[network]\nscope = \"uid\"\n"}) {
    const Compiled open =
        compile_text("[policy]\nname = \"open\"\n[identity]\nuser = \"65534\"\n" + body);
    Diagnostics refused;
    CHECK_FALSE(export_k8s_network_policy(open.policy, open.plan, k8s_options(), refused));
    CHECK(refused.has_errors());
  }
}

TEST_CASE("k8s formats x shipped policies: each export validates or is refused with a reason",
          "[export][k8s]") {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const char* dir : {"policies", "examples"}) {
    for (const auto& entry : fs::directory_iterator(fs::path(test::source_dir()) / dir)) {
      if (entry.path().extension() == ".toml") files.push_back(entry.path());
    }
  }
  std::ranges::sort(files);
  REQUIRE(files.size() >= 4);
  const StructuralSchema schema;
  std::string table = "format x policy -> result\n";
  for (const fs::path& file : files) {
    Diagnostics diags;
    std::optional<Policy> policy = read_policy(file.string(), diags);
    REQUIRE(policy);
    std::optional<Plan> plan = compile_policy(*policy, diags);
    INFO(render_all(diags));
    REQUIRE(plan);
    const std::string name =
        file.parent_path().filename().string() + "/" + file.filename().string();
    for (const std::string format : {"k8s", "k8s-seccompprofile", "k8s-networkpolicy"}) {
      ExportFunction* write = format == "k8s"                  ? &export_k8s
                              : format == "k8s-seccompprofile" ? &export_k8s_seccomp_profile
                                                               : &export_k8s_network_policy;
      Diagnostics out;
      const auto text = (*write)(*policy, *plan, k8s_options(true), out);
      INFO(name << " " << format << "\n" << render_all(out));
      std::string result;
      if (!text) {
        // Refused only for want of the section the format is made of.
        REQUIRE(out.has_errors());
        const std::string why = render_all(out);
        CHECK((why.find("no [seccomp] section") != std::string::npos ||
               why.find("restricts no network traffic") != std::string::npos ||
               why.find("accepts all traffic") != std::string::npos));
        result = "refused: " +
                 why.substr(why.find("error: ") + 7, why.find('\n') - why.find("error: ") - 7);
      } else {
        const json doc = json::parse(*text);
        const std::vector<std::string> problems =
            format == "k8s-seccompprofile" ? check_seccomp_profile_crd(doc)
            : format == "k8s"              ? schema.check(doc, "io.k8s.api.core.v1.Pod")
                              : schema.check(doc, "io.k8s.api.networking.v1.NetworkPolicy");
        CHECK(join(problems) == "");
        ExportOptions yaml_options = k8s_options();
        Diagnostics yaml_diags;
        const auto yaml = (*write)(*policy, *plan, yaml_options, yaml_diags);
        REQUIRE(yaml);
        CHECK(yaml_equals_json(*yaml, *text));
        size_t untranslated = 0;
        for (size_t at = 0; (at = yaml->find("# NOT TRANSLATED:", at)) != std::string::npos; ++at)
          ++untranslated;
        result = problems.empty() ? "valid (" + std::to_string(untranslated) + " not translated)"
                                  : "INVALID";
      }
      table += "  " + format + " x " + name + " -> " + result + "\n";
    }
  }
  WARN(table);
}

TEST_CASE("harden export k8s formats on the command line: options and usage errors",
          "[export][k8s]") {
  test::TempDir dir("harden-k8s-cli");
  const std::string policy = test::write_policy(dir, "web", "[policy]\nname = \"web\"\n");
  const test::RunResult pod = test::run_harden({"export", "-f", "k8s", "--image", "r/web:1",
                                                "--kind", "deployment", "--name", "front", policy});
  INFO(pod.describe());
  CHECK(pod.exited(0));
  CHECK(pod.out.find("kind: \"Deployment\"\n") != std::string::npos);
  CHECK(pod.out.find("name: \"front\"\n") != std::string::npos);
  const test::RunResult as_json =
      test::run_harden({"export", "-f", "k8s", "--image", "r/web:1", "--json", policy});
  CHECK(as_json.exited(0));
  CHECK(json::parse(as_json.out)["kind"] == "Pod");
  // No image: exit 1 with the hint; a bad kind or name, or k8s options elsewhere: usage.
  const test::RunResult no_image = test::run_harden({"export", "-f", "k8s", policy});
  CHECK(no_image.exited(1));
  CHECK(no_image.err.find("--image") != std::string::npos);
  CHECK(
      test::run_harden({"export", "-f", "k8s", "--image", "x", "--kind", "job", policy}).exited(2));
  CHECK(
      test::run_harden({"export", "-f", "k8s", "--image", "x", "--name", "Web", policy}).exited(1));
  CHECK(test::run_harden({"export", "-f", "nft", "--json", policy}).exited(2));
  CHECK(test::run_harden({"export", "-f", "k8s-networkpolicy", "--image", "x", policy}).exited(2));
}
