#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs one for a bounded time:
#
#   tests/fuzz/run.sh TARGET SECONDS [--keep-going]   e.g. tests/fuzz/run.sh plan_decoder 3600
#
# TARGET is policy_reader, extends_resolver, plan_decoder or oci_seccomp. The checked-in seeds
# (tests/fuzz/corpus/TARGET) are read, never written: what the run learns goes to
# build-fuzz/corpus/TARGET, a crashing input to build-fuzz/artifacts/TARGET/. Exits non-zero
# on any crash, leak, timeout, out-of-memory or sanitizer report (then add the input to the
# seed corpus with the fix). Runs one job, niced; HARDEN_FUZZ_BUILD names another build dir.
# --keep-going is for the long runs: libFuzzer's fork mode (one worker) saves each crash,
# timeout or out-of-memory input and goes on until SECONDS have passed, so one finding does
# not end an hour's run; the exit status is 1 if it saved any input (they are listed).
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:?usage: tests/fuzz/run.sh TARGET SECONDS}
seconds=${2:?usage: tests/fuzz/run.sh TARGET SECONDS}
keep_going=()
case "${3:-}" in
  "") ;;
  --keep-going) keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1) ;;
  *) echo "run.sh: unknown option '$3' (--keep-going)" >&2; exit 2 ;;
esac
build=${HARDEN_FUZZ_BUILD:-build-fuzz}
case "$target" in
  policy_reader | extends_resolver | oci_seccomp) max_len=16384 ;;
  plan_decoder) max_len=65536 ;;
  *) echo "run.sh: unknown target '$target'" >&2; exit 2 ;;
esac
cc=${HARDEN_FUZZ_CC:-clang-19}
cxx=${HARDEN_FUZZ_CXX:-clang++-19}
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S . -B "$build" -DHARDEN_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
fi
cmake --build "$build" --target "fuzz_$target" -j"${HARDEN_FUZZ_JOBS:-2}" >/dev/null
mkdir -p "$build/corpus/$target" "$build/artifacts/$target"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
echo "== fuzz $target for ${seconds}s"
started="$build/artifacts/$target/.started"
touch "$started"
nice -n 10 "$build/tests/fuzz/fuzz_$target" \
  -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -malloc_limit_mb=512 \
  -timeout=10 -print_final_stats=1 -detect_leaks=1 "${keep_going[@]}" \
  -artifact_prefix="$build/artifacts/$target/" \
  "$build/corpus/$target" "tests/fuzz/corpus/$target"
if ((${#keep_going[@]})); then
  # Fork mode exits 0 after ignored findings: what it saved during this run is the verdict.
  found=$(find "$build/artifacts/$target" -type f -newer "$started" ! -name .started)
  if [[ -n $found ]]; then
    echo "run.sh: $target saved inputs to reproduce (add each to the seed corpus with its fix):" >&2
    echo "$found" >&2
    exit 1
  fi
fi
