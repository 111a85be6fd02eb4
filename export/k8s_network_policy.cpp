// `harden export --format k8s-networkpolicy`: [network] as a NetworkPolicy (networking.k8s.io/v1)
// selecting the Pod of `--format k8s` by its app.kubernetes.io/name label. A direction whose
// default is drop or reject becomes a policy type (deny by default), each [[network.allow]] of
// that direction one rule: addresses as ipBlock peers, protocol and ports (ranges with
// endPort). A private network namespace ([namespaces] net) has no traffic at all: a policy of
// both types with no rule. What a NetworkPolicy cannot say is named, in the output and on
// stderr: reject (the network plugin decides how to deny), loopback filtering (a
// NetworkPolicy never applies inside a Pod), the scope (a Pod's namespace is filtered whole).
#include <charconv>

#include "export/export.hpp"
#include "export/k8s_common.hpp"

namespace harden {

namespace {

using nlohmann::ordered_json;

// "80" -> {port: 80}; "8000-8100" -> {port: 8000, endPort: 8100}. The compiler has checked
// the text.
ordered_json port_entry(const std::string& protocol, const std::string& text) {
  ordered_json out{{"protocol", protocol}};
  const size_t dash = text.find('-');
  const auto number = [](std::string_view s) {
    int value = 0;
    std::from_chars(s.data(), s.data() + s.size(), value);
    return value;
  };
  out["port"] = number(std::string_view(text).substr(0, dash));
  if (dash != std::string::npos) out["endPort"] = number(std::string_view(text).substr(dash + 1));
  return out;
}

std::string cidr(const std::string& address) {
  if (address.find('/') != std::string::npos) return address;
  return address + (address.find(':') != std::string::npos ? "/128" : "/32");
}

std::string upper(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

ordered_json rule_of(const NetworkAllow& allow) {
  ordered_json rule = ordered_json::object();
  if (!allow.addresses.empty()) {
    ordered_json peers = ordered_json::array();
    for (const LocatedString& address : allow.addresses)
      peers.push_back({{"ipBlock", {{"cidr", cidr(address.value)}}}});
    rule[allow.direction.value == "ingress" ? "from" : "to"] = peers;
  }
  if (allow.protocol) {
    ordered_json ports = ordered_json::array();
    const std::string protocol = upper(allow.protocol->value);
    for (const LocatedString& port : allow.ports)
      ports.push_back(port_entry(protocol, port.value));
    // A protocol without ports: every port of that protocol.
    if (ports.empty()) ports.push_back({{"protocol", protocol}});
    rule["ports"] = ports;
  }
  return rule;
}

}  // namespace

std::optional<std::string> export_k8s_network_policy(const Policy& policy, const Plan& plan,
                                                     const ExportOptions& options,
                                                     Diagnostics& diags) {
  const PlanData& data = plan.data();
  const std::optional<std::string> name = k8s_object_name(policy, options, diags);
  if (!name) return std::nullopt;
  if (!data.network.enabled && !data.namespaces.net) {
    diags.error({policy.file, 0, 0}, "the policy restricts no network traffic",
                "add a [network] section, or [namespaces] net = \"private\"");
    return std::nullopt;
  }
  NotTranslated missing(diags, "a NetworkPolicy");
  missing.note("harden export --format k8s-networkpolicy: policy '" + data.policy_name + "'");
  missing.note("Selects the Pod of harden export --format k8s by its " +
               std::string(kK8sNameLabel) + " label; needs a network plugin that enforces");
  missing.note("NetworkPolicy. ipBlock peers are meant for addresses outside the cluster.");

  ordered_json types = ordered_json::array();
  ordered_json ingress = ordered_json::array();
  ordered_json egress = ordered_json::array();
  if (data.namespaces.net) {
    // No interface but lo: nothing in or out. [network] then filters only that loopback
    // traffic, which a NetworkPolicy never sees.
    types = {"Ingress", "Egress"};
    if (data.network.enabled) {
      missing.add(policy.network.pos,
                  "[network] (with [namespaces] net it filters only the sandbox's loopback "
                  "traffic, which a NetworkPolicy never filters; the Pod gets no traffic in or "
                  "out)");
    }
  } else {
    const NetworkSection& network = policy.network;
    const std::string scope = network.scope ? network.scope->value : "netns";
    const std::string ingress_default =
        network.ingress ? network.ingress->value : (scope == "netns" ? "drop" : "accept");
    const std::string egress_default = network.egress ? network.egress->value : "accept";
    if (scope != "netns") {
      missing.add(network.scope->pos, "[network] scope = \"" + scope +
                                          "\" (the Pod's network namespace is filtered as a "
                                          "whole)");
    }
    for (const auto& [direction, fallback, located] :
         {std::tuple{std::string("ingress"), ingress_default, network.ingress},
          std::tuple{std::string("egress"), egress_default, network.egress}}) {
      if (fallback == "accept") continue;
      types.push_back(direction == "ingress" ? "Ingress" : "Egress");
      if (fallback == "reject") {
        missing.add(located ? located->pos : network.pos,
                    "[network] " + direction +
                        " = \"reject\" (a NetworkPolicy only denies; the network plugin "
                        "decides whether it drops or rejects)");
      }
      for (const NetworkAllow& allow : network.allow) {
        if (allow.direction.value != direction) continue;
        (direction == "ingress" ? ingress : egress).push_back(rule_of(allow));
      }
    }
    const std::string loopback = network.loopback ? network.loopback->value : "filter";
    if (loopback == "filter" && !types.empty()) {
      missing.add(network.loopback ? network.loopback->pos : network.pos,
                  "[network] loopback = \"filter\" (a NetworkPolicy never filters traffic "
                  "inside the Pod)");
    }
    if (types.empty()) {
      diags.error(network.pos, "[network] accepts all traffic in both directions",
                  "a NetworkPolicy without policy types would restrict nothing; set ingress "
                  "or egress to \"drop\"");
      return std::nullopt;
    }
  }

  ordered_json spec{{"podSelector", {{"matchLabels", {{std::string(kK8sNameLabel), *name}}}}},
                    {"policyTypes", types}};
  if (!ingress.empty()) spec["ingress"] = ingress;
  if (!egress.empty()) spec["egress"] = egress;
  const ordered_json document{{"apiVersion", "networking.k8s.io/v1"},
                              {"kind", "NetworkPolicy"},
                              {"metadata", {{"name", *name}}},
                              {"spec", spec}};
  return render_manifest({{missing.comments(), document}}, options);
}

}  // namespace harden
