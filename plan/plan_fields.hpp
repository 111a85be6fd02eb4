// The member lists of the plan structs, in declaration order: what the plan file stores
// (plan_io.cpp), what its layout fingerprint covers, and nothing else. Included at the end of
// plan.hpp, so every file that sees a plan struct also sees the check below it.
//
// Adding a member to a plan struct? Add it to that struct's visit_fields() here too; the
// static_assert under each list fails the build until you do.
#pragma once

#include "plan/fields.hpp"
#include "plan/plan.hpp"

namespace harden {

using plan_fields::field_count;
using plan_fields::Is;

template <Is<sock_filter> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("code", s.code);
  v("jt", s.jt);
  v("jf", s.jf);
  v("k", s.k);
}
static_assert(field_count<sock_filter>() == 4, "add the new member to visit_fields");

template <Is<PlanOrigin> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("file", s.file);
  v("line", s.line);
  v("column", s.column);
}
static_assert(field_count<PlanOrigin>() == 3, "add the new member to visit_fields");

template <Is<CredentialsPlan> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("change_ids", s.change_ids);
  v("uid", s.uid);
  v("gid", s.gid);
  v("supplementary_groups", s.supplementary_groups);
}
static_assert(field_count<CredentialsPlan>() == 4, "add the new member to visit_fields");

template <Is<CapabilitiesPlan> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("keep", s.keep);
  v("last_cap", s.last_cap);
}
static_assert(field_count<CapabilitiesPlan>() == 2, "add the new member to visit_fields");

template <Is<SeccompOrigin> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("nr", s.nr);
  v("action", s.action);
  v("what", s.what);
  v("origin", s.origin);
  v("report", s.report);
}
static_assert(field_count<SeccompOrigin>() == 5, "add the new member to visit_fields");

template <Is<SeccompPlan> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("enabled", s.enabled);
  v("flags", s.flags);
  v("program", s.program);
  v("default_action_origin", s.default_action_origin);
  v("origins", s.origins);
}
static_assert(field_count<SeccompPlan>() == 5, "add the new member to visit_fields");

template <Is<ResourceLimit> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("resource", s.resource);
  v("soft", s.soft);
  v("hard", s.hard);
}
static_assert(field_count<ResourceLimit>() == 3, "add the new member to visit_fields");

template <Is<EnvironmentPlan> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("clear", s.clear);
  v("keep", s.keep);
  v("set", s.set);
}
static_assert(field_count<EnvironmentPlan>() == 3, "add the new member to visit_fields");

template <Is<FdPlan> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("pass", s.pass);
  v("pass_listen_fds", s.pass_listen_fds);
}
static_assert(field_count<FdPlan>() == 2, "add the new member to visit_fields");

template <Is<ExecPlan> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("command", s.command);
  v("working_directory", s.working_directory);
  v("umask", s.umask);
  v("new_session", s.new_session);
  v("pass_notify_socket", s.pass_notify_socket);
  v("memory_deny_write_execute", s.memory_deny_write_execute);
}
static_assert(field_count<ExecPlan>() == 6, "add the new member to visit_fields");

template <Is<ViewMount> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("kind", s.kind);
  v("target", s.target);
  v("source", s.source);
  v("read_only", s.read_only);
  v("noexec", s.noexec);
  v("size", s.size);
  v("mode", s.mode);
  v("origin", s.origin);
}
static_assert(field_count<ViewMount>() == 8, "add the new member to visit_fields");

template <Is<FilesystemPlan> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("chroot", s.chroot);
  v("constructed_root", s.constructed_root);
  v("view", s.view);
}
static_assert(field_count<FilesystemPlan>() == 3, "add the new member to visit_fields");

template <Is<NamespacesPlan> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("user", s.user);
  v("mount", s.mount);
  v("ipc", s.ipc);
  v("uts", s.uts);
  v("net", s.net);
  v("cgroup", s.cgroup);
  v("pid", s.pid);
  v("loopback_up", s.loopback_up);
  v("hostname", s.hostname);
}
static_assert(field_count<NamespacesPlan>() == 9, "add the new member to visit_fields");

template <Is<LandlockPathRule> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("path", s.path);
  v("access", s.access);
  v("with_interpreter", s.with_interpreter);
  v("origin", s.origin);
}
static_assert(field_count<LandlockPathRule>() == 4, "add the new member to visit_fields");

template <Is<LandlockPlan> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("enabled", s.enabled);
  v("best_effort", s.best_effort);
  v("restrict_fs", s.restrict_fs);
  v("paths", s.paths);
  v("restrict_bind", s.restrict_bind);
  v("restrict_connect", s.restrict_connect);
  v("bind_tcp", s.bind_tcp);
  v("connect_tcp", s.connect_tcp);
  v("scopes", s.scopes);
  v("origin", s.origin);
}
static_assert(field_count<LandlockPlan>() == 10, "add the new member to visit_fields");

template <Is<CgroupPlan> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("memory_max", s.memory_max);
  v("pids_max", s.pids_max);
  v("cpu_quota_us", s.cpu_quota_us);
  v("cpu_period_us", s.cpu_period_us);
  v("under_systemd", s.under_systemd);
}
static_assert(field_count<CgroupPlan>() == 5, "add the new member to visit_fields");

template <Is<NetworkPlan> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("enabled", s.enabled);
  v("scope", s.scope);
  v("table", s.table);
  v("ruleset", s.ruleset);
  v("launch_cgroup", s.launch_cgroup);
}
static_assert(field_count<NetworkPlan>() == 5, "add the new member to visit_fields");

template <Is<AuditRule> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("kind", s.kind);
  v("path", s.path);
  v("directory", s.directory);
  v("permissions", s.permissions);
  v("syscalls", s.syscalls);
  v("uid", s.uid);
  v("key", s.key);
}
static_assert(field_count<AuditRule>() == 7, "add the new member to visit_fields");

template <Is<AuditPlan> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("owner_key", s.owner_key);
  v("rules", s.rules);
}
static_assert(field_count<AuditPlan>() == 2, "add the new member to visit_fields");

template <Is<LsmPlan> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("apparmor_profile", s.apparmor_profile);
  v("selinux_context", s.selinux_context);
  v("optional", s.optional);
}
static_assert(field_count<LsmPlan>() == 3, "add the new member to visit_fields");

template <Is<PlanData> S, class V>
constexpr void visit_fields(S& s, V& v) {
  v("schema_version", s.schema_version);
  v("audit_arch", s.audit_arch);
  v("policy_name", s.policy_name);
  v("policy_file", s.policy_file);
  v("no_new_privs", s.no_new_privs);
  v("credentials", s.credentials);
  v("capabilities", s.capabilities);
  v("seccomp", s.seccomp);
  v("limits", s.limits);
  v("environment", s.environment);
  v("fds", s.fds);
  v("exec", s.exec);
  v("filesystem", s.filesystem);
  v("namespaces", s.namespaces);
  v("landlock", s.landlock);
  v("cgroup", s.cgroup);
  v("network", s.network);
  v("audit", s.audit);
  v("lsm", s.lsm);
}
static_assert(field_count<PlanData>() == 19, "add the new member to visit_fields");

}  // namespace harden
