#!/usr/bin/env bash
# Durar from the outside. Installs the built tree into a prefix, then:
#   1. a fresh project finds it with find_package(durar 0.1 REQUIRED), builds minimal_chat
#      and custom_tool, and runs them against a real durar-fake-vendor (a streamed answer;
#      a tool call, its result and the answer after it);
#   2. pkg-config's flags build and run minimal_chat again;
#   3. the installed headers include nothing private;
#   4. add_subdirectory and FetchContent parents configure with Durar's options off.
# Usage: install_test.sh KEY=VALUE... (see the first lines below; tests/install/CMakeLists.txt
# passes them). Work files live in WORK, a fixed path so that ccache hits on reruns.
set -euo pipefail
for kv in "$@"; do declare "$kv"; done
: "${BUILD_DIR:?}" "${SOURCE_DIR:?}" "${FAKE_VENDOR:?}" "${TEST_DATA:?}" "${WORK:?}" "${VERSION:?}"
CMAKE=${CMAKE:-cmake}
CXX=${CXX:-c++}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
SANITIZE=${SANITIZE:-}
LAUNCHER=${LAUNCHER:-}
GENERATOR=${GENERATOR:-Unix Makefiles}

# shellcheck source=tests/install/harness.sh
source "$(dirname "$0")/harness.sh"
rm -rf "$WORK"
home=$WORK/home
state=$WORK/state
mkdir -p "$WORK" "$home" "$state"
prefix=$WORK/prefix

# The consumer compiles with the tree's sanitizers, so that the headers' inline code is
# checked too; the link flag itself comes from the package (durar::durar, durar.pc).
san_flags=""
[[ -n $SANITIZE ]] && san_flags="-fsanitize=$SANITIZE -fno-omit-frame-pointer"

# ---- install -------------------------------------------------------------------------
step "install $BUILD_DIR into $prefix"
"$CMAKE" --install "$BUILD_DIR" --prefix "$prefix" >"$WORK/install.log" ||
  { cat "$WORK/install.log"; fail "cmake --install"; }
for f in include/durar/agent.hpp include/durar/version.hpp lib/cmake/durar/durar-config.cmake \
  lib/cmake/durar/durar-config-version.cmake lib/cmake/durar/durar-targets.cmake \
  lib/pkgconfig/durar.pc; do
  [[ -f $prefix/$f ]] || fail "not installed: $f"
done
ls "$prefix"/lib/libdurar.* >/dev/null 2>&1 || fail "no libdurar in $prefix/lib"
grep -q "DURAR_VERSION_STRING \"$VERSION\"" "$prefix/include/durar/version.hpp" ||
  fail "installed version.hpp does not say $VERSION"
if [[ -x $prefix/bin/durar ]]; then  # finds its libdurar in the prefix, shared or not
  v=$(env -i HOME="$home" "$prefix/bin/durar" --version 2>&1) || fail "installed durar: $v"
  [[ $v == *"$VERSION"* ]] || fail "installed durar --version says: $v"
fi

# ---- public headers: std, durar and Asio only ----------------------------------------
step "installed headers include no private dependency"
bad=$(grep -rhoE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"][^>"]+[>"]' "$prefix/include/durar" |
  sed -E 's/.*[<"]([^>"]+)[>"]/\1/' | sort -u |
  grep -vE '^(durar/[a-z_]+\.hpp|asio/[a-z_/]+\.hpp|[a-z_]+)$' |
  grep -vxF 'fmt/format.h' || true)
# fmt/format.h appears only under __has_include, for hosts that use fmt themselves.
[[ -z $bad ]] || fail "public headers include: $bad"
grep -q '__has_include(<fmt/format.h>)' "$prefix/include/durar/secret.hpp" ||
  fail "secret.hpp includes fmt unconditionally"

# ---- a find_package consumer ---------------------------------------------------------
step "configure and build a find_package(durar) consumer"
cfg_args=(-G "$GENERATOR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DCMAKE_CXX_COMPILER="$CXX"
  -DCMAKE_PREFIX_PATH="$prefix" -DDURAR_EXAMPLES_DIR="$SOURCE_DIR/examples"
  -DDURAR_EXPECTED_VERSION="$VERSION" "-DCMAKE_CXX_FLAGS=$san_flags")
