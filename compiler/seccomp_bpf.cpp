// harden's own BPF in front of libseccomp's program; see the top of seccomp.cpp for the
// filter's shape. The refusing rules live here rather than in libseccomp because libseccomp
// refuses a rule whose action equals the default action and lets an unconditional allow
// replace a call's argument rules: here a refusing rule is checked first, so nothing that
// allows the call (a grant, an allow rule, the default action) can hide it.
#include "compiler/seccomp_bpf.hpp"

#include <linux/audit.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>

#include "plan/bpf_eval.hpp"

namespace harden::seccomp_bpf {
namespace {

// ---- the prologue ------------------------------------------------------------------------

// Where the kernel puts the 32-bit halves of argument `index` in seccomp_data.
uint32_t argument_word(unsigned index, bool high) {
  const auto base = static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * index);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return base + (high ? 4 : 0);
#else
  return base + (high ? 0 : 4);
#endif
}

// Falls through when the comparison holds, jumps to `fail` when it does not. 32-bit
// comparisons are masked equalities with a mask in the low half (compile_condition), so they
// read the low half only.
void emit_comparison(BpfAssembler& bpf, const scmp_arg_cmp& cmp, BpfAssembler::Label fail) {
  const auto load = [&](bool high) {
    bpf.stmt(BPF_LD | BPF_W | BPF_ABS, argument_word(cmp.arg, high));
  };
  const auto half = [](uint64_t value, bool high) {
    return static_cast<uint32_t>(high ? value >> 32 : value);
  };
  const auto jump = [&](uint16_t op, uint32_t k, BpfAssembler::Label taken,
                        BpfAssembler::Label not_taken) {
    bpf.jump(BPF_JMP | op | BPF_K, k, taken, not_taken);
  };
  const uint64_t v = cmp.datum_a;
  switch (cmp.op) {
    case SCMP_CMP_MASKED_EQ:
      for (const bool high : {true, false}) {
        const uint32_t mask = half(cmp.datum_a, high);
        if (mask == 0) continue;
        load(high);
        if (mask != 0xffffffffu) bpf.stmt(BPF_ALU | BPF_AND | BPF_K, mask);
        const auto holds = bpf.label();
        jump(BPF_JEQ, half(cmp.datum_b, high) & mask, holds, fail);
        bpf.bind(holds);
      }
      return;
    case SCMP_CMP_EQ:
    case SCMP_CMP_NE: {
      const bool eq = cmp.op == SCMP_CMP_EQ;
      const auto low = bpf.label();
      const auto holds = bpf.label();
      load(true);
      jump(BPF_JEQ, half(v, true), low, eq ? fail : holds);
      bpf.bind(low);
      load(false);
      jump(BPF_JEQ, half(v, false), eq ? holds : fail, eq ? fail : holds);
      bpf.bind(holds);
      return;
    }
    case SCMP_CMP_GT:
    case SCMP_CMP_GE: {
      const auto equal_high = bpf.label();
      const auto low = bpf.label();
      const auto holds = bpf.label();
      load(true);
      jump(BPF_JGT, half(v, true), holds, equal_high);
      bpf.bind(equal_high);
      jump(BPF_JEQ, half(v, true), low, fail);
      bpf.bind(low);
      load(false);
      jump(cmp.op == SCMP_CMP_GT ? BPF_JGT : BPF_JGE, half(v, false), holds, fail);
      bpf.bind(holds);
      return;
    }
    case SCMP_CMP_LT:
    case SCMP_CMP_LE:
    default: {  // compile_condition() makes no other comparison
      const auto not_below = bpf.label();
      const auto low = bpf.label();
      const auto holds = bpf.label();
      load(true);
      jump(BPF_JGE, half(v, true), not_below, holds);
      bpf.bind(not_below);
      jump(BPF_JEQ, half(v, true), low, fail);
      bpf.bind(low);
      load(false);
      jump(cmp.op == SCMP_CMP_LT ? BPF_JGE : BPF_JGT, half(v, false), fail, holds);
      bpf.bind(holds);
      return;
    }
  }
}

// The refusing rules of the calls of some architectures (tokens), with the syscall number in
// A: for each call, its rules' alternatives strictest first, each returning its action when it
// matches; then on to libseccomp's program (`filter`, which loads what it needs itself).
void emit_refusals(BpfAssembler& bpf, std::span<const uint32_t> tokens,
                   std::span<const CompiledRule> refusing, BpfAssembler::Label filter) {
  std::map<uint32_t, std::vector<const CompiledRule*>> by_number;
  for (const uint32_t token : tokens) {
    for (const CompiledRule& rule : refusing) {
      const int nr = seccomp_syscall_resolve_name_arch(token, rule.source->syscall.value.c_str());
      if (nr >= 0) by_number[static_cast<uint32_t>(nr)].push_back(&rule);
    }
  }
  for (auto& [nr, rules] : by_number) {
    std::ranges::stable_sort(rules, {},
                             [](const CompiledRule* r) { return refusal_rank(r->action); });
    const auto hit = bpf.label();
    const auto miss = bpf.label();
    const auto next = bpf.label();
    bpf.jump(BPF_JMP | BPF_JEQ | BPF_K, nr, hit, miss);
    bpf.bind(miss);
    bpf.jump_always(next);
    bpf.bind(hit);
    for (const CompiledRule* rule : rules) {
      for (const Conjunction& alternative : rule->alternatives) {
        const auto fail = bpf.label();
        for (const scmp_arg_cmp& cmp : alternative)
          emit_comparison(bpf, cmp, fail);
        bpf.stmt(BPF_RET | BPF_K, rule->action);
        bpf.bind(fail);
      }
    }
    bpf.jump_always(filter);
    bpf.bind(next);
  }
  bpf.jump_always(filter);
}

}  // namespace

