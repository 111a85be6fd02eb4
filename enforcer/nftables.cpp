// nftables layer: installs the policy's "table inet harden_<policy>" through libnftables, the
// library nft itself is built on (no shelling out, no parsing of a command's output for
// errors), loaded only when a plan needs it (nft_library.hpp). The whole table is replaced in one
// transaction (see plan/nft_script.hpp).
//
// Two steps use it. Scope "uid" and "cgroup" rules live in the host's network namespace and
// are installed before any namespace is entered; scope "netns" rules live in the sandbox's own
// namespace and are installed right after it exists.
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "enforcer/host.hpp"
#include "enforcer/layers.hpp"
#include "enforcer/nft_library.hpp"
#include "enforcer/nft_netlink.hpp"
#include "enforcer/proc_text.hpp"
#include "plan/nft_script.hpp"
#include "plan/plan.hpp"

namespace harden {

namespace {

// On stderr (the target's too), at once: no stdio buffer.
void report_warning(const std::string& text) {
  const std::string line = "harden: warning: " + text + "\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

std::string trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

// nft follows each "Error:" with an excerpt and a caret line that, for a buffer, often points
// at the wrong line, and repeats an error once per rule that hit it; keep each message once.
std::string error_messages(const char* text) {
  std::string out;
  for (std::string_view line : lines_of(text ? text : "")) {
    const size_t at = line.find("Error: ");
    if (at == std::string_view::npos) continue;
    const std::string message(line.substr(at + 7));
    if (out.find(message) != std::string::npos) continue;
    out += (out.empty() ? "" : "; ") + message;
  }
  return out.empty() ? trimmed(text) : out;
}

// libnftables opens its netlink socket lazily and, when it cannot (no NETLINK_NETFILTER in a
// restricted container, a seccomp filter, an exhausted fd table), prints "mnl.c:NN: Unable to
// initialize Netlink socket" and calls exit(3) from inside the library: harden would end with
// a code it does not document, without its own message, and before undoing anything. So the
// same socket is opened (and bound, as libmnl does) first; only when that works is libnftables
// handed control.
std::expected<void, std::string> netfilter_netlink_usable() {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) {
    return std::unexpected(std::string("cannot open a netfilter netlink socket (socket(AF_NETLINK, "
                                       "NETLINK_NETFILTER): ") +
                           std::strerror(errno) + "); nftables is not reachable from here");
  }
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  const int bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  const int error = errno;
  ::close(fd);
  if (bound != 0) {
    return std::unexpected(std::string("cannot bind a netfilter netlink socket: ") +
                           std::strerror(error) + "; nftables is not reachable from here");
  }
  return {};
}

}  // namespace

namespace host {

std::expected<std::string, std::string> nft_run(const std::string& script) {
  if (auto usable = netfilter_netlink_usable(); !usable) return std::unexpected(usable.error());
  const auto library = load_nft_library();
  if (!library) return std::unexpected(library.error());
  // Freed by the library it came from.
  const std::unique_ptr<nft_ctx, void (*)(nft_ctx*)> ctx(library->ctx_new(NFT_CTX_DEFAULT),
                                                         library->ctx_free);
  if (!ctx) return std::unexpected("nft_ctx_new failed");
  // Buffered, so nothing reaches harden's stdout or stderr (which are the target's).
  if (library->ctx_buffer_output(ctx.get()) != 0 || library->ctx_buffer_error(ctx.get()) != 0) {
    return std::unexpected("cannot buffer libnftables output");
  }
  errno = 0;
  if (library->run_cmd_from_buffer(ctx.get(), script.c_str()) != 0) {
    std::string error = error_messages(library->ctx_get_error_buffer(ctx.get()));
    if (error.empty()) error = "libnftables refused the ruleset";
    return std::unexpected(error);
  }
  return trimmed(library->ctx_get_output_buffer(ctx.get()));
}

std::expected<std::vector<std::string>, std::string> nft_harden_tables() {
  auto listing = nft_run("list tables inet");
  if (!listing) return std::unexpected(listing.error());
  std::vector<std::string> tables;
  const std::vector<std::string_view> words = words_of(*listing);  // "table inet NAME" ...
  for (size_t i = 0; i + 2 < words.size(); ++i) {
    if (words[i] == "table" && words[i + 1] == "inet" && words[i + 2].starts_with(kTablePrefix)) {
      tables.emplace_back(words[i + 2]);
    }
  }
  return tables;
}

}  // namespace host

int RealSys::nft_replace_table(const std::string& table, const std::string& ruleset,
                               std::string& error) {
  auto done = host::nft_run(nft_replace_script(table, ruleset));
  if (done) return 0;
  error = done.error();
  errno = 0;  // the message says it all; errno from inside the library would mislead
  return -1;
}

int RealSys::nft_table_sealed(const std::string& table, const std::string& plan_digest) {
  const auto state = host::nft_read_table(table);
  if (!state || !state->exists || state->seal.empty()) return 0;
  if (nft_comment_field(state->comment, kNftPlanWord) != plan_digest) return 0;
  return state->seal == host::nft_seal_for(plan_digest, state->content) ? 1 : 0;
}

int RealSys::nft_seal_table(const std::string& table, const std::string& plan_digest,
                            std::string& error) {
  const auto state = host::nft_read_table(table);
  if (!state || !state->exists) {
    error = state ? "the table is gone" : state.error();
    errno = 0;
    return -1;
  }
  const std::string seal = host::nft_seal_for(plan_digest, state->content);
  auto done = host::nft_run("add chain inet " + table + " " + std::string(host::kNftSealChain) +
                            " { comment \"" + seal + "\"; }\n");
  if (done) return 0;
  error = done.error();
  errno = 0;
  return -1;
}

int RealSys::nft_tables_filtering_uid(const std::string& own_table, uid_t uid,
                                      std::vector<std::string>& tables, std::string& error) {
  tables.clear();
  auto listed = host::nft_list_inet_tables();
  if (!listed) {
    error = listed.error();
    errno = 0;
    return -1;
  }
  const std::string wanted = std::to_string(uid);
  for (const host::NftTableSummary& table : *listed) {
    if (table.name == own_table || !table.name.starts_with(host::kTablePrefix)) continue;
    if (nft_comment_field(table.comment, kNftUidWord) == wanted) tables.push_back(table.name);
  }
  return 0;
}

int RealSys::nft_save_table(const std::string& table, std::optional<std::string>& saved,
                            std::string& error) {
  saved.reset();
  auto listed = host::nft_run("list table inet " + table);
  if (listed) {
    saved = *listed + "\n";
    return 0;
  }
  if (listed.error().find("No such file or directory") != std::string::npos) return 0;  // none
  error = listed.error();
  errno = 0;
  return -1;
}

// The host's namespace is PID 1's. Some init systems make /proc/1/ns unreadable even to root;
// kthreadd (PID 2 in the initial PID namespace) always lives in the initial one too.
int RealSys::in_initial_netns() {
  struct stat own {};
  if (::stat("/proc/self/ns/net", &own) != 0) return -1;
  struct stat init {};
  if (::stat("/proc/1/ns/net", &init) != 0) {
    if (first_line(read_proc_text("/proc/2/comm")) != "kthreadd" ||
        ::stat("/proc/2/ns/net", &init) != 0) {
      return -1;
    }
  }
  return own.st_dev == init.st_dev && own.st_ino == init.st_ino ? 1 : 0;
}

namespace enforce {

namespace {

// A table another policy left that filters the same uid still filters it: both tables' chains
// see every packet, and a drop in either wins. Said at every start; `harden status` shows it.
void warn_same_uid_tables(const PlanData& plan, Sys& sys) {
  if (plan.network.scope != NetworkScope::uid) return;
  std::vector<std::string> others;
  std::string error;
  if (sys.nft_tables_filtering_uid(plan.network.table, plan.credentials.uid, others, error) != 0) {
    report_warning("cannot list the nftables tables to look for others filtering uid " +
                   std::to_string(plan.credentials.uid) + ": " + error);
    return;
  }
  for (const std::string& other : others) {
    report_warning("table inet " + other + " (left by another policy) also filters uid " +
                   std::to_string(plan.credentials.uid) + ", and its rules apply besides " +
                   plan.network.table +
                   "'s: a packet either drops is dropped; remove it with `harden down --policy "
                   "FILE` or `nft delete table inet " +
                   other + "`");
  }
}

// `record`: the table outlives the launch (the host's namespace, or one harden did not make),
// so what it replaces is saved first, to be put back should the launch stop before execve. Such
// a table is also sealed, and left alone when a later launch finds it sealed for the same
// ruleset: no libnftables, no transaction (nft_netlink.hpp).
StepResult install(const PlanData& plan, Sys& sys, ExecContext& ctx, bool record) {
  const NftLaunchRuleset ruleset =
      nft_launch_ruleset(plan.network.ruleset, ctx.nft_launch_cgroup_match);
  if (plan.network.launch_cgroup && ctx.nft_launch_cgroup_match.empty()) {
    return step_failed(0,
                       "[network] scope = \"cgroup\" names no cgroup, and the cgroup step "
                       "made no launch cgroup to match");
  }
  std::string error;
  if (record) {
    warn_same_uid_tables(plan, sys);
    if (sys.nft_table_sealed(plan.network.table, ruleset.digest) == 1) return {};
    std::optional<std::string> saved;
    if (sys.nft_save_table(plan.network.table, saved, error) != 0) {
      return step_failed(errno, "reading table inet " + plan.network.table +
                                    " as it is, to restore it should the launch fail" +
                                    (error.empty() ? "" : ": " + error));
    }
    // Noted before the transaction: one that fails changes nothing, and putting back what was
    // there is then harmless.
    HostChange change{HostChange::Kind::nft_table, plan.network.table, std::move(saved)};
    if (auto noted = rollback::note(sys, ctx, std::move(change)); !noted) return noted;
  }
  if (sys.nft_replace_table(plan.network.table, ruleset.text, error) != 0) {
    return step_failed(errno, "installing nftables table inet " + plan.network.table +
                                  (error.empty() ? "" : ": " + error));
  }
  // Unsealed, the table works all the same; the next start only replaces it again.
  if (record && sys.nft_seal_table(plan.network.table, ruleset.digest, error) != 0) {
    report_warning("table inet " + plan.network.table + " is installed but not sealed (" + error +
                   "): the next start replaces it again");
  }
  return {};
}

}  // namespace

namespace nftables {
bool wanted(const PlanData& plan) {
  return plan.network.enabled && plan.network.scope != NetworkScope::netns;
}
StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  return install(plan, sys, ctx, true);
}
}  // namespace nftables

namespace nftables_netns {
bool wanted(const PlanData& plan) {
  return plan.network.enabled && plan.network.scope == NetworkScope::netns;
}
StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  // Scope netns filters everything in the namespace; in the host's namespace that would be
  // the whole machine's firewall, which a service policy must never replace by accident.
  const int initial = sys.in_initial_netns();
  if (initial != 0) {
    return step_failed(initial < 0 ? errno : 0,
                       "[network] scope = \"netns\" filters the whole network namespace, and "
                       "harden runs in the host's; start it in the sandbox's namespace, or use "
                       "scope = \"uid\" or \"cgroup\"");
  }
  // A namespace harden made ends with the launch, and its table with it.
  return install(plan, sys, ctx, !plan.namespaces.net);
}
}  // namespace nftables_netns

}  // namespace enforce

}  // namespace harden
