// libFuzzer target: `harden import --from oci-seccomp`, an OCI/Docker seccomp profile (JSON)
// to a [seccomp] section (TOML). Properties: nothing crashes; an import either succeeds or
// reports an error; what it writes is TOML that parses.
#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "export/export.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace harden;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  Diagnostics diags;
  ImportOptions options;
  options.source_name = "fuzz.json";
  options.caps = {"CAP_SYS_ADMIN", "CAP_NET_ADMIN"};
  const std::optional<std::string> section = import_oci_seccomp(json, options, diags);
  HARDEN_FUZZ_CHECK(section.has_value() || diags.has_errors());
  if (section) {
    try {
      (void)toml::parse(std::string_view(*section), std::string_view("imported.toml"));
    } catch (const toml::parse_error& err) {
      std::fprintf(stderr, "the imported section is not TOML: %s\n%s\n",
                   std::string(err.description()).c_str(), section->c_str());
      HARDEN_FUZZ_CHECK(false);
    }
  }
  return 0;
}
