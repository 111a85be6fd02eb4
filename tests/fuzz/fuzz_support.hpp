// Helpers shared by the libFuzzer targets (tests/fuzz/README.md says how to run them).
#pragma once

#include <cstdio>
#include <cstdlib>

// A property the target checks failed: report it and abort, so libFuzzer keeps the input.
#define HARDEN_FUZZ_CHECK(condition)                                                             \
  do {                                                                                           \
    if (!(condition)) {                                                                          \
      std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)
