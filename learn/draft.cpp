// The draft writer and --merge's reader; see draft.hpp. The Landlock path decisions
// live in paths.cpp.
#include "learn/draft.hpp"

#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "compiler/syscall_groups.hpp"
#include "learn/paths.hpp"
#include "lint/dangerous.hpp"
#include "plan/constants.hpp"
#include "policy/policy_writer.hpp"

namespace harden {

namespace {

constexpr uint64_t kSocketTypeMask = 0xf;  // SOCK_TYPE_MASK

// The calls whose arguments the draft checks, with the argument that matters.
struct ArgumentCall {
  std::string_view name;
  unsigned index;
};
constexpr ArgumentCall kArgumentCalls[] = {
    {"clone", 0}, {"ioctl", 1}, {"personality", 0}, {"prctl", 0}, {"socket", 0}, {"unshare", 0},
};

// The clone flags that say what a clone makes: a thread (both), a forked process (neither), a
// vfork-style child (CLONE_VM alone).
constexpr uint64_t kCloneKind = CLONE_THREAD | CLONE_VM;

bool is_argument_call(std::string_view name) {
  return std::ranges::any_of(kArgumentCalls, [&](const ArgumentCall& c) { return c.name == name; });
}

// Groups that may stand for what was seen: the groups @service is made of (compiler/'s table),
// never @service itself nor a group wider than a service's calls. @default is always allowed.
std::vector<std::string_view> collapsible_groups() {
  std::vector<std::string_view> out;
  if (const SyscallGroup* service = find_syscall_group("@service")) {
    for (const std::string_view member : service->members) {
      if (member.starts_with('@') && member != kDefaultSyscallGroup) out.push_back(member);
    }
  }
  return out;
}

// The flag bits of clone's or unshare's first argument that make a new namespace, as @service's
// condition on that call masks them (compiler/'s table): a draft's rule tests the same bits.
struct NamespaceMask {
  uint64_t bits = 0;
  std::string text;  // "CLONE_NEWNS|CLONE_NEWCGROUP|..."
};
NamespaceMask service_namespace_mask(std::string_view call) {
  NamespaceMask mask;
  if (auto conditions = syscall_group_conditions("@service")) {
    for (const SyscallCondition& condition : *conditions) {
      if (condition.syscall != call || condition.check.op != "masked-eq") continue;
      mask.text = std::string(condition.check.mask);
    }
  }
  for (size_t at = 0; at < mask.text.size();) {
    const size_t bar = std::min(mask.text.find('|', at), mask.text.size());
    mask.bits |= argument_constant(std::string_view(mask.text).substr(at, bar - at)).value_or(0);
    at = bar + 1;
  }
  return mask;
}

// Whether lint calls `call` with this flag argument dangerous: one of the flags its table
// (lint/dangerous.hpp) names for that call is set.
bool dangerous_with(std::string_view call, uint64_t value) {
  const DangerousSyscall* danger = find_dangerous_syscall(call);
  if (!danger) return false;
  return std::ranges::any_of(danger->flags,
                             [&](const DangerousFlag& flag) { return (value & flag.value) != 0; });
}

// The name of `value` among the argument constants starting with `prefix` ("AF_"), or hex.
std::string constant_name(uint64_t value, std::span<const std::string_view> prefixes) {
  static constexpr std::string_view kAliases[] = {"AF_LOCAL", "MAP_ANON", "SOCK_PACKET"};
  for (const NamedConstant& constant : argument_constants()) {
    if (constant.value != value) continue;
    if (std::ranges::find(kAliases, constant.name) != std::end(kAliases)) continue;
    for (const std::string_view prefix : prefixes) {
      if (constant.name.starts_with(prefix)) return std::string(constant.name);
    }
  }
  char hex[24];
  std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(value));
  return hex;
}

// CLONE_NEW*, CLONE_THREAD and CLONE_VM bits as "CLONE_THREAD|CLONE_VM" (plan/'s constant
// names), 0 as "0".
std::string clone_flag_names(uint64_t bits) {
  if (bits == 0) return "0";
  std::string out;
  for (const NamedConstant& constant : argument_constants()) {
    const bool clone_flag = constant.name.starts_with("CLONE_NEW") ||
                            constant.name == "CLONE_THREAD" || constant.name == "CLONE_VM";
    if (!clone_flag || !(bits & constant.value)) continue;
    out += out.empty() ? "" : "|";
    out += constant.name;
    bits &= ~constant.value;
  }
  return out;
}

std::string programs_comment(const LearnedSyscall& call) {
  if (call.count == 0) return "an earlier run";
  std::string out = std::to_string(call.count) + (call.count == 1 ? " call" : " calls");
  if (!call.programs.empty()) {
    out += ": ";
    bool first = true;
    for (const std::string& program : call.programs) {
      out += first ? "" : ", ";
      out += program;
      first = false;
    }
  }
  return out;
}

struct Rule {
  std::string syscall;
  std::string args;  // the TOML array
  std::string comment;
};

void add_rule(std::vector<Rule>& rules, std::string syscall, std::string args,
              std::string comment = {}) {
  rules.push_back({std::move(syscall), std::move(args), std::move(comment)});
}

std::string arg(unsigned index, std::string_view op, const std::string& value,
                const std::string& mask = {}) {
  std::string out = "{ index = " + std::to_string(index) + ", op = \"" + std::string(op) + "\"";
  if (!mask.empty()) out += ", mask = " + toml_quote(mask);
  return out + ", value = " + toml_quote(value) + " }";
}

// The [seccomp] section and its rules.
std::string write_seccomp(const LearnObservations& obs, const SeccompSection& base,
                          std::vector<std::string>& notes) {
  std::set<std::string> plain;  // allowed whatever the arguments
  std::set<std::string> defaults;
  if (auto members = expand_syscall_group(kDefaultSyscallGroup)) {
    defaults.insert(members->begin(), members->end());
  }
  const auto& names = native_syscall_names();
  for (const auto& [name, call] : obs.syscalls) {
    if (name == "clone3") {
      notes.push_back(
          "clone3 was answered ENOSYS, as the draft answers it (its flags live in memory, where "
          "no filter can check them); the C library then used clone, which is listed");
      continue;
    }
    if (name.starts_with("nr:") || !std::ranges::binary_search(names, name)) {
      notes.push_back("syscall " + name + " has no name harden knows; it is not listed");
      continue;
    }
    if (defaults.contains(name) || is_argument_call(name)) continue;
    plain.insert(name);
  }

  std::vector<Rule> rules;
  std::set<std::string> dangerous_seen;
  // Dangerous calls without a flag argument: a rule of their own, with lint's reason.
  for (auto it = plain.begin(); it != plain.end();) {
    const DangerousSyscall* danger = find_dangerous_syscall(*it);
    if (!danger || danger->flags_arg >= 0) {
      ++it;
      continue;
    }
    add_rule(rules, *it, {}, programs_comment(obs.syscalls.at(*it)));
    dangerous_seen.insert(*it);
    it = plain.erase(it);
  }
  // Groups, largest first, where every member was seen and none is dangerous.
  std::vector<std::pair<std::string_view, std::vector<std::string_view>>> groups;
  for (const std::string_view group : collapsible_groups()) {
    if (auto members = expand_syscall_group(group)) groups.emplace_back(group, *members);
  }
  std::ranges::sort(groups, [](const auto& a, const auto& b) {
    return a.second.size() != b.second.size() ? a.second.size() > b.second.size()
                                              : a.first < b.first;
  });
  std::vector<std::string> allow_groups;
  std::set<std::string> grouped;
  for (const auto& [group, members] : groups) {
    const bool covered = std::ranges::all_of(members, [&](std::string_view member) {
      const std::string m(member);
      return (plain.contains(m) || grouped.contains(m) || defaults.contains(m)) &&
             !find_dangerous_syscall(member);
    });
    if (!covered) continue;
    allow_groups.emplace_back(group);
    for (const std::string_view member : members)
      grouped.insert(std::string(member));
  }

  // Argument rules.
  const auto seen = [&](std::string_view name) { return obs.syscalls.contains(std::string(name)); };
  const auto comment_of = [&](std::string_view name) {
    auto it = obs.syscalls.find(std::string(name));
    return it == obs.syscalls.end() ? std::string() : programs_comment(it->second);
  };
  for (const auto& [domain, type] : obs.sockets) {
    static constexpr std::string_view kAf[] = {"AF_"};
    static constexpr std::string_view kSock[] = {"SOCK_"};
    add_rule(rules, "socket",
             "[" + arg(0, "eq", constant_name(domain, kAf)) + ", " +
                 arg(1, "masked-eq", constant_name(type & kSocketTypeMask, kSock), "0xf") + "]");
  }
  if (seen("clone") || seen("clone3")) {
    // What each clone made is kept apart (threads, forks, vfork-style children), so a draft of
    // a threaded daemon does not allow fork, nor one of a forking daemon threads.
    const NamespaceMask mask = service_namespace_mask("clone");
    const uint64_t mask_bits = mask.bits | kCloneKind;
    const std::string mask_text = mask.text + "|CLONE_THREAD|CLONE_VM";
    std::set<uint64_t> values = obs.clone_flags;
    // Seen without its flags (clone3 whose arguments could not be read): no namespace, any kind.
    if (values.empty()) values = {0, CLONE_VM, kCloneKind};
    for (const uint64_t bits : values) {
      if (bits & ~mask_bits) continue;  // CLONE_NEWTIME from clone3: not for clone
      const uint64_t namespaces = bits & ~kCloneKind;
      if (dangerous_with("clone", namespaces)) dangerous_seen.insert("clone");
      std::string what = (bits & kCloneKind) == kCloneKind ? "threads"
                         : (bits & kCloneKind) == 0        ? "child processes (fork)"
                         : (bits & CLONE_VM) ? "vfork-style children (posix_spawn, vfork)"
                                             : "CLONE_THREAD without CLONE_VM";
      if (namespaces) what += ", in new namespaces: " + clone_flag_names(namespaces);
      add_rule(rules, "clone", "[" + arg(0, "masked-eq", clone_flag_names(bits), mask_text) + "]",
               what);
    }
  }
  if (seen("unshare")) {
    const NamespaceMask mask = service_namespace_mask("unshare");
    for (const uint64_t bits : obs.unshare_namespaces) {
      if (dangerous_with("unshare", bits)) dangerous_seen.insert("unshare");
      add_rule(rules, "unshare",
               "[" + arg(0, "masked-eq", clone_flag_names(bits), mask.text) + "]");
    }
  }
  for (const uint64_t request : obs.ioctl_requests) {
    static constexpr std::string_view kIoctl[] = {"FIO", "TIOC", "TC", "SIOC"};
    add_rule(rules, "ioctl", "[" + arg(1, "eq", constant_name(request, kIoctl)) + "]");
  }
  for (const uint64_t option : obs.prctl_options) {
    static constexpr std::string_view kPr[] = {"PR_"};
    add_rule(rules, "prctl", "[" + arg(0, "eq", constant_name(option, kPr)) + "]");
  }
  for (const uint64_t persona : obs.personalities) {
    static constexpr std::string_view kNone[] = {"PER_"};
    // 0xffffffff only reads the persona.
    if (persona != 0xffffffff && dangerous_with("personality", persona)) {
      dangerous_seen.insert("personality");
    }
    add_rule(rules, "personality", "[" + arg(0, "eq", constant_name(persona, kNone)) + "]");
  }

  std::string out =
      "# Every syscall the run made, native architecture only (calls of another ABI are killed).\n"
      "# Listed one by one with how often and by which programs; a group stands for its members\n"
      "# only where every member was seen. @default (execve, exit_group, brk, ...) is always\n"
      "# allowed. A call never seen here kills the process: when the target is killed later,\n"
      "# learn again with --merge from the operation that needed it.\n"
      "[seccomp]\n"
      "default_action = \"kill-process\"\n"
      "architectures = [\"native\"]\n";
  if (base.restrict_suid_sgid && base.restrict_suid_sgid->value) {
    out += "restrict_suid_sgid = true  # the base's: no set-user-ID or set-group-ID mode\n";
  }
  out += "allow = [\n";
  for (const std::string& group : allow_groups)
    out += "  " + toml_quote(group) + ",  # every member seen\n";
  for (const std::string& name : plain) {
    if (grouped.contains(name)) continue;
    out += "  " + toml_quote(name) + ",  # " + programs_comment(obs.syscalls.at(name)) + "\n";
  }
  out += "]\n\n";
  if (!rules.empty()) {
    out +=
        "# Calls allowed only with the arguments seen: several rules for one call are\n"
        "# alternatives. A dangerous call carries lint's reason; review it before you keep it.\n";
  }
  std::string last;
  for (const Rule& rule : rules) {
    out += "[[seccomp.rule]]\n";
    out += "syscall = " + toml_quote(rule.syscall);
    const std::string comment =
        rule.comment.empty() && rule.syscall != last ? comment_of(rule.syscall) : rule.comment;
    out += comment.empty() ? "\n" : "  # " + comment + "\n";
    if (!rule.args.empty()) out += "args = " + rule.args + "\n";
    if (dangerous_seen.contains(rule.syscall)) {
      const DangerousSyscall* danger = find_dangerous_syscall(rule.syscall);
      out += "reason = " +
             toml_quote("REVIEW: learned by harden learn; lint: " +
                        std::string(danger ? danger->why : "dangerous")) +
             "\n";
    }
    out += "\n";
    last = rule.syscall;
  }
  return out;
}

std::string port_list(const std::set<uint16_t>& ports) {
  std::string out = "[";
  bool first = true;
  for (const uint16_t port : ports) {
    out += first ? "" : ", ";
    out += std::to_string(port);
    first = false;
  }
  return out + "]";
}

std::string path_list(const std::set<std::string>& paths) {
  if (paths.empty()) return "[]";
  std::string out = "[\n";
  for (const std::string& path : paths)
    out += "  " + toml_quote(path) + ",\n";
  return out + "]";
}

std::string write_landlock(const LearnObservations& obs, const PathGrants& grants) {
  std::set<uint16_t> bind_tcp, connect_tcp;
  for (const LearnedEndpoint& e : obs.binds) {
    if (e.protocol == "tcp") bind_tcp.insert(e.port);
  }
  for (const LearnedEndpoint& e : obs.connects) {
    if (e.protocol == "tcp") connect_tcp.insert(e.port);
  }
  std::string out =
      "# The files the run used, as the target sees them: read, written (a directory: created\n"
      "# or removed in) and executed. A directory stands for the files read in it only where\n"
      "# it grants no secret. The exec lock stays: the target may execute itself and, with an\n"
      "# execute list, only the programs the run executed. TCP ports: exactly those bound and\n"
      "# connected to.\n"
      "[landlock]\n"
      "mode = \"enforce\"\n"
      "derive_from_view = false\n";
  out += "read = " + path_list(grants.read) + "\n";
  out += "write = " + path_list(grants.write) + "\n";
  if (!grants.execute.empty()) out += "execute = " + path_list(grants.execute) + "\n";
  if (!grants.refer.empty()) {
    out += "# refer: files were renamed or linked from one of these directories to another\n";
    out += "refer = " + path_list(grants.refer) + "\n";
  }
  out += "bind_tcp = " + port_list(bind_tcp) + "\n";
  out += "connect_tcp = " + port_list(connect_tcp) + "\n\n";
  return out;
}

// "::ffff:127.0.0.1" -> "127.0.0.1": a v4-mapped peer of an IPv6 socket is reached over IPv4.
std::string firewall_address(const std::string& address) {
  if (address.starts_with("::ffff:") && address.find('.') != std::string::npos) {
    return address.substr(7);
  }
  return address;
}

std::string write_network(const LearnObservations& obs, const Policy& base,
                          std::vector<std::string>& notes) {
  const std::string net = base.namespaces.net ? base.namespaces.net->value : "host";
  const std::string user = base.identity.user ? base.identity.user->value : "";
  const bool own_netns = net == "private" || net == "loopback";
  const bool by_uid = !own_netns && !user.empty() && user != "root" && user != "0";

  std::string allows;
  std::map<std::string, std::set<uint16_t>> ingress;  // protocol -> ports
  for (const LearnedEndpoint& e : obs.binds)
    ingress[e.protocol].insert(e.port);
  if (own_netns) {
    for (const auto& [protocol, ports] : ingress) {
      std::set<uint16_t> fixed = ports;
      fixed.erase(0);
      if (fixed.empty()) continue;
      allows += "[[network.allow]]\ndirection = \"ingress\"\nprotocol = " + toml_quote(protocol) +
                "\nports = " + port_list(fixed) + "\nreason = \"bound during harden learn\"\n\n";
    }
  }
  std::map<std::pair<std::string, std::string>, std::set<uint16_t>> egress;
  for (const LearnedEndpoint& e : obs.connects)
    egress[{e.protocol, firewall_address(e.address)}].insert(e.port);
  for (const auto& [key, ports] : egress) {
    allows += "[[network.allow]]\ndirection = \"egress\"\nprotocol = " + toml_quote(key.first) +
              "\nports = " + port_list(ports) + "\n";
    if (!key.second.empty()) allows += "addresses = [" + toml_quote(key.second) + "]\n";
    allows += "reason = \"connected to during harden learn\"\n\n";
  }
  std::string out =
      "# The firewall: the peers the run connected to (and, in a network namespace of its own,\n"
      "# the ports it bound); everything else is refused.\n";
  if (own_netns) {
    return out + "[network]\nscope = \"netns\"\ningress = \"drop\"\negress = \"reject\"\n\n" +
           allows;
  }
  if (by_uid) {
    out +=
        "# In the host's network namespace the rules match the service's uid, which the kernel\n"
        "# knows only for what it sends: ingress is not filtered (the [landlock] bind_tcp list\n"
        "# limits what it may listen on).\n";
    return out + "[network]\nscope = \"uid\"\negress = \"reject\"\n\n" + allows;
  }
  notes.push_back(
      "no firewall: in the host's network namespace a firewall matches the service's uid, and "
      "this one runs as root (or the caller); give [identity] a user of its own or "
      "[namespaces] net = \"private\", then learn again");
  std::string commented;
  size_t at = 0;
  while (at < allows.size()) {
    const size_t end = allows.find('\n', at);
    const std::string line = allows.substr(at, end - at);
    commented += line.empty() ? "\n" : "# " + line + "\n";
    at = end == std::string::npos ? allows.size() : end + 1;
  }
  return out + "# (not written: see the notes at the end)\n" + commented;
}

std::string comment_lines(const std::string& text, std::string_view prefix = "# ") {
  std::string out;
  std::string line;
  // Wrapped at about 96 columns, on spaces.
  size_t at = 0;
  while (at < text.size()) {
    size_t end = std::min(text.size(), at + 94);
    if (end < text.size()) {
      const size_t space = text.rfind(' ', end);
      if (space != std::string::npos && space > at) end = space;
    }
    out += std::string(prefix) + text.substr(at, end - at) + "\n";
    at = end;
    while (at < text.size() && text[at] == ' ')
      ++at;
  }
  return out;
}

// A command word as a shell would need it typed ("-g 'daemon off;'", an empty argument as
// ''), for the draft's header; the [exec] command array holds the words themselves.
std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of(
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789_./:=@%+,-") == std::string::npos;
  if (plain) return word;
  std::string out = "'";
  for (const char c : word) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\'') {
      out += "'\\''";
    } else if (byte < 0x20 || byte >= 0x7f) {
      // $'\xNN': the header stays one comment line of ASCII, which TOML always accepts.
      char escaped[16];
      std::snprintf(escaped, sizeof escaped, "'$'\\x%02x''", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "'";
}

// "42 s": how long a learning run lasted (read back by --merge from the draft's first line).
std::string duration(double seconds) {
  if (seconds < 9.95) {  // "0.4 s", not "0 s", for a short run
    char tenths[16];
    std::snprintf(tenths, sizeof tenths, "%.1f s", seconds);
    return tenths;
  }
  return std::to_string(static_cast<unsigned long long>(seconds + 0.5)) + " s";
}

// What seccomp notifications cannot show, and hints from what was seen.
std::vector<std::string> unobservable(const LearnObservations& obs) {
  std::vector<std::string> notes = {
      "what the target does only after " + duration(obs.seconds) +
          (obs.runs == 1 ? " (this run's length)" : " (the longest run's)") +
          ": timers, log rotation, daily jobs. Leave it running through them, or add such a "
          "run with --merge",
      "capabilities: the kernel checks them inside calls, where no filter sees; [capabilities] "
      "keep is the base policy's. A call that failed with EPERM during learning may have wanted "
      "one",
      "what the calls returned: a path the program tried, failed and then avoided still counts "
      "as used, and a file it opens only when another is missing is not here",
      "io_uring (its I/O never passes the filter; io_uring_setup is dangerous), the vDSO "
      "(clock_gettime and friends need no syscall), and files reached through descriptors the "
      "target inherited",
      "code paths this run did not take: reload, rotation, backup, crash recovery. Run them "
      "under harden learn --merge THIS-FILE and the draft grows",
  };
  for (const LearnedEndpoint& e : obs.binds) {
    if (e.port != 0 && e.port < 1024) {
      notes.push_back("port " + std::to_string(e.port) +
                      " was bound: below 1024 that needs CAP_NET_BIND_SERVICE unless the "
                      "target runs as root or net.ipv4.ip_unprivileged_port_start allows it");
    }
  }
  for (const auto& [domain, type] : obs.sockets) {
    // Netlink sockets are raw or datagram sockets and need no capability to open.
    if ((type == SOCK_RAW && domain != AF_NETLINK) || domain == AF_PACKET) {
      notes.push_back("a raw or packet socket was opened: that needs CAP_NET_RAW");
      break;
    }
  }
  for (const char* call : {"setuid", "setgid", "setresuid", "setresgid", "setgroups", "chown",
                           "fchown", "fchownat", "chroot"}) {
    if (obs.syscalls.contains(call)) {
      notes.push_back(std::string(call) +
                      " was called: as another user than itself it needs CAP_SETUID, CAP_SETGID, "
                      "CAP_CHOWN or CAP_SYS_CHROOT");
    }
  }
  return notes;
}

}  // namespace

std::string write_learned_draft(const DraftInput& input) {
  const Policy& base = *input.base;
  const LearnObservations& obs = input.observations;
  std::vector<std::string> notes;
  std::string command;
  for (const std::string& word : obs.command)
    command += (command.empty() ? "" : " ") + shell_word(word);

  std::string out;
  out += "# Drafted by `harden learn` from " + std::to_string(obs.runs) +
         (obs.runs == 1 ? " run (" : " runs (the longest ") + duration(obs.seconds) +
         ") of: " + command + "\n";
  out += "# Identity, view, namespaces, limits and environment come from " +
         input.base_description +
         ";\n# [seccomp], [landlock] and [network] are what the target "
         "was seen doing";
  out += input.merged_with.empty() ? ".\n" : " (merged with " + input.merged_with + ").\n";
  out +=
      "# Review it before use: read the notes at the end, narrow what you can, and check it with\n"
      "#   harden validate FILE && harden lint FILE\n\n";

  out += "[policy]\nname = " + toml_quote(input.name) + "\n";
  out += "description = " +
         toml_quote("drafted by harden learn (" + std::to_string(obs.runs) +
                    (obs.runs == 1 ? " run" : " runs") + ")") +
         "\n\n";
  out += write_exec_section(base.exec, obs.command);
  out += write_identity_section(base.identity);
  {
    std::vector<std::string> keep;
    for (const LocatedString& cap : base.capabilities.keep)
      keep.push_back(cap.value);
    out +=
        "# Not learned: capability checks happen inside the kernel, where no filter sees them.\n";
    out += "[capabilities]\nkeep = " + toml_string_array(keep) + "\n\n";
  }
  out += write_seccomp(obs, base.seccomp, notes);
  out += write_filesystem_section(base.filesystem);
  out += write_namespaces_section(base.namespaces);
  out += write_ipc_section(base.ipc);

  PathGrantRequest request;
  request.target_root = input.target_root;
  request.target_uid = input.target_uid;
  request.target_groups = input.target_groups;
  request.view = input.view;
  request.constructed_root =
      !base.filesystem.read_only.empty() || !base.filesystem.read_write.empty() ||
      (!base.filesystem.chroot && (base.filesystem.proc || base.filesystem.dev ||
                                   base.filesystem.sys || !base.filesystem.tmpfs.empty()));
  const PathGrants grants = grant_paths(obs.paths, request);
  out += write_landlock(obs, grants);
  for (const std::string& note : grants.notes)
    notes.push_back(note);
  out += write_network(obs, base, notes);
  out += write_cgroup_section(base.cgroup);
  out += write_limits_section(base.limits);
  out += write_environment_section(base.environment);
  out += write_lsm_section(base.lsm);
  out += write_audit_section(base.audit);

  out += "# ---- Notes ----------------------------------------------------------------------\n";
  out += "# What harden learn saw but no key expresses, and what it cannot see at all.\n";
  if (!obs.target_started) {
    out += comment_lines("the target never started: nothing was recorded");
  }
  for (const std::string& note : notes)
    out += comment_lines("- " + note);
  for (const std::string& remark : obs.remarks)
    out += comment_lines("- seen: " + remark);
  out += "# Not observable by harden learn:\n";
  for (const std::string& note : unobservable(obs))
    out += comment_lines("- " + note);
  return out;
}

void merge_observations(LearnObservations& into, const LearnObservations& from) {
  for (const auto& [name, call] : from.syscalls) {
    LearnedSyscall& mine = into.syscalls[name];
    mine.count += call.count;
    for (const std::string& program : call.programs) {
      if (mine.programs.size() < 6) mine.programs.insert(program);
    }
  }
  into.sockets.insert(from.sockets.begin(), from.sockets.end());
  into.clone_flags.insert(from.clone_flags.begin(), from.clone_flags.end());
  into.unshare_namespaces.insert(from.unshare_namespaces.begin(), from.unshare_namespaces.end());
  into.ioctl_requests.insert(from.ioctl_requests.begin(), from.ioctl_requests.end());
  into.prctl_options.insert(from.prctl_options.begin(), from.prctl_options.end());
  into.personalities.insert(from.personalities.begin(), from.personalities.end());
  for (const auto& [path, access] : from.paths)
    into.paths[path] |= access;
  into.binds.insert(from.binds.begin(), from.binds.end());
  into.connects.insert(from.connects.begin(), from.connects.end());
  into.remarks.insert(from.remarks.begin(), from.remarks.end());
  if (into.command.empty()) into.command = from.command;
  into.notifications += from.notifications;
  into.runs += from.runs;
  into.seconds = std::max(into.seconds, from.seconds);
  into.target_started = into.target_started || from.target_started;
}

LearnObservations observations_of_draft(const Policy& draft, std::vector<std::string>& warnings) {
  LearnObservations obs;
  obs.runs = 1;
  obs.target_started = true;
  if (draft.exec.command) obs.command = draft.exec.command->value;
  const auto where = [](const SourcePos& pos) {
    return pos.file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
  };
  const auto value_of = [](const ArgValue& value) -> std::optional<uint64_t> {
    if (value.number) return value.number;
    auto evaluated = evaluate_constant_expression(value.symbol);
    return evaluated ? std::optional<uint64_t>(*evaluated) : std::nullopt;
  };
  for (const LocatedString& entry : draft.seccomp.allow) {
    if (entry.value.starts_with("@")) {
      if (auto members = expand_syscall_group(entry.value)) {
        for (const std::string_view member : *members)
          obs.syscalls[std::string(member)];
      }
    } else {
      obs.syscalls[entry.value];
    }
  }
  for (const SeccompRule& rule : draft.seccomp.rules) {
    const std::string& name = rule.syscall.value;
    if (rule.action.value != "allow" && !rule.action.value.empty()) continue;
    const auto args = [&](unsigned index, std::string_view op) -> std::optional<uint64_t> {
      for (const SeccompArg& a : rule.args) {
        if (a.index.value == index && a.op.value == op) return value_of(a.value);
      }
      return std::nullopt;
    };
    bool read = false;
    if (rule.args.empty()) {
      read = true;
    } else if (name == "socket" && rule.args.size() == 2) {
      const auto domain = args(0, "eq");
      const auto type = args(1, "masked-eq");
      if (domain && type) obs.sockets.insert({*domain, *type}), read = true;
    } else if (name == "clone" && rule.args.size() == 1) {
      if (const auto bits = args(0, "masked-eq")) {
        const SeccompArg& a = rule.args.front();
        const std::optional<uint64_t> mask = a.mask ? value_of(*a.mask) : std::nullopt;
        if (mask && (*mask & kCloneKind) == kCloneKind) {
          obs.clone_flags.insert(*bits);
        } else {
          // A draft of an earlier harden learn tested only namespace bits: each kind then.
          for (const uint64_t kind : {uint64_t{0}, uint64_t{CLONE_VM}, kCloneKind})
            obs.clone_flags.insert(*bits | kind);
        }
        read = true;
      }
    } else if (name == "unshare" && rule.args.size() == 1) {
      if (const auto bits = args(0, "masked-eq")) obs.unshare_namespaces.insert(*bits), read = true;
    } else if (name == "ioctl" && rule.args.size() == 1) {
      if (const auto request = args(1, "eq")) obs.ioctl_requests.insert(*request), read = true;
    } else if ((name == "prctl" || name == "personality") && rule.args.size() == 1) {
      if (const auto value = args(0, "eq")) {
        (name == "prctl" ? obs.prctl_options : obs.personalities).insert(*value);
        read = true;
      }
    }
    if (read) {
      obs.syscalls[name];
    } else {
      warnings.push_back(where(rule.pos) + ": this [[seccomp.rule]] for " + name +
                         " is not one harden learn writes; it is left out of the merged draft "
                         "(add it again by hand)");
    }
  }
  for (const LocatedString& path : draft.landlock.read)
    obs.paths[path.value] |= learn_access::kRead;
  for (const LocatedString& path : draft.landlock.write)
    obs.paths[path.value] |= learn_access::kWrite;
  for (const LocatedString& path : draft.landlock.execute)
    obs.paths[path.value] |= learn_access::kExecute;
  for (const LocatedString& path : draft.landlock.refer)
    obs.paths[path.value] |= learn_access::kReferIn;
  std::set<uint16_t> connect_ports;
  if (draft.landlock.bind_tcp) {
    for (const auto& port : *draft.landlock.bind_tcp)
      obs.binds.insert({"tcp", "", static_cast<uint16_t>(port.value)});
  }
  if (draft.landlock.connect_tcp) {
    for (const auto& port : *draft.landlock.connect_tcp)
      connect_ports.insert(static_cast<uint16_t>(port.value));
  }
  for (const NetworkAllow& allow : draft.network.allow) {
    const std::string protocol = allow.protocol ? allow.protocol->value : "";
    if (protocol != "tcp" && protocol != "udp") continue;
    for (const LocatedString& port_text : allow.ports) {
      const auto port = static_cast<uint16_t>(std::strtoul(port_text.value.c_str(), nullptr, 10));
      if (allow.direction.value == "ingress") {
        obs.binds.insert({protocol, "", port});
        continue;
      }
      if (protocol == "tcp") connect_ports.erase(port);
      if (allow.addresses.empty()) obs.connects.insert({protocol, "", port});
      for (const LocatedString& address : allow.addresses)
        obs.connects.insert({protocol, address.value, port});
    }
  }
  for (const uint16_t port : connect_ports)
    obs.connects.insert({"tcp", "", port});
  return obs;
}

}  // namespace harden
