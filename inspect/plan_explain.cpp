#include "inspect/plan_explain.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <map>
#include <set>

#include "compiler/syscall_groups.hpp"
#include "inspect/plan_check.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/landlock_abi.hpp"
#include "plan/nft_script.hpp"
#include "plan/plan_io.hpp"

namespace harden::inspect {

using nlohmann::json;

namespace {

constexpr int kMaxSyscall = 1023;

// A number inside the native table that names no syscall (x86_64 has none from 335 to 423):
// the filter gives it the default action. Numbers above the table get ENOSYS instead (calls
// newer than the filter), so they cannot tell the default.
int unnamed_syscall() {
  int highest = 0;
  for (int nr = 0; nr <= kMaxSyscall; ++nr) {
    if (!syscall_name(nr).empty()) highest = nr;
  }
  for (int nr = 0; nr < highest; ++nr) {
    if (syscall_name(nr).empty()) return nr;
  }
  return highest + 1;
}

std::string where(const PlanOrigin& origin) {
  if (origin.file.empty() || origin.line == 0) return {};
  return origin.file + ":" + std::to_string(origin.line) + ":" + std::to_string(origin.column);
}

json origin_json(const PlanOrigin& origin) {
  if (origin.file.empty() || origin.line == 0) return nullptr;
  return {{"file", origin.file}, {"line", origin.line}, {"column", origin.column}};
}

class CompiledFilterDecisions final : public SeccompDecisionSource {
 public:
  explicit CompiledFilterDecisions(const PlanData& plan)
      : plan_(plan), unnamed_(unnamed_syscall()) {
    // The constants the program compares arguments with (or masks them by): trying each one
    // finds the calls whose fate depends on their arguments. A linear scan that remembers
    // what the accumulator was last loaded from is enough for the compiler's programs.
    constexpr uint32_t kArgsOffset = offsetof(seccomp_data, args);
    bool holds_argument = false;
    for (const sock_filter& insn : plan.seccomp.program) {
      if (BPF_CLASS(insn.code) == BPF_LD) holds_argument = insn.k >= kArgsOffset;
      const bool compares = BPF_CLASS(insn.code) == BPF_JMP && BPF_SRC(insn.code) == BPF_K &&
                            BPF_OP(insn.code) != BPF_JA;
      const bool masks = BPF_CLASS(insn.code) == BPF_ALU && BPF_SRC(insn.code) == BPF_K;
      if (holds_argument && (compares || masks)) constants_.insert(insn.k);
    }
  }

  SyscallDecision default_decision() const override {
    SyscallDecision d;
    d.nr = -1;
    d.name = "(every other call)";
    d.action = plan_.seccomp.enabled ? describe_seccomp_action(evaluate(unnamed_, {}))
                                     : std::string("allow");
    d.decided_by = plan_.seccomp.enabled ? "default_action" : "no [seccomp] section";
    d.origin = plan_.seccomp.default_action_origin;
    return d;
  }

  std::vector<SyscallDecision> decisions() const override {
    std::vector<SyscallDecision> out;
    if (!plan_.seccomp.enabled) return out;
    const uint32_t default_action = evaluate(unnamed_, {});
    for (int nr = 0; nr <= kMaxSyscall; ++nr) {
      const std::string name = syscall_name(nr);
      if (name.empty()) continue;
      std::set<uint32_t> actions{evaluate(nr, {})};
      for (const uint32_t c : constants_) {
        for (unsigned arg = 0; arg < 6; ++arg) {
          std::array<uint64_t, 6> args{};
          args[arg] = c;
          actions.insert(evaluate(nr, args));
        }
        actions.insert(evaluate(nr, {c, c, c, c, c, c}));
      }
      const SeccompOrigin* origin = find_origin(static_cast<uint32_t>(nr));
      if (actions.size() == 1 && *actions.begin() == default_action && !origin) continue;
      SyscallDecision d;
      d.nr = nr;
      d.name = name;
      d.conditional = actions.size() > 1;
      for (const uint32_t action : actions)
        d.action += (d.action.empty() ? "" : " or ") + describe_seccomp_action(action);
      if (origin) {
        d.decided_by = origin->what;
        d.origin = origin->origin;
      } else if (in_default_group(name)) {
        d.decided_by = "@default (every harden filter allows it)";
      } else if (actions.contains(SECCOMP_RET_ALLOW)) {
        d.decided_by = "the allow list (a sealed plan keeps no allow entry's line)";
      } else {
        d.decided_by = "harden's filter (no policy line)";
      }
      out.push_back(std::move(d));
    }
    return out;
  }

