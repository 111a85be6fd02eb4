// cgroup layer: memory, pids and cpu limits through a cgroup made for this launch,
// <own cgroup>/harden/<policy>-<pid>, in cgroup v2 where the controller is there and in the
// controller's v1 hierarchy otherwise (hybrid hosts have both).
//
// Nested under harden's own cgroup, never at a hierarchy's root: limits are hierarchical,
// so whatever bounds harden (a container, a login slice) still bounds the target.
//
// Clean-up: a cgroup can only be removed once empty, which is after the target and all its
// descendants are gone, when harden (which became the target) no longer exists. So each
// launch removes the empty cgroups under harden/ whose creator process is gone; rmdir(2)
// refuses a cgroup that still has a process, so a live one is never touched.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "enforcer/layers.hpp"
#include "enforcer/proc_text.hpp"
#include "enforcer/write_stderr.hpp"

namespace harden::enforce::cgroup {

namespace {

struct Mount {
  std::string dir;
  std::string type;     // cgroup | cgroup2
  std::string options;  // comma-separated; v1 controllers appear here
};

bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (list.substr(0, comma) == token) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::string own_dir(const std::string& mount, const std::string& path) {
  return path == "/" ? mount : mount + path;
}

std::string read_first_line(const std::string& path) {
  return first_line(read_proc_text(path.c_str()));
}

std::optional<CgroupHierarchy> find(std::string_view controller, const std::vector<Mount>& mounts,
                                    const std::vector<std::pair<std::string, std::string>>& own) {
  // v2 first: a controller is bound to one hierarchy at a time, and where v2 has it, it is
  // the one to use.
  for (const Mount& m : mounts) {
    if (m.type != "cgroup2") continue;
    for (const auto& [controllers, path] : own) {
      if (!controllers.empty()) continue;  // the "0::/path" line
      const std::string dir = own_dir(m.dir, path);
      const std::string available = read_first_line(dir + "/cgroup.controllers");
      for (std::string_view name : words_of(available)) {
        if (name == controller) return CgroupHierarchy{dir, true};
      }
    }
  }
  for (const Mount& m : mounts) {
    if (m.type != "cgroup" || !has_token(m.options, controller)) continue;
    for (const auto& [controllers, path] : own) {
      if (has_token(controllers, controller)) return CgroupHierarchy{own_dir(m.dir, path), false};
    }
  }
  return std::nullopt;
}

// Removes empty cgroups under `base` left by launches whose process is gone.
void remove_stale(Sys& sys, const std::string& base, const std::string& keep) {
  DIR* dir = ::opendir(base.c_str());
  if (!dir) return;
  std::vector<std::string> stale;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_type != DT_DIR || entry->d_name[0] == '.' || keep == entry->d_name) continue;
    const std::string_view name(entry->d_name);
    const size_t dash = name.rfind('-');
    if (dash == std::string_view::npos) continue;
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(name.data() + dash + 1, name.data() + name.size(), pid);
    if (ec != std::errc() || end != name.data() + name.size() || pid <= 0) continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH) stale.push_back(base + "/" + std::string(name));
  }
  ::closedir(dir);
  for (const std::string& path : stale)
    sys.rmdir(path.c_str());  // EBUSY: still in use
}

struct Setting {
  std::string file;
  std::string value;
  bool optional;  // absent when the kernel lacks the feature (swap accounting)
};

// The files one hierarchy needs for the limits it carries.
std::vector<Setting> settings_for(const CgroupPlan& plan, bool memory, bool pids, bool cpu,
                                  bool v2) {
  std::vector<Setting> out;
  if (memory && plan.memory_max) {
    const std::string bytes = std::to_string(*plan.memory_max);
    if (v2) {
      out.push_back({"memory.max", bytes, false});
      out.push_back({"memory.swap.max", "0", true});  // swap must not extend the limit
    } else {
      out.push_back({"memory.limit_in_bytes", bytes, false});
      out.push_back({"memory.memsw.limit_in_bytes", bytes, true});  // memory + swap
    }
  }
  if (pids && plan.pids_max) out.push_back({"pids.max", std::to_string(*plan.pids_max), false});
  if (cpu && plan.cpu_quota_us) {
    const std::string period = std::to_string(plan.cpu_period_us);
    const std::string quota = std::to_string(*plan.cpu_quota_us);
    if (v2) {
      out.push_back({"cpu.max", quota + " " + period, false});
    } else {
      out.push_back({"cpu.cfs_period_us", period, false});
      out.push_back({"cpu.cfs_quota_us", quota, false});
    }
  }
  return out;
}

