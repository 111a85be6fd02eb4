// `harden export --format systemd`: a unit drop-in, as a wrapper (ExecStart through harden)
// or natively (systemd.exec(5) directives). The native translation never grants more than
// the policy: a directive is emitted when the policy already forbids what it forbids (so it
// cannot change what the service may do, only add a second wall), and everything systemd
// cannot say exactly is left stricter or listed as missing.
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <set>
#include <string_view>

#include "export/export.hpp"
#include "export/seccomp_view.hpp"
#include "plan/landlock_abi.hpp"

namespace harden {

namespace {

// systemd.syntax(7): a word with blanks or quotes is double-quoted; '\' and '"' escaped;
// '%' (specifiers) and '$' (variable expansion) doubled so they reach the program as typed.
std::string unit_quote(const std::string& word) {
  std::string out;
  bool quote = word.empty();
  for (const char c : word) {
    switch (c) {
      case '%':
        out += "%%";
        break;
      case '$':
        out += "$$";
        break;
      case '\\':
        out += "\\\\", quote = true;
        break;
      case '"':
        out += "\\\"", quote = true;
        break;
      case '\'':
        out += "\\'", quote = true;
        break;
      case '\n':
        out += "\\n", quote = true;
        break;
      case ' ':
      case '\t':
      case ';':
        out += c, quote = true;
        break;
      default:
        out += c;
    }
  }
  return quote ? "\"" + out + "\"" : out;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& arg : argv)
    line += (line.empty() ? "" : " ") + unit_quote(arg);
  return line;
}

std::string capability_name(int cap) {
  std::unique_ptr<char, decltype(&cap_free)> name(cap_to_name(cap), &cap_free);
  std::string upper = name ? name.get() : "cap_" + std::to_string(cap);
  std::ranges::transform(upper, upper.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper;
}

bool keeps(const PlanData& plan, int cap) {
  return (plan.capabilities.keep >> cap) & 1U;
}

struct LimitDirective {
  int resource;
  std::string_view directive;
};

constexpr std::array<LimitDirective, 16> kLimitDirectives{{
    {RLIMIT_AS, "LimitAS"},
    {RLIMIT_CORE, "LimitCORE"},
    {RLIMIT_CPU, "LimitCPU"},
    {RLIMIT_DATA, "LimitDATA"},
    {RLIMIT_FSIZE, "LimitFSIZE"},
    {RLIMIT_LOCKS, "LimitLOCKS"},
    {RLIMIT_MEMLOCK, "LimitMEMLOCK"},
    {RLIMIT_MSGQUEUE, "LimitMSGQUEUE"},
    {RLIMIT_NICE, "LimitNICE"},
    {RLIMIT_NOFILE, "LimitNOFILE"},
    {RLIMIT_NPROC, "LimitNPROC"},
    {RLIMIT_RSS, "LimitRSS"},
    {RLIMIT_RTPRIO, "LimitRTPRIO"},
    {RLIMIT_RTTIME, "LimitRTTIME"},
    {RLIMIT_SIGPENDING, "LimitSIGPENDING"},
    {RLIMIT_STACK, "LimitSTACK"},
}};

std::string limit_value(rlim_t value) {
  return value == RLIM_INFINITY ? "infinity" : std::to_string(value);
}

// seccomp architecture names (harden's, libseccomp's) to SystemCallArchitectures= words.
std::string systemd_architecture(const std::string& arch) {
  if (arch == "native") return "native";
  if (arch == "x86_64") return "x86-64";
  return arch;  // x86, x32, arm, ... are spelt alike
}

// Collects the lines of the drop-in and what could not be translated.
class DropIn {
 public:
  void line(std::string text) { lines_.push_back(std::move(text)); }
  void comment(std::string text) { lines_.push_back("# " + text); }
  void missing(Diagnostics& diags, const SourcePos& pos, const std::string& what) {
    missing_.push_back(what);
    diags.warning(pos, "no systemd equivalent: " + what,
                  "the --wrapper flavour enforces the whole policy");
  }
  std::string text(const std::string& header) const {
    std::string out = header;
    if (!missing_.empty()) {
      out += "#\n# NOT TRANSLATED (no systemd equivalent; use --wrapper to enforce them):\n";
      for (const std::string& m : missing_)
        out += "#   - " + m + "\n";
    }
    out += "\n[Service]\n";
    for (const std::string& l : lines_)
      out += l + "\n";
    return out;
  }

 private:
  std::vector<std::string> lines_;
  std::vector<std::string> missing_;
};

std::vector<std::string> command_of(const Policy& policy, const ExportOptions& options,
                                    Diagnostics& diags) {
  if (!options.command.empty()) return options.command;
  if (policy.exec.command) return policy.exec.command->value;
  diags.error({policy.file, 0, 0}, "no command to export: the policy has no [exec] command",
              "add one, or give it after --: harden export ... -- /usr/sbin/web");
  return {};
}

void cgroup_directives(const PlanData& plan, DropIn& unit) {
  const CgroupPlan& cgroup = plan.cgroup;
  if (cgroup.memory_max) unit.line("MemoryMax=" + std::to_string(*cgroup.memory_max));
  if (cgroup.pids_max) unit.line("TasksMax=" + std::to_string(*cgroup.pids_max));
  if (cgroup.cpu_quota_us) {
    // CPUQuota= is a percentage of one CPU; CPUQuotaPeriodSec= keeps the policy's period.
    const uint64_t percent =
        (*cgroup.cpu_quota_us * 100 + cgroup.cpu_period_us - 1) / cgroup.cpu_period_us;
    unit.line("CPUQuota=" + std::to_string(percent) + "%");
    unit.line("CPUQuotaPeriodSec=" + std::to_string(cgroup.cpu_period_us) + "us");
  }
}

// ---- --wrapper -----------------------------------------------------------------------------

std::string wrapper(const Policy& policy, const PlanData& plan, const ExportOptions& options,
                    const std::vector<std::string>& command) {
  DropIn unit;
  std::vector<std::string> argv{options.harden_path, "--policy", options.policy_path, "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  unit.comment("harden applies every layer itself, as root, then execs the target: the unit");
  unit.comment("must not drop those privileges first (no User=, NoNewPrivileges=,");
  unit.comment("CapabilityBoundingSet= or SystemCallFilter= of its own).");
  unit.line("ExecStart=");
  unit.line("ExecStart=" + command_line(argv));
  if (!plan.filesystem.chroot.empty() && plan.exec.pass_notify_socket) {
    // A classic chroot cannot reach /run/systemd/notify; systemd binds it into the jail
    // ('-': fine when the manager has no such socket).
    unit.comment("sd_notify() from inside the chroot needs the notify socket in the jail:");
    unit.line("BindPaths=-/run/systemd/notify:" + plan.filesystem.chroot + "/run/systemd/notify");
  }
  // [cgroup] inside a service: the unit's cgroup is systemd's (see [cgroup] systemd).
  if (plan.cgroup.wanted()) {
    if (plan.cgroup.under_systemd == CgroupPlan::UnderSystemd::kNest) {
      unit.comment("[cgroup] systemd = \"nest\": harden makes its cgroup below the unit's");
      unit.line("Delegate=yes");
    } else {
      if (plan.cgroup.under_systemd == CgroupPlan::UnderSystemd::kFail) {
        unit.comment("NOTE: [cgroup] systemd = \"fail\" (the default) stops harden inside a unit;");
        unit.comment("set systemd = \"leave\" in the policy to use the limits below instead.");
      }
      unit.comment("the policy's [cgroup] limits, applied by systemd to the unit's cgroup");
      cgroup_directives(plan, unit);
    }
  }
  if (!plan.exec.pass_notify_socket) {
    unit.comment("[exec] pass_notify_socket = false: Type=notify cannot work");
    unit.line("NotifyAccess=none");
  }
  if (plan.exec.pass_notify_socket && (plan.namespaces.pid || exec_lock_total(plan.landlock))) {
    // harden stays as the target's supervisor, so the target is not the unit's main process
    // and NotifyAccess=main would drop its READY=1; signals still reach it through harden.
    unit.comment("harden stays as the target's supervisor (PID namespace or the total exec lock):");
    unit.comment("the target's sd_notify() comes from a child of the main process");
    unit.line("NotifyAccess=all");
  }
  // Otherwise harden execs the target in its own process, so the target is the unit's main
  // process: the default NotifyAccess=main accepts its READY=1, systemctl's signals reach it
  // directly, and the exit status systemd records is the target's.
  (void)policy;
  return unit.text("# harden export --format systemd --wrapper: policy '" + plan.policy_name +
                   "'\n# Install as /etc/systemd/system/UNIT.service.d/harden.conf, then run\n"
                   "# systemctl daemon-reload. Works for Type=simple, exec and notify.\n");
}

// ---- --native ------------------------------------------------------------------------------

// The syscalls systemd's seccomp code needs to translate: what is allowed whatever the
// arguments, plus socket() when the policy filters only its address family.
struct SyscallTranslation {
  std::vector<std::string> allow;
  std::vector<std::string> families;  // RestrictAddressFamilies= (empty: not restricted)
  bool no_sockets = false;            // socket() not allowed at all
};

std::string family_name(uint64_t value) {
  static const std::map<uint64_t, std::string> kFamilies{
      {1, "AF_UNIX"},    {2, "AF_INET"},      {10, "AF_INET6"}, {16, "AF_NETLINK"},
      {17, "AF_PACKET"}, {38, "AF_ALG"},      {40, "AF_VSOCK"}, {44, "AF_XDP"},
      {4, "AF_IPX"},     {5, "AF_APPLETALK"}, {9, "AF_X25"},    {31, "AF_BLUETOOTH"}};
  const auto it = kFamilies.find(value);
  return it == kFamilies.end() ? "" : it->second;
}

bool allows(const SeccompView& view, const std::string& name) {
  if (!view.enabled || view.default_action == "allow") return true;
  if (std::ranges::binary_search(view.allowed, name)) return true;
  return std::ranges::any_of(view.rules, [&](const SeccompRuleView& r) {
    return r.syscall == name && r.action == "allow";
  });
}

constexpr uint64_t kNamespaceFlags = 0x7E020080;  // NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|
                                                  // NEWPID|NEWNET|NEWTIME
constexpr uint64_t kCloneNamespaceFlags = kNamespaceFlags & ~0x80ULL;  // NEWTIME is CSIGNAL's

// An allow rule that lets the call through only with every namespace flag clear.
bool namespace_masked(const SeccompRuleView& rule, uint64_t flags) {
  return rule.action == "allow" && std::ranges::any_of(rule.args, [&](const SeccompArgView& a) {
           return a.index == 0 && a.op == "masked-eq" && (a.mask & flags) == flags &&
                  (a.value & kNamespaceFlags) == 0;
         });
}

// An allow rule for personality's query (0xffffffff) or PER_LINUX (0) only.
bool persona_query(const SeccompRuleView& rule) {
  return rule.action == "allow" && rule.args.size() == 1 && rule.args[0].index == 0 &&
         rule.args[0].op == "eq" && !rule.args[0].width64 &&
         (rule.args[0].value == 0 || rule.args[0].value == 0xffffffffu);
}

// The call is allowed only by rules, and every one of them passes `ok`.
template <typename Ok>
bool only_rules_that(const SeccompView& view, const std::string& name, Ok ok) {
  if (std::ranges::binary_search(view.allowed, name)) return false;
  return std::ranges::all_of(view.rules,
                             [&](const SeccompRuleView& r) { return r.syscall != name || ok(r); });
}

// RestrictNamespaces=yes is implied when the filter lets no namespace be made or joined:
// setns and clone3 not allowed, and clone and unshare not allowed or allowed only with the
// CLONE_NEW* flags masked to zero (as Docker's profile and @service do).
bool filter_restricts_namespaces(const SeccompView& view) {
  if (!view.enabled || view.default_action == "allow") return false;
  for (const char* name : {"setns", "clone3"}) {
    if (allows(view, name)) return false;
  }
  return only_rules_that(
             view, "clone",
             [](const SeccompRuleView& r) { return namespace_masked(r, kCloneNamespaceFlags); }) &&
         only_rules_that(view, "unshare", [](const SeccompRuleView& r) {
           return namespace_masked(r, kNamespaceFlags);
         });
}

// LockPersonality=yes is implied when personality() cannot change the persona.
bool filter_locks_personality(const SeccompView& view) {
  return view.enabled && view.default_action != "allow" &&
         only_rules_that(view, "personality", persona_query);
}

SyscallTranslation translate_syscalls(const SeccompView& view, DropIn& unit, Diagnostics& diags) {
  SyscallTranslation out;
  out.allow = view.allowed;
  std::map<std::string, std::vector<const SeccompRuleView*>> conditional;
  for (const SeccompRuleView& rule : view.rules)
    conditional[rule.syscall].push_back(&rule);
  for (const auto& [name, rules] : conditional) {
    const bool socket_families =
        name == "socket" && std::ranges::all_of(rules, [](const SeccompRuleView* r) {
          return r->action == "allow" && r->args.size() == 1 && r->args[0].index == 0 &&
                 r->args[0].op == "eq" && !family_name(r->args[0].value).empty();
        });
    if (socket_families) {
      for (const SeccompRuleView* r : rules)
        out.families.push_back(family_name(r->args[0].value));
      out.allow.push_back("socket");
      continue;
    }
    // Conditions systemd has a directive for, which implied_directives() then emits: clone
    // and unshare without namespace flags (RestrictNamespaces=yes), personality only for the
    // query or PER_LINUX (LockPersonality=yes).
    const bool by_directive =
        ((name == "clone" || name == "unshare") && filter_restricts_namespaces(view)) ||
        (name == "personality" && filter_locks_personality(view));
    if (by_directive) {
      out.allow.push_back(name);
      continue;
    }
    // Fail closed: systemd cannot filter arguments, so the call is left out (denied).
    unit.missing(
        diags, rules.front()->pos,
        "argument conditions on '" + name + "' (the native unit denies '" + name + "' altogether)");
  }
  if (!std::ranges::binary_search(view.allowed, std::string("socket")) &&
      !conditional.contains("socket")) {
    out.no_sockets = true;
  }
  std::ranges::sort(out.allow);
  return out;
}

void seccomp_directives(const Policy& policy, const SeccompView& view, DropIn& unit,
                        Diagnostics& diags, SyscallTranslation& syscalls) {
  const SourcePos& pos =
      policy.seccomp.default_action ? policy.seccomp.default_action->pos : policy.seccomp.pos;
  if (view.default_action == "allow") {
    // Deny-list mode: each conditional restriction denies its whole call (fail closed).
    std::set<std::string> denied;
    for (const SeccompRuleView& rule : view.rules)
      denied.insert(rule.syscall);
    if (!view.rules.empty()) {
      std::string line = "SystemCallFilter=~";
      for (const std::string& name : denied)
        line += name + " ";
      line.pop_back();
      unit.line(line);
    }
    for (const SeccompRuleView& rule : view.rules) {
      if (!rule.args.empty()) {
        unit.missing(diags, rule.pos,
                     "argument conditions on '" + rule.syscall + "' (denied altogether)");
      }
    }
  } else {
    syscalls = translate_syscalls(view, unit, diags);
    unit.comment("the policy's syscall allow list (@default is always allowed, as by harden)");
    std::string line;
    for (const std::string& name : syscalls.allow) {
      if (line.size() + name.size() > 90) {
        unit.line("SystemCallFilter=" + line);
        line.clear();
      }
      line += (line.empty() ? "" : " ") + name;
    }
    if (!line.empty()) unit.line("SystemCallFilter=" + line);
    // As in compiler/seccomp.cpp: a clone3 the policy does not decide answers ENOSYS. After an
    // allow list, systemd 252 takes "~NAME:ERRNO" as that call's answer (checked in
    // tests/kernel/test_systemd.cpp).
    const bool clone3_decided = std::ranges::binary_search(syscalls.allow, std::string("clone3")) ||
                                std::ranges::any_of(view.rules, [](const SeccompRuleView& r) {
                                  return r.syscall == "clone3";
                                });
    if (!clone3_decided) {
      unit.comment("clone3 answers ENOSYS, as under harden, so the C library falls back to clone");
      unit.line("SystemCallFilter=~clone3:ENOSYS");
    }
    const int errno_value = seccomp_action_errno(view.default_action);
    if (errno_value >= 0) {
      unit.line("SystemCallErrorNumber=" + view.default_action.substr(6));
    } else if (view.default_action != "kill-process") {
      unit.missing(diags, pos,
                   "default_action \"" + view.default_action +
                       "\" (systemd kills the process instead, which is stricter)");
    }
  }
  std::string archs;
  for (const std::string& arch : view.architectures) {
    archs += (archs.empty() ? "" : " ") + systemd_architecture(arch);
  }
  unit.line("SystemCallArchitectures=" + archs);
  if (view.log_denials) {
    unit.missing(diags, policy.seccomp.log_denials->pos,
                 "log_denials (SECCOMP_FILTER_FLAG_LOG); the audit log stays silent");
  }
}

std::optional<uid_t> uid_of(const PlanData& plan) {
  if (plan.credentials.change_ids) return plan.credentials.uid;
  return std::nullopt;  // the caller's uid: root under systemd
}

void identity_directives(const Policy& policy, const PlanData& plan, DropIn& unit,
                         Diagnostics& diags) {
  const IdentitySection& id = policy.identity;
  if (id.user) unit.line("User=" + id.user->value);
  if (id.group) unit.line("Group=" + id.group->value);
  if (id.user) {
    std::string groups;
    if (id.supplementary_groups) {
      for (const LocatedString& g : *id.supplementary_groups) {
        groups += (groups.empty() ? "" : " ") + g.value;
      }
    }
    unit.line("SupplementaryGroups=" + groups);
    // systemd also gives the user its /etc/group memberships (initgroups); harden gives
    // exactly the listed ones. No directive turns that off, so say which groups differ.
    if (const passwd* pw = getpwuid(plan.credentials.uid)) {
      int count = 64;
      std::vector<gid_t> member(static_cast<size_t>(count));
      if (getgrouplist(pw->pw_name, plan.credentials.gid, member.data(), &count) >= 0) {
        member.resize(static_cast<size_t>(count));
        std::string extra;
        for (const gid_t gid : member) {
          if (gid == plan.credentials.gid ||
              std::ranges::find(plan.credentials.supplementary_groups, gid) !=
                  plan.credentials.supplementary_groups.end()) {
            continue;
          }
          const group* gr = getgrgid(gid);
          extra +=
              (extra.empty() ? "" : ", ") + (gr ? std::string(gr->gr_name) : std::to_string(gid));
        }
        if (!extra.empty()) {
          unit.missing(diags, id.user->pos,
                       "supplementary groups exactly as listed: systemd adds the user's "
                       "/etc/group memberships (" +
                           extra + ")");
        }
      }
    }
  }
  unit.line(std::string("NoNewPrivileges=") + (plan.no_new_privs ? "yes" : "no"));
}

void capability_directives(const PlanData& plan, DropIn& unit) {
  std::string kept;
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (keeps(plan, cap)) kept += (kept.empty() ? "" : " ") + capability_name(cap);
  }
  unit.line("CapabilityBoundingSet=" + kept);
  unit.line("AmbientCapabilities=" + kept);
  // harden locks the same securebits (NO_CAP_AMBIENT_RAISE aside, which systemd cannot set;
  // the bounding set already caps what could be raised).
  unit.line(
      "SecureBits=noroot noroot-locked no-setuid-fixup no-setuid-fixup-locked "
      "keep-caps-locked");
}

// Directives whose restriction the policy already imposes through its user, capabilities
// and syscall filter: each comes with the reason it cannot narrow the service further.
void implied_directives(const PlanData& plan, const SeccompView& view,
                        const SyscallTranslation& syscalls, DropIn& unit) {
  const std::optional<uid_t> uid = uid_of(plan);
  const bool unprivileged_user = uid && *uid != 0 && !keeps(plan, CAP_DAC_OVERRIDE) &&
                                 !keeps(plan, CAP_FOWNER) && !keeps(plan, CAP_SYS_ADMIN);
  auto implied = [&](bool when, const std::string& directive, const std::string& because) {
    if (!when) return;
    unit.comment(because);
    unit.line(directive);
  };
  implied(!keeps(plan, CAP_SYS_MODULE), "ProtectKernelModules=yes",
          "loading modules needs CAP_SYS_MODULE, which the policy drops");
  implied(!keeps(plan, CAP_SYS_TIME) && !keeps(plan, CAP_WAKE_ALARM), "ProtectClock=yes",
          "setting clocks needs CAP_SYS_TIME, which the policy drops");
  // In a RootDirectory= (the policy's chroot) systemd 252 can apply these only after mounting
  // the host's /proc, /sys, /dev (devtmpfs) and a /run into the jail, and with MountAPIVFS=no
  // (which keeps the jail as harden shows it) the unit does not start. The jail has none of
  // those file systems, which protects what they protect more than the directives would.
  const bool jail = !plan.filesystem.chroot.empty();
  implied(!keeps(plan, CAP_SYS_ADMIN) && !jail, "ProtectHostname=yes",
          "sethostname() needs CAP_SYS_ADMIN, which the policy drops");
  implied(unprivileged_user && !keeps(plan, CAP_SYSLOG), "ProtectKernelLogs=yes",
          "the kernel log is root's and CAP_SYSLOG's; the policy's user has neither");
  implied(unprivileged_user && !jail, "ProtectKernelTunables=yes",
          "/proc/sys and /sys belong to root; the policy's user cannot write them");
  implied(unprivileged_user && !jail, "ProtectControlGroups=yes",
          "cgroupfs belongs to root; the policy's user cannot write it");
  if (jail && (unprivileged_user || !keeps(plan, CAP_SYS_ADMIN))) {
    unit.comment("no ProtectHostname=, ProtectKernelTunables=, ProtectControlGroups=,");
    unit.comment("ProtectProc=, ProcSubset= or PrivateUsers=: in a RootDirectory= systemd 252");
    unit.comment("needs /proc, /sys and /dev mounted in the jail for them, which harden's has not");
  }
  const bool rtprio_raised = std::ranges::any_of(plan.limits, [](const ResourceLimit& l) {
    return l.resource == RLIMIT_RTPRIO && l.soft > 0;
  });
  implied(!keeps(plan, CAP_SYS_NICE) && !rtprio_raised, "RestrictRealtime=yes",
          "realtime scheduling needs CAP_SYS_NICE or an RLIMIT_RTPRIO, neither given");
  implied(filter_locks_personality(view), "LockPersonality=yes",
          "the syscall filter does not allow personality() to change the persona");
  implied(filter_restricts_namespaces(view), "RestrictNamespaces=yes",
          "the syscall filter allows no setns, clone3, or clone and unshare with CLONE_NEW*");
  if (view.enabled && syscalls.no_sockets) {
    implied(true, "RestrictAddressFamilies=none", "the syscall filter does not allow socket()");
  } else if (!syscalls.families.empty()) {
    std::string families;
    for (const std::string& f : syscalls.families)
      families += (families.empty() ? "" : " ") + f;
    implied(true, "RestrictAddressFamilies=" + families,
            "the policy's socket() rules allow only these address families");
  }
}

// What the syscall filter leaves the target to do with paths, for the directives that hide or
// freeze parts of the file system: each is emitted only when the filter already forbids what
// it forbids. io_uring performs opens, writes and sockets without those syscalls, so a filter
// that allows io_uring_setup allows all of them. A call allowed with argument conditions
// counts as allowed.
struct PathFacts {
  bool opens = true;     // a path can be opened for reading or writing
  bool writes = true;    // something can be created, changed or removed through a path
  bool sets_ids = true;  // a mode with set-user-ID/set-group-ID can be given to a file
};

// `names`: syscall names separated by blanks.
bool allows_any(const SeccompView& view, std::string_view names) {
  if (allows(view, "io_uring_setup")) return true;
  while (!names.empty()) {
    const size_t end = std::min(names.find(' '), names.size());
    if (end > 0 && allows(view, std::string(names.substr(0, end)))) return true;
    names.remove_prefix(std::min(end + 1, names.size()));
  }
  return false;
}

PathFacts path_facts(const SeccompView& view) {
  PathFacts facts;
  if (!view.enabled || view.default_action == "allow") return facts;
  facts.opens = allows_any(view,
                           "bpf creat fanotify_mark inotify_add_watch open open_by_handle_at "
                           "open_tree openat openat2 uselib");
  facts.writes = allows_any(
      view,
      "bind chmod chown creat fchmodat fchmodat2 fchownat futimesat lchown link linkat "
      "lremovexattr lsetxattr mkdir mkdirat mknod mknodat open open_by_handle_at openat openat2 "
      "removexattr rename renameat renameat2 rmdir setxattr symlink symlinkat truncate unlink "
      "unlinkat utime utimensat utimes");
  // The calls RestrictSUIDSGID= filters (it refuses openat2 altogether).
  facts.sets_ids = allows_any(
      view,
      "chmod creat fchmod fchmodat fchmodat2 mkdir mkdirat mknod mknodat open openat openat2");
  return facts;
}

// Landlock's exec lock: the target may execute only itself (and its interpreter), so no other
// file of the view can be run either.
bool exec_locked(const PlanData& plan) {
  const LandlockPlan& landlock = plan.landlock;
  return landlock.enabled && landlock.restrict_fs && !landlock.best_effort &&
         std::ranges::none_of(landlock.paths, [](const LandlockPathRule& r) {
           return (r.access & landlock_abi::kFsExecute) != 0;
         });
}

bool under(const std::string& path, std::initializer_list<const char*> dirs) {
  return std::ranges::any_of(
      dirs, [&](const std::string dir) { return path == dir || path.starts_with(dir + "/"); });
}

// Directives that hide, replace or freeze parts of the view, implied when the target can
// neither open nor execute a file in it (or write through a path). They apply inside the
// RootDirectory= of a chroot. The target's own program and working directory must stay
// visible, so a directive that would hide them is left out.
void view_directives(const PlanData& plan, const SeccompView& view,
                     const std::vector<std::string>& command, DropIn& unit) {
  const PathFacts facts = path_facts(view);
  const std::string& program = command.front();
  const std::string& cwd = plan.exec.working_directory;
  auto keeps_visible = [&](std::initializer_list<const char*> dirs) {
    return !under(program, dirs) && !under(cwd, dirs);
  };
  // Hidden or replaced: what no call of the target could reach anyway.
  std::vector<std::string> hidden;
  if (!facts.opens && exec_locked(plan)) {
    if (keeps_visible({"/home", "/root", "/run/user"})) hidden.push_back("ProtectHome=yes");
    if (keeps_visible({"/tmp", "/var/tmp"})) hidden.push_back("PrivateTmp=yes");
    if (keeps_visible({"/dev"}) && !keeps(plan, CAP_SYS_RAWIO) && !keeps(plan, CAP_MKNOD)) {
      hidden.insert(hidden.end(), {"PrivateDevices=yes", "DevicePolicy=closed"});
    }
    // Not in a jail: there systemd would mount /proc into it first (see implied_directives()).
    if (plan.filesystem.chroot.empty() && keeps_visible({"/proc"})) {
      hidden.insert(hidden.end(), {"ProtectProc=invisible", "ProcSubset=pid"});
    }
  }
  if (!hidden.empty()) {
    unit.comment(
        "the filter allows no open() and the Landlock exec lock no other execve: no file of "
        "the view can be read, written or run, so hiding parts of it takes nothing");
    for (const std::string& line : hidden)
      unit.line(line);
  }
  if (!facts.writes) {
    unit.comment(
        "the filter allows no call that writes through a path (open, creat, mkdir, rename, "
        "unlink, chmod, ...)");
    unit.line("ProtectSystem=strict");
  }
  if (!facts.sets_ids) {
    unit.comment("the filter allows no chmod() and no call that creates a file");
    unit.line("RestrictSUIDSGID=yes");
  }
}

// Directives for what the policy's namespaces, user and memory rules already rule out.
void isolation_directives(const PlanData& plan, const SyscallTranslation& syscalls,
                          const SeccompView& view, DropIn& unit) {
  const NamespacesPlan& ns = plan.namespaces;
  if (!ns.mount && !keeps(plan, CAP_SYS_ADMIN)) {
    unit.comment(
        "mounting needs CAP_SYS_ADMIN, which the policy drops: no mount of the service could "
        "reach the host anyway");
    unit.line("PrivateMounts=yes");
  }
  if (plan.exec.memory_deny_write_execute) {
    unit.comment(
        "[exec] memory_deny_write_execute (harden: PR_SET_MDWE); systemd's filter also refuses "
        "mprotect(PROT_EXEC) of a mapping already executable");
    unit.line("MemoryDenyWriteExecute=yes");
  }
  // RemoveIPC= deletes, when the unit stops, every IPC object of the unit's user in the host's
  // namespace. With a private IPC namespace the service cannot leave one there, so for a user
  // of its own nothing is lost; for uid 65534 (nobody), which unrelated services share, it
  // would delete theirs, so it is left out.
  if (ns.ipc && uid_of(plan) && *uid_of(plan) != 0 && *uid_of(plan) != 65534) {
    unit.comment("the IPC namespace is private: the service leaves no IPC object on the host");
    unit.line("RemoveIPC=yes");
  }
  // In a RootDirectory= systemd 252 sets the user namespace up through the jail's /proc (see
  // implied_directives()).
  if (uid_of(plan) && *uid_of(plan) != 0 && plan.credentials.gid != 0 &&
      plan.capabilities.keep == 0 && plan.filesystem.chroot.empty()) {
    unit.comment(
        "the policy's user is not root and keeps no capability: a user namespace of its own "
        "takes nothing from it");
    unit.line("PrivateUsers=yes");
  }
  // IP traffic needs a socket of the service's own making (sockets systemd passes in are not
  // filtered by the unit's IPAddressDeny=).
  const bool no_sockets = view.enabled && syscalls.no_sockets && !allows(view, "socketcall") &&
                          !allows(view, "io_uring_setup");
  if (no_sockets) {
    unit.comment("the filter allows no socket(): the service can send no IP packet of its own");
    unit.line("IPAddressDeny=any");
  } else if (ns.net && !keeps(plan, CAP_NET_ADMIN)) {
    unit.comment(
        "the private network namespace has only its loopback, and CAP_NET_ADMIN to add more "
        "is dropped");
    unit.line("IPAddressDeny=any");
    if (ns.loopback_up) unit.line("IPAddressAllow=localhost");
  }
}

// Layers systemd has no directive for (or harden exports in another format), listed so the
// native unit is never taken for the whole policy; and the LSM labels, which it has.
void other_layers(const Policy& policy, const PlanData& plan, DropIn& unit, Diagnostics& diags) {
  const LandlockPlan& landlock = plan.landlock;
  const SourcePos landlock_pos{landlock.origin.file, landlock.origin.line, landlock.origin.column};
  if (landlock.enabled && landlock.restrict_fs) {
    unit.missing(diags, landlock_pos,
                 "[landlock] path rules and the exec lock (the directives above that follow "
                 "from the filter hide or freeze paths only where nothing may use them)");
  }
  if (landlock.enabled && (landlock.restrict_bind || landlock.restrict_connect)) {
    unit.missing(diags, landlock_pos, "[landlock] bind_tcp and connect_tcp");
  }
  if (landlock.enabled && landlock.scopes) {
    unit.missing(diags, landlock_pos,
                 "[ipc] scopes (abstract UNIX sockets and signals, a Landlock scope)");
  }
  if (plan.network.enabled) {
    unit.missing(diags, policy.network.pos,
                 "[network] nftables table " + plan.network.table +
                     " (harden export --format nft writes it as a script)");
  }
  if (!plan.audit.rules.empty()) {
    unit.missing(diags, policy.audit.pos,
                 "[audit] rules (harden export --format auditctl writes them as a rules file)");
  }
  const std::string optional = plan.lsm.optional ? "-" : "";
  if (!plan.lsm.apparmor_profile.empty()) {
    unit.line("AppArmorProfile=" + optional + plan.lsm.apparmor_profile);
  }
  if (!plan.lsm.selinux_context.empty()) {
    unit.line("SELinuxContext=" + optional + plan.lsm.selinux_context);
  }
}

void process_directives(const Policy& policy, const PlanData& plan,
                        const std::vector<std::string>& command, DropIn& unit, Diagnostics& diags) {
  unit.line("ExecStart=");
  unit.line("ExecStart=" + command_line(command));
  if (!plan.filesystem.chroot.empty()) {
    unit.line("RootDirectory=" + plan.filesystem.chroot);
    // systemd 252 otherwise mounts /proc, /sys, the host's /dev and a writable /run into the
    // jail, which harden's chroot does not have.
    unit.comment("the chroot shows the jail alone: no /proc, /sys, /dev or /run of systemd's");
    unit.line("MountAPIVFS=no");
  }
  if (!plan.exec.working_directory.empty()) {
    unit.line("WorkingDirectory=" + plan.exec.working_directory);
  }
  if (plan.exec.umask) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(*plan.exec.umask));
    unit.line(std::string("UMask=") + text);
  }
  if (!plan.exec.pass_notify_socket) unit.line("NotifyAccess=none");
  cgroup_directives(plan, unit);
  for (const ResourceLimit& limit : plan.limits) {
    const auto it = std::ranges::find(kLimitDirectives, limit.resource, &LimitDirective::resource);
    if (it == kLimitDirectives.end()) continue;
    const std::string value = limit.soft == limit.hard
                                  ? limit_value(limit.soft)
                                  : limit_value(limit.soft) + ":" + limit_value(limit.hard);
    unit.line(std::string(it->directive) + "=" + value);
  }
  for (const auto& fd : policy.exec.pass_fds) {
    unit.missing(diags, fd.pos,
                 "pass_fds " + std::to_string(fd.value) +
                     " (systemd passes only its own sockets and stored fds)");
  }
  // The environment: systemd starts services from a clean environment of its own making.
  const EnvironmentPlan& env = plan.environment;
  if (!env.keep.empty() && env.clear) {
    std::string names;
    for (const std::string& name : env.keep)
      names += (names.empty() ? "" : " ") + name;
    unit.line("PassEnvironment=" + names);
  }
  for (const std::string& entry : env.set)
    unit.line("Environment=" + unit_quote(entry));
  if (env.clear) {
    // What systemd sets by itself that harden's cleared environment would not have.
    std::string unset;
    for (const char* name : {"HOME", "INVOCATION_ID", "JOURNAL_STREAM", "LANG", "LOGNAME", "PATH",
                             "SHELL", "SYSTEMD_EXEC_PID", "USER"}) {
      const bool wanted = std::ranges::find(env.keep, name) != env.keep.end() ||
                          std::ranges::any_of(env.set, [&](const std::string& e) {
                            return e.starts_with(std::string(name) + "=");
                          });
      if (!wanted) unset += (unset.empty() ? "" : " ") + std::string(name);
    }
    unit.line("UnsetEnvironment=" + unset);
  }
}

