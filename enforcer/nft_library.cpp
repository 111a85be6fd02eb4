// libnftables through dlopen (see nft_library.hpp for why it is not linked).
#include "enforcer/nft_library.hpp"

#include <dlfcn.h>

namespace harden::host {

namespace {

constexpr const char* kSoname = "libnftables.so.1";

template <typename Function>
bool resolve(void* handle, const char* name, Function& out, std::string& missing) {
  out = reinterpret_cast<Function>(::dlsym(handle, name));
  if (!out) missing += std::string(missing.empty() ? "" : ", ") + name;
  return out != nullptr;
}

}  // namespace

std::expected<NftLibrary, std::string> load_nft_library() {
  // RTLD_NODELETE: the library stays mapped, so the handle needs no owner and a second load is
  // a lookup. Unloading libnftables (and the libraries under it) mid-process is not safe anyway.
  void* handle = ::dlopen(kSoname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle) {
    const char* why = ::dlerror();
    return std::unexpected(std::string("cannot load ") + kSoname +
                           " (Debian package libnftables1): " + (why ? why : "dlopen failed"));
  }
  NftLibrary library{};
  std::string missing;
  resolve(handle, "nft_ctx_new", library.ctx_new, missing);
  resolve(handle, "nft_ctx_free", library.ctx_free, missing);
  resolve(handle, "nft_ctx_buffer_output", library.ctx_buffer_output, missing);
  resolve(handle, "nft_ctx_buffer_error", library.ctx_buffer_error, missing);
  resolve(handle, "nft_ctx_get_output_buffer", library.ctx_get_output_buffer, missing);
  resolve(handle, "nft_ctx_get_error_buffer", library.ctx_get_error_buffer, missing);
  resolve(handle, "nft_run_cmd_from_buffer", library.run_cmd_from_buffer, missing);
  ::dlclose(handle);  // NODELETE: drops the reference, keeps the mapping the pointers point into
  if (!missing.empty()) return std::unexpected(std::string(kSoname) + " lacks " + missing);
  return library;
}

}  // namespace harden::host
