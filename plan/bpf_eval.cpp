// The interpreter follows the kernel: net/core/filter.c (bpf_check_classic) and
// kernel/seccomp.c (seccomp_check_filter) decide what is valid; the semantics are classic BPF's
// with 32-bit unsigned A and X, sixteen scratch words, and jumps that only go forward.
#include "plan/bpf_eval.hpp"

#include <cstddef>
#include <cstdio>
#include <cstring>

#include "plan/constants.hpp"

namespace harden {
namespace {

constexpr uint32_t kScratchWords = BPF_MEMWORDS;  // 16

std::string at(size_t pc, std::string_view what) {
  return "instruction " + std::to_string(pc) + ": " + std::string(what);
}

// The instruction codes seccomp_check_filter() lets through, nothing else.
bool seccomp_allows(uint16_t code) {
  switch (code) {
    case BPF_LD | BPF_W | BPF_ABS:
    case BPF_LD | BPF_W | BPF_LEN:
    case BPF_LDX | BPF_W | BPF_LEN:
    case BPF_RET | BPF_K:
    case BPF_RET | BPF_A:
    case BPF_ALU | BPF_ADD | BPF_K:
    case BPF_ALU | BPF_ADD | BPF_X:
    case BPF_ALU | BPF_SUB | BPF_K:
    case BPF_ALU | BPF_SUB | BPF_X:
    case BPF_ALU | BPF_MUL | BPF_K:
    case BPF_ALU | BPF_MUL | BPF_X:
    case BPF_ALU | BPF_DIV | BPF_K:
    case BPF_ALU | BPF_DIV | BPF_X:
    case BPF_ALU | BPF_AND | BPF_K:
    case BPF_ALU | BPF_AND | BPF_X:
    case BPF_ALU | BPF_OR | BPF_K:
    case BPF_ALU | BPF_OR | BPF_X:
    case BPF_ALU | BPF_XOR | BPF_K:
    case BPF_ALU | BPF_XOR | BPF_X:
    case BPF_ALU | BPF_LSH | BPF_K:
    case BPF_ALU | BPF_LSH | BPF_X:
    case BPF_ALU | BPF_RSH | BPF_K:
    case BPF_ALU | BPF_RSH | BPF_X:
    case BPF_ALU | BPF_NEG:
    case BPF_LD | BPF_IMM:
    case BPF_LDX | BPF_IMM:
    case BPF_MISC | BPF_TAX:
    case BPF_MISC | BPF_TXA:
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
    case BPF_ST:
    case BPF_STX:
    case BPF_JMP | BPF_JA:
    case BPF_JMP | BPF_JEQ | BPF_K:
    case BPF_JMP | BPF_JEQ | BPF_X:
    case BPF_JMP | BPF_JGE | BPF_K:
    case BPF_JMP | BPF_JGE | BPF_X:
    case BPF_JMP | BPF_JGT | BPF_K:
    case BPF_JMP | BPF_JGT | BPF_X:
    case BPF_JMP | BPF_JSET | BPF_K:
    case BPF_JMP | BPF_JSET | BPF_X:
      return true;
    default:
      return false;
  }
}

// seccomp_data is read as 32-bit words, as the kernel does after its conversion of
// BPF_LD|BPF_W|BPF_ABS: the offset must be aligned and the word inside the structure.
uint32_t load_word(const seccomp_data& data, uint32_t offset) {
  uint32_t word = 0;
  std::memcpy(&word, reinterpret_cast<const unsigned char*>(&data) + offset, sizeof word);
  return word;
}

uint32_t alu(uint16_t op, uint32_t a, uint32_t operand) {
  switch (op) {
    case BPF_ADD:
      return a + operand;
    case BPF_SUB:
      return a - operand;
    case BPF_MUL:
      return a * operand;
    case BPF_DIV:
      return a / operand;  // operand checked non-zero by the caller
    case BPF_AND:
      return a & operand;
    case BPF_OR:
      return a | operand;
    case BPF_XOR:
      return a ^ operand;
    case BPF_LSH:
      return a << operand;  // operand checked < 32 by the caller
    case BPF_RSH:
      return a >> operand;
    default:
      return a;
  }
}

bool jump_taken(uint16_t op, uint32_t a, uint32_t operand) {
  switch (op) {
    case BPF_JEQ:
      return a == operand;
    case BPF_JGT:
      return a > operand;
    case BPF_JGE:
      return a >= operand;
    case BPF_JSET:
      return (a & operand) != 0;
    default:
      return false;
  }
}

constexpr size_t kUnbound = SIZE_MAX;

}  // namespace

BpfAssembler::Label BpfAssembler::label() {
  targets_.push_back(kUnbound);
  return targets_.size() - 1;
}

void BpfAssembler::bind(Label target) {
  targets_.at(target) = code_.size();
}

void BpfAssembler::stmt(uint16_t code, uint32_t k) {
  code_.push_back({code, 0, 0, k});
}

void BpfAssembler::jump(uint16_t code, uint32_t k, Label taken, Label not_taken) {
  fixups_.push_back({code_.size(), taken, not_taken});
  code_.push_back({code, 0, 0, k});
}

void BpfAssembler::jump_always(Label target) {
  jump(BPF_JMP | BPF_JA, 0, target, target);
}

std::expected<std::vector<sock_filter>, std::string> BpfAssembler::finish() && {
  for (const Fixup& fixup : fixups_) {
    const size_t after = fixup.at + 1;
    const size_t taken = fixup.taken < targets_.size() ? targets_[fixup.taken] : kUnbound;
    const size_t not_taken =
        fixup.not_taken < targets_.size() ? targets_[fixup.not_taken] : kUnbound;
    if (taken == kUnbound || not_taken == kUnbound)
      return std::unexpected(at(fixup.at, "unbound label"));
    if (taken < after || not_taken < after) return std::unexpected(at(fixup.at, "backward jump"));
    sock_filter& insn = code_[fixup.at];
    if (BPF_OP(insn.code) == BPF_JA) {
      insn.k = static_cast<uint32_t>(taken - after);
    } else if (taken - after > 255 || not_taken - after > 255) {
      return std::unexpected(at(fixup.at, "jump too far"));
    } else {
      insn.jt = static_cast<uint8_t>(taken - after);
      insn.jf = static_cast<uint8_t>(not_taken - after);
    }
  }
  return std::move(code_);
}

std::expected<void, std::string> check_seccomp_program(std::span<const sock_filter> program) {
  if (program.empty()) return std::unexpected("empty program");
  if (program.size() > BPF_MAXINSNS) {
    return std::unexpected("program has " + std::to_string(program.size()) +
                           " instructions; the kernel accepts at most " +
                           std::to_string(BPF_MAXINSNS));
  }
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& insn = program[pc];
    if (!seccomp_allows(insn.code)) return std::unexpected(at(pc, "not allowed in seccomp"));
    const size_t remaining = program.size() - pc - 1;  // instructions after this one
    switch (BPF_CLASS(insn.code)) {
      case BPF_LD:
      case BPF_LDX:
        if (BPF_MODE(insn.code) == BPF_ABS &&
            (insn.k % 4 != 0 || insn.k > sizeof(seccomp_data) - sizeof(uint32_t))) {
          return std::unexpected(at(pc, "load outside seccomp_data or unaligned"));
        }
        if (BPF_MODE(insn.code) == BPF_MEM && insn.k >= kScratchWords) {
          return std::unexpected(at(pc, "scratch slot out of range"));
        }
        break;
      case BPF_ST:
      case BPF_STX:
        if (insn.k >= kScratchWords) return std::unexpected(at(pc, "scratch slot out of range"));
        break;
      case BPF_ALU:
        if (BPF_SRC(insn.code) == BPF_K && BPF_OP(insn.code) == BPF_DIV && insn.k == 0) {
          return std::unexpected(at(pc, "division by zero"));
        }
        if (BPF_SRC(insn.code) == BPF_K &&
            (BPF_OP(insn.code) == BPF_LSH || BPF_OP(insn.code) == BPF_RSH) && insn.k >= 32) {
          return std::unexpected(at(pc, "shift by 32 or more"));
        }
        break;
      case BPF_JMP:
        if (BPF_OP(insn.code) == BPF_JA) {
          if (insn.k >= remaining) return std::unexpected(at(pc, "jump past the end"));
        } else if (insn.jt >= remaining || insn.jf >= remaining) {
          return std::unexpected(at(pc, "jump past the end"));
        }
        break;
      default:
        break;
    }
  }
  if (BPF_CLASS(program.back().code) != BPF_RET) {
    return std::unexpected("the last instruction is not a return");
  }
  return {};
}

