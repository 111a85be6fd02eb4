// Compiles the [seccomp] section into a BPF program. The shape of the result, and why:
//
//   [harden prologue]  arch not in the filter          -> KILL_PROCESS
//   (seccomp_bpf.cpp)  x32 call (nr | 0x40000000)      -> KILL_PROCESS (unless "x32" is listed)
//                      nr above what libseccomp knows  -> ERRNO(ENOSYS)
//                      a refusing rule matches         -> its action (strictest first)
//   [libseccomp]       allowed syscalls -> ALLOW, allow rules, clone3 -> ERRNO(ENOSYS),
//                      everything else -> the default action
//
// - The ENOSYS answers let glibc fall back from a call newer than the policy (clone3 -> clone,
//   which argument rules can inspect; a future syscall -> its older equivalent) instead of the
//   process dying, as Docker and systemd do.
// - Refusing rules come first, so nothing that allows a call can hide one, and none is ever
//   dropped (libseccomp itself refuses a rule whose action is the default action).
// - A rule on a call is the policy's intent for it: allow rules on a granted call take it out
//   of the unconditional set (resolve_rules()); groups such as @service grant some calls with
//   argument conditions, which become rules here too.
// - libseccomp emits relative, forward-only jumps and starts by loading the arch itself, so a
//   prologue can be put in front of its program without touching it.
// - libseccomp is only a compiler here: the filter is exported as BPF into a memfd, read back,
//   and the enforcer loads the raw program with seccomp(2) after setting no_new_privs itself
//   (hence SCMP_FLTATR_CTL_NNP = 0). Nothing in this file changes the running process.
// - A syscall allowed unconditionally never also gets argument checks in libseccomp's part:
//   the kernel's action cache then answers it without running the filter.
#include "compiler/seccomp.hpp"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/seccomp_bpf.hpp"
#include "compiler/seccomp_decisions.hpp"
#include "compiler/seccomp_resolve.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/constants.hpp"
#include "plan/unique_fd.hpp"

namespace harden {
namespace {

using seccomp_bpf::CompiledRule;
using seccomp_bpf::Conjunction;
using seccomp_bpf::FilterArch;
using seccomp_bpf::FilterInput;
using seccomp_bpf::kEnosys;
using seccomp_bpf::quoted;

struct FilterRelease {
  void operator()(void* filter) const noexcept { seccomp_release(filter); }
};
using FilterPtr = std::unique_ptr<void, FilterRelease>;  // scmp_filter_ctx is a void*

std::string errno_text(int rc) {
  return std::strerror(rc < 0 ? -rc : rc);
}

// ---- libseccomp --------------------------------------------------------------------------

std::expected<std::vector<sock_filter>, std::string> export_program(void* filter) {
  const UniqueFd fd(memfd_create("harden-seccomp", MFD_CLOEXEC));
  if (fd.get() < 0) return std::unexpected("memfd_create: " + errno_text(errno));
  if (const int rc = seccomp_export_bpf(filter, fd.get()); rc < 0) {
    return std::unexpected("seccomp_export_bpf: " + errno_text(rc));
  }
  const off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size < 0) return std::unexpected("lseek: " + errno_text(errno));
  if (size == 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    return std::unexpected("libseccomp exported " + std::to_string(size) + " bytes of BPF");
  }
  std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
  auto* bytes = reinterpret_cast<unsigned char*>(program.data());
  size_t done = 0;
  while (done < static_cast<size_t>(size)) {
    const ssize_t n =
        ::pread(fd.get(), bytes + done, static_cast<size_t>(size) - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected("reading the exported BPF: " + errno_text(errno));
    done += static_cast<size_t>(n);
  }
  return program;
}

std::expected<std::vector<sock_filter>, std::string> build_program(const FilterInput& in) {
  FilterPtr filter(seccomp_init(in.default_action));
  if (!filter) return std::unexpected("seccomp_init failed");
  void* ctx = filter.get();
  std::string failed;  // the first libseccomp call that failed
  auto check = [&failed](int rc, const std::string& what) {
    if (rc < 0 && failed.empty()) failed = what + ": " + errno_text(rc);
  };
  // Both checks also sit in the prologue; libseccomp's copy is a second line of defence.
  check(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "bad-arch action");
  check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), "turning off NNP");
  for (const FilterArch& arch : in.archs) {
    if (arch.token != seccomp_arch_native()) {  // seccomp_init added the native one
      check(seccomp_arch_add(ctx, arch.token),
            "adding " + quoted(seccomp_bpf::arch_name(arch.token)));
    }
  }
  for (const auto& [name, grant] : in.grants) {
    const int nr = seccomp_syscall_resolve_name(name.c_str());
    // A group member this libseccomp does not know cannot be allowed, only left out; -EDOM is
    // a call that none of the filter's architectures has.
    if (nr == __NR_SCMP_ERROR || in.default_action == SCMP_ACT_ALLOW) continue;
    const int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    if (rc != -EDOM) check(rc, "allowing " + quoted(name));
  }
  for (const CompiledRule& rule : in.rules.permissive) {
    for (const Conjunction& alternative : rule.alternatives) {
      check(seccomp_rule_add_array(ctx, rule.action, rule.nr,
                                   static_cast<unsigned>(alternative.size()), alternative.data()),
            "the rule for " + quoted(rule.source->syscall.value) + " at line " +
                std::to_string(rule.source->pos.line));
    }
  }
  // glibc tries clone3 first and falls back to clone on ENOSYS; any other answer would break
  // every thread and fork in a program whose policy does not grant clone3.
  if (seccomp_bpf::answers_clone3_enosys(in)) {
    check(seccomp_rule_add(ctx, kEnosys, seccomp_syscall_resolve_name("clone3"), 0),
          "clone3 -> ENOSYS");
  }
  if (!failed.empty()) return std::unexpected(failed);

  auto body = export_program(ctx);
  if (!body) return std::unexpected(body.error());
  auto program = seccomp_bpf::build_prologue(in.archs, in.rules.refusing);
  if (!program) return std::unexpected(program.error());
  program->insert(program->end(), body->begin(), body->end());
  if (auto valid = check_seccomp_program(*program); !valid) {
    return std::unexpected("the filter would be refused by the kernel: " + valid.error());
  }
  return program;
}

}  // namespace

CompiledSeccomp compile_seccomp_model(const SeccompSection& section, Diagnostics& diags) {
  CompiledSeccomp out;
  SeccompPlan& plan = out.plan;
  if (!section.present) return out;
  plan.enabled = true;
  const size_t errors_before = diags.error_count();

  const SourcePos& origin = section.default_action ? section.default_action->pos : section.pos;
  plan.default_action_origin = seccomp_bpf::plan_origin(origin);
  if (section.log_denials && section.log_denials->value) plan.flags |= SECCOMP_FILTER_FLAG_LOG;
  const FilterInput in = seccomp_bpf::resolve(section, diags);

  if (diags.error_count() > errors_before) return out;
  auto program = build_program(in);
  if (!program) {
    diags.error(section.pos, "cannot build the seccomp filter: " + program.error());
    return out;
  }
  plan.program = std::move(*program);
  out.model = seccomp_bpf::build_model(section, in, {"default_action", plan.default_action_origin});
  plan.origins = seccomp_bpf::decision_origins(out.model);
  return out;
}

SeccompPlan compile_seccomp(const SeccompSection& section, Diagnostics& diags) {
  return compile_seccomp_model(section, diags).plan;
}

}  // namespace harden
