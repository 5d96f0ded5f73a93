#!/bin/sh
# Installs the client libraries the gateway tests use (the official openai SDK, ws) into
# the build tree with npm, once per lock file, and puts the test files next to them so
# Node resolves the packages. Usage: install_deps.sh <source dir> <target dir>
set -eu
src=$1
dst=$2
mkdir -p "$dst"
cp "$src"/*.mjs "$dst"/
if ! cmp -s "$src/package-lock.json" "$dst/package-lock.json" || [ ! -d "$dst/node_modules" ]; then
  cp "$src/package.json" "$src/package-lock.json" "$dst"/
  cd "$dst"
  npm ci --no-audit --no-fund --loglevel=error </dev/null
fi
