// Denial reports in userspace: which answers become user notifications, and what the
// supervisor says and does for one (the kernel side is in tests/kernel/test_sealed_wrapper.cpp).
#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cerrno>

#include "compiler/compile.hpp"
#include "compiler/plan/plan_io.hpp"
#include "compiler/policy_reader.hpp"
#include "enforcer/seccomp_notify.hpp"
#include "enforcer/syscall_names.hpp"
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

TEST_CASE("kill-process and errno answers become notifications, the rest stays", "[supervise]") {
  const std::vector<sock_filter> program{
      ret(SECCOMP_RET_ALLOW),         ret(SECCOMP_RET_KILL_PROCESS),
      ret(SECCOMP_RET_ERRNO | EPERM), ret(SECCOMP_RET_ERRNO | ENOSYS),
      ret(SECCOMP_RET_KILL_THREAD),   ret(SECCOMP_RET_TRAP),
      ret(SECCOMP_RET_LOG),           {BPF_LD | BPF_W | BPF_ABS, 0, 0, SECCOMP_RET_KILL_PROCESS}};
  const auto out = seccomp_notify::notifying_program(program);
  REQUIRE(out.size() == program.size());
  CHECK(out[0].k == SECCOMP_RET_ALLOW);
  CHECK(out[1].k == SECCOMP_RET_USER_NOTIF);
  CHECK(out[2].k == SECCOMP_RET_USER_NOTIF);
  CHECK(out[3].k == (SECCOMP_RET_ERRNO | ENOSYS));  // compatibility answer, not a denial
  CHECK(out[4].k == SECCOMP_RET_KILL_THREAD);
  CHECK(out[5].k == SECCOMP_RET_TRAP);
  CHECK(out[6].k == SECCOMP_RET_LOG);
  CHECK(out[7].k == SECCOMP_RET_KILL_PROCESS);  // a load, not a return

  SeccompPlan plan;
  plan.enabled = true;
  plan.program = {ret(SECCOMP_RET_ALLOW), ret(SECCOMP_RET_ERRNO | ENOSYS)};
  CHECK_FALSE(seccomp_notify::wanted(plan));
  plan.program.push_back(ret(SECCOMP_RET_ERRNO | EACCES));
  CHECK(seccomp_notify::wanted(plan));
  plan.enabled = false;
  CHECK_FALSE(seccomp_notify::wanted(plan));
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

  SECTION("a [[seccomp.rule]]") {
    const auto verdict = seccomp_notify::judge(plan->data(), notification(101));
    CHECK(verdict.action == SECCOMP_RET_KILL_PROCESS);
    CHECK(verdict.report.find("seccomp denied ptrace (nr 101) in pid 4242") != std::string::npos);
    CHECK(verdict.report.find("args (0xdead, 0x0,") != std::string::npos);
    CHECK(verdict.report.find("kill-process, from [[seccomp.rule]] at " + policy + ":7:1") !=
          std::string::npos);
  }
  SECTION("a deny entry") {
    const auto verdict = seccomp_notify::judge(plan->data(), notification(83));
    CHECK(verdict.action == (SECCOMP_RET_ERRNO | EACCES));
    CHECK(verdict.report.find("errno:EACCES, from deny at " + policy + ":6:9") !=
          std::string::npos);
  }
  SECTION("the default action") {
    const auto verdict = seccomp_notify::judge(plan->data(), notification(169));  // reboot
    CHECK(verdict.action == (SECCOMP_RET_ERRNO | EACCES));
    CHECK(verdict.report.find("reboot (nr 169)") != std::string::npos);
    CHECK(verdict.report.find("from default_action at " + policy + ":4:18") != std::string::npos);
  }
  SECTION("another architecture") {
    const auto verdict = seccomp_notify::judge(plan->data(), notification(11, AUDIT_ARCH_I386));
    CHECK(verdict.action == SECCOMP_RET_KILL_PROCESS);
    CHECK(verdict.report.find("syscall nr 11 of architecture i386") != std::string::npos);
  }
  SECTION("a program that cannot run is a kill: fail closed") {
    PlanData broken = plan->data();
    broken.seccomp.program = {{BPF_LD | BPF_W | BPF_ABS, 0, 0, 4096}};
    const auto verdict = seccomp_notify::judge(broken, notification(83));
    CHECK(verdict.action == SECCOMP_RET_KILL_PROCESS);
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
