// The policy as written: plain structs holding names and values exactly as the user spelt
// them, each with the place it came from. Nothing here is resolved; see plan/plan.hpp for
// the compiled form. Optional fields are absent when the policy (and its bases) did not set them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/diagnostics.hpp"

namespace harden {

template <typename T>
struct Located {
  T value{};
  SourcePos pos;
};

using LocatedString = Located<std::string>;
using LocatedStrings = std::vector<LocatedString>;

struct PolicyMeta {
  LocatedString name;
  std::vector<std::string> extends_chain;  // files merged, base first (for messages and lint)
  // Where each top-level table ("seccomp", "limits", ...) of the merged policy was opened, so
  // lint can point at the header of a section whose key is missing.
  std::map<std::string, SourcePos, std::less<>> sections;
};

struct ExecSection {
  std::optional<Located<std::vector<std::string>>> command;
  std::optional<LocatedString> working_directory;
  std::optional<LocatedString> umask;  // octal string, e.g. "0027"
  std::optional<Located<bool>> new_session;
  std::vector<Located<int64_t>> pass_fds;
  std::optional<Located<bool>> pass_listen_fds;
  std::optional<Located<bool>> pass_notify_socket;
  std::optional<Located<bool>> memory_deny_write_execute;
};

struct IdentitySection {
  std::optional<LocatedString> user;   // name or decimal id
  std::optional<LocatedString> group;  // name or decimal id; default: the user's primary group
  std::optional<LocatedStrings> supplementary_groups;
  SourcePos supplementary_groups_pos;  // the key's, for an error about an empty list
  std::optional<Located<bool>> no_new_privileges;
};

struct CapabilitiesSection {
  LocatedStrings keep;
};

// A number as written, or a symbolic constant ("AF_INET", "O_RDONLY|O_CLOEXEC") that the
// seccomp compiler resolves.
struct ArgValue {
  std::optional<uint64_t> number;
  std::string symbol;
  SourcePos pos;
};

struct SeccompArg {
  Located<int64_t> index;
  LocatedString op;  // eq ne lt le gt ge masked-eq
  ArgValue value;
  std::optional<ArgValue> mask;           // masked-eq only
  std::optional<Located<int64_t>> width;  // 32 or 64; default 32 (see harden.toml(5))
  SourcePos pos;
};

struct SeccompRule {
  LocatedString syscall;
  std::vector<SeccompArg> args;
  LocatedString action;  // allow | kill-process | kill-thread | errno:NAME | trap | log
  SourcePos pos;         // the [[seccomp.rule]] table itself
  // Why the rule exists; lint accepts it as the justification of a dangerous call. Last, with
  // a default, so brace-initialised rules need not name it.
  std::optional<LocatedString> reason{};
  // An errno answer is the rule's purpose, so a supervised launch does not report each call it
  // answers unless this is true. Kills are always reported.
  std::optional<Located<bool>> report{};
};

struct SeccompSection {
  bool present = false;
  std::optional<LocatedString> default_action;
  LocatedStrings allow;   // syscall names and @groups
  LocatedStrings deny;    // removed from what allow grants, gets the default action; merged
                          // across `extends` (a base's deny list stays)
  LocatedStrings reopen;  // taken back out of deny (a base's); lint flags each (seccomp-reopen)
  std::optional<LocatedStrings> architectures;
  std::optional<Located<bool>> log_denials;
  // Refuse (EPERM) giving a file set-user-ID or set-group-ID, as systemd's RestrictSUIDSGID=:
  // the compiler adds the refusing rules (compiler/seccomp_resolve.cpp).
  std::optional<Located<bool>> restrict_suid_sgid;
  std::vector<SeccompRule> rules;
  SourcePos pos;
};

// One entry of [filesystem] read_only / read_write / tmpfs: a plain path string, or a table
// { path, source, noexec, size, mode } (which keys apply depends on the list).
struct ViewEntry {
  LocatedString path;                   // where it appears inside the new root
  std::optional<LocatedString> source;  // binds: the host path; default: the same as path
  std::optional<Located<bool>> noexec;
  std::optional<Located<uint64_t>> size;  // tmpfs: bytes
  std::optional<LocatedString> mode;      // tmpfs: octal string, e.g. "1777"
};

struct FilesystemSection {
  std::optional<LocatedString> chroot;
  // The constructed root: an empty tmpfs with these in it.
  std::vector<ViewEntry> read_only;
  std::vector<ViewEntry> read_write;
  std::vector<ViewEntry> tmpfs;
  std::optional<Located<bool>> proc;
  std::optional<Located<bool>> sys;
  std::optional<LocatedString> dev;  // "minimal" | "none"
  // Where the first constructed-root key was written (for "excludes chroot" and friends).
  std::optional<SourcePos> view_pos;
};

struct NamespacesSection {
  std::optional<LocatedString> ipc;  // private (default) | host
  std::optional<Located<bool>> mount;
  std::optional<Located<bool>> uts;
  std::optional<LocatedString> hostname;
  std::optional<LocatedString> net;  // host (default) | private | loopback
  std::optional<Located<bool>> cgroup;
  std::optional<Located<bool>> pid;
  std::optional<Located<bool>> user;
};

// [landlock]: a Landlock ruleset. Paths are as the target sees them (inside the view).
struct LandlockSection {
  bool present = false;
  std::optional<LocatedString> mode;              // enforce | best-effort | off
  std::optional<Located<bool>> filesystem;        // restrict the filesystem (default true)
  std::optional<Located<bool>> derive_from_view;  // rules from [filesystem] (default true)
  LocatedStrings read;
  LocatedStrings write;
  LocatedStrings execute;
  LocatedStrings refer;  // where renames and links may cross directories (Landlock REFER)
  std::optional<std::vector<Located<int64_t>>> bind_tcp;     // absent: binding unrestricted
  std::optional<std::vector<Located<int64_t>>> connect_tcp;  // absent: connecting unrestricted
  SourcePos pos;
};

// [ipc]: what the target may reach outside its sandbox through IPC that namespaces do not
// cover. Both are Landlock scopes.
struct IpcSection {
  std::optional<LocatedString> abstract_unix_sockets;  // deny | allow
  std::optional<LocatedString> signals;                // deny | allow
};

// [cgroup]: limits enforced by a cgroup made for this launch.
struct CgroupSection {
  bool present = false;
  std::optional<Located<uint64_t>> memory;  // bytes
  std::optional<Located<int64_t>> pids;
  std::optional<LocatedString> cpu;      // "50%", "200%"
  std::optional<LocatedString> systemd;  // fail | leave | nest
  SourcePos pos;
};

struct LimitValue {
  Located<std::string> name;              // nofile, nproc, ...
  std::optional<Located<uint64_t>> soft;  // absent: "infinity"
  std::optional<Located<uint64_t>> hard;
  bool soft_infinite = false;
  bool hard_infinite = false;
};

struct LimitsSection {
  std::vector<LimitValue> values;
};

struct EnvironmentSection {
  std::optional<Located<bool>> clear;
  LocatedStrings keep;
  std::vector<std::pair<LocatedString, LocatedString>> set;  // name, value
};

// One [[network.allow]] table: traffic the nftables table lets through.
struct NetworkAllow {
  LocatedString direction;                // ingress | egress
  std::optional<LocatedString> protocol;  // tcp | udp; absent: any protocol
  LocatedStrings ports;                   // "80" or "8000-8100", as written (numbers become text)
  LocatedStrings addresses;               // egress: destinations; ingress: sources; v4 or v6
  SourcePos pos;
};

struct NetworkSection {
  bool present = false;
  std::optional<LocatedString> scope;     // netns | uid | cgroup
  std::optional<LocatedString> ingress;   // drop | reject | accept
  std::optional<LocatedString> egress;    // drop | reject | accept
  std::optional<LocatedString> loopback;  // accept | filter
  std::optional<LocatedString> cgroup;    // cgroup v2 path, scope = "cgroup" only
  std::vector<NetworkAllow> allow;
  SourcePos pos;
};

struct AuditWatch {
  LocatedString path;
  std::optional<LocatedString> permissions;  // letters from "rwxa"; default all four
  std::optional<LocatedString> key;          // default: [audit] key, else the policy name
  SourcePos pos;
};

struct AuditSyscallRule {
  LocatedStrings syscalls;
  std::optional<LocatedString> key;
  SourcePos pos;
};

struct AuditSection {
  bool present = false;
  std::optional<LocatedString> key;  // default key of every rule
  std::vector<AuditWatch> watches;
  std::vector<AuditSyscallRule> syscalls;
  SourcePos pos;
};

struct LsmSection {
  std::optional<LocatedString> apparmor_profile;
  std::optional<LocatedString> selinux_context;
  std::optional<Located<bool>> optional;  // run unconfined (with a warning) if the LSM is off
};

// One [lint] allow entry: a finding of `rule` is accepted for `reason`. With `items`, only
// findings about those names (syscalls, capabilities, limits, ...) are.
struct LintSuppression {
  LocatedString rule;
  LocatedString reason;
  LocatedStrings items;
  SourcePos pos;
};

struct LintSection {
  std::vector<LintSuppression> allow;
};

struct Policy {
  std::string file;  // the top file the user named
  PolicyMeta meta;
  ExecSection exec;
  IdentitySection identity;
  CapabilitiesSection capabilities;
  SeccompSection seccomp;
  FilesystemSection filesystem;
  NamespacesSection namespaces;
  LimitsSection limits;
  EnvironmentSection environment;
  LandlockSection landlock;
  IpcSection ipc;
  CgroupSection cgroup;
  NetworkSection network;
  AuditSection audit;
  LsmSection lsm;
  LintSection lint;
};

}  // namespace harden
