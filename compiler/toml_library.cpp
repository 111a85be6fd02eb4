// toml++'s implementation, compiled into harden once (TOML_HEADER_ONLY=0 everywhere else)
// instead of loaded from libtomlplusplus.so: one shared library less to map and relocate at
// every start of harden.
#define TOML_IMPLEMENTATION 1
#include <toml++/toml.h>