// Makes a directory unless it exists; one it makes is this launch's to remove should the
// launch stop before execve.
StepResult make_dir(Sys& sys, ExecContext& ctx, const std::string& path) {
  if (sys.mkdir(path.c_str(), 0755) == 0) {
    return rollback::note(sys, ctx, {HostChange::Kind::cgroup_dir, path, std::nullopt});
  }
  if (errno != EEXIST) {
    const bool denied = errno == EACCES || errno == EPERM || errno == EROFS;
    return step_failed(errno, "mkdir(" + path + ")" +
                                  (denied ? " (cgroup limits need root, or a cgroup delegated "
                                            "to this user)"
                                          : ""));
  }
  return {};
}

// The nft match for sockets of the cgroup `dir` and below: nft looks the path up under
// /sys/fs/cgroup (on a hybrid host, v2 is mounted at /sys/fs/cgroup/unified), and compares the
// ancestor of a socket's cgroup at the directory's depth in the v2 tree.
std::expected<std::string, std::string> launch_cgroup_match(const std::string& mount,
                                                            const std::string& dir) {
  constexpr std::string_view kNftRoot = "/sys/fs/cgroup";
  if (!dir.starts_with(mount + "/")) return std::unexpected(dir + " is not below " + mount);
  const std::string relative = dir.substr(mount.size() + 1);
  std::string prefix;
  if (mount != kNftRoot) {
    if (!mount.starts_with(std::string(kNftRoot) + "/")) {
      return std::unexpected("the cgroup v2 hierarchy is mounted at " + mount +
                             ", outside /sys/fs/cgroup where nftables looks cgroup paths up");
    }
    prefix = mount.substr(kNftRoot.size() + 1) + "/";
  }
  const auto level = std::count(relative.begin(), relative.end(), '/') + 1;
  for (const char c : relative) {
    if (c == '"' || c == '\\' || c <= ' ' || c == 0x7f) {
      return std::unexpected("the launch cgroup's path " + dir +
                             " has a character nft cannot take");
    }
  }
  return "socket cgroupv2 level " + std::to_string(level) + " \"" + prefix + relative + "\"";
}

}  // namespace

std::string systemd_unit_of(std::string_view proc_self_cgroup, std::string_view pid1_comm) {
  if (pid1_comm != "systemd") return {};
  for (std::string_view line : lines_of(proc_self_cgroup)) {
    const size_t first = line.find(':');
    const size_t second = line.find(':', first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos) continue;
    // The hierarchies systemd manages: the unified one (v2, or hybrid's "0::") and v1's own
    // named hierarchy. A v1 controller's path means nothing to systemd.
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    if (!controllers.empty() && controllers != "name=systemd") continue;
    std::string_view path = line.substr(second + 1);
    // The innermost unit: harden may run in a subgroup of a unit that has Delegate=yes.
    while (!path.empty()) {
      const size_t slash = path.rfind('/');
      const std::string_view name = path.substr(slash == std::string_view::npos ? 0 : slash + 1);
      const bool unit = (name.size() > 8 && name.ends_with(".service")) ||
                        (name.size() > 6 && name.ends_with(".scope"));
      if (unit) return std::string(name);
      if (slash == std::string_view::npos) break;
      path = path.substr(0, slash);
    }
  }
  return {};
}

