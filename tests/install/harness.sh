# shellcheck shell=bash disable=SC2154 # home, state, WORK, FAKE_VENDOR come from the caller
# Shared by the tests here (sourced): messages, the fake vendor as a coprocess, and running
# a program with a private HOME and state dir. The caller sets WORK, FAKE_VENDOR, home and
# state (directories that exist).

step() { echo "== [${SECONDS}s] $*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

vendor_pid=""
vendor_in=""
# Starts durar-fake-vendor with the given recordings (answered in turn, one per request),
# waits for its base URL and writes $state/durar.yaml pointing provider "fake" at it.
start_vendor() {
  coproc VENDOR { exec "$FAKE_VENDOR" "$@" 2>"$WORK/vendor.err"; }
  # shellcheck disable=SC2153 # VENDOR_PID is set by coproc
  vendor_pid=$VENDOR_PID
  vendor_in=${VENDOR[1]}
  local vendor_out=${VENDOR[0]} url
  read -r -t 30 url <&"$vendor_out" || {
    cat "$WORK/vendor.err"
    fail "the fake vendor did not start"
  }
  cat >"$state/durar.yaml" <<YAML
models:
  providers:
    fake:
      baseUrl: $url/v1
      models: [{ id: m1 }]
agents:
  defaults:
    model: { primary: fake/m1 }
    workspace: $WORK/ws
YAML
}
# Closing its stdin ends it.
stop_vendor() {
  if [[ -n $vendor_in ]]; then exec {vendor_in}>&-; fi
  if [[ -n $vendor_pid ]]; then wait "$vendor_pid" 2>/dev/null || true; fi
  vendor_in=""
  vendor_pid=""
}
trap stop_vendor EXIT

# run PROGRAM ARGS...: stdout in $out; a failure prints everything and fails the test.
# MODEL=... before the call sets DURAR_MODEL.
run() {
  local rc=0
  out=$(env HOME="$home" DURAR_STATE_DIR="$state" FAKE_API_KEY=sk-install-test \
    DURAR_MODEL="${MODEL:-}" "$@" 2>"$WORK/run.err") || rc=$?
  if ((rc != 0)); then
    printf '%s\n' "$out"
    cat "$WORK/run.err"
    fail "$* exited with $rc"
  fi
}
