// toml++'s implementation, compiled into harden once (TOML_HEADER_ONLY=0 everywhere else)
// instead of loaded from libtomlplusplus.so: one shared library less to map and relocate at
// every start of harden.
//
// toml++'s internal assertions stay off in every build, as in the release build harden ships:
// one of them (parse_key: "is_bare_key_character(*cp) || is_string_delimiter(*cp)") is wrong
// for input such as "[:" and aborted the debug and sanitizer builds, although the parser then
// reports the error properly (found by the policy_reader fuzzer). harden builds toml++ with
// GCC, where the NDEBUG form of that check (TOML_ASSUME) is a no-op too.
#define TOML_ASSERT(expr) static_cast<void>(0)
#define TOML_IMPLEMENTATION 1
#include <toml++/toml.h>
