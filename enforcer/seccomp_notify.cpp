#include "enforcer/seccomp_notify.hpp"

#include <sys/syscall.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "enforcer/syscall_names.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/landlock_abi.hpp"
#include "plan/plan_io.hpp"

namespace harden::enforce::seccomp_notify {

namespace {

bool is_errno_answer(uint32_t ret) {
  return (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO && (ret & SECCOMP_RET_DATA) != ENOSYS;
}

std::string where(const PlanOrigin& origin) {
  if (origin.line == 0) return origin.file.empty() ? "the policy" : origin.file;
  return origin.file + ":" + std::to_string(origin.line) + ":" + std::to_string(origin.column);
}

bool is_exec_call(uint32_t arch, uint32_t nr) {
  return arch == native_audit_arch() && (nr == SYS_execve || nr == SYS_execveat);
}

constexpr sock_filter statement(uint16_t code, uint32_t k) {
  return {code, 0, 0, k};
}
constexpr sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return {code, jt, jf, k};
}

}  // namespace

bool has_errno_answers(const SeccompPlan& plan) {
  if (!plan.enabled) return false;
  for (const sock_filter& insn : plan.program) {
    if (insn.code == (BPF_RET | BPF_K) && is_errno_answer(insn.k)) return true;
  }
  return false;
}

bool exec_lock_total(const PlanData& plan) {
  static_assert(landlock_abi::kFsExecute == 1ULL << 0);  // what plan.hpp's check assumes
  return harden::exec_lock_total(plan.landlock);
}

std::vector<sock_filter> notifying_program(std::span<const sock_filter> program,
                                           NotifyChoice choice) {
  std::vector<sock_filter> out;
  if (choice.exec_calls) {
    // A prefix, then the program unchanged: native execve and execveat notify, everything
    // else (other architectures too) falls through to the program, which starts by loading
    // what it needs. Forward jumps only, all within the prefix.
    const auto arch = static_cast<uint32_t>(offsetof(seccomp_data, arch));
    const auto nr = static_cast<uint32_t>(offsetof(seccomp_data, nr));
    out = {
        statement(BPF_LD | BPF_W | BPF_ABS, arch),
        jump(BPF_JMP | BPF_JEQ | BPF_K, native_audit_arch(), 0, 4),
        statement(BPF_LD | BPF_W | BPF_ABS, nr),
        jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, 1, 0),
        jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_execveat, 0, 1),
        statement(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
    };
  }
  const size_t prefix = out.size();
  if (program.empty()) {
    out.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    return out;
  }
  out.insert(out.end(), program.begin(), program.end());
  if (choice.errno_answers) {
    for (size_t i = prefix; i < out.size(); ++i) {
      sock_filter& insn = out[i];
      if (insn.code == (BPF_RET | BPF_K) && is_errno_answer(insn.k)) {
        insn.k = SECCOMP_RET_USER_NOTIF;
      }
    }
  }
  return out;
}

std::string describe_denial(const PlanData& plan, uint32_t arch, uint32_t nr, uint32_t action,
                            const std::string& who) {
  std::string call;
  std::string why = "default_action at " + where(plan.seccomp.default_action_origin);
  if (arch == native_audit_arch()) {
    const std::string_view name = syscall_name(nr);
    call = (name.empty() ? "syscall" : std::string(name)) + " (nr " + std::to_string(nr) + ")";
    for (const SeccompOrigin& origin : plan.seccomp.origins) {
      if (origin.nr == nr && origin.action == action) {
        why = origin.what + " at " + where(origin.origin);
        break;
      }
    }
  } else {
    call = "syscall nr " + std::to_string(nr) + " of architecture " + audit_arch_name(arch);
    why = "the filter's architecture check (only " + audit_arch_name(native_audit_arch()) +
          " calls are admitted)";
  }
  return "harden: seccomp denied " + call + " in " + who + ": " + describe_seccomp_action(action) +
         ", from " + why + "\n";
}

Verdict judge(const PlanData& plan, JudgeState& state, const seccomp_notif& notif) {
  Verdict verdict;
  const auto nr = static_cast<uint32_t>(notif.data.nr);
  const uint32_t arch = notif.data.arch;
  auto evaluated = plan.seccomp.enabled ? evaluate_seccomp_program(plan.seccomp.program, notif.data)
                                        : std::expected<uint32_t, std::string>(SECCOMP_RET_ALLOW);
  const std::string who = "pid " + std::to_string(notif.pid);
  if (!evaluated) {
    verdict.error = EPERM;
    verdict.report = "harden: seccomp denied syscall nr " + std::to_string(nr) + " in " + who +
                     ": the filter could not be evaluated (" + evaluated.error() + ")\n";
    return verdict;
  }
  const uint32_t action = *evaluated;
  const uint32_t kind = action & SECCOMP_RET_ACTION_FULL;
  if (state.exec_lock && is_exec_call(arch, nr) && kind == SECCOMP_RET_ALLOW) {
    if (!state.target_started && static_cast<pid_t>(notif.pid) == state.child) {
      state.target_started = true;  // harden's own execve of the target
      verdict.proceed = true;
      return verdict;
    }
    verdict.error = EACCES;  // what Landlock answers for a file it may not execute
    verdict.report = "harden: exec lock: " + who + " may not execute another program (" +
                     std::string(syscall_name(nr)) +
                     " refused: with no program listed in [landlock] execute, nothing may run "
                     "after the target's own start)\n";
    return verdict;
  }
  if (kind == SECCOMP_RET_ERRNO) {
    verdict.error = static_cast<int>(action & SECCOMP_RET_DATA);
    // An errno a [[seccomp.rule]] answers on purpose is answered quietly (report = false).
    if (arch == native_audit_arch()) {
      for (const SeccompOrigin& origin : plan.seccomp.origins) {
        if (origin.nr == nr && origin.action == action) {
          if (!origin.report) return verdict;
          break;
        }
      }
    }
  } else {
    // A kill the filter should have left to the kernel (an execve rule with a condition):
    // refuse, and say so.
    verdict.error = EPERM;
  }
  char args[6 * 20 + 16];
  std::snprintf(
      args, sizeof args,
      "0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64,
      static_cast<uint64_t>(notif.data.args[0]), static_cast<uint64_t>(notif.data.args[1]),
      static_cast<uint64_t>(notif.data.args[2]), static_cast<uint64_t>(notif.data.args[3]),
      static_cast<uint64_t>(notif.data.args[4]), static_cast<uint64_t>(notif.data.args[5]));
  verdict.report =
      describe_denial(plan, arch, nr, action, who + ", args (" + std::string(args) + ")");
  return verdict;
}

}  // namespace harden::enforce::seccomp_notify
