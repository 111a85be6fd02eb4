// Resolves [network] into one nftables table, "table inet harden_<policy>": family inet, so
// every rule covers IPv4 and IPv6 at once. The ruleset text is written here, at compile time,
// so `harden export` shows exactly what the enforcer loads, and the enforcer only hands it to
// libnftables (enforcer/nftables.cpp).
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/compile_layers.hpp"
#include "plan/nft_script.hpp"

namespace harden {

namespace {

constexpr std::array<std::string_view, 3> kScopes{"cgroup", "netns", "uid"};
constexpr std::array<std::string_view, 3> kVerdicts{"accept", "drop", "reject"};
constexpr std::array<std::string_view, 2> kLoopback{"accept", "filter"};
constexpr std::array<std::string_view, 2> kDirections{"egress", "ingress"};
constexpr std::array<std::string_view, 2> kProtocols{"tcp", "udp"};

// Checks a value against its list of spellings; reports an unknown one with a suggestion.
bool one_of(const LocatedString& value, std::span<const std::string_view> allowed,
            std::string_view what, Diagnostics& diags) {
  if (std::find(allowed.begin(), allowed.end(), value.value) != allowed.end()) return true;
  std::string valid;
  for (const auto a : allowed)
    valid += (valid.empty() ? "" : ", ") + std::string(a);
  diags.error(value.pos, "unknown " + std::string(what) + " '" + value.value + "'",
              did_you_mean(value.value, allowed, "use one of: " + valid));
  return false;
}

struct Address {
  int family = AF_INET;
  std::string text;  // canonical, with "/prefix" when not a single host
};

// "192.0.2.0/24", "2001:db8::/32", "::1". Host bits below the prefix are an error, not
// silently cleared: "10.1.2.3/8" usually means the author meant something else.
std::optional<Address> parse_address(const LocatedString& written, Diagnostics& diags) {
  const std::string& text = written.value;
  const size_t slash = text.find('/');
  const std::string host = text.substr(0, slash);
  std::array<unsigned char, 16> bytes{};
  Address address;
  if (inet_pton(AF_INET, host.c_str(), bytes.data()) == 1) {
    address.family = AF_INET;
  } else if (inet_pton(AF_INET6, host.c_str(), bytes.data()) == 1) {
    address.family = AF_INET6;
  } else {
    diags.error(written.pos, "invalid address '" + text + "'",
                "write an IPv4 or IPv6 address, optionally with a prefix: \"192.0.2.0/24\", "
                "\"2001:db8::/32\" (host names are not resolved)");
    return std::nullopt;
  }
  const int bits = address.family == AF_INET ? 32 : 128;
  int prefix = bits;
  if (slash != std::string::npos) {
    const std::string p = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix < 0 ||
        prefix > bits) {
      diags.error(written.pos, "invalid prefix length in '" + text + "'",
                  "use 0 to " + std::to_string(bits));
      return std::nullopt;
    }
  }
  for (int bit = prefix; bit < bits; ++bit) {
    if (bytes[static_cast<size_t>(bit / 8)] & (0x80 >> (bit % 8))) {
      diags.error(
          written.pos,
          "'" + text + "' has host bits set below the /" + std::to_string(prefix) + " prefix",
          "write the network address, or a single address without a prefix");
      return std::nullopt;
    }
  }
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(address.family, bytes.data(), buffer, sizeof buffer);
  address.text = buffer;
  if (prefix != bits) address.text += "/" + std::to_string(prefix);
  return address;
}

// "443" or "8000-8100".
std::optional<std::string> parse_port(const LocatedString& written, Diagnostics& diags) {
  auto number = [](std::string_view s) -> std::optional<int> {
    int value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return value;
  };
  const std::string_view text = written.value;
  const size_t dash = text.find('-');
  const auto first = number(text.substr(0, dash));
  const auto last = dash == std::string_view::npos ? first : number(text.substr(dash + 1));
  if (!first || !last || *first < 1 || *last > 65535 || *first > *last) {
    diags.error(written.pos, "invalid port '" + written.value + "'",
                "ports are 1 to 65535; a range is written \"first-last\" with first <= last");
    return std::nullopt;
  }
  return *first == *last ? std::to_string(*first)
                         : std::to_string(*first) + "-" + std::to_string(*last);
}

std::string set_of(const std::vector<std::string>& items) {
  if (items.size() == 1) return items.front();
  std::string out = "{ ";
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? ", " : "") + items[i];
  return out + " }";
}

