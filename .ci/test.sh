#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds with warnings as errors, runs every
# test through CTest, then builds the ASan+UBSan configuration and runs the suite again, having
# run each libFuzzer target for a bounded time in between (HARDEN_FUZZ_SECONDS each, default 45).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps.sh
jobs=$(nproc)

echo "== format check"
# The tracked sources; a copy without .git (a tarball, an export) checks every source file.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' '*.c')
else
  mapfile -t sources < <(find . -path ./build -prune -o -path './build-*' -prune -o \
    -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.c' \) -print | sort)
fi
if ((${#sources[@]} == 0)); then
  echo "format check: no source files found" >&2
  exit 1
fi
if ! clang-format --dry-run -Werror "${sources[@]}"; then
  echo "format check failed: run clang-format -i on the files above" >&2
  exit 1
fi

echo "== build (warnings are errors)"
cmake -S . -B build -DHARDEN_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
(cd build && ctest --output-on-failure -j1 --timeout 300)

echo "== fuzz targets (libFuzzer, ASan+UBSan), ${HARDEN_FUZZ_SECONDS:-45}s each"
for target in policy_reader extends_resolver plan_decoder oci_seccomp; do
  HARDEN_FUZZ_JOBS="$jobs" bash tests/fuzz/run.sh "$target" "${HARDEN_FUZZ_SECONDS:-45}"
done

echo "== build with AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DHARDEN_WERROR=ON -DHARDEN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under sanitizers"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --output-on-failure -j1 --timeout 300)

