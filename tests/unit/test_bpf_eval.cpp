// The classic-BPF evaluator and assembler: instruction semantics on hand-written programs,
// refusal of every malformed program the kernel refuses, and agreement with the kernel itself
// on a compiled filter (a forked child loads it; seccomp needs no privileges besides
// no_new_privs).
#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "compiler/seccomp.hpp"
#include "plan/bpf_eval.hpp"

using namespace harden;

namespace {

constexpr uint16_t kLdAbs = BPF_LD | BPF_W | BPF_ABS;
constexpr uint32_t kNrOffset = offsetof(seccomp_data, nr);
constexpr uint32_t kArg0Low = offsetof(seccomp_data, args);

sock_filter insn(uint16_t code, uint32_t k, uint8_t jt = 0, uint8_t jf = 0) {
  return {code, jt, jf, k};
}

uint32_t run(const std::vector<sock_filter>& program, const seccomp_data& data) {
  auto result = evaluate_seccomp_program(program, data);
  INFO((result ? std::string("ok") : result.error()));
  REQUIRE(result.has_value());
  return *result;
}

uint32_t run_with_arg0(const std::vector<sock_filter>& program, uint64_t arg0) {
  return run(program, make_seccomp_data(AUDIT_ARCH_X86_64, 0, {arg0}));
}

std::string refusal(const std::vector<sock_filter>& program) {
  auto result = evaluate_seccomp_program(program, make_seccomp_data(AUDIT_ARCH_X86_64, 0));
  REQUIRE_FALSE(result.has_value());
  CHECK_FALSE(check_seccomp_program(program).has_value());
  return result.error();
}

}  // namespace

TEST_CASE("bpf eval: loads read the seccomp_data fields", "[bpf_eval]") {
  const seccomp_data data =
      make_seccomp_data(AUDIT_ARCH_X86_64, 41, {0xdeadbeef00000002ull, 7}, 0x1122334455667788ull);
  auto field = [&](uint32_t offset) {
    return run({insn(kLdAbs, offset), insn(BPF_RET | BPF_A, 0)}, data);
  };
  CHECK(field(kNrOffset) == 41);
  CHECK(field(offsetof(seccomp_data, arch)) == AUDIT_ARCH_X86_64);
  CHECK(field(offsetof(seccomp_data, instruction_pointer)) == 0x55667788u);
  CHECK(field(offsetof(seccomp_data, instruction_pointer) + 4) == 0x11223344u);
  CHECK(field(kArg0Low) == 2);  // little-endian: the low half first
  CHECK(field(kArg0Low + 4) == 0xdeadbeefu);
  CHECK(field(kArg0Low + 8) == 7);
  CHECK(run({insn(BPF_LD | BPF_W | BPF_LEN, 0), insn(BPF_RET | BPF_A, 0)}, data) == 64);
  CHECK(run({insn(BPF_LDX | BPF_W | BPF_LEN, 0), insn(BPF_MISC | BPF_TXA, 0),
             insn(BPF_RET | BPF_A, 0)},
            data) == 64);
}

