#include "enforcer/seccomp_notify.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "compiler/plan/bpf_eval.hpp"
#include "compiler/plan/plan_io.hpp"
#include "enforcer/syscall_names.hpp"

namespace harden::enforce::seccomp_notify {

namespace {

bool reportable(uint32_t ret) {
  const uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
  if (action == SECCOMP_RET_KILL_PROCESS) return true;
  return action == SECCOMP_RET_ERRNO && (ret & SECCOMP_RET_DATA) != ENOSYS;
}

std::string where(const PlanOrigin& origin) {
  if (origin.line == 0) return origin.file.empty() ? "the policy" : origin.file;
  return origin.file + ":" + std::to_string(origin.line) + ":" + std::to_string(origin.column);
}

}  // namespace

bool wanted(const SeccompPlan& plan) {
  if (!plan.enabled) return false;
  for (const sock_filter& insn : plan.program) {
    if (insn.code == (BPF_RET | BPF_K) && reportable(insn.k)) return true;
  }
  return false;
}

std::vector<sock_filter> notifying_program(std::span<const sock_filter> program) {
  std::vector<sock_filter> out(program.begin(), program.end());
  for (sock_filter& insn : out) {
    if (insn.code == (BPF_RET | BPF_K) && reportable(insn.k)) insn.k = SECCOMP_RET_USER_NOTIF;
  }
  return out;
}

Verdict judge(const PlanData& plan, const seccomp_notif& notif) {
  Verdict verdict;
  auto action = evaluate_seccomp_program(plan.seccomp.program, notif.data);
  verdict.action = action ? *action : SECCOMP_RET_KILL_PROCESS;

  const uint32_t nr = static_cast<uint32_t>(notif.data.nr);
  std::string call;
  if (notif.data.arch == native_audit_arch()) {
    const std::string_view name = syscall_name(nr);
    call = (name.empty() ? "syscall" : std::string(name)) + " (nr " + std::to_string(nr) + ")";
  } else {
    call =
        "syscall nr " + std::to_string(nr) + " of architecture " + audit_arch_name(notif.data.arch);
  }
  char args[6 * 20 + 16];
  std::snprintf(
      args, sizeof args,
      "0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64,
      static_cast<uint64_t>(notif.data.args[0]), static_cast<uint64_t>(notif.data.args[1]),
      static_cast<uint64_t>(notif.data.args[2]), static_cast<uint64_t>(notif.data.args[3]),
      static_cast<uint64_t>(notif.data.args[4]), static_cast<uint64_t>(notif.data.args[5]));

  std::string why;
  if (!action) {
    why = "the filter could not be evaluated (" + action.error() + ")";
  } else {
    why = "default_action at " + where(plan.seccomp.default_action_origin);
    for (const SeccompOrigin& origin : plan.seccomp.origins) {
      if (notif.data.arch == native_audit_arch() && origin.nr == nr &&
          origin.action == verdict.action) {
        why = origin.what + " at " + where(origin.origin);
        break;
      }
    }
  }
  verdict.report = "harden: seccomp denied " + call + " in pid " + std::to_string(notif.pid) +
                   ", args (" + args + "): " + describe_seccomp_action(verdict.action) + ", from " +
                   why + "\n";
  return verdict;
}

}  // namespace harden::enforce::seccomp_notify