CgroupLayout detect_layout(char* const* environ) {
  CgroupLayout layout;
  std::vector<Mount> mounts;
  {
    const std::string table = read_proc_text("/proc/self/mounts");
    for (std::string_view line : lines_of(table)) {
      const std::vector<std::string_view> fields = words_of(line);  // device dir type options
      if (fields.size() < 4 || (fields[2] != "cgroup" && fields[2] != "cgroup2")) continue;
      mounts.push_back(
          Mount{std::string(fields[1]), std::string(fields[2]), std::string(fields[3])});
    }
  }
  std::vector<std::pair<std::string, std::string>> own;  // (controllers, path)
  const std::string membership = read_proc_text("/proc/self/cgroup");
  for (std::string_view line : lines_of(membership)) {
    const size_t first = line.find(':');
    const size_t second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    own.emplace_back(line.substr(first + 1, second - first - 1), line.substr(second + 1));
  }
  layout.systemd_unit = systemd_unit_of(membership, first_line(read_proc_text("/proc/1/comm")));
  // INVOCATION_ID is only the caller's word: anyone can set it. It decides nothing; when it
  // disagrees with the facts, say that the limits are applied all the same.
  for (char* const* e = environ; e && *e && layout.systemd_unit.empty(); ++e) {
    if (std::strncmp(*e, "INVOCATION_ID=", 14) != 0) continue;
    static constexpr std::string_view kNote =
        "harden: warning: INVOCATION_ID is set, but harden is not in a unit's cgroup under "
        "systemd as PID 1; [cgroup] limits are applied by harden\n";
    write_stderr(kNote);
    break;
  }
  for (const Mount& m : mounts) {
    if (m.type != "cgroup2" || layout.unified) continue;
    for (const auto& [controllers, path] : own) {
      if (!controllers.empty()) continue;  // the "0::/path" line
      layout.unified = CgroupHierarchy{own_dir(m.dir, path), true};
      layout.unified_mount = m.dir;
      break;
    }
  }
  layout.memory = find("memory", mounts, own);
  layout.pids = find("pids", mounts, own);
  layout.cpu = find("cpu", mounts, own);
  return layout;
}