TEST_CASE("bpf eval: arithmetic and logic on A with K and X", "[bpf_eval]") {
  struct Case {
    uint16_t op;
    uint32_t a, operand, expected;
  };
  const Case cases[] = {
      {BPF_ADD, 0xffffffffu, 2, 1},
      {BPF_SUB, 1, 2, 0xffffffffu},
      {BPF_MUL, 6, 7, 42},
      {BPF_DIV, 43, 7, 6},
      {BPF_AND, 0xf0f0, 0xff00, 0xf000},
      {BPF_OR, 0xf0, 0x0f, 0xff},
      {BPF_XOR, 0xff, 0x0f, 0xf0},
      {BPF_LSH, 1, 31, 0x80000000u},
      {BPF_RSH, 0x80000000u, 31, 1},
  };
  for (const Case& c : cases) {
    INFO("op " << c.op << " a " << c.a << " operand " << c.operand);
    const std::vector<sock_filter> with_k{insn(BPF_LD | BPF_IMM, c.a),
                                          insn(BPF_ALU | c.op | BPF_K, c.operand),
                                          insn(BPF_RET | BPF_A, 0)};
    CHECK(run(with_k, {}) == c.expected);
    const std::vector<sock_filter> with_x{
        insn(BPF_LDX | BPF_IMM, c.operand), insn(BPF_LD | BPF_IMM, c.a),
        insn(BPF_ALU | c.op | BPF_X, 0), insn(BPF_RET | BPF_A, 0)};
    CHECK(run(with_x, {}) == c.expected);
  }
  CHECK(run({insn(BPF_LD | BPF_IMM, 5), insn(BPF_ALU | BPF_NEG, 0), insn(BPF_RET | BPF_A, 0)},
            {}) == 0xfffffffbu);
  // Division by a zero X ends the program with 0, SECCOMP_RET_KILL_THREAD.
  CHECK(run({insn(BPF_LDX | BPF_IMM, 0), insn(BPF_LD | BPF_IMM, 9),
             insn(BPF_ALU | BPF_DIV | BPF_X, 0), insn(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
            {}) == SECCOMP_RET_KILL_THREAD);
}

TEST_CASE("bpf eval: scratch memory, TAX and TXA", "[bpf_eval]") {
  const std::vector<sock_filter> program{
      insn(BPF_LD | BPF_IMM, 11),  insn(BPF_ST, 3),
      insn(BPF_LDX | BPF_IMM, 22), insn(BPF_STX, 15),
      insn(BPF_LD | BPF_MEM, 15),  insn(BPF_MISC | BPF_TAX, 0),
      insn(BPF_LD | BPF_MEM, 3),   insn(BPF_ALU | BPF_ADD | BPF_X, 0),
      insn(BPF_RET | BPF_A, 0)};
  CHECK(run(program, {}) == 33);
  // Unwritten slots read as zero.
  CHECK(run({insn(BPF_LDX | BPF_MEM, 7), insn(BPF_MISC | BPF_TXA, 0), insn(BPF_RET | BPF_A, 0)},
            {}) == 0);
}

TEST_CASE("bpf eval: conditional jumps with K and X, and JA", "[bpf_eval]") {
  // Returns 1 when the condition holds for arg0, else 2.
  auto test = [](uint16_t op, uint32_t k, uint32_t arg0) {
    const std::vector<sock_filter> with_k{insn(kLdAbs, kArg0Low),
                                          insn(BPF_JMP | op | BPF_K, k, 0, 1),
                                          insn(BPF_RET | BPF_K, 1), insn(BPF_RET | BPF_K, 2)};
    const std::vector<sock_filter> with_x{insn(BPF_LDX | BPF_IMM, k), insn(kLdAbs, kArg0Low),
                                          insn(BPF_JMP | op | BPF_X, 0, 0, 1),
                                          insn(BPF_RET | BPF_K, 1), insn(BPF_RET | BPF_K, 2)};
    const uint32_t result = run_with_arg0(with_k, arg0);
    CHECK(run_with_arg0(with_x, arg0) == result);
    return result == 1;
  };
  CHECK(test(BPF_JEQ, 5, 5));
  CHECK_FALSE(test(BPF_JEQ, 5, 6));
  CHECK(test(BPF_JGT, 5, 6));
  CHECK_FALSE(test(BPF_JGT, 5, 5));
  CHECK(test(BPF_JGT, 5, 0x80000000u));  // unsigned
  CHECK(test(BPF_JGE, 5, 5));
  CHECK_FALSE(test(BPF_JGE, 5, 4));
  CHECK(test(BPF_JSET, 0x40000000u, 0x40000001u));
  CHECK_FALSE(test(BPF_JSET, 0x40000000u, 0x3fffffffu));

  const std::vector<sock_filter> always{insn(BPF_JMP | BPF_JA, 1), insn(BPF_RET | BPF_K, 1),
                                        insn(BPF_RET | BPF_K, 2)};
  CHECK(run(always, {}) == 2);
}

TEST_CASE("bpf eval: malformed programs are refused, never run", "[bpf_eval]") {
  const sock_filter ret = insn(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  CHECK(refusal({}) == "empty program");
  CHECK(refusal(std::vector<sock_filter>(BPF_MAXINSNS + 1, ret)).find("at most") !=
        std::string::npos);
  CHECK(refusal({insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), ret}).find("past the end") !=
        std::string::npos);
  CHECK(refusal({insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5), ret}).find("past the end") !=
        std::string::npos);
  CHECK(refusal({insn(BPF_JMP | BPF_JA, 1), ret}).find("past the end") != std::string::npos);
  CHECK(refusal({insn(BPF_JMP | BPF_JA, 0xffffffffu), ret}).find("past the end") !=
        std::string::npos);
  CHECK(refusal({insn(kLdAbs, 2), ret}).find("seccomp_data") != std::string::npos);
  CHECK(refusal({insn(kLdAbs, 64), ret}).find("seccomp_data") != std::string::npos);
  CHECK(refusal({insn(kLdAbs, 0xfffffffcu), ret}).find("seccomp_data") != std::string::npos);
  CHECK(refusal({insn(BPF_ST, 16), ret}).find("scratch") != std::string::npos);
  CHECK(refusal({insn(BPF_LD | BPF_MEM, 99), ret}).find("scratch") != std::string::npos);
  CHECK(refusal({insn(BPF_ALU | BPF_DIV | BPF_K, 0), ret}).find("division") != std::string::npos);
  CHECK(refusal({insn(BPF_ALU | BPF_LSH | BPF_K, 32), ret}).find("shift") != std::string::npos);
  // Byte and half-word loads, and indirect loads, exist in socket BPF but not in seccomp.
  CHECK(refusal({insn(BPF_LD | BPF_B | BPF_ABS, 0), ret}).find("not allowed") != std::string::npos);
  CHECK(refusal({insn(BPF_LD | BPF_W | BPF_IND, 0), ret}).find("not allowed") != std::string::npos);
  CHECK(refusal({insn(kLdAbs, 0)}).find("return") != std::string::npos);
  // A shift by X of 32 or more has no defined result: refused at run time.
  auto shifted =
      evaluate_seccomp_program(std::vector<sock_filter>{insn(BPF_LDX | BPF_IMM, 40),
                                                        insn(BPF_ALU | BPF_LSH | BPF_X, 0), ret},
                               {});
  CHECK_FALSE(shifted.has_value());
}

TEST_CASE("bpf eval: the assembler resolves labels and refuses bad jumps", "[bpf_eval]") {
  BpfAssembler bpf;
  const auto allow = bpf.label();
  const auto deny = bpf.label();
  const auto skip = bpf.label();
  bpf.stmt(kLdAbs, kNrOffset);
  bpf.jump(BPF_JMP | BPF_JEQ | BPF_K, 3, allow, skip);
  bpf.bind(skip);
  bpf.jump_always(deny);
  bpf.bind(allow);
  bpf.stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  bpf.bind(deny);
  bpf.stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
  auto program = std::move(bpf).finish();
  REQUIRE(program.has_value());
  REQUIRE(program->size() == 5);
  CHECK((*program)[1].jt == 1);
  CHECK((*program)[1].jf == 0);
  CHECK((*program)[2].k == 1);
  CHECK(run(*program, make_seccomp_data(AUDIT_ARCH_X86_64, 3)) == SECCOMP_RET_ALLOW);
  CHECK(run(*program, make_seccomp_data(AUDIT_ARCH_X86_64, 4)) == (SECCOMP_RET_ERRNO | EPERM));

  BpfAssembler backwards;
  const auto top = backwards.label();
  backwards.bind(top);
  backwards.jump_always(top);
  CHECK_FALSE(std::move(backwards).finish().has_value());

  BpfAssembler unbound;
  unbound.jump_always(unbound.label());
  CHECK_FALSE(std::move(unbound).finish().has_value());

  BpfAssembler far;
  const auto end = far.label();
  far.jump(BPF_JMP | BPF_JEQ | BPF_K, 0, end, end);
  for (int i = 0; i < 300; ++i)
    far.stmt(BPF_LD | BPF_IMM, 0);
  far.bind(end);
  far.stmt(BPF_RET | BPF_K, 0);
  CHECK_FALSE(std::move(far).finish().has_value());
}

TEST_CASE("bpf eval: actions are described in the policy's spelling", "[bpf_eval]") {
  CHECK(describe_seccomp_action(SECCOMP_RET_ALLOW) == "allow");
  CHECK(describe_seccomp_action(SECCOMP_RET_KILL_PROCESS) == "kill-process");
  CHECK(describe_seccomp_action(SECCOMP_RET_KILL_THREAD) == "kill-thread");
  CHECK(describe_seccomp_action(SECCOMP_RET_TRAP) == "trap");
  CHECK(describe_seccomp_action(SECCOMP_RET_LOG) == "log");
  CHECK(describe_seccomp_action(SECCOMP_RET_ERRNO | EPERM) == "errno:EPERM");
  CHECK(describe_seccomp_action(SECCOMP_RET_ERRNO | EAGAIN) == "errno:EAGAIN");
  CHECK(describe_seccomp_action(SECCOMP_RET_ERRNO | 4000) == "errno:4000");
  CHECK(describe_seccomp_action(SECCOMP_RET_TRACE | 7) == "trace:7");
}

TEST_CASE("bpf eval: agrees with the kernel on a compiled filter", "[bpf_eval]") {
  // EXFULL and ENOTNAM are errnos none of the calls below returns on its own.
  SeccompSection section;
  section.present = true;
  section.default_action = LocatedString{"errno:EXFULL", {}};
  section.allow = {{"getpid", {}}};
  SeccompRule rule;
  rule.syscall = {"socket", {}};
  rule.action = {"errno:ENOTNAM", {}};
  SeccompArg arg;
  arg.index = {0, {}};
  arg.op = {"eq", {}};
  arg.value.symbol = "AF_PACKET";
  rule.args.push_back(arg);
  section.rules.push_back(rule);
  Diagnostics diags;
  const SeccompPlan plan = compile_seccomp(section, diags);
  INFO(render_all(diags));
  REQUIRE_FALSE(diags.has_errors());

  struct Call {
    long nr;
    uint64_t arg0;
  };
  const Call calls[] = {{SYS_getpid, 0},
                        {SYS_getcwd, 0},
                        {1000, 0},
                        {SYS_socket, AF_PACKET},
                        {SYS_socket, AF_INET | 0xdeadbeef00000000ull},
                        {SYS_clone3, 0}};
  // The evaluator's prediction: errno number, or 0 for "allowed".
  std::vector<int> expected;
  for (const Call& call : calls) {
    const uint32_t action = run(
        plan.program, make_seccomp_data(AUDIT_ARCH_X86_64, static_cast<int>(call.nr), {call.arg0}));
    REQUIRE(((action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW ||
             (action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO));
    expected.push_back((action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO
                           ? static_cast<int>(action & SECCOMP_RET_DATA)
                           : 0);
  }
  CHECK(expected == std::vector<int>{0, EXFULL, ENOSYS, ENOTNAM, EXFULL, ENOSYS});

  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Leave with a raw exit_group (always allowed): a sanitizer's _exit() interceptor would
    // run its leak checker, which needs calls the filter refuses.
    auto leave = [](int code) { syscall(SYS_exit_group, code); };
    const sock_fprog prog{static_cast<unsigned short>(plan.program.size()),
                          const_cast<sock_filter*>(plan.program.data())};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) leave(100);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) leave(101);
    for (size_t i = 0; i < std::size(calls); ++i) {
      const long rc = syscall(calls[i].nr, calls[i].arg0, 0, 0, 0, 0, 0);
      // Allowed calls: getpid succeeds; nothing else here is allowed.
      const int got = rc >= 0 ? 0 : errno;
      if (got != expected[i]) leave(static_cast<int>(10 + i));
    }
    leave(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  INFO("child exit code " << WEXITSTATUS(status)
                          << " (100/101: setup failed, 10 + n: call n disagreed)");
  CHECK(WEXITSTATUS(status) == 0);
}
