// Denial reports in userspace: which answers become user notifications, and what the
// supervisor says and does for one (the kernel side is in tests/kernel/test_sealed_wrapper.cpp).
#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <sys/syscall.h>

#include <cerrno>

#include "compiler/compile.hpp"
#include "enforcer/seccomp_notify.hpp"
#include "enforcer/syscall_names.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/plan_io.hpp"
#include "policy/policy_reader.hpp"
#include "tests/support/harness.hpp"

using namespace harden;
using namespace harden::enforce;

namespace {

sock_filter ret(uint32_t value) {
  return {BPF_RET | BPF_K, 0, 0, value};
}

seccomp_notif notification(uint32_t nr, uint32_t arch = native_audit_arch()) {
  seccomp_notif notif{};
  notif.id = 1;
  notif.pid = 4242;
  notif.data.nr = static_cast<int>(nr);
  notif.data.arch = arch;
  notif.data.args[0] = 0xdead;
  return notif;
}

}  // namespace

TEST_CASE("only errno answers become notifications, kills stay the kernel's", "[supervise]") {
  const std::vector<sock_filter> program{
      ret(SECCOMP_RET_ALLOW),         ret(SECCOMP_RET_KILL_PROCESS),
      ret(SECCOMP_RET_ERRNO | EPERM), ret(SECCOMP_RET_ERRNO | ENOSYS),
      ret(SECCOMP_RET_KILL_THREAD),   ret(SECCOMP_RET_TRAP),
      ret(SECCOMP_RET_LOG),           {BPF_LD | BPF_W | BPF_ABS, 0, 0, SECCOMP_RET_ERRNO | EPERM}};
  const auto out = seccomp_notify::notifying_program(program, {.errno_answers = true});
  REQUIRE(out.size() == program.size());
  CHECK(out[0].k == SECCOMP_RET_ALLOW);
  CHECK(out[1].k == SECCOMP_RET_KILL_PROCESS);  // the kernel kills: no userspace dodge
  CHECK(out[2].k == SECCOMP_RET_USER_NOTIF);
  CHECK(out[3].k == (SECCOMP_RET_ERRNO | ENOSYS));  // compatibility answer, not a denial
  CHECK(out[4].k == SECCOMP_RET_KILL_THREAD);
  CHECK(out[5].k == SECCOMP_RET_TRAP);
  CHECK(out[6].k == SECCOMP_RET_LOG);
  CHECK(out[7].k == (SECCOMP_RET_ERRNO | EPERM));  // a load, not a return
  // Without errno answers chosen, the program is unchanged.
  const auto plain = seccomp_notify::notifying_program(program, {});
  CHECK(plain[2].k == (SECCOMP_RET_ERRNO | EPERM));

  SeccompPlan plan;
  plan.enabled = true;
  plan.program = {ret(SECCOMP_RET_ALLOW), ret(SECCOMP_RET_ERRNO | ENOSYS),
                  ret(SECCOMP_RET_KILL_PROCESS)};
  CHECK_FALSE(seccomp_notify::has_errno_answers(plan));
  plan.program.push_back(ret(SECCOMP_RET_ERRNO | EACCES));
  CHECK(seccomp_notify::has_errno_answers(plan));
  plan.enabled = false;
  CHECK_FALSE(seccomp_notify::has_errno_answers(plan));
}

TEST_CASE("the exec lock's prefix sends native execve and execveat, and nothing else",
          "[supervise][exec-lock]") {
  const std::vector<sock_filter> allow_all{ret(SECCOMP_RET_ALLOW)};
  const auto out = seccomp_notify::notifying_program(allow_all, {.exec_calls = true});
  const auto verdict = [&](uint32_t nr, uint32_t arch) {
    seccomp_data data{};
    data.nr = static_cast<int>(nr);
    data.arch = arch;
    const auto action = evaluate_seccomp_program(out, data);
    REQUIRE(action.has_value());
    return *action;
  };
  CHECK(verdict(SYS_execve, native_audit_arch()) == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(SYS_execveat, native_audit_arch()) == SECCOMP_RET_USER_NOTIF);
  CHECK(verdict(SYS_getpid, native_audit_arch()) == SECCOMP_RET_ALLOW);
  // Another ABI falls through to the policy's own program (here: allow everything).
  CHECK(verdict(SYS_execve, AUDIT_ARCH_I386) == SECCOMP_RET_ALLOW);
  // No policy filter at all: the prefix and an allow.
  const auto lone = seccomp_notify::notifying_program({}, {.exec_calls = true});
  CHECK(lone.back().k == SECCOMP_RET_ALLOW);
}

