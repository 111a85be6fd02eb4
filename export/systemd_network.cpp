// [network] in systemd's words, for `harden export --format systemd --native`: IPAddressDeny=
// and IPAddressAllow= (a cgroup BPF filter on the unit's sockets) where they can say what the
// nftables table says. They match every packet by the peer's address, in both directions,
// without connection tracking; harden's table accepts replies of any connection it let
// through. So the unit denies by address only when both directions are filtered (a peer no
// rule names can then neither start a connection nor answer one), and allows every address an
// allow rule names, in both directions, whatever its ports and protocol (named as wider).
// Everything else is named as not translated.
#include "compiler/compile_layers.hpp"
#include "export/systemd_unit.hpp"

namespace harden::systemd_unit {

void network_directives(const Policy& policy, const PlanData& plan, DropIn& unit,
                        Diagnostics& diags) {
  if (!plan.network.enabled) return;
  const NetworkSection& net = policy.network;
  const std::string table = "[network] nftables table " + plan.network.table +
                            " (harden export --format nft writes it as a script)";
  auto verdict = [&](const std::optional<LocatedString>& given, bool ingress) {
    return given ? given->value : std::string(default_network_verdict(plan.network.scope, ingress));
  };
  const bool ingress_filtered = verdict(net.ingress, true) != "accept";
  const bool egress_filtered = verdict(net.egress, false) != "accept";
  if (!ingress_filtered || !egress_filtered) {
    const std::string open = ingress_filtered ? "egress" : "ingress";
    unit.missing(diags, net.pos,
                 table + ": " + open +
                     " is open, and IPAddressDeny= cannot tell a new connection from a reply to "
                     "one the other direction lets through");
    return;
  }
  std::vector<std::string> allowed;
  for (const NetworkAllow& allow : net.allow) {
    if (allow.addresses.empty()) {
      unit.missing(diags, allow.pos,
                   table +
                       ": an allow rule without addresses admits every peer, which "
                       "IPAddressDeny= cannot narrow by port or protocol");
      return;
    }
    for (const LocatedString& address : allow.addresses)
      allowed.push_back(address.value);
    if (allow.protocol || !allow.ports.empty()) {
      unit.superset(diags, allow.pos,
                    "[[network.allow]] ports and protocol: IPAddressAllow= admits the addresses "
                    "for every port and protocol, in both directions");
    }
  }
  unit.comment(
      "[network]: both directions are filtered, so no peer outside the allow rules can start "
      "or answer a connection");
  unit.line("IPAddressDeny=any");
  const bool loopback_accept = net.loopback && net.loopback->value == "accept";
  if (loopback_accept) unit.line("IPAddressAllow=localhost");
  for (const std::string& address : allowed)
    unit.line("IPAddressAllow=" + address);
  unit.missing(diags, net.pos,
               table +
                   ": ICMPv6 neighbour discovery and rejecting (rather than dropping) "
                   "refused packets");
}

}  // namespace harden::systemd_unit