 private:
  uint32_t evaluate(int nr, std::array<uint64_t, 6> args) const {
    const auto action = evaluate_seccomp_program(plan_.seccomp.program,
                                                 make_seccomp_data(plan_.audit_arch, nr, args));
    return action ? (*action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO
                        ? *action
                        : (*action & SECCOMP_RET_ACTION_FULL)
                  : SECCOMP_RET_KILL_PROCESS;
  }

  const SeccompOrigin* find_origin(uint32_t nr) const {
    for (const SeccompOrigin& origin : plan_.seccomp.origins) {
      if (origin.nr == nr) return &origin;
    }
    return nullptr;
  }

  static bool in_default_group(const std::string& name) {
    static const std::vector<std::string_view> members =
        expand_syscall_group(kDefaultSyscallGroup).value_or(std::vector<std::string_view>{});
    return std::find(members.begin(), members.end(), name) != members.end();
  }

  const PlanData& plan_;
  const int unnamed_;
  std::set<uint32_t> constants_;
};

std::string compare_text(const SeccompCompare& c) {
  static constexpr const char* kOps[] = {"==", "!=", "<", "<=", ">", ">="};
  char text[96];
  if (c.op == SeccompCompare::Op::masked_eq && c.mask == 0xffffffffULL) {
    // The 32-bit comparison of an int argument: the low half only, as the kernel's int.
    std::snprintf(text, sizeof text, "(u32)arg%u == %#llx", c.index,
                  static_cast<unsigned long long>(c.value));
  } else if (c.op == SeccompCompare::Op::masked_eq) {
    std::snprintf(text, sizeof text, "arg%u & %#llx == %#llx", c.index,
                  static_cast<unsigned long long>(c.mask),
                  static_cast<unsigned long long>(c.value));
  } else {
    std::snprintf(text, sizeof text, "arg%u %s %#llx", c.index, kOps[static_cast<int>(c.op)],
                  static_cast<unsigned long long>(c.value));
  }
  return text;
}

// The compiler's decision model, as it stands: each call it lists with every case, in the
// order the filter checks them, and the line behind each.
class ModelDecisions final : public SeccompDecisionSource {
 public:
  explicit ModelDecisions(const SeccompModel& model) : model_(model) {}

  SyscallDecision default_decision() const override {
    SyscallDecision d;
    d.nr = -1;
    d.name = "(every other call)";
    d.action = model_.enabled ? describe_seccomp_action(model_.default_action) : "allow";
    d.decided_by = model_.enabled ? "default_action" : "no [seccomp] section";
    d.origin = model_.enabled ? model_.default_why.origin : PlanOrigin{};
    return d;
  }

  std::vector<SyscallDecision> decisions() const override {
    std::vector<SyscallDecision> out;
    if (!model_.enabled) return out;
    for (const harden::SyscallDecision& call : model_.calls) {
      if (call.native_nr < 0) continue;  // another architecture's call only
      SyscallDecision d;
      d.nr = call.native_nr;
      d.name = call.name;
      std::set<uint32_t> actions;
      for (const uint32_t action : call.reachable_actions())
        actions.insert(action);
      for (const uint32_t action : actions)
        d.action += (d.action.empty() ? "" : " or ") + describe_seccomp_action(action);
      d.conditional = actions.size() > 1;
      bool hidden = false;  // a case that always holds hides what follows it
      for (const SeccompCase& c : call.cases) {
        std::string when;
        for (const SeccompCompare& cmp : c.all_of)
          when += (when.empty() ? "" : " && ") + compare_text(cmp);
        d.cases.push_back({when, describe_seccomp_action(c.action), c.why.what, c.why.origin});
        if (c.all_of.empty()) {
          hidden = true;
          break;
        }
      }
      if (!hidden) {
        d.cases.push_back({d.cases.empty() ? "" : "otherwise",
                           describe_seccomp_action(call.otherwise), call.otherwise_why.what,
                           call.otherwise_why.origin});
      }
      // The line to name first: the one behind the allowing answer, else the first case's.
      const SyscallCaseText* lead = &d.cases.front();
      for (const SyscallCaseText& c : d.cases) {
        if (c.action == "allow" && !c.decided_by.empty()) {
          lead = &c;
          break;
        }
      }
      d.decided_by = lead->decided_by;
      d.origin = lead->origin;
      out.push_back(std::move(d));
    }
    std::ranges::sort(out, {}, &SyscallDecision::nr);
    return out;
  }