// Where a rule came from, kept in the kernel as the rule's comment so `nft list` shows it.
std::string origin(const SourcePos& pos) {
  return std::filesystem::path(pos.file).filename().string() + ":" + std::to_string(pos.line);
}

// nftables resolves a "socket cgroupv2" path below /sys/fs/cgroup. On a hybrid host the v2
// hierarchy is mounted at /sys/fs/cgroup/unified, so the path nft needs is "unified/<path>";
// the level (the depth in the v2 tree) is what the kernel compares and stays the same.
std::optional<std::string> cgroup2_prefix(std::string& why) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    const size_t dash = line.find(" - ");
    if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0) continue;
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    if (mount_point == "/sys/fs/cgroup") return std::string();
    if (mount_point.rfind("/sys/fs/cgroup/", 0) == 0) return mount_point.substr(15) + "/";
    why = "the cgroup v2 hierarchy is mounted at " + mount_point +
          ", outside /sys/fs/cgroup where nftables looks cgroup paths up";
    return std::nullopt;
  }
  why = "this host has no cgroup v2 hierarchy mounted";
  return std::nullopt;
}

struct Scope {
  NetworkScope kind = NetworkScope::netns;
  bool launch_cgroup = false;  // scope cgroup without a path: harden's own launch cgroup
  std::string match;  // prefix of every rule: "" in the sandbox's netns, else the owner match
};

class RulesetWriter {
 public:
  RulesetWriter(const Scope& scope) : scope_(scope) {}

  // One chain. In the sandbox's own namespace the chain's policy is the verdict itself; in the
  // host's namespace the chain must accept everything that is not the service's, so the
  // verdict becomes a last rule that only matches the service's packets.
  void chain(std::string_view name, std::string_view hook, std::string_view verdict,
             bool loopback_accept, const std::vector<std::string>& allows) {
    const bool own_netns = scope_.kind == NetworkScope::netns;
    const bool filtering = verdict != "accept";
    out_ << "\tchain " << name << " {\n";
    out_ << "\t\ttype filter hook " << hook << " priority filter; policy "
         << (own_netns && filtering ? "drop" : "accept") << ";\n";
    if (filtering) {
      rule("ct state established,related accept");
      rule("ct state invalid drop");
      if (loopback_accept) rule(std::string(hook == "input" ? "iif" : "oif") + " \"lo\" accept");
      // Without neighbour discovery IPv6 cannot reach even an allowed peer on a link.
      rule(
          "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, "
          "nd-router-advert } accept");
      for (const std::string& allow : allows)
        rule(allow);
      if (verdict == "reject") {
        // A refused connection fails at once with ECONNREFUSED instead of timing out.
        rule("meta l4proto tcp reject with tcp reset");
        rule("reject with icmpx admin-prohibited");
      } else if (!own_netns) {
        rule("drop");
      }
    }
    out_ << "\t}\n";
  }

  std::string str() const { return out_.str(); }

 private:
  void rule(const std::string& text) { out_ << "\t\t" << scope_.match << text << "\n"; }

  const Scope& scope_;
  std::ostringstream out_;
};

// One [[network.allow]] as nft rules: one per address family when addresses are given.
std::vector<std::string> allow_rules(const NetworkAllow& allow, Diagnostics& diags) {
  const bool ingress = allow.direction.value == "ingress";
  std::string l4;
  if (allow.protocol) {
    if (!one_of(*allow.protocol, kProtocols, "protocol", diags)) return {};
    std::vector<std::string> ports;
    for (const LocatedString& p : allow.ports) {
      if (auto port = parse_port(p, diags)) ports.push_back(*port);
    }
    if (ports.size() != allow.ports.size()) return {};
    l4 = ports.empty() ? "meta l4proto " + allow.protocol->value
                       : allow.protocol->value + " dport " + set_of(ports);
  } else if (!allow.ports.empty()) {
    diags.error(allow.ports.front().pos, "ports need a protocol",
                "add protocol = \"tcp\" or protocol = \"udp\" to this [[network.allow]]");
    return {};
  }
  std::vector<std::string> v4, v6;
  bool ok = true;
  for (const LocatedString& a : allow.addresses) {
    auto address = parse_address(a, diags);
    if (!address) {
      ok = false;
      continue;
    }
    (address->family == AF_INET ? v4 : v6).push_back(address->text);
  }
  if (!ok) return {};
  const std::string comment = " comment \"" + origin(allow.pos) + "\"";
  const std::string field = ingress ? " saddr " : " daddr ";
  std::vector<std::string> rules;
  auto join = [&](std::string match) {
    if (!l4.empty()) match += (match.empty() ? "" : " ") + l4;
    rules.push_back((match.empty() ? std::string() : match + " ") + "accept" + comment);
  };
  if (allow.addresses.empty()) join("");
  if (!v4.empty()) join("ip" + field + set_of(v4));
  if (!v6.empty()) join("ip6" + field + set_of(v6));
  return rules;
}

