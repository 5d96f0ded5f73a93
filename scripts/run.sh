#!/usr/bin/env bash
# Installs what is missing, builds Durar (Release) and runs `durar <args>` (default: doctor).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release -DDURAR_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build/release" -j"$(nproc)" --target durar_cli >/dev/null
[[ $# -gt 0 ]] || set -- doctor
exec "$root/build/release/cli/durar" "$@"