 private:
  const SeccompModel& model_;
};

std::string view_kind(ViewKind kind) {
  switch (kind) {
    case ViewKind::bind:
      return "bind";
    case ViewKind::dev_bind:
      return "device";
    case ViewKind::tmpfs:
      return "tmpfs";
    case ViewKind::proc:
      return "proc";
    case ViewKind::devpts:
      return "devpts";
    case ViewKind::mqueue:
      return "mqueue";
    case ViewKind::remount_ro:
      return "read-only";
    case ViewKind::mask:
      return "masked";
    case ViewKind::symlink:
      return "symlink";
  }
  return "?";
}

std::string yes(bool value) {
  return value ? "yes" : "no";
}

// The ruleset as a launch installs it: the plan digest in the table's comment filled in (the
// one `harden status` shows), and for scope "cgroup" on harden's own launch cgroup a readable
// stand-in for the match only the launch knows.
std::string launch_ruleset(const NetworkPlan& network) {
  const std::string launch_match =
      network.launch_cgroup ? "socket cgroupv2 level N \"<harden's launch cgroup>\" " : "";
  return nft_launch_ruleset(network.ruleset, launch_match).text;
}

}  // namespace

std::unique_ptr<SeccompDecisionSource> decisions_from_model(const SeccompModel& model) {
  return std::make_unique<ModelDecisions>(model);
}

std::unique_ptr<SeccompDecisionSource> decisions_from_filter(const PlanData& plan) {
  return std::make_unique<CompiledFilterDecisions>(plan);
}

std::string landlock_access_names(uint64_t access) {
  namespace ll = landlock_abi;
  static constexpr std::pair<uint64_t, const char*> kNames[] = {
      {ll::kFsExecute, "execute"},      {ll::kFsWriteFile, "write_file"},
      {ll::kFsReadFile, "read_file"},   {ll::kFsReadDir, "read_dir"},
      {ll::kFsRemoveDir, "remove_dir"}, {ll::kFsRemoveFile, "remove_file"},
      {ll::kFsMakeChar, "make_char"},   {ll::kFsMakeDir, "make_dir"},
      {ll::kFsMakeReg, "make_reg"},     {ll::kFsMakeSock, "make_sock"},
      {ll::kFsMakeFifo, "make_fifo"},   {ll::kFsMakeBlock, "make_block"},
      {ll::kFsMakeSym, "make_sym"},     {ll::kFsRefer, "refer"},
      {ll::kFsTruncate, "truncate"},    {ll::kFsIoctlDev, "ioctl_dev"}};
  std::string text;
  for (const auto& [bit, name] : kNames) {
    if (access & bit) text += (text.empty() ? "" : ",") + std::string(name);
  }
  return text.empty() ? "none" : text;
}

json explain_plan_json(const PlanData& plan, const SeccompDecisionSource& seccomp,
                       const std::string& source) {
  json doc;
  doc["source"] = source;
  doc["policy"] = plan.policy_name;
  doc["policy_file"] = plan.policy_file;
  doc["architecture"] = audit_arch_name(plan.audit_arch);
  const CredentialsPlan& cred = plan.credentials;
  doc["identity"] = cred.change_ids ? json{{"uid", cred.uid},
                                           {"gid", cred.gid},
                                           {"supplementary_groups", cred.supplementary_groups}}
                                    : json{{"keeps_caller", true}};
  doc["no_new_privs"] = plan.no_new_privs;
  doc["capabilities"] = capability_list(plan.capabilities.keep);

  const SyscallDecision fallback = seccomp.default_decision();
  json calls = json::array();
  for (const SyscallDecision& d : seccomp.decisions()) {
    calls.push_back({{"nr", d.nr},
                     {"name", d.name},
                     {"action", d.action},
                     {"conditional", d.conditional},
                     {"decided_by", d.decided_by},
                     {"origin", origin_json(d.origin)}});
    if (!d.cases.empty()) {
      json cases = json::array();
      for (const SyscallCaseText& c : d.cases) {
        cases.push_back({{"when", c.when},
                         {"action", c.action},
                         {"decided_by", c.decided_by},
                         {"origin", origin_json(c.origin)}});
      }
      calls.back()["cases"] = std::move(cases);
    }
  }
  doc["seccomp"] = {{"enabled", plan.seccomp.enabled},
                    {"default_action", fallback.action},
                    {"default_origin", origin_json(fallback.origin)},
                    {"syscalls", std::move(calls)}};

  const FilesystemPlan& fs = plan.filesystem;
  json view = json::array();
  for (const ViewMount& m : fs.view) {
    view.push_back({{"kind", view_kind(m.kind)},
                    {"target", m.target},
                    {"source", m.source},
                    {"read_only", m.read_only},
                    {"noexec", m.noexec},
                    {"origin", origin_json(m.origin)}});
  }
  doc["filesystem"] = {{"root", fs.constructed_root ? "constructed"
                                : fs.chroot.empty() ? "host"
                                                    : "chroot"},
                       {"chroot", fs.chroot},
                       {"view", std::move(view)}};
  const NamespacesPlan& ns = plan.namespaces;
  doc["namespaces"] = {{"user", ns.user}, {"mount", ns.mount},      {"ipc", ns.ipc},
                       {"uts", ns.uts},   {"net", ns.net},          {"cgroup", ns.cgroup},
                       {"pid", ns.pid},   {"hostname", ns.hostname}};
  const LandlockPlan& ll = plan.landlock;
  json paths = json::array();
  for (const LandlockPathRule& rule : ll.paths) {
    paths.push_back({{"path", rule.path},
                     {"access", landlock_access_names(rule.access)},
                     {"origin", origin_json(rule.origin)}});
  }
  doc["landlock"] = {{"enabled", ll.enabled},
                     {"restrict_fs", ll.restrict_fs},
                     {"exec_lock_total", exec_lock_total(ll)},
                     {"paths", std::move(paths)},
                     {"bind_tcp", ll.restrict_bind ? json(ll.bind_tcp) : json(nullptr)},
                     {"connect_tcp", ll.restrict_connect ? json(ll.connect_tcp) : json(nullptr)},
                     {"scopes", ll.scopes},
                     {"origin", origin_json(ll.origin)}};
  json limits = json::array();
  for (const ResourceLimit& l : plan.limits)
    limits.push_back({{"resource", rlimit_name(l.resource)}, {"soft", l.soft}, {"hard", l.hard}});
  doc["limits"] = std::move(limits);
  doc["environment"] = {{"clear", plan.environment.clear},
                        {"keep", plan.environment.keep},
                        {"set", plan.environment.set}};
  doc["firewall"] = plan.network.enabled ? json{{"table", plan.network.table},
                                                {"ruleset", launch_ruleset(plan.network)}}
                                         : json(nullptr);
  return doc;
}

std::string explain_plan_text(const PlanData& plan, const SeccompDecisionSource& seccomp,
                              const std::string& source) {
  std::string out;
  auto line = [&](const std::string& text) { out += text + "\n"; };
  auto at = [](const PlanOrigin& origin) {
    const std::string w = where(origin);
    return w.empty() ? std::string() : "  (" + w + ")";
  };
  line("policy '" + plan.policy_name + "' from " + source + ", for " +
       audit_arch_name(plan.audit_arch));
  const CredentialsPlan& cred = plan.credentials;
  if (cred.change_ids) {
    std::string groups;
    for (const gid_t g : cred.supplementary_groups)
      groups += (groups.empty() ? "" : ",") + std::to_string(g);
    line("identity: uid " + std::to_string(cred.uid) + ", gid " + std::to_string(cred.gid) +
         ", supplementary groups: " + (groups.empty() ? "none" : groups));
  } else {
    line("identity: the caller's user and groups");
  }
  line("no_new_privs: " + yes(plan.no_new_privs));
  line("capabilities kept: " + capability_list(plan.capabilities.keep));

  const SyscallDecision fallback = seccomp.default_decision();
  line("seccomp: every call not listed below: " + fallback.action + " (" + fallback.decided_by +
       ")" + at(fallback.origin));
  for (const SyscallDecision& d : seccomp.decisions()) {
    char row[160];
    std::snprintf(row, sizeof row, "  %-22s %-28s ", d.name.c_str(),
                  (d.conditional ? "by argument: " + d.action : d.action).c_str());
    line(row + d.decided_by + at(d.origin));
    if (d.cases.size() > 1) {
      for (const SyscallCaseText& c : d.cases) {
        line("      " + (c.when.empty() ? std::string("always") : c.when) + ": " + c.action + ", " +
             c.decided_by + at(c.origin));
      }
    }
  }

  const FilesystemPlan& fs = plan.filesystem;
  line(std::string("filesystem: ") + (fs.constructed_root ? "a constructed root holding only:"
                                      : fs.chroot.empty() ? "the host's root"
                                                          : "chroot " + fs.chroot));
  for (const ViewMount& m : fs.view) {
    std::string text = "  " + view_kind(m.kind) + " " + m.target;
    if (!m.source.empty() && m.source != m.target) text += " <- " + m.source;
    if (m.read_only) text += " ro";
    if (m.noexec) text += " noexec";
    line(text + at(m.origin));
  }
  const NamespacesPlan& ns = plan.namespaces;
  std::string private_ns;
  const std::pair<const char*, bool> namespaces[] = {
      {"user", ns.user}, {"mount", ns.mount},   {"ipc", ns.ipc}, {"uts", ns.uts},
      {"net", ns.net},   {"cgroup", ns.cgroup}, {"pid", ns.pid}};
  for (const auto& [name, on] : namespaces) {
    if (on) private_ns += (private_ns.empty() ? "" : ", ") + std::string(name);
  }
  line("private namespaces: " + (private_ns.empty() ? std::string("none") : private_ns));
  const LandlockPlan& ll = plan.landlock;
  if (!ll.enabled) {
    line("landlock: off");
  } else {
    line(std::string("landlock: ") +
         (ll.restrict_fs ? "file system restricted" : "file system open") +
         (exec_lock_total(ll) ? ", total exec lock" : "") + at(ll.origin));
    for (const LandlockPathRule& rule : ll.paths)
      line("  " + rule.path + ": " + landlock_access_names(rule.access) + at(rule.origin));
    if (ll.restrict_bind) line("  bind tcp: " + json(ll.bind_tcp).dump());
    if (ll.restrict_connect) line("  connect tcp: " + json(ll.connect_tcp).dump());
  }
  for (const ResourceLimit& l : plan.limits) {
    line("limit " + rlimit_name(l.resource) + ": soft " + std::to_string(l.soft) + ", hard " +
         std::to_string(l.hard));
  }
  line(std::string("environment: ") + (plan.environment.clear ? "cleared" : "inherited") +
       ", keep " + json(plan.environment.keep).dump() + ", set " +
       json(plan.environment.set).dump());
  if (plan.network.enabled) {
    line("firewall: nftables table inet " + plan.network.table + ":");
    const std::string ruleset = launch_ruleset(plan.network);
    out += ruleset;
    if (!ruleset.ends_with('\n')) out += "\n";
  } else {
    line("firewall: none");
  }
  return out;
}

std::expected<json, std::string> explain_group_json(std::string_view name) {
  const SyscallGroup* group = find_syscall_group(name);
  if (!group)
    return std::unexpected(std::string("unknown syscall group '") + std::string(name) + "'");
  json doc;
  doc["name"] = group->name;
  doc["help"] = group->help;
  json syscalls = json::array(), nested = json::array(), conditions = json::array();
  for (const std::string_view member : group->members)
    (member.starts_with('@') ? nested : syscalls).push_back(member);
  for (const SyscallCondition& c : group->conditions) {
    json check = {{"index", c.check.index}, {"op", c.check.op}, {"value", c.check.value}};
    if (!c.check.mask.empty()) check["mask"] = c.check.mask;
    conditions.push_back(
        {{"syscall", c.syscall},
         {"kind", c.kind == SyscallCondition::Kind::allow_only ? "allow-only" : "refuse"},
         {"check", std::move(check)},
         {"why", c.why}});
  }
  doc["syscalls"] = std::move(syscalls);
  doc["groups"] = std::move(nested);
  doc["conditions"] = std::move(conditions);
  auto expanded = expand_syscall_group(name);
  if (!expanded) return std::unexpected(expanded.error());
  doc["expanded"] = *expanded;
  return doc;
}

std::string explain_group_text(const json& group) {
  std::string out =
      group["name"].get<std::string>() + ": " + group["help"].get<std::string>() + "\n";
  auto list = [&](const char* title, const json& items) {
    if (items.empty()) return;
    out += std::string(title) + "\n";
    std::string row = " ";
    for (const json& item : items) {
      const std::string word = " " + item.get<std::string>();
      if (row.size() + word.size() > 78) {
        out += row + "\n";
        row = " ";
      }
      row += word;
    }
    out += row + "\n";
  };
  list("groups it includes:", group["groups"]);
  list("syscalls it names:", group["syscalls"]);
  for (const json& c : group["conditions"]) {
    const json& check = c["check"];
    out += "conditional: " + c["syscall"].get<std::string>() + " " + c["kind"].get<std::string>() +
           " when arg" + std::to_string(check["index"].get<unsigned>()) + " " +
           check["op"].get<std::string>() + " " + check["value"].get<std::string>() +
           (check.contains("mask") ? " (mask " + check["mask"].get<std::string>() + ")" : "") +
           ": " + c["why"].get<std::string>() + "\n";
  }
  list(("all " + std::to_string(group["expanded"].size()) + " syscalls, nested groups expanded:")
           .c_str(),
       group["expanded"]);
  return out;
}

}  // namespace harden::inspect
