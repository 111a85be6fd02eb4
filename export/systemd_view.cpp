// The constructed root in systemd.exec(5) words, for `harden export --format systemd --native`:
// an empty read-only tmpfs as "/" (TemporaryFileSystem=/:ro) holding exactly the plan's view,
// each entry as the directive that makes it (BindReadOnlyPaths=, BindPaths=, NoExecPaths=,
// TemporaryFileSystem=, PrivateDevices= for the minimal /dev, ProtectProc=/ProcSubset= for a
// fresh /proc). What systemd 252 adds to the view by itself is named in the unit; an entry it
// cannot make refuses the export.
//
// Two traps of systemd 252 decide what is left out. It keeps one mount per path, preferring a
// read-only remount to a tmpfs: ProtectSystem= (which remounts "/") would replace the empty
// root with the host's own, read-only. And ProtectProc=, ProcSubset=, ProtectKernelTunables=
// and ProtectControlGroups= mount the host's /proc, /sys and a /run into the view: they are
// used only where the view shows /proc.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "export/systemd_unit.hpp"

namespace harden::systemd_unit {

namespace {

bool is_under(const std::string& path, const std::string& dir) {
  return path == dir || path.starts_with(dir + "/");
}

// What a minimal /dev (filesystem.dev = "minimal") holds, as compile_filesystem.cpp expands it;
// PrivateDevices= makes the same nodes and links.
bool private_devices_makes(const ViewMount& m) {
  static const std::set<std::string> kNodes{"/dev/null",   "/dev/zero", "/dev/full",
                                            "/dev/random", "/dev/tty",  "/dev/urandom"};
  static const std::set<std::string> kLinks{"/dev/ptmx", "/dev/fd", "/dev/stdin", "/dev/stdout",
                                            "/dev/stderr"};
  switch (m.kind) {
    case ViewKind::dev_bind:
      return kNodes.contains(m.target) && m.source == m.target;
    case ViewKind::symlink:
      return kLinks.contains(m.target);
    case ViewKind::devpts:
      return m.target == "/dev/pts";
    default:
      return false;
  }
}

// A path as a word of BindPaths= and friends: '%' is a specifier, ':' separates source from
// target, and blanks, quotes and backslashes would need quoting rules harden does not take
// the risk of getting wrong. Those paths are refused.
bool plain_path(const std::string& path) {
  return std::ranges::none_of(path, [](char c) {
    return c == ':' || c == '"' || c == '\'' || c == '\\' || c == ' ' || c == '\t' || c == '\n';
  });
}

std::string specifier_escaped(const std::string& path) {
  std::string out;
  for (const char c : path)
    out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

std::string tmpfs_options(const ViewMount& m) {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(m.mode & 07777));
  std::string options = std::string("mode=") + mode + ",nosuid,nodev";
  if (m.noexec) options += ",noexec";
  if (m.read_only) options += ",ro";
  if (m.size != 0) options += ",size=" + std::to_string(m.size);
  return options;
}

}  // namespace

bool covers_api_vfs(const PlanData& plan) {
  const ViewFacts facts = view_facts(plan);
  // /dev must be PrivateDevices='s: systemd's API file systems would bind the host's.
  return facts.constructed && plan.filesystem.chroot.empty() && !facts.proc && !facts.sys &&
         facts.dev;
}

ViewFacts view_facts(const PlanData& plan) {
  ViewFacts facts;
  facts.constructed = plan.filesystem.constructed_root;
  for (const ViewMount& m : plan.filesystem.view) {
    if (m.kind == ViewKind::proc && m.target == "/proc") facts.proc = true;
    if (m.kind == ViewKind::tmpfs && m.target == "/dev") facts.dev = true;
    if (m.target == "/sys") facts.sys = true;
    if (m.target == "/usr" && m.read_only) facts.usr = true;
    if (is_under(m.target, "/run")) facts.run = true;
    if (is_under(m.target, "/home") || is_under(m.target, "/root") ||
        is_under(m.target, "/run/user")) {
      facts.home = true;
    }
  }
  // ProtectSystem=yes remounts /usr, /boot and /efi read-only with everything beneath: only
  // when nothing there is writable in the view.
  for (const ViewMount& m : plan.filesystem.view) {
    const bool system_dir =
        is_under(m.target, "/usr") || is_under(m.target, "/boot") || is_under(m.target, "/efi");
    if (system_dir && !m.read_only && m.kind != ViewKind::symlink) facts.usr = false;
  }
  return facts;
}

bool view_mount_directives(const Policy& policy, const PlanData& plan, DropIn& unit,
                           Diagnostics& diags) {
  const FilesystemPlan& fs = plan.filesystem;
  if (!fs.constructed_root) return true;
  const ViewFacts facts = view_facts(plan);
  bool ok = true;
  auto refuse = [&](const ViewMount& m, const std::string& why) {
    diags.error(source_pos(m.origin),
                "--native cannot express '" + m.target + "' of the constructed root: " + why,
                "use --wrapper, which enforces it");
    ok = false;
  };
  unit.comment("the constructed root: an empty read-only tmpfs holding only the view below");
  unit.line("TemporaryFileSystem=/:ro,mode=0755,nosuid,nodev");
  for (const ViewMount& m : fs.view) {
    if (!plain_path(m.target) || !plain_path(m.source)) {
      refuse(m,
             "the path has a character (':', a blank, a quote or a backslash) that "
             "BindPaths= and TemporaryFileSystem= read as syntax");
      continue;
    }
    const std::string target = specifier_escaped(m.target);
    if (facts.dev && is_under(m.target, "/dev") && m.target != "/dev") {
      if (private_devices_makes(m)) continue;
      if (m.kind == ViewKind::mqueue && plan.namespaces.ipc) continue;  // PrivateIPC= mounts it
      // PrivateDevices= binds the host's /dev/shm; the view has a tmpfs of its own.
      if (m.kind == ViewKind::tmpfs) {
        unit.line("TemporaryFileSystem=" + target + ":" + tmpfs_options(m));
        continue;
      }
    }
    switch (m.kind) {
      case ViewKind::bind: {
        if (m.target == "/sys" && m.read_only && m.source == "/sys") {
          // With a /proc shown, systemd mounts /sys itself (ProtectKernelTunables= makes it
          // read-only); else the host's, bound read-only as harden does.
          if (!facts.proc) unit.line("BindReadOnlyPaths=/sys");
          continue;
        }
        const std::string source = specifier_escaped(m.source);
        const std::string words = source == target ? source : source + ":" + target;
        unit.line((m.read_only ? "BindReadOnlyPaths=" : "BindPaths=") + words);
        if (m.noexec) unit.line("NoExecPaths=" + target);
        continue;
      }
      case ViewKind::tmpfs:
        if (m.target == "/dev") {
          unit.comment("the minimal /dev: null, zero, full, random, urandom, tty, pts, shm");
          unit.line("PrivateDevices=yes");
          unit.line("DevicePolicy=closed");
          continue;
        }
        unit.line("TemporaryFileSystem=" + target + ":" + tmpfs_options(m));
        continue;
      case ViewKind::proc:
        if (m.target != "/proc") break;
        unit.comment("a fresh /proc that shows only the service's own processes and pid files");
        unit.line("ProtectProc=invisible");
        unit.line("ProcSubset=pid");
        continue;
      case ViewKind::remount_ro:
      case ViewKind::mask:
        // The kernel interfaces under /proc are hidden altogether by ProcSubset=pid.
        if (facts.proc && is_under(m.target, "/proc")) continue;
        if (facts.sys && is_under(m.target, "/sys") && m.kind == ViewKind::mask) {
          unit.line("InaccessiblePaths=-" + target);
          continue;
        }
        if (facts.sys && is_under(m.target, "/sys") && m.kind == ViewKind::remount_ro) {
          continue;  // /sys is read-only as a whole
        }
        break;
      case ViewKind::dev_bind:
      case ViewKind::devpts:
      case ViewKind::mqueue:
      case ViewKind::symlink:
        break;
    }
    refuse(m, "systemd has no directive that makes this entry");
  }
  // What systemd adds to the view on its own, named so the unit is not taken for the view.
  const SourcePos pos = policy.filesystem.view_pos.value_or(SourcePos{policy.file, 0, 0});
  unit.extra(diags, pos,
             std::string("/run/systemd/incoming, an empty read-only directory systemd mounts "
                         "in every unit's mount namespace (for systemctl bind)") +
                 (facts.run ? "" : ", and so a /run"));
  if (facts.dev) {
    unit.extra(diags, pos,
               "in /dev: systemd's char/, hugepages/ and the log link, and the host's devpts "
               "instance at /dev/pts where harden mounts a new one");
    if (!plan.namespaces.ipc) {
      unit.extra(diags, pos, "the host's /dev/mqueue (PrivateDevices= binds it)");
    }
  }
  if (facts.proc) {
    if (!facts.sys) {
      unit.extra(diags, pos,
                 "the host's /sys, read-only (with a /proc, systemd mounts its API file "
                 "systems)");
    }
    if (!facts.run) unit.extra(diags, pos, "a tmpfs at /run (with a /proc, systemd mounts one)");
  }
  if (!plan.no_new_privs) {
    unit.missing(diags, pos,
                 "nosuid on the view's binds (systemd 252 binds without it; "
                 "NoNewPrivileges=yes would make set-user-ID files harmless)");
  }
  if (!facts.dev) {
    // No /dev in the view: the device cgroup still refuses every node of the binds.
    unit.line("DevicePolicy=closed");
  }
  if (covers_api_vfs(plan)) {
    // ProtectProc= and ProcSubset= make systemd 252 mount its API file systems (a /proc, the
    // host's /sys, a /run; /dev stays PrivateDevices='s). The view has no /proc and no /sys,
    // so both are covered again with systemd's own empty directory that no one may open
    // (mode 0000; a bind wins over systemd's mounts on the same path, tried in systemd
    // 252). The service sees less than the directives promise: no process at all.
    unit.comment("ProtectProc= and ProcSubset= mount systemd's /proc and /sys; the view has");
    unit.comment("neither, so both are covered with systemd's empty inaccessible directory");
    unit.line("ProtectProc=invisible");
    unit.line("ProcSubset=pid");
    unit.line("BindReadOnlyPaths=/run/systemd/inaccessible/dir:/proc");
    unit.line("BindReadOnlyPaths=/run/systemd/inaccessible/dir:/sys");
    unit.extra(diags, pos,
               std::string("/proc and /sys as empty directories no one may open (mode 0000, "
                           "systemd's /run/systemd/inaccessible/dir, over the /proc and /sys "
                           "that ProtectProc= makes systemd mount)") +
                   (facts.run ? "" : ", and a tmpfs at /run (systemd mounts one with them)"));
  }
  return ok;
}

}  // namespace harden::systemd_unit