std::expected<uint32_t, std::string> evaluate_seccomp_program(std::span<const sock_filter> program,
                                                              const seccomp_data& data) {
  if (auto valid = check_seccomp_program(program); !valid) return std::unexpected(valid.error());

  uint32_t a = 0;
  uint32_t x = 0;
  std::array<uint32_t, kScratchWords> scratch{};  // the kernel zeroes them too
  size_t pc = 0;
  // Jumps only go forward and the checks above keep every target inside the program, so the
  // loop ends within program.size() steps.
  while (pc < program.size()) {
    const sock_filter& insn = program[pc];
    const uint16_t code = insn.code;
    switch (BPF_CLASS(code)) {
      case BPF_RET:
        return BPF_RVAL(code) == BPF_A ? a : insn.k;
      case BPF_LD:
        switch (BPF_MODE(code)) {
          case BPF_ABS:
            a = load_word(data, insn.k);
            break;
          case BPF_LEN:
            a = sizeof(seccomp_data);
            break;
          case BPF_IMM:
            a = insn.k;
            break;
          case BPF_MEM:
            a = scratch[insn.k];
            break;
        }
        break;
      case BPF_LDX:
        switch (BPF_MODE(code)) {
          case BPF_LEN:
            x = sizeof(seccomp_data);
            break;
          case BPF_IMM:
            x = insn.k;
            break;
          case BPF_MEM:
            x = scratch[insn.k];
            break;
        }
        break;
      case BPF_ST:
        scratch[insn.k] = a;
        break;
      case BPF_STX:
        scratch[insn.k] = x;
        break;
      case BPF_ALU:
        if (BPF_OP(code) == BPF_NEG) {
          a = 0u - a;
        } else {
          const uint32_t operand = BPF_SRC(code) == BPF_X ? x : insn.k;
          // Classic BPF ends the program with 0 on a division by a zero X; for seccomp that
          // is SECCOMP_RET_KILL_THREAD.
          if (BPF_OP(code) == BPF_DIV && operand == 0) return 0u;
          if ((BPF_OP(code) == BPF_LSH || BPF_OP(code) == BPF_RSH) && operand >= 32) {
            return std::unexpected(at(pc, "shift by 32 or more"));
          }
          a = alu(BPF_OP(code), a, operand);
        }
        break;
      case BPF_JMP:
        if (BPF_OP(code) == BPF_JA) {
          pc += insn.k;
        } else {
          const uint32_t operand = BPF_SRC(code) == BPF_X ? x : insn.k;
          pc += jump_taken(BPF_OP(code), a, operand) ? insn.jt : insn.jf;
        }
        break;
      case BPF_MISC:
        if (BPF_MISCOP(code) == BPF_TAX) {
          x = a;
        } else {
          a = x;
        }
        break;
    }
    ++pc;
  }
  return std::unexpected("ran past the end of the program");
}

std::string describe_seccomp_action(uint32_t action) {
  const uint32_t data = action & SECCOMP_RET_DATA;
  switch (action & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS:
      return "kill-process";
    case SECCOMP_RET_KILL_THREAD:
      return "kill-thread";
    case SECCOMP_RET_TRAP:
      return "trap";
    case SECCOMP_RET_LOG:
      return "log";
    case SECCOMP_RET_ALLOW:
      return "allow";
    case SECCOMP_RET_ERRNO: {
      const std::string_view name = errno_name(static_cast<int>(data));
      return "errno:" + (name.empty() ? std::to_string(data) : std::string(name));
    }
    case SECCOMP_RET_TRACE:
      return "trace:" + std::to_string(data);
    case SECCOMP_RET_USER_NOTIF:
      return "user-notif";
  }
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", action);
  return text;
}

seccomp_data make_seccomp_data(uint32_t arch, int nr, std::array<uint64_t, 6> args,
                               uint64_t instruction_pointer) {
  seccomp_data data{};
  data.nr = nr;
  data.arch = arch;
  data.instruction_pointer = instruction_pointer;
  for (size_t i = 0; i < args.size(); ++i)
    data.args[i] = args[i];
  return data;
}

}  // namespace harden
