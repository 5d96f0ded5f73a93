#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a fixed time on a copy of
# its seed corpus in the build dir; fails when any target crashes, leaks or hangs.
#   scripts/fuzz.sh [seconds-per-target] [build-dir]     (defaults: 10, ./build-fuzz)
# Environment: FUZZ_TARGETS="json http" runs a subset; FUZZ_JOBS (default 2) for the build;
# FUZZ_SKIP_BUILD=1 runs the binaries already in the build dir; FUZZ_BUILD_ONLY=1 stops after
# building them;
# CC/CXX pick the compilers (default clang-14/clang++-14, else clang/clang++).
# Findings land in <build-dir>/fuzz-artifacts/<target>/, logs in <build-dir>/fuzz-logs/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
build=${2:-$root/build-fuzz}
mkdir -p "$build"
build=$(cd "$build" && pwd)
all_targets="json partial_json config_text stream transcript apply_patch control ws http openai_request"
targets=${FUZZ_TARGETS:-$all_targets}

if [ ! -f "$build/CMakeCache.txt" ]; then
  cc=${CC:-$(command -v clang-14 || command -v clang)}
  cxx=${CXX:-$(command -v clang++-14 || command -v clang++)}
  launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  CC=$cc CXX=$cxx cmake -S "$root" -B "$build" -DDURAR_BUILD_FUZZ=ON \
    -DDURAR_SANITIZE=address,undefined -DDURAR_BUILD_TESTS=OFF -DDURAR_BUILD_CLI=OFF \
    -DDURAR_BUILD_EXAMPLES=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
fi
build_targets=()
for t in $targets; do build_targets+=(--target "durar_fuzz_$t"); done
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
  cmake --build "$build" -j"${FUZZ_JOBS:-2}" "${build_targets[@]}"
fi
if [ "${FUZZ_BUILD_ONLY:-0}" = 1 ]; then exit 0; fi

data=$root/tests/data
# Seeds: the checked-in ones (fuzz/corpus/<target>) plus recorded files from tests/data.
# Copied, never written in place: libFuzzer adds what it finds to the corpus directory.
seed() {
  local t=$1 dir=$build/fuzz-corpus/$1
  mkdir -p "$dir"
  if [ -d "$root/fuzz/corpus/$t" ]; then cp -n "$root/fuzz/corpus/$t"/* "$dir"/ 2>/dev/null || true; fi
  case $t in
    json | partial_json)
      for f in "$data"/providers/*/*.json "$data"/config/*.json; do
        cp -n "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"
      done ;;
    config_text) cp -n "$data"/config/* "$dir"/ ;;
    transcript) cp -n "$data"/sessions/*.jsonl "$dir"/ ;;
    stream)
      # [api selector][split seed][body]: the selector's order is stream_fuzz.cpp's.
      local i=0 api f
      for api in openai-completions openai-responses anthropic-messages google-generative-ai ollama; do
        for f in "$data"/providers/$api/*.response.* "$data"/agent/$api/*.response.*; do
          [ -f "$f" ] || continue
          local name=$dir/$api-$(basename "$(dirname "$(dirname "$f")")")-$(basename "$f")
          [ -f "$name" ] || { printf "\\$(printf %o $i)\\000"; cat "$f"; } >"$name"
          [ -f "$name.split" ] || { printf "\\$(printf %o $i)\\007"; cat "$f"; } >"$name.split"
        done
        i=$((i + 1))
      done ;;
  esac
}

dict_for() {
  case $1 in
    http) echo "-dict=$root/fuzz/http.dict" ;;
    json | partial_json | stream | control | openai_request) echo "-dict=$root/fuzz/json.dict" ;;
  esac
}

mkdir -p "$build/fuzz-logs"
failed=()
printf '%-12s %12s %9s %8s %8s  %s\n' target executions exec/s cov ft result
for t in $targets; do
  seed "$t"
  art=$build/fuzz-artifacts/$t/
  mkdir -p "$art"
  log=$build/fuzz-logs/$t.log
  rc=0
  # shellcheck disable=SC2046
  "$build/fuzz/durar_fuzz_$t" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2560 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$art" $(dict_for "$t") \
    "$build/fuzz-corpus/$t" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  result=ok
  if [ "$rc" -ne 0 ]; then
    result="FAILED (exit $rc; see $log, inputs in $art)"
    failed+=("$t")
  fi
  printf '%-12s %12s %9s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  for t in "${failed[@]}"; do
    echo "---- $t" >&2
    grep -E -A12 '^==[0-9]+==ERROR|runtime error|^ +what\(\)|Test unit written' "$build/fuzz-logs/$t.log" |
      grep -v -E '^ +#([0-9]|1[0-9]) 0x[0-9a-f]+ in (fuzzer::|__sanitizer|std::terminate|__cxa|raise|abort|__pthread)' |
      head -30 >&2 || true
  done
  exit 1
fi
