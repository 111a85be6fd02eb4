// Resolves [landlock] and [ipc] into a LandlockPlan: access-right bits per path, the ports,
// the scopes, and the rules derived from the filesystem view.
#include <algorithm>

#include "compiler/compile_layers.hpp"
#include "plan/landlock_abi.hpp"

namespace harden {

namespace {

PlanOrigin origin_of(const SourcePos& pos) {
  return {pos.file, pos.line, pos.column};
}

void add_paths(const LocatedStrings& paths, uint64_t access, bool with_interpreter,
               std::string_view key, LandlockPlan& plan, Diagnostics& diags) {
  for (const LocatedString& path : paths) {
    if (path.value.empty() || path.value[0] != '/') {
      diags.error(path.pos, "'landlock." + std::string(key) + "' paths must be absolute",
                  "write the path as the target sees it, e.g. \"/usr\"");
      continue;
    }
    if (path.value.find('\0') != std::string::npos) {
      diags.error(path.pos, "path contains a NUL byte");
      continue;
    }
    plan.paths.push_back({path.value, access, with_interpreter, origin_of(path.pos)});
  }
}

std::vector<uint16_t> port_list(const std::vector<Located<int64_t>>& ports) {
  std::vector<uint16_t> out;
  for (const auto& port : ports)
    out.push_back(static_cast<uint16_t>(port.value));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

std::vector<LandlockPathRule> derive_view_rules(const FilesystemPlan& fs) {
  std::vector<LandlockPathRule> rules;
  // A classic chroot shows the whole jail, and leaves read/write decisions to file modes:
  // the derived rule grants the jail's root (which is "/" by the time Landlock applies)
  // read and write, so Landlock adds the exec lock and the explicit limits on top.
  if (!fs.chroot.empty()) rules.push_back({"/", landlock_abi::kWrite, false, {}});
  if (!fs.constructed_root) return rules;
  // A constructed root shows exactly its view: everything in it may be read (the root tmpfs
  // holds nothing else), and what the view mounts writable may be written. Masks, read-only
  // remounts and symlinks add nothing: they sit beneath a granted mount and their own mount
  // flags decide.
  rules.push_back({"/", landlock_abi::kRead, false, {}});
  for (const ViewMount& m : fs.view) {
    switch (m.kind) {
      case ViewKind::bind:
      case ViewKind::dev_bind:
      case ViewKind::tmpfs:
      case ViewKind::devpts:
      case ViewKind::mqueue:
        if (!m.read_only) rules.push_back({m.target, landlock_abi::kWrite, false, m.origin});
        break;
      case ViewKind::proc:
        // Never write: /proc holds the process's own attributes (loginuid, oom_score_adj,
        // attr/*, setgroups, ...) whose only guard is often "it is the process itself".
        // Readable through the "/" rule above; an explicit [landlock] write may still grant it.
        break;
      case ViewKind::remount_ro:
      case ViewKind::mask:
      case ViewKind::symlink:
        break;
    }
  }
  return rules;
}

LandlockPlan compile_landlock(const LandlockSection& landlock, const IpcSection& ipc,
                              const FilesystemPlan& fs, Diagnostics& diags) {
  LandlockPlan plan;
  const std::string mode = landlock.mode ? landlock.mode->value : "enforce";
  uint64_t scopes = 0;
  std::optional<SourcePos> scope_pos;
  if (ipc.abstract_unix_sockets && ipc.abstract_unix_sockets->value == "deny") {
    scopes |= landlock_abi::kScopeAbstractUnixSocket;
    scope_pos = ipc.abstract_unix_sockets->pos;
  }
  if (ipc.signals && ipc.signals->value == "deny") {
    scopes |= landlock_abi::kScopeSignal;
    if (!scope_pos) scope_pos = ipc.signals->pos;
  }
  if (mode == "off") {
    if (scopes) {
      diags.error(*scope_pos, "[ipc] denies a scope, but [landlock] mode = \"off\"",
                  "the [ipc] scopes are enforced by Landlock: use mode = \"enforce\" or "
                  "\"best-effort\", or allow the scope");
    }
    const bool has_rules = !landlock.read.empty() || !landlock.write.empty() ||
                           !landlock.execute.empty() || !landlock.refer.empty() ||
                           landlock.bind_tcp || landlock.connect_tcp;
    if (has_rules) {
      diags.warning(landlock.mode->pos, "[landlock] mode = \"off\": its rules have no effect");
    }
    return plan;
  }
  if (!landlock.present && !scopes) return plan;

  plan.enabled = true;
  plan.best_effort = mode == "best-effort";
  plan.scopes = scopes;
  plan.origin = origin_of(landlock.present ? landlock.pos : *scope_pos);
  if (!landlock.present) return plan;  // only the [ipc] scopes

  plan.restrict_fs = !landlock.filesystem || landlock.filesystem->value;
  if (plan.restrict_fs) {
    if (!landlock.derive_from_view || landlock.derive_from_view->value) {
      plan.paths = derive_view_rules(fs);
    }
    add_paths(landlock.read, landlock_abi::kRead, false, "read", plan, diags);
    add_paths(landlock.write, landlock_abi::kWrite, false, "write", plan, diags);
    add_paths(landlock.execute, landlock_abi::kExecute, true, "execute", plan, diags);
    // Renames and hard links from one directory to another only beneath these paths (both
    // ends must be beneath one); everywhere else they fail with EXDEV. Not part of "write":
    // moving a file elsewhere in the tree is how a confined process would carry it out of
    // the rules that govern where it was.
    add_paths(landlock.refer, landlock_abi::kFsRefer, false, "refer", plan, diags);
  } else {
    for (const LocatedStrings* list :
         {&landlock.read, &landlock.write, &landlock.execute, &landlock.refer}) {
      if (list->empty()) continue;
      diags.error(list->front().pos, "path rules need filesystem = true",
                  "with filesystem = false Landlock leaves the filesystem alone; remove the "
                  "paths or the filesystem key");
      break;
    }
  }
  if (landlock.bind_tcp) {
    plan.restrict_bind = true;
    plan.bind_tcp = port_list(*landlock.bind_tcp);
  }
  if (landlock.connect_tcp) {
    plan.restrict_connect = true;
    plan.connect_tcp = port_list(*landlock.connect_tcp);
  }
  if (!plan.restrict_fs && !plan.restrict_bind && !plan.restrict_connect && !plan.scopes) {
    diags.error(landlock.filesystem->pos, "[landlock] restricts nothing",
                "with filesystem = false, give bind_tcp or connect_tcp, or deny an [ipc] scope");
  }
  return plan;
}

}  // namespace harden
