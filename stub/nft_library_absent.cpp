// The static wrapper stub has no libnftables: a static program cannot load a shared library
// safely, and Debian ships libnftables only as one. `harden compile` therefore builds wrappers
// for plans with a [network] firewall from the dynamic stub; this refusal is the fail-closed
// answer if such a plan ever reaches the static one (e.g. `harden compile --stub`).
#include "enforcer/nft_library.hpp"

namespace harden::host {

std::expected<NftLibrary, std::string> load_nft_library() {
  return std::unexpected(
      "this wrapper was built from the static harden-exec stub, which cannot load libnftables; "
      "compile it again with harden compile (it picks the dynamic stub for plans with a "
      "[network] firewall)");
}

}  // namespace harden::host
