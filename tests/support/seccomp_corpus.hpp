// The policy corpus the seccomp agreement tests run over: every .toml of tests/policies/**,
// policies/** and examples/** that reads, and generated [seccomp] sections (random allow, deny
// and rule combinations, seeded so a failure reproduces); and argument values that satisfy a
// case of the decision model. Header-only: unit tests include it.
#pragma once

#include <seccomp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "plan/seccomp_model.hpp"
#include "policy/policy.hpp"

namespace harden::test {

inline std::vector<std::filesystem::path> policy_corpus() {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  const fs::path root(HARDEN_SOURCE_DIR);
  for (const fs::path& dir : {root / "tests/policies", root / "policies", root / "examples"}) {
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file() && entry.path().extension() == ".toml") {
        files.push_back(entry.path());
      }
    }
  }
  std::ranges::sort(files);
  return files;
}

// One random [seccomp] section; some do not compile (two 64-bit comparisons of one argument).
inline SeccompSection generated_section(std::mt19937_64& random) {
  const std::vector<std::string> groups{"@service",    "@system-service", "@basic-io",
                                        "@process",    "@network-io",     "@ipc",
                                        "@file-system"};
  const std::vector<std::string> calls{"ioctl", "socket", "clone",  "personality", "prctl",
                                       "write", "kill",   "openat", "unshare",     "fcntl"};
  const std::vector<std::string> actions{"allow",        "allow",        "log",  "errno:EPERM",
                                         "errno:EACCES", "kill-process", "trap", "kill-thread"};
  const std::vector<std::string> defaults{"kill-process", "errno:EPERM", "trap", "errno:EACCES"};
  const std::vector<std::string> ops{"eq", "ne", "lt", "le", "gt", "ge", "masked-eq"};
  const std::vector<uint64_t> values{0,      1,          2,          3,          0x5412,
                                     0x541c, 0x10000000, 0xffffffff, 0x80000000, 0x7E020000};
  const auto pick = [&random](const auto& from) { return from[random() % from.size()]; };
  SeccompSection s;
  s.present = true;
  s.pos = {"generated.toml", 1, 1};
  s.default_action = LocatedString{pick(defaults), {"generated.toml", 2, 1}};
  for (uint64_t i = random() % 3; i > 0; --i)
    s.allow.push_back({pick(groups), {"generated.toml", 3, static_cast<uint32_t>(i)}});
  for (uint64_t i = random() % 3; i > 0; --i)
    s.allow.push_back({pick(calls), {"generated.toml", 4, static_cast<uint32_t>(i)}});
  for (uint64_t i = random() % 3; i > 0; --i)
    s.deny.push_back({pick(calls), {"generated.toml", 5, static_cast<uint32_t>(i)}});
  const uint64_t rules = 1 + random() % 5;
  for (uint64_t r = 0; r < rules; ++r) {
    const SourcePos pos{"generated.toml", static_cast<uint32_t>(10 + r), 1};
    SeccompRule rule{{pick(calls), pos}, {}, {pick(actions), pos}, pos};
    for (uint64_t a = random() % 3; a > 0; --a) {
      SeccompArg arg;
      arg.index = {static_cast<int64_t>(random() % 3), pos};
      arg.op = {pick(ops), pos};
      const uint64_t value = pick(values);
      if (arg.op.value == "masked-eq") {
        const uint64_t mask = value | (random() & 0xffff);
        arg.mask = ArgValue{mask, {}, pos};
        arg.value = {value & mask & (random() % 2 ? ~0ull : 0), {}, pos};
      } else {
        arg.value = {value, {}, pos};
      }
      if (random() % 6 == 0) arg.width = Located<int64_t>{64, pos};
      arg.pos = pos;
      rule.args.push_back(arg);
    }
    s.rules.push_back(std::move(rule));
  }
  return s;
}

using Args = std::array<uint64_t, 6>;

// Argument values for which every comparison of the case holds, with random bits where it does
// not look; nullopt when none is found.
inline std::optional<Args> case_witness(const SeccompCase& c, std::mt19937_64& random) {
  using Op = SeccompCompare::Op;
  for (int attempt = 0; attempt < 64; ++attempt) {
    Args args{};
    for (auto& a : args)
      a = attempt % 2 == 0 ? 0 : random();
    for (const SeccompCompare& cmp : c.all_of) {
      uint64_t& x = args[cmp.index % 6];
      const uint64_t step = 1 + random() % 3;
      switch (cmp.op) {
        case Op::eq:
        case Op::le:
        case Op::ge:
          x = cmp.value;
          break;
        case Op::ne:
        case Op::gt:
          x = cmp.value + step;
          break;
        case Op::lt:
          x = cmp.value - step;
          break;
        case Op::masked_eq:
          x = cmp.value | (random() & ~cmp.mask);
          break;
      }
      if (attempt > 8 && cmp.op != Op::eq && cmp.op != Op::masked_eq) x = random();
    }
    if (c.holds(args)) return args;
  }
  return std::nullopt;
}

// Values worth trying for a call whatever its cases: zeros, all ones, a namespace flag, an
// address family, random bits.
inline std::vector<Args> probe_arguments(std::mt19937_64& random) {
  std::vector<Args> out{Args{},
                        Args{~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull},
                        Args{0x10000000},
                        Args{0x00020000},
                        Args{2, 1, 0},
                        Args{10, 2},
                        Args{17},
                        Args{0xffffffff},
                        Args{0x1ffffffffull}};
  for (int i = 0; i < 4; ++i)
    out.push_back({random(), random(), random(), random(), random(), random()});
  return out;
}

}  // namespace harden::test