std::optional<Scope> resolve_scope(const NetworkSection& net, const CredentialsPlan& credentials,
                                   const NamespacesPlan& ns, HostChecks host, Diagnostics& diags) {
  Scope scope;
  const std::string kind = net.scope ? net.scope->value : "netns";
  if (net.scope && !one_of(*net.scope, kScopes, "network scope", diags)) return std::nullopt;
  if (kind == "uid") {
    scope.kind = NetworkScope::uid;
    if (!credentials.change_ids || credentials.uid == 0) {
      diags.error(net.scope->pos, "scope = \"uid\" needs a service user of its own",
                  "set [identity] user to the service's (non-root) user: the rules match the "
                  "sockets that user owns");
      return std::nullopt;
    }
    scope.match = "meta skuid " + std::to_string(credentials.uid) + " ";
  } else if (kind == "cgroup") {
    scope.kind = NetworkScope::cgroup;
    if (!net.cgroup) {
      // harden's own launch cgroup, <own cgroup>/harden/<policy>, known only at launch: the
      // enforcer writes the match in place of the token (enforcer/nftables.cpp).
      scope.launch_cgroup = true;
      scope.match = std::string(kNftLaunchCgroupToken) + " ";
    }
  } else if (!ns.net) {
    // Scope netns filters the namespace harden runs in; without [namespaces] net that is the
    // host's, which the launch refuses (it would be the whole machine's firewall).
    if (!net.scope) {
      diags.error(net.pos,
                  "[network] filters the network namespace (the default scope = \"netns\"), "
                  "but the policy has none of its own: it would be the host's",
                  "add net = \"private\" to [namespaces] for a sandbox with its own network, or "
                  "set scope = \"uid\" (with an [identity] user) or scope = \"cgroup\" here to "
                  "filter only the service's sockets in the host's network");
      return scope;  // the rules are still checked, so every error is reported at once
    }
    diags.warning(net.scope->pos,
                  "scope = \"netns\" without a network namespace of the policy's own: the "
                  "launch is refused in the host's network namespace",
                  "start harden only inside a namespace made for the service (ip netns exec), "
                  "add net = \"private\" to [namespaces], or use scope = \"uid\" or \"cgroup\"");
  }
  if (net.cgroup) {
    const LocatedString& path = *net.cgroup;
    if (scope.kind != NetworkScope::cgroup) {
      diags.error(path.pos, "'cgroup' only applies with scope = \"cgroup\"",
                  "remove it, or set scope = \"cgroup\"");
      return std::nullopt;
    }
    const bool printable = std::all_of(path.value.begin(), path.value.end(), [](unsigned char c) {
      return std::isgraph(c) && c != '"' && c != '\\';
    });
    if (path.value.size() < 2 || path.value[0] != '/' || !printable ||
        path.value.find("/..") != std::string::npos || path.value.find("//") != std::string::npos) {
      diags.error(path.pos, "invalid cgroup path '" + path.value + "'",
                  "write the path from the root of the cgroup v2 tree, e.g. "
                  "\"/system.slice/web.service\"");
      return std::nullopt;
    }
    std::string why;
    auto prefix = cgroup2_prefix(why);
    if (!prefix && host == HostChecks::skip) prefix = "";  // validate --host and launch check
    if (!prefix) {
      diags.error(path.pos, "scope = \"cgroup\" cannot be used here: " + why,
                  "use scope = \"uid\" or run the service in a network namespace of its own");
      return std::nullopt;
    }
    std::string relative = path.value.substr(1);
    while (!relative.empty() && relative.back() == '/')
      relative.pop_back();
    const auto level = std::count(relative.begin(), relative.end(), '/') + 1;
    scope.match =
        "socket cgroupv2 level " + std::to_string(level) + " \"" + *prefix + relative + "\" ";
  }
  return scope;
}

}  // namespace