// The kernel's precedence between the actions of several filters, most restrictive first; the
// refusing rules of one call are tried in this order, so the strictest that matches decides.
int refusal_rank(uint32_t action) {
  switch (action & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS:
      return 0;
    case SECCOMP_RET_KILL_THREAD:
      return 1;
    case SECCOMP_RET_TRAP:
      return 2;
    case SECCOMP_RET_ERRNO:
      return 3;
    default:
      return 4;
  }
}

// The label `filter` is the first instruction after the prologue, libseccomp's own program.
std::expected<std::vector<sock_filter>, std::string> build_prologue(
    std::span<const FilterArch> archs, std::span<const CompiledRule> refusing) {
  struct Block {
    uint32_t audit_arch;
    std::optional<uint32_t> max_plain;  // the architecture's own calls
    std::optional<uint32_t> max_x32;    // x32 calls, bit 30 included
    std::vector<uint32_t> tokens;       // SCMP_ARCH_* sharing this audit arch
  };
  std::vector<Block> blocks;
  for (const FilterArch& arch : archs) {
    auto block = std::ranges::find(blocks, arch.audit_arch, &Block::audit_arch);
    if (block == blocks.end()) {
      block = blocks.insert(blocks.end(), Block{arch.audit_arch, {}, {}, {}});
    }
    (arch.token == SCMP_ARCH_X32 ? block->max_x32 : block->max_plain) = arch.max_nr;
    block->tokens.push_back(arch.token);
  }

  BpfAssembler bpf;
  const auto filter = bpf.label();
  std::vector<BpfAssembler::Label> entries;
  for (size_t i = 0; i < blocks.size(); ++i)
    entries.push_back(bpf.label());

  // Blocks can be long (refusing rules), so each is reached by an unconditional jump.
  bpf.stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto hit = bpf.label();
    const auto miss = bpf.label();
    bpf.jump(BPF_JMP | BPF_JEQ | BPF_K, blocks[i].audit_arch, hit, miss);
    bpf.bind(hit);
    bpf.jump_always(entries[i]);
    bpf.bind(miss);
  }
  bpf.stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Block& block = blocks[i];
    const auto enosys = bpf.label();
    const auto kill = bpf.label();
    const auto checks = bpf.label();
    bpf.bind(entries[i]);
    bpf.stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
    if (block.audit_arch == AUDIT_ARCH_X86_64) {
      // x32 shares x86_64's audit arch; only bit 30 of the number tells them apart.
      const auto plain = bpf.label();
      const auto x32 = bpf.label();
      bpf.jump(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, x32, plain);
      bpf.bind(plain);
      bpf.jump(BPF_JMP | BPF_JGT | BPF_K, block.max_plain.value_or(0), enosys, checks);
      bpf.bind(x32);
      if (block.max_x32) {
        bpf.jump(BPF_JMP | BPF_JGT | BPF_K, *block.max_x32, enosys, checks);
      } else {
        // nr -1 also has bit 30 set: it is no x32 call, and the kernel answers it ENOSYS.
        bpf.jump(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, enosys, kill);
      }
    } else {
      bpf.jump(BPF_JMP | BPF_JGT | BPF_K, block.max_plain.value_or(0), enosys, checks);
    }
    bpf.bind(enosys);
    bpf.stmt(BPF_RET | BPF_K, kEnosys);
    bpf.bind(kill);
    bpf.stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    bpf.bind(checks);
    emit_refusals(bpf, block.tokens, refusing, filter);
  }
  bpf.bind(filter);
  return std::move(bpf).finish();
}

}  // namespace harden::seccomp_bpf
