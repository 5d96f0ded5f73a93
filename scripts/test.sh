#!/usr/bin/env bash
# Installs what is missing, builds everything warning-free and runs the whole test suite,
# then again under AddressSanitizer + UndefinedBehaviorSanitizer (skip with DURAR_SKIP_SANITIZE=1;
# the Python module is left out there: an instrumented module cannot load into CPython), then
# runs every fuzz target for a few seconds (skip with DURAR_SKIP_FUZZ=1; scripts/fuzz.sh).
# The fuzz targets are built first: they are the only clang build of the library, so code that
# g++ accepts and clang does not fails here in minutes rather than after both suites.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
"$root/scripts/setup.sh"

run_suite() {
  local dir=$1; shift
  cmake -S "$root" -B "$dir" -DDURAR_WERROR=ON -DDURAR_BUILD_BENCH=ON "$@"
  cmake --build "$dir" -j"$jobs"
  ctest --test-dir "$dir" -j"$jobs" --output-on-failure --timeout 300
}

fuzz_build=$root/build/fuzz
if [[ "${DURAR_SKIP_FUZZ:-0}" != 1 ]]; then
  FUZZ_JOBS=$jobs FUZZ_BUILD_ONLY=1 "$root/scripts/fuzz.sh" 5 "$fuzz_build"
fi

run_suite "$root/build/test" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDURAR_BUILD_PYTHON=ON
if [[ "${DURAR_SKIP_SANITIZE:-0}" != 1 ]]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite "$root/build/asan" -DCMAKE_BUILD_TYPE=Debug -DDURAR_SANITIZE=address,undefined -DDURAR_BUILD_BENCH=OFF \
      -DDURAR_BUILD_PYTHON=OFF
fi
if [[ "${DURAR_SKIP_FUZZ:-0}" != 1 ]]; then
  FUZZ_JOBS=$jobs FUZZ_SKIP_BUILD=1 "$root/scripts/fuzz.sh" 5 "$fuzz_build"
fi
echo "durar: all tests passed"
