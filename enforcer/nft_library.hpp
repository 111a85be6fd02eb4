// libnftables, loaded when a plan first needs it rather than at every start of harden: the
// library and the five it pulls in (libnftnl, libmnl, libxtables, libjansson, libgmp) cost a
// start some 60 page faults, and most policies have no [network] firewall.
//
// Two implementations exist: nft_library.cpp opens the shared library with dlopen; the
// statically linked wrapper stub, which cannot load shared libraries, links
// stub/nft_library_absent.cpp instead, and `harden compile` gives plans with a firewall the
// dynamic stub. Exactly one of them is linked into each program.
#pragma once

#include <nftables/libnftables.h>

#include <expected>
#include <string>

namespace harden::host {

// The part of libnftables harden calls, resolved from the library.
struct NftLibrary {
  nft_ctx* (*ctx_new)(uint32_t flags);
  void (*ctx_free)(nft_ctx* ctx);
  int (*ctx_buffer_output)(nft_ctx* ctx);
  int (*ctx_buffer_error)(nft_ctx* ctx);
  const char* (*ctx_get_output_buffer)(nft_ctx* ctx);
  const char* (*ctx_get_error_buffer)(nft_ctx* ctx);
  int (*run_cmd_from_buffer)(nft_ctx* ctx, const char* buffer);
};

// Loads libnftables (once per process; later calls are a lookup) or says why it cannot.
std::expected<NftLibrary, std::string> load_nft_library();

}  // namespace harden::host