[[ -n $LAUNCHER ]] && cfg_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$LAUNCHER")
"$CMAKE" -S "$SOURCE_DIR/tests/install/consumer" -B "$WORK/consumer" "${cfg_args[@]}" \
  >"$WORK/consumer-configure.log" 2>&1 || { cat "$WORK/consumer-configure.log"; fail "configure"; }
"$CMAKE" --build "$WORK/consumer" -j2 >"$WORK/consumer-build.log" 2>&1 ||
  { cat "$WORK/consumer-build.log"; fail "build"; }
# Nothing private reached the consumer's include paths.
flags_file=$WORK/consumer/CMakeFiles/minimal_chat.dir/flags.make
if [[ -f $flags_file ]]; then
  includes=$(grep -oE '(-I|-isystem )[^ ]+' "$flags_file" || true)
  for dep in simdjson yaml-cpp yaml_cpp wslay http_parser curl openssl fmt; do
    [[ $includes != *"$dep"* ]] || fail "consumer include paths mention $dep: $includes"
  done
fi

"$WORK/consumer/version_check" || fail "durar::version() differs from DURAR_VERSION_STRING"

# ---- running them against the fake vendor --------------------------------------------
answer="It is 18°C and sunny in Paris."
rec=$TEST_DATA/agent/openai-completions

step "minimal_chat streams an answer"
start_vendor "$rec/weather_answer.response.sse"
MODEL=fake/m1 run "$WORK/consumer/minimal_chat" "What is the weather in Paris?"
[[ $out == "$answer" ]] || fail "minimal_chat printed: $out"

step "custom_tool: the model calls the host tool, then answers"
stop_vendor
start_vendor "$rec/weather_call.response.sse" "$rec/weather_answer.response.sse"
run "$WORK/consumer/custom_tool" -m fake/m1 "What is the weather in Paris?"
for want in '[tool call: get_weather {"city":"Paris"}]' '[get_weather called for Paris]' \
  "$answer" '(2 model calls'; do
  [[ $out == *"$want"* ]] || fail "custom_tool output lacks '$want': $out"
done

# ---- pkg-config ----------------------------------------------------------------------
if command -v pkg-config >/dev/null; then
  step "pkg-config builds minimal_chat"
  export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
  pc_cflags=$(pkg-config --cflags durar) || fail "pkg-config --cflags durar"
  pc_ldflags=$(pkg-config --libs durar) || fail "pkg-config --libs durar"
  [[ $(pkg-config --modversion durar) == "$VERSION" ]] || fail "durar.pc has another version"
  # Compiling and linking apart lets ccache keep the compile.
  # shellcheck disable=SC2086 # the flags are word lists
  { $LAUNCHER "$CXX" -std=c++20 $san_flags $pc_cflags -c \
    "$SOURCE_DIR/examples/minimal_chat/main.cpp" -o "$WORK/pc_minimal_chat.o" &&
    "$CXX" "$WORK/pc_minimal_chat.o" -o "$WORK/pc_minimal_chat" $pc_ldflags \
      -Wl,-rpath,"$prefix/lib"; } >"$WORK/pc-build.log" 2>&1 ||
    { cat "$WORK/pc-build.log"; fail "building with $pc_cflags ... $pc_ldflags"; }
  stop_vendor
  start_vendor "$rec/weather_answer.response.sse"
  MODEL=fake/m1 run "$WORK/pc_minimal_chat" "What is the weather in Paris?"
  [[ $out == "$answer" ]] || fail "pkg-config minimal_chat printed: $out"
else
  echo "pkg-config not installed: the durar.pc check is skipped"
fi
stop_vendor

# ---- Durar inside a parent's build ---------------------------------------------------
for how in subdirectory fetchcontent; do
  step "a parent project takes Durar by $how"
  "$CMAKE" -S "$SOURCE_DIR/tests/install/subproject" -B "$WORK/parent-$how" -G "$GENERATOR" \
    -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DCMAKE_CXX_COMPILER="$CXX" -DDURAR_HOW="$how" \
    -DDURAR_SOURCE_DIR="$SOURCE_DIR" -DDURAR_EXAMPLES_DIR="$SOURCE_DIR/examples" \
    >"$WORK/parent-$how.log" 2>&1 || { cat "$WORK/parent-$how.log"; fail "configure ($how)"; }
  grep -q "durar as a $how: ok" "$WORK/parent-$how.log" || fail "parent ($how) did not check"
done

echo "install test passed"
