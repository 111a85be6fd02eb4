// Classic BPF for seccomp programs. The interpreter lets tests (and `harden explain`) ask what
// a compiled filter does for (arch, nr, args) without loading it into the kernel; it accepts
// exactly the instructions the kernel's seccomp checker accepts and refuses anything out of
// bounds with an error instead of reading past the program or the seccomp_data. A small
// assembler with labels writes the compiler's own instructions (and test programs).
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <array>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <vector>

namespace harden {

// Forward-only BPF with symbolic jump targets, resolved by finish(). Conditional jumps reach
// at most 255 instructions ahead, as in the kernel.
class BpfAssembler {
 public:
  using Label = size_t;

  Label label();            // a new, unbound target
  void bind(Label target);  // the target is the next instruction emitted
  void stmt(uint16_t code, uint32_t k);
  void jump(uint16_t code, uint32_t k, Label taken, Label not_taken);  // BPF_JEQ, BPF_JGT, ...
  void jump_always(Label target);                                      // BPF_JA

  // The program; an error when a label is unbound or a jump goes backwards or too far.
  [[nodiscard]] std::expected<std::vector<sock_filter>, std::string> finish() &&;

 private:
  struct Fixup {
    size_t at;
    Label taken;
    Label not_taken;  // == taken for BPF_JA
  };
  std::vector<sock_filter> code_;
  std::vector<size_t> targets_;
  std::vector<Fixup> fixups_;
};

// The kernel's checks on a seccomp program before it is ever run: length 1..BPF_MAXINSNS,
// only instructions seccomp allows, every jump inside the program, loads aligned and inside
// seccomp_data, scratch slots 0..15, no constant division by zero or shift of 32 or more, and
// a return as the last instruction. The error names the instruction.
[[nodiscard]] std::expected<void, std::string> check_seccomp_program(
    std::span<const sock_filter> program);

// Runs the program on `data` and returns its SECCOMP_RET_* value. Checks the program first
// (check_seccomp_program), so a bad program is an error, never a crash.
[[nodiscard]] std::expected<uint32_t, std::string> evaluate_seccomp_program(
    std::span<const sock_filter> program, const seccomp_data& data);

// A SECCOMP_RET_* value in the policy's spelling: "allow", "kill-process", "kill-thread",
// "trap", "log", "errno:EPERM"; "trace:N", "user-notif", or hex for anything else.
std::string describe_seccomp_action(uint32_t action);

// Convenience for tests and tools: seccomp_data for one call.
seccomp_data make_seccomp_data(uint32_t arch, int nr, std::array<uint64_t, 6> args = {},
                               uint64_t instruction_pointer = 0);

}  // namespace harden
