// libFuzzer target: the `extends` resolver over a fake file set. The input is the main policy,
// then files introduced by lines "%%% /absolute/path". The policy's tree is /p and the search
// path /etc/harden/policies:/usr/share/harden/policies. Properties: nothing crashes; the
// resolver only ever asks for a normalized path beneath a root; every file read lies beneath
// the policy's tree or the search path.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "policy/policy_reader.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace harden;

namespace {

const std::vector<std::string> kSearch = {"/etc/harden/policies", "/usr/share/harden/policies"};

bool beneath(const std::string& path, const std::string& root) {
  return path.size() > root.size() + 1 && path.starts_with(root + "/");
}

// The fake file set, checking what the resolver asks of it.
class CheckingFiles final : public PolicyFileSystem {
 public:
  FakePolicyFileSystem fake;
  std::expected<std::string, ReadError> read_main(const std::string& path) override {
    return fake.read_main(path);
  }
  std::expected<std::string, ReadError> read_beneath(const std::string& root,
                                                     const std::string& relative) override {
    HARDEN_FUZZ_CHECK(!relative.empty() && relative.front() != '/');
    HARDEN_FUZZ_CHECK(relative.find('\0') == std::string::npos);
    for (std::string_view rest = relative; !rest.empty();) {
      const size_t slash = rest.find('/');
      const std::string_view part = rest.substr(0, slash);
      HARDEN_FUZZ_CHECK(!part.empty() && part != "." && part != "..");
      rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    }
    HARDEN_FUZZ_CHECK(root == "/p" || root == kSearch[0] || root == kSearch[1]);
    return fake.read_beneath(root, relative);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckingFiles files;
  std::string name = "/p/main.toml";
  for (;;) {
    const size_t next = input.find("\n%%% ");
    files.fake.files[name] = std::string(input.substr(0, next));
    if (next == std::string_view::npos) break;
    input.remove_prefix(next + 5);
    const size_t end = input.find('\n');
    name = std::string(input.substr(0, end));
    input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 1);
  }
  Diagnostics diags;
  const std::optional<Policy> policy = read_policy("/p/main.toml", diags, files, kSearch);
  HARDEN_FUZZ_CHECK(policy.has_value() != diags.has_errors());
  if (policy) {
    HARDEN_FUZZ_CHECK(policy->meta.extends_chain.size() <= 17);
    for (const std::string& file : policy->meta.extends_chain) {
      HARDEN_FUZZ_CHECK(file == "/p/main.toml" || beneath(file, "/p") ||
                        beneath(file, kSearch[0]) || beneath(file, kSearch[1]));
    }
  }
  (void)render_all(diags);
  return 0;
}