TEST_CASE("the exec lock lets harden's own execve through once, then refuses",
          "[supervise][exec-lock]") {
  PlanData plan;
  seccomp_notify::JudgeState state{.child = 4242, .exec_lock = true, .target_started = false};
  auto exec = notification(SYS_execve);
  // Another task first (cannot happen, but must not count as the target's start).
  exec.pid = 5000;
  auto verdict = seccomp_notify::judge(plan, state, exec);
  CHECK_FALSE(verdict.proceed);
  CHECK(verdict.error == EACCES);
  exec.pid = 4242;
  verdict = seccomp_notify::judge(plan, state, exec);
  CHECK(verdict.proceed);
  CHECK(verdict.report.empty());
  verdict = seccomp_notify::judge(plan, state, exec);
  CHECK_FALSE(verdict.proceed);
  CHECK(verdict.error == EACCES);
  CHECK(verdict.report.find("exec lock") != std::string::npos);
  verdict = seccomp_notify::judge(plan, state, notification(SYS_execveat));
  CHECK(verdict.error == EACCES);
}

TEST_CASE("the verdict is the original program's, with the policy line behind it", "[supervise]") {
  test::TempDir dir;
  const std::string policy = test::write_policy(dir, "notify", R"([policy]
name = "notify"
[seccomp]
default_action = "errno:EACCES"
allow = ["@system-service"]
deny = ["mkdir"]
[[seccomp.rule]]
syscall = "ptrace"
action = "kill-process"
)");
  Diagnostics diags;
  const std::optional<Plan> plan = compile_policy_file(policy, diags);
  INFO(render_all(diags));
  REQUIRE(plan.has_value());

  seccomp_notify::JudgeState state{.child = 4242};
  SECTION("a kill, as the kernel's audit record names it: the [[seccomp.rule]] behind it") {
    const std::string report = seccomp_notify::describe_denial(
        plan->data(), native_audit_arch(), 101, SECCOMP_RET_KILL_PROCESS, "pid 7 (probe)");
    CHECK(report.find("seccomp denied ptrace (nr 101) in pid 7 (probe)") != std::string::npos);
    CHECK(report.find("kill-process, from [[seccomp.rule]] at " + policy + ":7:1") !=
          std::string::npos);
  }
  SECTION("an errno answer: the call, its arguments and the line") {
    const auto verdict = seccomp_notify::judge(plan->data(), state, notification(83));
    CHECK(verdict.report.find("seccomp denied mkdir (nr 83) in pid 4242") != std::string::npos);
    CHECK(verdict.report.find("args (0xdead, 0x0,") != std::string::npos);
  }
  SECTION("a deny entry") {
    const auto verdict = seccomp_notify::judge(plan->data(), state, notification(83));
    CHECK(verdict.error == EACCES);
    CHECK(verdict.report.find("errno:EACCES, from deny at " + policy + ":6:9") !=
          std::string::npos);
  }
  SECTION("the default action") {
    const auto verdict = seccomp_notify::judge(plan->data(), state, notification(169));  // reboot
    CHECK(verdict.error == EACCES);
    CHECK(verdict.report.find("reboot (nr 169)") != std::string::npos);
    CHECK(verdict.report.find("from default_action at " + policy + ":4:18") != std::string::npos);
  }
  SECTION("another architecture") {
    const std::string report = seccomp_notify::describe_denial(
        plan->data(), AUDIT_ARCH_I386, 11, SECCOMP_RET_KILL_PROCESS, "pid 7 (probe)");
    CHECK(report.find("syscall nr 11 of architecture i386") != std::string::npos);
    CHECK(report.find("architecture check") != std::string::npos);
  }
  SECTION("a program that cannot run refuses the call: fail closed") {
    PlanData broken = plan->data();
    broken.seccomp.program = {{BPF_LD | BPF_W | BPF_ABS, 0, 0, 4096}};
    const auto verdict = seccomp_notify::judge(broken, state, notification(83));
    CHECK_FALSE(verdict.proceed);
    CHECK(verdict.error == EPERM);
    CHECK(verdict.report.find("could not be evaluated") != std::string::npos);
  }
}

TEST_CASE("syscall names come from the C library's table", "[supervise]") {
#if defined(__x86_64__)
  CHECK(syscall_name(0) == "read");
  CHECK(syscall_name(257) == "openat");
  CHECK(syscall_name(435) == "clone3");
#endif
  CHECK(syscall_name(100000).empty());
}