// Namespaces: systemd makes the same ones for PrivateNetwork=, PrivateIPC=, PrivateMounts=.
// What systemd 252 cannot make would leave the unit wider than the policy, so it is an error
// (use --wrapper), not a note.
bool namespace_directives(const Policy& policy, const PlanData& plan, DropIn& unit,
                          Diagnostics& diags) {
  const NamespacesPlan& ns = plan.namespaces;
  const NamespacesSection& section = policy.namespaces;
  if (ns.net) unit.line("PrivateNetwork=yes");
  if (ns.ipc) unit.line("PrivateIPC=yes");
  if (ns.mount) unit.line("PrivateMounts=yes");
  if (ns.uts && !ns.hostname.empty()) {
    unit.missing(diags, section.hostname ? section.hostname->pos : SourcePos{policy.file, 0, 0},
                 "hostname \"" + ns.hostname + "\" (ProtectHostname= keeps the host's name)");
  }
  if (ns.cgroup) {
    unit.missing(diags, section.cgroup ? section.cgroup->pos : SourcePos{policy.file, 0, 0},
                 "a cgroup namespace (the service sees its cgroup path)");
  }
  bool ok = true;
  auto refuse = [&](const SourcePos& pos, const std::string& what) {
    diags.error(pos, "--native cannot express " + what + " in systemd 252 directives",
                "use --wrapper, which enforces it");
    ok = false;
  };
  if (ns.pid)
    refuse(section.pid ? section.pid->pos : SourcePos{policy.file, 0, 0}, "a PID namespace");
  if (plan.filesystem.constructed_root) {
    refuse(policy.filesystem.view_pos.value_or(SourcePos{policy.file, 0, 0}),
           "the constructed root ([filesystem] read_only/read_write/tmpfs)");
  }
  if (!plan.filesystem.chroot.empty() && !plan.filesystem.view.empty()) {
    refuse(policy.filesystem.view_pos.value_or(SourcePos{policy.file, 0, 0}),
           "proc, dev or tmpfs mounted into a chroot");
  }
  return ok;
}

