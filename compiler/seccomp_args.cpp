// Argument comparisons of [[seccomp.rule]] tables, compiled into libseccomp comparisons
// (scmp_arg_cmp) that mean on the low 32 bits what harden.toml(5) says, whatever libseccomp's
// own 32-bit handling; used for allow rules (libseccomp) and refusing rules (seccomp_bpf.cpp).
#include <algorithm>
#include <cstdio>
#include <string>

#include "compiler/seccomp_bpf.hpp"
#include "plan/constants.hpp"

namespace harden::seccomp_bpf {
namespace {

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

enum class Op { eq, ne, lt, le, gt, ge, masked_eq };

struct OpName {
  std::string_view name;
  Op op;
  scmp_compare wide;  // the libseccomp comparison for width = 64
};

// clang-format off
constexpr OpName kOps[] = {
    {"eq", Op::eq, SCMP_CMP_EQ}, {"ne", Op::ne, SCMP_CMP_NE}, {"lt", Op::lt, SCMP_CMP_LT},
    {"le", Op::le, SCMP_CMP_LE}, {"gt", Op::gt, SCMP_CMP_GT}, {"ge", Op::ge, SCMP_CMP_GE},
    {"masked-eq", Op::masked_eq, SCMP_CMP_MASKED_EQ}};
// clang-format on

scmp_arg_cmp masked_eq(unsigned index, uint32_t mask, uint32_t value) {
  return {index, SCMP_CMP_MASKED_EQ, mask, value & mask};
}

// x < value (below) or x > value on the low 32 bits, as masked comparisons, which ignore the
// upper half: x is below value exactly when, at some bit where value has a 1, x has a 0 and
// agrees with value on every bit above; "above" is the mirror image.
std::vector<scmp_arg_cmp> ordered32(unsigned index, uint32_t value, bool below) {
  std::vector<scmp_arg_cmp> any_of;
  for (unsigned bit = 0; bit < 32; ++bit) {
    const uint32_t b = 1u << bit;
    if (((value & b) != 0) != below) continue;
    const uint32_t prefix = ~(b - 1);  // bits 31..bit
    any_of.push_back(masked_eq(index, prefix, ((value & prefix) & ~b) | (below ? 0 : b)));
  }
  return any_of;
}

// The kernel passes an int argument in a 64-bit register whose upper half is not defined, so
// a 32-bit comparison must look at the low half only. libseccomp 2.5.4 compares all 64 bits
// (its SCMP_CMP32 only casts the datum), except for masked equality with a 32-bit mask; so
// every 32-bit comparison is written as masked equalities: eq is one, ne one per bit, and an
// ordering one per bit of the bound (ordered32). Orderings are unsigned, as in the kernel.
ArgCondition compile_condition(const OpName& op, unsigned index, uint64_t value, uint64_t mask,
                               bool wide) {
  ArgCondition c{index, wide, false, {}};
  const auto v = static_cast<uint32_t>(value);
  if (wide) {
    c.any_of.push_back({index, op.wide, op.op == Op::masked_eq ? mask : value,
                        op.op == Op::masked_eq ? value : 0});
  } else if (op.op == Op::eq || op.op == Op::masked_eq) {
    const auto m = op.op == Op::eq ? 0xffffffffu : static_cast<uint32_t>(mask);
    c.any_of.push_back(masked_eq(index, m, v));
  } else if (op.op == Op::ne) {
    for (unsigned bit = 0; bit < 32; ++bit)
      c.any_of.push_back(masked_eq(index, 1u << bit, ~v));
  } else if (op.op == Op::lt || op.op == Op::le) {
    c.always = op.op == Op::le && v == 0xffffffffu;  // x <= v is x < v + 1
    if (!c.always) c.any_of = ordered32(index, op.op == Op::le ? v + 1 : v, true);
  } else {
    c.always = op.op == Op::ge && v == 0;  // x >= v is x > v - 1
    if (!c.always) c.any_of = ordered32(index, op.op == Op::ge ? v - 1 : v, false);
  }
  return c;
}

// Where to report a problem with a value: its own position when the reader recorded one.
const SourcePos& at_or(const SourcePos& pos, const SourcePos& fallback) {
  return pos.line > 0 ? pos : fallback;
}

std::optional<uint64_t> resolve_value(const ArgValue& value, std::string_view what,
                                      SourcePos fallback, Diagnostics& diags) {
  if (value.number) return *value.number;
  const SourcePos& pos = at_or(value.pos, fallback);
  if (value.symbol.empty()) {
    diags.error(pos, "missing " + std::string(what));
    return std::nullopt;
  }
  auto result = evaluate_constant_expression(value.symbol);
  if (!result) {
    diags.error(pos, "unknown constant " + quoted(result.error()),
                did_you_mean(result.error(), argument_constant_names(),
                             "write a number or a constant such as AF_INET; join flags with '|'"));
    return std::nullopt;
  }
  return *result;
}

// A 64-bit value that stands for a 32-bit one: an unsigned 32-bit number, or a negative int
// sign-extended (AT_FDCWD, -1).
std::optional<uint32_t> as_32_bits(uint64_t value) {
  if (value <= 0xffffffffu || value >= 0xffffffff80000000u) return static_cast<uint32_t>(value);
  return std::nullopt;
}

}  // namespace

std::optional<ArgCondition> compile_arg(const SeccompArg& arg, Diagnostics& diags) {
  bool ok = true;
  if (arg.index.value < 0 || arg.index.value > 5) {
    diags.error(arg.index.pos,
                "argument index " + std::to_string(arg.index.value) + " is out of range",
                "system calls have arguments 0 to 5");
    ok = false;
  }
  const auto op = std::ranges::find(kOps, arg.op.value, &OpName::name);
  const bool known_op = op != std::end(kOps);
  if (!known_op) {
    std::vector<std::string_view> words;
    for (const OpName& entry : kOps)
      words.push_back(entry.name);
    diags.error(arg.op.pos, "unknown comparison " + quoted(arg.op.value),
                did_you_mean(arg.op.value, words, "one of eq, ne, lt, le, gt, ge, masked-eq"));
    ok = false;
  }
  bool wide = false;
  if (arg.width) {
    if (arg.width->value == 64) {
      wide = true;
    } else if (arg.width->value != 32) {
      diags.error(arg.width->pos,
                  "width must be 32 or 64, not " + std::to_string(arg.width->value));
      ok = false;
    }
  }
  const std::optional<uint64_t> value = resolve_value(arg.value, "value", arg.pos, diags);
  ok = ok && value.has_value();
  std::optional<uint64_t> mask;
  const bool masked = known_op && op->op == Op::masked_eq;
  if (masked) {
    if (!arg.mask) {
      diags.error(arg.pos, "masked-eq needs a mask");
      ok = false;
    } else {
      mask = resolve_value(*arg.mask, "mask", arg.pos, diags);
      ok = ok && mask.has_value();
    }
  } else if (arg.mask && known_op) {
    diags.error(at_or(arg.mask->pos, arg.pos),
                "a mask only goes with masked-eq, not " + quoted(arg.op.value));
    ok = false;
  }
  if (!ok) return std::nullopt;

  uint64_t v = *value;
  uint64_t m = mask.value_or(0);
  const std::string hint = "set width = 64 if the argument is a 64-bit value";
  if (!wide) {
    const std::optional<uint32_t> v32 = as_32_bits(v);
    if (!v32) {
      diags.error(at_or(arg.value.pos, arg.pos), "value " + hex(v) + " does not fit in 32 bits",
                  hint);
      return std::nullopt;
    }
    v = *v32;
    if (mask) {
      const std::optional<uint32_t> m32 = as_32_bits(m);
      if (!m32) {
        diags.error(at_or(arg.mask->pos, arg.pos), "mask " + hex(m) + " does not fit in 32 bits",
                    hint);
        return std::nullopt;
      }
      m = *m32;
    }
  }
  if (masked && (v & ~m) != 0) {
    diags.error(at_or(arg.value.pos, arg.pos), "value " + hex(v) + " has bits outside the mask " +
                                                   hex(m) + ": the comparison can never be true");
    return std::nullopt;
  }
  return compile_condition(*op, static_cast<unsigned>(arg.index.value), v, m, wide);
}

// AND of a conjunction with one more comparison. Two comparisons of one argument fold into one
// masked comparison (libseccomp takes a single comparison per argument and rule); nullopt when
// they contradict each other.
std::optional<Conjunction> and_with(Conjunction conjunction, const scmp_arg_cmp& cmp) {
  for (scmp_arg_cmp& existing : conjunction) {
    if (existing.arg != cmp.arg) continue;
    const uint64_t common = existing.datum_a & cmp.datum_a;
    if ((existing.datum_b & common) != (cmp.datum_b & common)) return std::nullopt;
    existing.datum_a |= cmp.datum_a;
    existing.datum_b |= cmp.datum_b;
    return conjunction;
  }
  conjunction.push_back(cmp);
  return conjunction;
}

}  // namespace harden::seccomp_bpf