bool wanted(const PlanData& plan) {
  return plan.cgroup.wanted() || plan.network.launch_cgroup;
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  const CgroupPlan& cgroup = plan.cgroup;
  const CgroupLayout& layout = ctx.cgroup;
  if (!layout.systemd_unit.empty() && plan.network.launch_cgroup &&
      cgroup.under_systemd != CgroupPlan::UnderSystemd::kNest) {
    return step_failed(0, "harden runs in systemd unit " + layout.systemd_unit +
                              ", whose cgroup belongs to systemd, so it cannot make a launch "
                              "cgroup for [network] scope = \"cgroup\"; name the unit's cgroup "
                              "there (cgroup = \"/system.slice/" +
                              layout.systemd_unit +
                              "\"), or set [cgroup] systemd = \"nest\" with Delegate=yes");
  }
  if (!layout.systemd_unit.empty() && cgroup.wanted()) {
    switch (cgroup.under_systemd) {
      case CgroupPlan::UnderSystemd::kFail:
        return step_failed(0, "harden runs in systemd unit " + layout.systemd_unit +
                                  ", whose cgroup belongs to systemd; set MemoryMax=, TasksMax= "
                                  "and CPUQuota= on the unit with [cgroup] systemd = \"leave\", "
                                  "or Delegate=yes with systemd = \"nest\"");
      case CgroupPlan::UnderSystemd::kLeave: {
        // Never drop a limit without saying so: the unit must carry them.
        std::string limits;
        if (cgroup.memory_max) limits += ", memory (MemoryMax=)";
        if (cgroup.pids_max) limits += ", pids (TasksMax=)";
        if (cgroup.cpu_quota_us) limits += ", cpu (CPUQuota=)";
        const std::string note =
            "harden: warning: [cgroup] systemd = \"leave\": harden runs in "
            "systemd unit " +
            layout.systemd_unit + " and sets none of the policy's limits (" + limits.substr(2) +
            "); the unit must set them\n";
        write_stderr(note);
        return {};
      }
      case CgroupPlan::UnderSystemd::kNest:
        break;
    }
  }
  struct Want {
    const char* controller;
    bool wanted;
    const std::optional<CgroupHierarchy>* where;
  };
  const std::array<Want, 3> wants{{{"memory", cgroup.memory_max.has_value(), &layout.memory},
                                   {"pids", cgroup.pids_max.has_value(), &layout.pids},
                                   {"cpu", cgroup.cpu_quota_us.has_value(), &layout.cpu}}};
  // One cgroup per hierarchy: on v2 (or a v1 mount carrying several controllers) the
  // controllers share it.
  std::vector<const CgroupHierarchy*> hierarchies;
  for (const Want& w : wants) {
    if (!w.wanted) continue;
    if (!w.where->has_value()) {
      return step_failed(0, std::string("no cgroup hierarchy on this host offers the '") +
                                w.controller + "' controller (neither v2 nor v1)");
    }
    const CgroupHierarchy* h = &**w.where;
    bool seen = false;
    for (const CgroupHierarchy* known : hierarchies)
      seen = seen || known->own_dir == h->own_dir;
    if (!seen) hierarchies.push_back(h);
  }

  // The [network] scope "cgroup" match needs the launch in the v2 hierarchy, limits or not.
  const CgroupHierarchy* unified = nullptr;
  if (plan.network.launch_cgroup) {
    if (!layout.unified) {
      return step_failed(0,
                         "[network] scope = \"cgroup\" needs the cgroup v2 hierarchy, and "
                         "this host has none mounted (or harden is in none of it)");
    }
    for (const CgroupHierarchy* h : hierarchies)
      if (h->own_dir == layout.unified->own_dir) unified = h;
    if (!unified) hierarchies.push_back(unified = &*layout.unified);
  }

  const std::string name = plan.policy_name + "-" + std::to_string(sys.getpid());
  std::vector<std::string> made;
  for (const CgroupHierarchy* h : hierarchies) {
    bool memory = false, pids = false, cpu = false;
    std::string enable;  // v2 subtree_control, e.g. "+memory +pids"
    for (const Want& w : wants) {
      if (!w.wanted || (*w.where)->own_dir != h->own_dir) continue;
      const std::string_view c = w.controller;
      memory = memory || c == "memory";
      pids = pids || c == "pids";
      cpu = cpu || c == "cpu";
      enable += (enable.empty() ? "+" : " +") + std::string(c);
    }
    // The firewall's launch cgroup sits one level deeper, under harden/<policy>, which stays:
    // its rule matches that directory, so every launch of the policy (one after another, or
    // side by side) is filtered by one unchanging table.
    std::vector<std::string> parents{h->own_dir, h->own_dir + "/harden"};
    if (h == unified) parents.push_back(parents.back() + "/" + plan.policy_name);
    const std::string base = parents.back();
    for (size_t i = 1; i < parents.size(); ++i) {
      if (auto r = make_dir(sys, ctx, parents[i]); !r) return r;
    }
    if (h->v2 && !enable.empty()) {
      // Controllers reach a child only when every ancestor enables them for its subtree.
      // The kernel refuses this (EBUSY) in a non-root cgroup that has processes of its own.
      for (const std::string& dir : parents) {
        const std::string file = dir + "/cgroup.subtree_control";
        if (sys.write_file(file.c_str(), enable) != 0) {
          return step_failed(errno, "enabling " + enable + " in " + file +
                                        (errno == EBUSY ? " (v2 allows controllers only in "
                                                          "cgroups without processes: run harden "
                                                          "from a leaf cgroup of its own)"
                                                        : ""));
        }
      }
    }
    remove_stale(sys, base, name);
    const std::string dir = base + "/" + name;
    if (auto r = make_dir(sys, ctx, dir); !r) return r;
    for (const Setting& s : settings_for(cgroup, memory, pids, cpu, h->v2)) {
      const std::string file = dir + "/" + s.file;
      if (sys.write_file(file.c_str(), s.value) != 0 && !(s.optional && errno == ENOENT)) {
        return step_failed(errno, "writing " + s.value + " to " + file);
      }
    }
    made.push_back(dir);
    if (h == unified) {
      auto match = launch_cgroup_match(layout.unified_mount, base);
      if (!match) return step_failed(0, "[network] scope = \"cgroup\": " + match.error());
      ctx.nft_launch_cgroup_match = std::move(*match);
    }
  }
  // Move in only once every limit is in place, so the target never runs in a half-set cgroup.
  const std::string pid = std::to_string(sys.getpid());
  for (const std::string& dir : made) {
    const std::string procs = dir + "/cgroup.procs";
    if (sys.write_file(procs.c_str(), pid) != 0) {
      return step_failed(errno, "moving pid " + pid + " into " + dir);
    }
  }
  return {};
}

}  // namespace harden::enforce::cgroup
