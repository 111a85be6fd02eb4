#include "inspect/plan_check.hpp"

#include <sys/capability.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace harden::inspect {

namespace {

std::string number_text(uint64_t value) {
  return value == RLIM_INFINITY ? std::string("unlimited") : std::to_string(value);
}

std::string id_list(const std::vector<gid_t>& ids) {
  if (ids.empty()) return "none";
  std::string text;
  for (const gid_t id : ids)
    text += (text.empty() ? "" : ",") + std::to_string(id);
  return text;
}

std::string octal(unsigned value) {
  char text[16];
  std::snprintf(text, sizeof text, "%04o", value);
  return text;
}

std::string_view name_of(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

class Comparison {
 public:
  Comparison(CheckReport& report, const std::set<std::string>& ignore)
      : report_(report), ignore_(ignore) {}

  // Starts an item; false when --ignore names it (it is then listed as unchecked).
  bool begin(const std::string& item) {
    if (ignore_.contains(item)) {
      report_.unchecked.push_back(item + ": ignored (--ignore)");
      return false;
    }
    report_.checked.push_back(item);
    item_ = item;
    return true;
  }
  void expect(const std::string& detail, const std::string& expected, const std::string& actual) {
    if (expected != actual) report_.differences.push_back({item_, detail, expected, actual});
  }
  void unchecked(const std::string& item, const std::string& why) {
    report_.unchecked.push_back(item + ": " + why);
  }

 private:
  CheckReport& report_;
  const std::set<std::string>& ignore_;
  std::string item_;
};

void check_ids(const PlanData& plan, const ProcessState& process, Comparison& cmp) {
  if (!plan.credentials.change_ids) {
    cmp.unchecked("ids", "the policy keeps the caller's user and groups");
    return;
  }
  if (!cmp.begin("ids")) return;
  static constexpr const char* kWhich[] = {"real", "effective", "saved", "filesystem"};
  for (size_t i = 0; i < 4; ++i) {
    cmp.expect(std::string(kWhich[i]) + " uid", std::to_string(plan.credentials.uid),
               std::to_string(process.uids[i]));
  }
  for (size_t i = 0; i < 4; ++i) {
    cmp.expect(std::string(kWhich[i]) + " gid", std::to_string(plan.credentials.gid),
               std::to_string(process.gids[i]));
  }
  std::vector<gid_t> groups = plan.credentials.supplementary_groups;
  std::sort(groups.begin(), groups.end());
  cmp.expect("supplementary groups", id_list(groups), id_list(process.groups));
}

void check_capabilities(const PlanData& plan, const ProcessState& process, Comparison& cmp,
                        int last_cap) {
  if (!cmp.begin("capabilities")) return;
  const uint64_t valid = last_cap >= 63 ? ~uint64_t{0} : (uint64_t{1} << (last_cap + 1)) - 1;
  const uint64_t keep = plan.capabilities.keep & valid;
  // The capabilities step puts the kept set in every set and cuts the bounding set to it.
  const std::pair<const char*, uint64_t> sets[] = {
      {"CapInh (inheritable)", process.cap_inheritable},
      {"CapPrm (permitted)", process.cap_permitted},
      {"CapEff (effective)", process.cap_effective},
      {"CapBnd (bounding)", process.cap_bounding},
      {"CapAmb (ambient)", process.cap_ambient}};
  for (const auto& [name, mask] : sets)
    cmp.expect(name, capability_list(keep), capability_list(mask & valid));
}

void check_seccomp(const PlanData& plan, const ProcessState& process, const LaunchFacts& facts,
                   Comparison& cmp) {
  if (!cmp.begin("seccomp")) return;
  const bool filtered = plan.seccomp.enabled || exec_lock_total(plan.landlock);
  const int before = facts.seccomp_filters_before.value_or(0);
  if (!filtered) {
    if (facts.seccomp_filters_before && process.seccomp_filters >= 0) {
      cmp.expect("seccomp filters", std::to_string(before),
                 std::to_string(process.seccomp_filters));
    }
    return;
  }
  cmp.expect("seccomp mode", "2 (filter)",
             process.seccomp_mode == 2   ? "2 (filter)"
             : process.seccomp_mode == 1 ? "1 (strict)"
             : process.seccomp_mode == 0 ? "0 (none)"
                                         : "unknown");
  if (process.seccomp_filters < 0) return;  // before Linux 5.9
  if (facts.seccomp_filters_before) {
    cmp.expect("seccomp filters", std::to_string(before + 1),
               std::to_string(process.seccomp_filters));
  } else if (process.seccomp_filters < 1) {
    cmp.expect("seccomp filters", "at least 1", std::to_string(process.seccomp_filters));
  }
}

void check_namespaces(const PlanData& plan, const ProcessState& process, const HostState& host,
                      Comparison& cmp) {
  if (!cmp.begin("namespaces")) return;
  const NamespacesPlan& ns = plan.namespaces;
  const std::pair<const char*, bool> wanted[] = {
      {"user", ns.user}, {"mnt", ns.mount},     {"ipc", ns.ipc}, {"uts", ns.uts},
      {"net", ns.net},   {"cgroup", ns.cgroup}, {"pid", ns.pid}};
  for (const auto& [name, private_ns] : wanted) {
    const auto own = process.namespaces.find(name);
    const auto host_ns = host.namespaces.find(name);
    if (own == process.namespaces.end() || host_ns == host.namespaces.end()) continue;
    const bool is_private = own->second != host_ns->second;
    // Only a private namespace the plan asked for is a requirement: harden adds others of its
    // own (a user namespace in rootless mode, a mount namespace for a constructed root), and
    // an extra private namespace narrows what the process sees, never widens it.
    if (!private_ns && is_private) continue;
    cmp.expect(std::string(name) + " namespace", private_ns ? "private" : "the host's",
               is_private ? "private" : "the host's");
  }
}

void check_root(const PlanData& plan, const ProcessState& process, const HostState& host,
                Comparison& cmp) {
  if (!process.root) {
    cmp.unchecked("root", "/proc/PID/root cannot be read");
    return;
  }
  if (!cmp.begin("root")) return;
  const bool at_host_root = host.root && *process.root == *host.root;
  if (plan.filesystem.constructed_root) {
    cmp.expect("root directory", "a constructed root (not the host's /)",
               at_host_root ? "the host's /" : "not the host's / (" + process.root_link + ")");
  } else if (!plan.filesystem.chroot.empty()) {
    const std::optional<FileId> jail = file_id(plan.filesystem.chroot);
    const bool in_jail = jail && *jail == *process.root;
    cmp.expect(
        "root directory", plan.filesystem.chroot,
        in_jail ? plan.filesystem.chroot : (at_host_root ? std::string("/") : process.root_link));
  } else {
    cmp.expect("root directory", "the host's /",
               at_host_root ? "the host's /" : "elsewhere (" + process.root_link + ")");
  }
}

void check_cgroup(const PlanData& plan, const ProcessState& process, Comparison& cmp) {
  const CgroupPlan& cg = plan.cgroup;
  if (!cg.wanted()) return;
  if (process.cgroup_v2.empty() || process.cgroup_files.empty()) {
    cmp.unchecked("cgroup", "the process is not in a readable cgroup v2 directory");
    return;
  }
  if (!cmp.begin("cgroup")) return;
  auto file = [&](const char* name) {
    const auto it = process.cgroup_files.find(name);
    return it == process.cgroup_files.end() ? std::string("(absent: ") + process.cgroup_v2 + ")"
                                            : it->second;
  };
  if (cg.memory_max) cmp.expect("memory.max", std::to_string(*cg.memory_max), file("memory.max"));
  if (cg.pids_max) cmp.expect("pids.max", std::to_string(*cg.pids_max), file("pids.max"));
  if (cg.cpu_quota_us) {
    cmp.expect("cpu.max", std::to_string(*cg.cpu_quota_us) + " " + std::to_string(cg.cpu_period_us),
               file("cpu.max"));
  }
}

void check_limits(const PlanData& plan, const ProcessState& process, Comparison& cmp) {
  if (plan.limits.empty()) return;
  if (!cmp.begin("limits")) return;
  for (const ResourceLimit& limit : plan.limits) {
    const auto it =
        std::find_if(process.limits.begin(), process.limits.end(),
                     [&](const ProcessLimit& l) { return l.resource == limit.resource; });
    const std::string name = rlimit_name(limit.resource);
    if (it == process.limits.end()) {
      cmp.expect(name, "soft " + number_text(limit.soft), "unreadable");
      continue;
    }
    cmp.expect(name + " soft", number_text(limit.soft), number_text(it->soft));
    cmp.expect(name + " hard", number_text(limit.hard), number_text(it->hard));
  }
}

void check_fds(const PlanData& plan, const ProcessState& process, Comparison& cmp) {
  if (!cmp.begin("fds")) return;
  std::vector<int> allowed{0, 1, 2};
  allowed.insert(allowed.end(), plan.fds.pass.begin(), plan.fds.pass.end());
  if (plan.fds.pass_listen_fds) {
    for (const std::string& entry : process.environment) {
      if (!entry.starts_with("LISTEN_FDS=")) continue;
      const int count = std::atoi(entry.c_str() + 11);
      for (int fd = 3; count > 0 && count < 4096 && fd < 3 + count; ++fd)
        allowed.push_back(fd);
    }
  }
  for (const OpenFd& fd : process.fds) {
    if (std::find(allowed.begin(), allowed.end(), fd.fd) != allowed.end()) continue;
    cmp.expect("fd " + std::to_string(fd.fd), "closed (the plan passes only 0-2 and [fds] pass)",
               "open: " + fd.target);
  }
}

void check_environment(const PlanData& plan, const ProcessState& process, Comparison& cmp) {
  if (process.environment.empty() && plan.environment.set.empty()) return;
  if (!cmp.begin("environment")) return;
  const EnvironmentPlan& env = plan.environment;
  for (const std::string& entry : env.set) {
    const std::string_view name = name_of(entry);
    const auto it = std::find_if(process.environment.begin(), process.environment.end(),
                                 [&](const std::string& e) { return name_of(e) == name; });
    cmp.expect(std::string(name), entry, it == process.environment.end() ? "unset" : *it);
  }
  if (!env.clear) return;
  for (const std::string& entry : process.environment) {
    const std::string_view name = name_of(entry);
    const bool set = std::any_of(env.set.begin(), env.set.end(),
                                 [&](const std::string& s) { return name_of(s) == name; });
    const bool kept = std::find(env.keep.begin(), env.keep.end(), name) != env.keep.end();
    const bool systemd =
        (plan.fds.pass_listen_fds &&
         (name == "LISTEN_FDS" || name == "LISTEN_PID" || name == "LISTEN_FDNAMES")) ||
        (plan.exec.pass_notify_socket && name == "NOTIFY_SOCKET");
    if (!set && !kept && !systemd)
      cmp.expect(std::string(name), "unset (environment.clear, not in keep or set)", entry);
  }
}

}  // namespace

std::string capability_list(uint64_t mask) {
  if (mask == 0) return "none";
  std::string text;
  for (int cap = 0; cap < 64; ++cap) {
    if (!(mask & (uint64_t{1} << cap))) continue;
    std::unique_ptr<char, decltype(&cap_free)> name(cap_to_name(static_cast<cap_value_t>(cap)),
                                                    &cap_free);
    std::string upper = name ? name.get() : std::to_string(cap);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    text += (text.empty() ? "" : ",") + upper;
  }
  return text;
}

std::string rlimit_name(int resource) {
  static constexpr const char* kNames[] = {
      "RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
      "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
      "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
      "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME"};
  if (resource >= 0 && resource < static_cast<int>(std::size(kNames))) return kNames[resource];
  return "RLIMIT_" + std::to_string(resource);
}

CheckReport check_process(const PlanData& plan, const ProcessState& process, const HostState& host,
                          const LaunchFacts& facts, const std::set<std::string>& ignore,
                          int kernel_last_cap) {
  CheckReport report;
  Comparison cmp(report, ignore);
  check_ids(plan, process, cmp);
  check_capabilities(plan, process, cmp, kernel_last_cap);
  if (plan.no_new_privs && cmp.begin("no-new-privs")) {
    cmp.expect("NoNewPrivs", "1", std::to_string(process.no_new_privs));
  }
  check_seccomp(plan, process, facts, cmp);
  if (plan.exec.umask && process.umask && cmp.begin("umask"))
    cmp.expect("umask", octal(*plan.exec.umask), octal(*process.umask));
  check_namespaces(plan, process, host, cmp);
  check_root(plan, process, host, cmp);
  check_cgroup(plan, process, cmp);
  check_limits(plan, process, cmp);
  check_fds(plan, process, cmp);
  check_environment(plan, process, cmp);
  if (plan.exec.new_session && cmp.begin("terminal")) {
    cmp.expect("controlling terminal", "none (a session of its own)",
               process.tty_nr == 0 ? "none (a session of its own)"
                                   : "tty device " + std::to_string(process.tty_nr));
  }
  const std::string& profile = plan.lsm.apparmor_profile;
  const std::string& context = plan.lsm.selinux_context;
  if ((!profile.empty() || !context.empty()) && cmp.begin("lsm")) {
    const std::string want = !profile.empty() ? profile : context;
    const bool match = !profile.empty() ? process.lsm_label.starts_with(profile + " (") ||
                                              process.lsm_label == profile
                                        : process.lsm_label == context;
    cmp.expect("security label", want, match ? want : process.lsm_label);
  }
  if (plan.landlock.enabled) {
    report.unchecked.push_back(
        "landlock: a process's Landlock domain is not shown in /proc; not compared");
  }
  if (plan.exec.memory_deny_write_execute) {
    report.unchecked.push_back("mdwe: PR_SET_MDWE is readable only by the process itself");
  }
  if (plan.network.enabled) {
    report.unchecked.push_back("firewall: the nftables table is host state ('harden status')");
  }
  return report;
}

}  // namespace harden::inspect
