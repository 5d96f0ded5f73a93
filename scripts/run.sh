#!/usr/bin/env bash
# Installs what is missing, builds Durar (Release) and runs `durar <args>`. Without
# arguments: `durar setup` (keeps what exists), then the gateway in the foreground.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release -DDURAR_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build/release" -j"$(nproc)" --target durar_cli >/dev/null
durar="$root/build/release/cli/durar"
if [[ $# -eq 0 ]]; then
  "$durar" setup
  exec "$durar" gateway run
fi
exec "$durar" "$@"
