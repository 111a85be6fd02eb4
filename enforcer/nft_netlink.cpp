// nftables over raw netlink: dumps of one table's objects, hashed (see nft_netlink.hpp).
#include "enforcer/nft_netlink.hpp"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <utility>

#include "plan/sha256.hpp"
#include "plan/unique_fd.hpp"

namespace harden::host {

namespace {

constexpr uint16_t kTypeMask = static_cast<uint16_t>(~(NLA_F_NESTED | NLA_F_NET_BYTEORDER));

std::string hex_of(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

// One attribute of a message: its type (flags cleared) and payload.
struct Attribute {
  uint16_t type;
  std::string_view payload;
};

std::vector<Attribute> attributes_of(const nlmsghdr* message) {
  std::vector<Attribute> out;
  const size_t header = NLMSG_LENGTH(sizeof(nfgenmsg));
  if (message->nlmsg_len < header) return out;
  const char* at = reinterpret_cast<const char*>(message) + NLMSG_ALIGN(header);
  const char* end = reinterpret_cast<const char*>(message) + message->nlmsg_len;
  while (at + sizeof(nlattr) <= end) {
    nlattr attribute;
    std::memcpy(&attribute, at, sizeof attribute);
    if (attribute.nla_len < sizeof(nlattr) || at + attribute.nla_len > end) break;
    out.push_back({static_cast<uint16_t>(attribute.nla_type & kTypeMask),
                   std::string_view(at + NLA_HDRLEN, attribute.nla_len - NLA_HDRLEN)});
    at += NLA_ALIGN(attribute.nla_len);
  }
  return out;
}

std::string_view find(const std::vector<Attribute>& attributes, uint16_t type) {
  for (const Attribute& a : attributes) {
    if (a.type == type) return a.payload;
  }
  return {};
}

// A string attribute without its terminating NUL.
std::string_view text(std::string_view payload) {
  const size_t nul = payload.find('\0');
  return nul == std::string_view::npos ? payload : payload.substr(0, nul);
}

// nft's user data is a list of (type u8, length u8, value); type 0 is the comment of a table
// or a chain (libnftnl's NFTNL_UDATA_TABLE_COMMENT and NFTNL_UDATA_CHAIN_COMMENT).
std::string comment_of(std::string_view userdata) {
  while (userdata.size() >= 2) {
    const auto type = static_cast<unsigned char>(userdata[0]);
    const auto length = static_cast<unsigned char>(userdata[1]);
    if (userdata.size() < 2U + length) break;
    if (type == 0) return std::string(text(userdata.substr(2, length)));
    userdata.remove_prefix(2U + length);
  }
  return {};
}

class NetfilterSocket {
 public:
  std::expected<void, std::string> open() {
    fd_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
    if (!fd_) return std::unexpected(std::string("socket(NETLINK_NETFILTER): ") + strerror(errno));
    sockaddr_nl address{};
    address.nl_family = AF_NETLINK;
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      return std::unexpected(std::string("bind(NETLINK_NETFILTER): ") + strerror(errno));
    }
    buffer_.resize(64 * 1024);
    return {};
  }

  // A dump of `message` in family inet, filtered by the string attributes given; `each` sees
  // every reply. An interrupted dump (the ruleset changed meanwhile) is an error.
  std::expected<void, std::string> dump(
      uint16_t message, std::initializer_list<std::pair<uint16_t, std::string_view>> filters,
      const std::function<void(const nlmsghdr*)>& each) {
    std::string request(NLMSG_LENGTH(sizeof(nfgenmsg)), '\0');
    request.resize(NLMSG_ALIGN(request.size()), '\0');
    for (const auto& [type, value] : filters) {
      nlattr attribute{static_cast<uint16_t>(NLA_HDRLEN + value.size() + 1), type};
      request.append(reinterpret_cast<const char*>(&attribute), sizeof attribute);
      request.append(value);
      request.push_back('\0');
      request.resize(NLA_ALIGN(request.size()), '\0');
    }
    nlmsghdr header{};
    header.nlmsg_len = static_cast<uint32_t>(request.size());
    header.nlmsg_type = static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | message);
    header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    header.nlmsg_seq = ++sequence_;
    nfgenmsg generic{};
    generic.nfgen_family = NFPROTO_INET;
    generic.version = NFNETLINK_V0;
    std::memcpy(request.data(), &header, sizeof header);
    std::memcpy(request.data() + NLMSG_HDRLEN, &generic, sizeof generic);
    if (::send(fd_.get(), request.data(), request.size(), 0) !=
        static_cast<ssize_t>(request.size())) {
      return std::unexpected(std::string("netlink send: ") + strerror(errno));
    }
    for (;;) {
      const ssize_t got = ::recv(fd_.get(), buffer_.data(), buffer_.size(), 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return std::unexpected(std::string("netlink recv: ") + strerror(errno));
      auto* reply = reinterpret_cast<const nlmsghdr*>(buffer_.data());
      auto left = static_cast<unsigned int>(got);
      for (; NLMSG_OK(reply, left); reply = NLMSG_NEXT(reply, left)) {
        if (reply->nlmsg_seq != sequence_) continue;
        if (reply->nlmsg_flags & NLM_F_DUMP_INTR) {
          return std::unexpected("the ruleset changed while it was read");
        }
        if (reply->nlmsg_type == NLMSG_DONE) return {};
        if (reply->nlmsg_type == NLMSG_ERROR) {
          nlmsgerr error{};
          std::memcpy(&error, NLMSG_DATA(reply), sizeof error);
          if (error.error == 0) continue;
          return std::unexpected(std::string("netlink: ") + strerror(-error.error));
        }
        each(reply);
      }
    }
  }

 private:
  UniqueFd fd_;
  std::vector<char> buffer_;
  uint32_t sequence_ = 0;
};

// Hashes one message as its kind and every attribute but the `skipped` ones, which change by
// themselves (handles, use counts, counters) or are checked elsewhere.
void hash_message(Sha256& hash, char kind, const std::vector<Attribute>& attributes,
                  std::initializer_list<uint16_t> skipped) {
  hash.update({reinterpret_cast<const unsigned char*>(&kind), 1});
  for (const Attribute& a : attributes) {
    bool skip = false;
    for (const uint16_t s : skipped)
      skip = skip || a.type == s;
    if (skip) continue;
    const uint32_t head[2] = {a.type, static_cast<uint32_t>(a.payload.size())};
    hash.update({reinterpret_cast<const unsigned char*>(head), sizeof head});
    hash.update({reinterpret_cast<const unsigned char*>(a.payload.data()), a.payload.size()});
  }
}

}  // namespace

std::expected<std::vector<NftTableSummary>, std::string> nft_list_inet_tables() {
  NetfilterSocket socket;
  if (auto opened = socket.open(); !opened) return std::unexpected(opened.error());
  std::vector<NftTableSummary> tables;
  auto done = socket.dump(NFT_MSG_GETTABLE, {}, [&](const nlmsghdr* message) {
    const auto attributes = attributes_of(message);
    tables.push_back({std::string(text(find(attributes, NFTA_TABLE_NAME))),
                      comment_of(find(attributes, NFTA_TABLE_USERDATA))});
  });
  if (!done) return std::unexpected(done.error());
  return tables;
}

std::expected<NftTableState, std::string> nft_read_table(std::string_view table) {
  NetfilterSocket socket;
  if (auto opened = socket.open(); !opened) return std::unexpected(opened.error());
  NftTableState state;
  Sha256 hash;
  auto done = socket.dump(NFT_MSG_GETTABLE, {}, [&](const nlmsghdr* message) {
    const auto attributes = attributes_of(message);
    if (text(find(attributes, NFTA_TABLE_NAME)) != table) return;
    state.exists = true;
    state.comment = comment_of(find(attributes, NFTA_TABLE_USERDATA));
    hash_message(hash, 'T', attributes,
                 {NFTA_TABLE_USE, NFTA_TABLE_HANDLE, NFTA_TABLE_PAD, NFTA_TABLE_USERDATA});
  });
  if (!done) return std::unexpected(done.error());
  if (!state.exists) return state;

  // Chains are dumped for the whole family (older kernels filter no chain dump by table).
  done = socket.dump(NFT_MSG_GETCHAIN, {{NFTA_CHAIN_TABLE, table}}, [&](const nlmsghdr* message) {
    const auto attributes = attributes_of(message);
    if (text(find(attributes, NFTA_CHAIN_TABLE)) != table) return;
    if (text(find(attributes, NFTA_CHAIN_NAME)) == kNftSealChain) {
      state.seal = comment_of(find(attributes, NFTA_CHAIN_USERDATA));
      return;
    }
    hash_message(
        hash, 'C', attributes,
        {NFTA_CHAIN_HANDLE, NFTA_CHAIN_USE, NFTA_CHAIN_COUNTERS, NFTA_CHAIN_PAD, NFTA_CHAIN_ID});
  });
  if (!done) return std::unexpected(done.error());
  done = socket.dump(NFT_MSG_GETRULE, {{NFTA_RULE_TABLE, table}}, [&](const nlmsghdr* message) {
    const auto attributes = attributes_of(message);
    if (text(find(attributes, NFTA_RULE_TABLE)) != table) return;
    hash_message(hash, 'R', attributes,
                 {NFTA_RULE_HANDLE, NFTA_RULE_POSITION, NFTA_RULE_PAD, NFTA_RULE_ID,
                  NFTA_RULE_POSITION_ID, NFTA_RULE_CHAIN_ID});
  });
  if (!done) return std::unexpected(done.error());
  std::vector<std::string> sets;
  done = socket.dump(NFT_MSG_GETSET, {{NFTA_SET_TABLE, table}}, [&](const nlmsghdr* message) {
    const auto attributes = attributes_of(message);
    if (text(find(attributes, NFTA_SET_TABLE)) != table) return;
    sets.emplace_back(text(find(attributes, NFTA_SET_NAME)));
    hash_message(hash, 'S', attributes, {NFTA_SET_HANDLE, NFTA_SET_PAD, NFTA_SET_ID});
  });
  if (!done) return std::unexpected(done.error());
  for (const std::string& set : sets) {
    done = socket.dump(
        NFT_MSG_GETSETELEM, {{NFTA_SET_ELEM_LIST_TABLE, table}, {NFTA_SET_ELEM_LIST_SET, set}},
        [&](const nlmsghdr* message) { hash_message(hash, 'E', attributes_of(message), {}); });
    if (!done) return std::unexpected(done.error());
  }
  // Nothing harden writes has stateful objects or flowtables; any found must change the digest.
  done = socket.dump(NFT_MSG_GETOBJ, {{NFTA_OBJ_TABLE, table}}, [&](const nlmsghdr* message) {
    const auto attributes = attributes_of(message);
    if (text(find(attributes, NFTA_OBJ_TABLE)) != table) return;
    hash_message(hash, 'O', attributes, {NFTA_OBJ_HANDLE, NFTA_OBJ_USE, NFTA_OBJ_PAD});
  });
  if (!done) return std::unexpected(done.error());
  done = socket.dump(
      NFT_MSG_GETFLOWTABLE, {{NFTA_FLOWTABLE_TABLE, table}}, [&](const nlmsghdr* message) {
        const auto attributes = attributes_of(message);
        if (text(find(attributes, NFTA_FLOWTABLE_TABLE)) != table) return;
        hash_message(hash, 'F', attributes,
                     {NFTA_FLOWTABLE_HANDLE, NFTA_FLOWTABLE_USE, NFTA_FLOWTABLE_PAD});
      });
  if (!done) return std::unexpected(done.error());
  state.content = hex_of(hash.finish());
  return state;
}

std::string nft_seal_for(std::string_view plan_digest, std::string_view content) {
  Sha256 hash;
  hash.update({reinterpret_cast<const unsigned char*>(plan_digest.data()), plan_digest.size()});
  hash.update({reinterpret_cast<const unsigned char*>("\n"), 1});
  hash.update({reinterpret_cast<const unsigned char*>(content.data()), content.size()});
  return "seal " + hex_of(hash.finish());
}

}  // namespace harden::host