std::string_view default_network_verdict(NetworkScope scope, bool ingress) {
  return ingress && scope == NetworkScope::netns ? "drop" : "accept";
}

NetworkPlan compile_network(const NetworkSection& net, const std::string& policy_name,
                            const CredentialsPlan& credentials, const NamespacesPlan& ns,
                            Diagnostics& diags, HostChecks host) {
  NetworkPlan plan;
  if (!net.present) return plan;
  const size_t errors_before = diags.error_count();
  const std::optional<Scope> scope = resolve_scope(net, credentials, ns, host, diags);
  if (!scope) return plan;

  LocatedString ingress{std::string(default_network_verdict(scope->kind, true)), net.pos};
  LocatedString egress{std::string(default_network_verdict(scope->kind, false)), net.pos};
  LocatedString loopback{"filter", net.pos};
  if (net.ingress && one_of(*net.ingress, kVerdicts, "ingress verdict", diags))
    ingress = *net.ingress;
  if (net.egress && one_of(*net.egress, kVerdicts, "egress verdict", diags)) egress = *net.egress;
  if (net.loopback && one_of(*net.loopback, kLoopback, "loopback handling", diags)) {
    loopback = *net.loopback;
  }
  if (scope->kind == NetworkScope::uid && ingress.value != "accept") {
    diags.error(ingress.pos, "scope = \"uid\" cannot filter ingress",
                "the kernel knows a packet's owning user only for packets the service sends; "
                "use scope = \"netns\" or \"cgroup\" to filter incoming connections");
  }

  std::vector<std::string> input_rules, output_rules;
  for (const NetworkAllow& allow : net.allow) {
    if (!one_of(allow.direction, kDirections, "direction", diags)) continue;
    const bool ingress_rule = allow.direction.value == "ingress";
    const LocatedString& verdict = ingress_rule ? ingress : egress;
    if (ingress_rule && scope->kind == NetworkScope::uid) {
      diags.error(allow.direction.pos, "scope = \"uid\" cannot filter ingress",
                  "the kernel knows a packet's owning user only for packets the service "
                  "sends; use scope = \"netns\" or \"cgroup\"");
      continue;
    }
    std::vector<std::string> rules = allow_rules(allow, diags);
    if (verdict.value == "accept" && !rules.empty()) {
      diags.warning(
          allow.pos,
          "this [[network.allow]] has no effect: " + allow.direction.value + " is \"accept\"",
          "set " + allow.direction.value + " = \"drop\" (or \"reject\") in [network]");
    }
    auto& into = ingress_rule ? input_rules : output_rules;
    into.insert(into.end(), rules.begin(), rules.end());
  }
  if (diags.error_count() > errors_before) return plan;

  plan.enabled = true;
  plan.scope = scope->kind;
  plan.table = "harden_" + policy_name;
  RulesetWriter writer(*scope);
  const bool loopback_accept = loopback.value == "accept";
  writer.chain("input", "input", ingress.value, loopback_accept, input_rules);
  writer.chain("output", "output", egress.value, loopback_accept, output_rules);
  plan.launch_cgroup = scope->launch_cgroup;
  // The comment is what a later launch and `harden status` read back without libnftables
  // (enforcer/nft_netlink.hpp): whose table it is, which uid it filters, and the digest of the
  // text it was made from, written in place of the token at launch (nft_script.hpp).
  const std::string uid = scope->kind == NetworkScope::uid
                              ? std::string(kNftUidWord) + std::to_string(credentials.uid) + "; "
                              : "";
  plan.ruleset = "table inet " + plan.table + " {\n\tcomment \"harden policy " + policy_name +
                 "; " + uid + std::string(kNftPlanWord) + std::string(kNftPlanToken) + "\"\n" +
                 writer.str() + "}\n";
  return plan;
}

}  // namespace harden
