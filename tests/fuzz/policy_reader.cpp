// libFuzzer target: policy text -> diagnostics, or a Plan. No disk access (the bases of
// `extends` come from an empty fake file set). Properties: nothing crashes; a policy that is
// read compiles or says why; a compiled plan survives sealing and unsealing unchanged; the
// rendered diagnostics carry no control character.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/compile.hpp"
#include "plan/plan_io.hpp"
#include "policy/policy_reader.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace harden;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  FakePolicyFileSystem files;
  files.files["/fuzz/base.toml"] = "[policy]\nname = \"base\"\n[limits]\nnofile = 64\n";
  Diagnostics diags;
  std::optional<Policy> policy =
      read_policy_text(text, "/fuzz/policy.toml", diags, files, {"/fuzz-search"});
  if (policy) {
    HARDEN_FUZZ_CHECK(!diags.has_errors());
    const std::optional<Plan> plan = compile_policy(*policy, diags);
    HARDEN_FUZZ_CHECK(plan.has_value() || diags.has_errors());
    if (plan) {
      const std::string bytes = plan_to_bytes(*plan);
      auto back =
          plan_from_bytes({reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()});
      if (!back) std::fprintf(stderr, "unsealing failed: %s\n", back.error().c_str());
      HARDEN_FUZZ_CHECK(back.has_value());
      HARDEN_FUZZ_CHECK(plan_to_bytes(*back) == bytes);
    }
  } else {
    HARDEN_FUZZ_CHECK(diags.has_errors());
  }
  // What reaches a terminal holds no control character but the line breaks and tabs harden
  // writes itself, and no C1 control (printable() in diagnostics.hpp).
  const std::string rendered = render_all(diags);
  for (size_t i = 0; i < rendered.size(); ++i) {
    const auto byte = static_cast<unsigned char>(rendered[i]);
    HARDEN_FUZZ_CHECK(byte >= 0x20 || byte == '\n' || byte == '\t');
    HARDEN_FUZZ_CHECK(byte != 0x7F);
    HARDEN_FUZZ_CHECK(!(byte == 0xC2 && i + 1 < rendered.size() &&
                        static_cast<unsigned char>(rendered[i + 1]) >= 0x80 &&
                        static_cast<unsigned char>(rendered[i + 1]) < 0xA0));
  }
  // The directory search's policy-or-base question, on the same text.
  (void)policy_text_sets_name(text);
  return 0;
}
