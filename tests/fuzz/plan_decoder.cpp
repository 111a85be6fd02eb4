// libFuzzer target: the sealed-plan decoder. The input is a payload; the target puts a valid
// header (this build's magic, schema, architecture, layout and version) and checksum around
// it, so the fuzzer explores the decoder rather than the SHA-256. Properties: nothing crashes
// or allocates without bound (libFuzzer's -rss_limit_mb and -malloc_limit_mb); a plan that
// decodes re-encodes to bytes that decode to the same plan; its seccomp program, checked on
// load, runs in the evaluator without crashing.
#include <linux/audit.h>
#include <linux/seccomp.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "plan/bpf_eval.hpp"
#include "plan/plan_io.hpp"
#include "plan/sha256.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace harden;

namespace {

std::span<const unsigned char> span_of(const std::string& bytes) {
  return {reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()};
}

std::string sealed_payload(const uint8_t* data, size_t size) {
  PlanData empty;
  empty.audit_arch = native_audit_arch();
  static const std::string header = plan_data_to_bytes(empty).substr(0, kPlanHeaderSize);
  std::string bytes = header;
  const uint64_t payload = size;
  std::memcpy(bytes.data() + 40, &payload, 8);
  bytes.append(reinterpret_cast<const char*>(data), size);
  const Sha256Digest digest = sha256(span_of(bytes));
  bytes.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes = sealed_payload(data, size);
  auto plan = plan_from_bytes(span_of(bytes));
  if (!plan) return 0;
  const std::string again = plan_to_bytes(*plan);
  auto back = plan_from_bytes(span_of(again));
  HARDEN_FUZZ_CHECK(back.has_value());
  HARDEN_FUZZ_CHECK(plan_to_bytes(*back) == again);
  const auto& program = (*plan)->seccomp.program;
  if (!program.empty()) {
    seccomp_data probe{};
    probe.arch = native_audit_arch();
    for (const int nr : {0, 1, 59, 257, 1000}) {
      probe.nr = nr;
      // An error is allowed (the evaluator refuses, e.g., a shift by X >= 32 at run time,
      // which harden's compiler never emits); a crash or a read out of bounds is not.
      (void)evaluate_seccomp_program(program, probe);
    }
  }
  return 0;
}
