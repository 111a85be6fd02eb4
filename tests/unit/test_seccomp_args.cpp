// The 32-bit argument comparison logic of the seccomp compiler (compiler/seccomp_args.cpp), as
// a table: for every operator and width, and values at the edges (0, 1, 0x7fffffff,
// 0x80000000, 0xffffffff, AT_FDCWD), the libseccomp comparisons compile_arg() writes hold
// exactly where harden.toml(5) says the comparison holds: on the low 32 bits only by default
// (whatever the upper half of the register), on all 64 with width = 64; and and_with() folds
// two comparisons of one argument without changing their meaning.
#include <catch2/catch.hpp>

#include <seccomp.h>

#include <string>
#include <vector>

#include "compiler/seccomp_bpf.hpp"

using namespace harden;
using namespace harden::seccomp_bpf;

namespace {

bool cmp_holds(const scmp_arg_cmp& c, uint64_t x) {
  switch (c.op) {
    case SCMP_CMP_EQ:
      return x == c.datum_a;
    case SCMP_CMP_NE:
      return x != c.datum_a;
    case SCMP_CMP_LT:
      return x < c.datum_a;
    case SCMP_CMP_LE:
      return x <= c.datum_a;
    case SCMP_CMP_GT:
      return x > c.datum_a;
    case SCMP_CMP_GE:
      return x >= c.datum_a;
    case SCMP_CMP_MASKED_EQ:
      return (x & c.datum_a) == c.datum_b;
    default:
      FAIL("unexpected comparison");
      return false;
  }
}

bool condition_holds(const ArgCondition& c, uint64_t x) {
  if (c.always) return true;
  for (const scmp_arg_cmp& cmp : c.any_of) {
    if (cmp_holds(cmp, x)) return true;
  }
  return false;
}

// What harden.toml(5) says.
bool meaning(const std::string& op, uint64_t x, uint64_t v, uint64_t m, bool wide) {
  if (!wide) {
    x &= 0xffffffffu;
    v &= 0xffffffffu;
    m &= 0xffffffffu;
  }
  if (op == "eq") return x == v;
  if (op == "ne") return x != v;
  if (op == "lt") return x < v;
  if (op == "le") return x <= v;
  if (op == "gt") return x > v;
  if (op == "ge") return x >= v;
  return (x & m) == v;
}

SeccompArg arg(const std::string& op, uint64_t value, uint64_t mask, bool wide) {
  const SourcePos pos{"t.toml", 1, 1};
  SeccompArg a;
  a.index = {0, pos};
  a.op = {op, pos};
  a.value = {value, {}, pos};
  if (op == "masked-eq") a.mask = ArgValue{mask, {}, pos};
  if (wide) a.width = Located<int64_t>{64, pos};
  a.pos = pos;
  return a;
}

const std::vector<uint64_t> kEdges{
    0,          1,          2,      0x7fffffff,  0x80000000,
    0xfffffffe, 0xffffffff, 0x5412, 0x100000000, 0xffffffffffffff9cull /* AT_FDCWD */};

std::vector<uint64_t> samples(uint64_t v) {
  std::vector<uint64_t> xs;
  for (uint64_t base : {v, v + 1, v - 1, uint64_t{0}, uint64_t{0xffffffff}, uint64_t{7}}) {
    for (uint64_t upper : {uint64_t{0}, uint64_t{0xffffffff00000000}, uint64_t{0x1234500000000}}) {
      xs.push_back((base & 0xffffffffu) | upper);
      xs.push_back(base);
    }
  }
  return xs;
}

}  // namespace

TEST_CASE("seccomp args: every 32-bit and 64-bit comparison means what the manual says",
          "[seccomp][args]") {
  int checked = 0;
  for (const std::string op : {"eq", "ne", "lt", "le", "gt", "ge", "masked-eq"}) {
    for (const bool wide : {false, true}) {
      for (const uint64_t v : kEdges) {
        for (const uint64_t m : {uint64_t{0xffffffff}, uint64_t{0xff00}, uint64_t{0x7E020000}}) {
          if (op != "masked-eq" && m != 0xffffffff) continue;
          const uint64_t value = op == "masked-eq" ? (v & m) : v;
          Diagnostics diags;
          const auto condition = compile_arg(arg(op, value, m, wide), diags);
          const bool fits = wide || value <= 0xffffffffu || value >= 0xffffffff80000000u;
          INFO(op << (wide ? "/64 " : "/32 ") << std::hex << value << " mask " << m);
          if (!fits) {
            CHECK_FALSE(condition);  // "does not fit in 32 bits"
            continue;
          }
          REQUIRE(condition);
          for (const uint64_t x : samples(value)) {
            INFO("x = " << std::hex << x);
            CHECK(condition_holds(*condition, x) == meaning(op, x, value, m, wide));
            ++checked;
          }
        }
      }
    }
  }
  CHECK(checked > 1000);
}

TEST_CASE("seccomp args: and_with folds two comparisons of one argument, or finds them contrary",
          "[seccomp][args]") {
  const scmp_arg_cmp low{0, SCMP_CMP_MASKED_EQ, 0xff, 0x12};
  const scmp_arg_cmp high{0, SCMP_CMP_MASKED_EQ, 0xff00, 0x3400};
  const auto both = and_with({low}, high);
  REQUIRE(both);
  REQUIRE(both->size() == 1);
  for (const uint64_t x : {0x3412ull, 0x3413ull, 0x3512ull, 0xff3412ull}) {
    CHECK(cmp_holds(both->front(), x) == (cmp_holds(low, x) && cmp_holds(high, x)));
  }
  CHECK_FALSE(and_with({low}, scmp_arg_cmp{0, SCMP_CMP_MASKED_EQ, 0xf, 0x3}));  // 0x2 vs 0x3
  const auto other = and_with({low}, scmp_arg_cmp{1, SCMP_CMP_MASKED_EQ, 0xf, 0x3});
  REQUIRE(other);
  CHECK(other->size() == 2);
}

TEST_CASE("seccomp args: errors for values outside 32 bits, masks and indexes", "[seccomp][args]") {
  Diagnostics diags;
  CHECK_FALSE(compile_arg(arg("eq", 0x100000000, 0, false), diags));
  CHECK_FALSE(compile_arg(arg("masked-eq", 0x3, 0x1, false), diags));  // bits outside the mask
  SeccompArg bad = arg("eq", 1, 0, false);
  bad.index.value = 6;
  CHECK_FALSE(compile_arg(bad, diags));
  CHECK(diags.error_count() == 3);
}