std::optional<std::string> native(const Policy& policy, const PlanData& plan,
                                  const std::vector<std::string>& command, Diagnostics& diags) {
  DropIn unit;
  process_directives(policy, plan, command, unit, diags);
  identity_directives(policy, plan, unit, diags);
  capability_directives(plan, unit);
  const SeccompView view = seccomp_view(policy.seccomp);
  SyscallTranslation syscalls;
  if (view.enabled) seccomp_directives(policy, view, unit, diags, syscalls);
  implied_directives(plan, view, syscalls, unit);
  if (!namespace_directives(policy, plan, unit, diags)) return std::nullopt;
  view_directives(plan, view, command, unit);
  isolation_directives(plan, syscalls, view, unit);
  other_layers(policy, plan, unit, diags);
  // The constructed root (BindPaths=/BindReadOnlyPaths=/TemporaryFileSystem= over an empty
  // RootDirectory=) is refused above until it is translated.
  return unit.text("# harden export --format systemd --native: policy '" + plan.policy_name +
                   "'\n# The policy in systemd's own directives, without harden at run time.\n"
                   "# Install as /etc/systemd/system/UNIT.service.d/harden.conf, then run\n"
                   "# systemctl daemon-reload.\n");
}

}  // namespace

std::optional<std::string> export_systemd(const Policy& policy, const Plan& plan,
                                          const ExportOptions& options, Diagnostics& diags) {
  const std::vector<std::string> command = command_of(policy, options, diags);
  if (command.empty()) return std::nullopt;
  if (options.systemd_native) return native(policy, plan.data(), command, diags);
  return wrapper(policy, plan.data(), options, command);
}

}  // namespace harden
