// `harden export --format systemd --native`: the policy in systemd.exec(5) directives, run
// without harden. A directive is emitted when the policy already forbids what it forbids (so
// it cannot change what the service may do, only add a second wall); the syscall filter comes
// from the decision model (systemd_syscalls.cpp), where a condition systemd cannot express is
// allowed whole and named as wider; everything else systemd cannot say is listed as missing,
// or refused when the unit would be wider than the policy in a way that matters (a PID
// namespace systemd cannot make, an entry of the constructed root it has no directive for).
// The constructed root itself is systemd_view.cpp's.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <string_view>

#include "export/systemd_unit.hpp"
#include "plan/landlock_abi.hpp"

namespace harden::systemd_unit {

namespace {

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

std::string capability_name(int cap) {
  std::unique_ptr<char, decltype(&cap_free)> name(cap_to_name(cap), &cap_free);
  std::string upper = name ? name.get() : "cap_" + std::to_string(cap);
  std::ranges::transform(upper, upper.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper;
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
void implied_directives(const PlanData& plan, const SyscallFacts& syscalls, DropIn& unit) {
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
  // A constructed root without /proc is the same: ProtectKernelTunables= and
  // ProtectControlGroups= would mount /proc, /sys and /run into it, and ProtectHostname= (which
  // binds /proc/sys/kernel/hostname) stops the unit from starting (tried in systemd 252).
  const bool jail = !plan.filesystem.chroot.empty();
  const ViewFacts view = view_facts(plan);
  const bool no_api_vfs = jail || (view.constructed && !view.proc);
  implied(!keeps(plan, CAP_SYS_ADMIN) && !jail && !view.constructed, "ProtectHostname=yes",
          "sethostname() needs CAP_SYS_ADMIN, which the policy drops");
  implied(unprivileged_user && !keeps(plan, CAP_SYSLOG), "ProtectKernelLogs=yes",
          "the kernel log is root's and CAP_SYSLOG's; the policy's user has neither");
  implied(unprivileged_user && !no_api_vfs, "ProtectKernelTunables=yes",
          "/proc/sys and /sys belong to root; the policy's user cannot write them");
  implied(unprivileged_user && !no_api_vfs, "ProtectControlGroups=yes",
          "cgroupfs belongs to root; the policy's user cannot write it");
  if (jail && (unprivileged_user || !keeps(plan, CAP_SYS_ADMIN))) {
    unit.comment("no ProtectHostname=, ProtectKernelTunables=, ProtectControlGroups=,");
    unit.comment("ProtectProc=, ProcSubset= or PrivateUsers=: in a RootDirectory= systemd 252");
    unit.comment("needs /proc, /sys and /dev mounted in the jail for them, which harden's has not");
  } else if (view.constructed && (unprivileged_user || !keeps(plan, CAP_SYS_ADMIN))) {
    // Both need the root's /proc in systemd 252: ProtectHostname= opens
    // /proc/sys/kernel/hostname in it, PrivateUsers= writes /proc/PID/gid_map after the switch
    // to it (226/NAMESPACE and 217/USER without one, traced). With the view's /proc (pid
    // subset), PrivateUsers= works (isolation_directives()); /proc/sys is not in it.
    if (view.proc) {
      unit.comment("no ProtectHostname=: systemd 252 binds /proc/sys/kernel/hostname, which the");
      unit.comment("view's /proc (pid subset) has not");
    } else {
      unit.comment("no ProtectHostname= or PrivateUsers=: systemd 252 sets them up through");
      unit.comment("the root's /proc, which a constructed root has not");
    }
    if (!view.proc) {
      // ProtectProc= and ProcSubset= do too, but their /proc and /sys can be covered again
      // (systemd_view.cpp); these two also need what is under them (/proc/sys,
      // /sys/fs/cgroup: the unit does not start with them covered, tried in systemd 252).
      unit.comment("no ProtectKernelTunables= or ProtectControlGroups=: they need the host's");
      unit.comment("/proc/sys and /sys in a view that has neither");
    }
  }
  const bool rtprio_raised = std::ranges::any_of(plan.limits, [](const ResourceLimit& l) {
    return l.resource == RLIMIT_RTPRIO && l.soft > 0;
  });
  implied(!keeps(plan, CAP_SYS_NICE) && !rtprio_raised, "RestrictRealtime=yes",
          "realtime scheduling needs CAP_SYS_NICE or an RLIMIT_RTPRIO, neither given");
  implied(syscalls.lock_personality, "LockPersonality=yes",
          "the syscall filter does not allow personality() to change the persona");
  implied(syscalls.restrict_namespaces, "RestrictNamespaces=yes",
          "the syscall filter allows no setns, clone3, or clone and unshare with CLONE_NEW*");
  const auto words = [](const std::vector<std::string>& list) {
    std::string out;
    for (const std::string& w : list)
      out += (out.empty() ? "" : " ") + w;
    return out;
  };
  if (syscalls.filtered && syscalls.no_sockets) {
    implied(true, "RestrictAddressFamilies=none", "the syscall filter does not allow socket()");
  } else if (!syscalls.families.empty()) {
    implied(true, "RestrictAddressFamilies=" + words(syscalls.families),
            "the policy's socket() rules allow only these address families");
  } else if (!syscalls.families_denied.empty()) {
    implied(true, "RestrictAddressFamilies=~" + words(syscalls.families_denied),
            "the policy's socket() rules refuse these address families");
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
bool allows_any(const SeccompModel& view, std::string_view names) {
  if (view.ever_allowed("io_uring_setup")) return true;
  while (!names.empty()) {
    const size_t end = std::min(names.find(' '), names.size());
    if (end > 0 && view.ever_allowed(names.substr(0, end))) return true;
    names.remove_prefix(std::min(end + 1, names.size()));
  }
  return false;
}

PathFacts path_facts(const SeccompModel& view) {
  PathFacts facts;
  if (!view.enabled) return facts;
  facts.opens = allows_any(view,
                           "bpf creat fanotify_mark inotify_add_watch open open_by_handle_at "
                           "open_tree openat openat2 uselib");
  facts.writes = allows_any(
      view,
      "bind chmod chown creat fchmodat fchmodat2 fchownat futimesat lchown link linkat "
      "lremovexattr lsetxattr mkdir mkdirat mknod mknodat open open_by_handle_at openat openat2 "
      "removexattr rename renameat renameat2 rmdir setxattr symlink symlinkat truncate unlink "
      "unlinkat utime utimensat utimes");
  facts.sets_ids = allows_suid_sgid_mode(view);
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
void view_directives(const PlanData& plan, const SeccompModel& view,
                     const std::vector<std::string>& command, DropIn& unit) {
  if (plan.filesystem.constructed_root) {
    // The view is exactly what systemd_view.cpp mounted. ProtectSystem=strict is never added:
    // systemd 252 keeps one mount per path and its read-only "/" wins over the empty tmpfs,
    // which would show the host's whole root (tried). "yes" remounts /usr read-only, which the
    // view's bind of it already is (and /boot, /efi, which a view has not: skipped); "full"
    // adds /etc, which stops the unit (226/NAMESPACE in systemd 252: the view's /etc is no
    // mount of its own, tried). PrivateTmp= would add /var/tmp and replace the view's /tmp.
    // ProtectHome= hides only paths the view does not have.
    const ViewFacts facts = view_facts(plan);
    if (facts.usr) {
      unit.comment("the view's /usr is read-only already");
      unit.line("ProtectSystem=yes");
    }
    if (!facts.home) {
      unit.comment("the view has no /home, /root or /run/user");
      unit.line("ProtectHome=yes");
    }
    if (!path_facts(view).sets_ids) {
      unit.comment("the filter gives no file a set-user-ID or set-group-ID mode");
      unit.line("RestrictSUIDSGID=yes");
    }
    return;
  }
  const PathFacts facts = path_facts(view);
  // A hardening-only drop-in keeps the packaged ExecStart=, whose program is unknown here:
  // nothing that could hide it is emitted.
  const std::string program = command.empty() ? "/" : command.front();
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
    unit.comment("the filter gives no file a set-user-ID or set-group-ID mode");
    unit.line("RestrictSUIDSGID=yes");
  }
}

// Directives for what the policy's namespaces, user and memory rules already rule out.
void isolation_directives(const PlanData& plan, const SyscallFacts& syscalls, DropIn& unit) {
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
  // implied_directives()). In a constructed root it writes the user namespace's gid_map
  // through the root's /proc: with the view's /proc it starts (tried in systemd 252), without
  // one it stops with 217/USER.
  if (uid_of(plan) && *uid_of(plan) != 0 && plan.credentials.gid != 0 &&
      plan.capabilities.keep == 0 && plan.filesystem.chroot.empty() &&
      (!plan.filesystem.constructed_root || view_facts(plan).proc)) {
    unit.comment(
        "the policy's user is not root and keeps no capability: a user namespace of its own "
        "takes nothing from it");
    unit.line("PrivateUsers=yes");
  }
  // IP traffic needs a socket of the service's own making (sockets systemd passes in are not
  // filtered by the unit's IPAddressDeny=).
  if (syscalls.filtered && syscalls.no_sockets) {
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
  if (landlock.enabled && landlock.restrict_connect) {
    unit.missing(diags, landlock_pos, "[landlock] connect_tcp");
  }
  if (landlock.enabled && landlock.scopes) {
    unit.missing(diags, landlock_pos,
                 "[ipc] scopes (abstract UNIX sockets and signals, a Landlock scope)");
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
  if (!command.empty()) {
    unit.line("ExecStart=");
    unit.line("ExecStart=" + command_line(command));
  } else {
    unit.comment("hardening only: the unit's own ExecStart= stays as packaged");
  }
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
    unit.line("Environment=" + environment_quote(entry));
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
bool namespace_directives(const Policy& policy, const PlanData& plan, unsigned systemd_version,
                          DropIn& unit, Diagnostics& diags) {
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
  auto refuse = [&](const SourcePos& pos, const std::string& what, const std::string& hint) {
    diags.error(pos,
                "--native cannot express " + what + " in systemd " +
                    std::to_string(systemd_version) + " directives",
                hint);
    ok = false;
  };
  if (ns.pid && systemd_version >= 257) {
    unit.comment("the PID namespace (systemd 257 and later)");
    unit.line("PrivatePIDs=yes");
  } else if (ns.pid) {
    refuse(section.pid ? section.pid->pos : SourcePos{policy.file, 0, 0}, "a PID namespace",
           "systemd 257 has PrivatePIDs=: pass --systemd-version 257 if the hosts run it, or use "
           "--wrapper, which enforces it");
  }
  if (!plan.filesystem.chroot.empty() && !plan.filesystem.view.empty()) {
    refuse(policy.filesystem.view_pos.value_or(SourcePos{policy.file, 0, 0}),
           "proc, dev or tmpfs mounted into a chroot", "use --wrapper, which enforces it");
  }
  return ok;
}

// Landlock's bind_tcp as systemd's socket-bind hook (a cgroup BPF program, systemd 249):
// every port but the listed ones refused for bind(); connect_tcp has no equivalent.
void socket_bind_directives(const PlanData& plan, DropIn& unit) {
  const LandlockPlan& landlock = plan.landlock;
  if (!landlock.enabled || !landlock.restrict_bind) return;
  unit.comment("[landlock] bind_tcp: only these TCP ports may be bound");
  for (const uint16_t port : landlock.bind_tcp)
    unit.line("SocketBindAllow=tcp:" + std::to_string(port));
  unit.line("SocketBindDeny=any");
}

}  // namespace

std::optional<std::string> native_unit(const Policy& policy, const PlanData& plan,
                                       const SeccompModel& model, const ExportOptions& options,
                                       const std::vector<std::string>& command,
                                       Diagnostics& diags) {
  DropIn unit;
  process_directives(policy, plan, command, unit, diags);
  identity_directives(policy, plan, unit, diags);
  capability_directives(plan, unit);
  const SyscallFacts syscalls = syscall_directives(policy, model, unit, diags);
  implied_directives(plan, syscalls, unit);
  // Every refusal is reported, not only the first.
  const bool namespaces_ok =
      namespace_directives(policy, plan, options.systemd_version, unit, diags);
  const bool view_ok = view_mount_directives(policy, plan, unit, diags);
  if (!namespaces_ok || !view_ok) return std::nullopt;
  view_directives(plan, model, command, unit);
  isolation_directives(plan, syscalls, unit);
  socket_bind_directives(plan, unit);
  network_directives(policy, plan, unit, diags);
  other_layers(policy, plan, unit, diags);
  return unit.text("# harden export --format systemd --native: policy '" + plan.policy_name +
                   "'\n# The policy in systemd's own directives, without harden at run time.\n"
                   "# Install as /etc/systemd/system/UNIT.service.d/harden.conf, then run\n"
                   "# systemctl daemon-reload.\n");
}

}  // namespace harden::systemd_unit
