#!/usr/bin/env bash
# Installs the Debian 12 packages Durar builds with, if any are missing.
# Runs apt-get as root, or through sudo; never prompts (CI has no stdin).
set -euo pipefail

packages=(
  g++ make cmake pkg-config git ca-certificates curl
  libasio-dev libsimdjson-dev libfmt-dev libcurl4-openssl-dev libssl-dev libyaml-cpp-dev
  libwslay-dev libhttp-parser-dev
  catch2 libbenchmark-dev python3 python3-jsonschema python3-yaml
  python3-dev python3-pytest pybind11-dev
  clang-14 libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup: installing ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
  apt=(apt-get)
elif command -v sudo >/dev/null 2>&1; then
  apt=(sudo -n apt-get)
else
  echo "setup: missing packages and no root or sudo; install them: apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${apt[@]}" update -q </dev/null
"${apt[@]}" install -y -q --no-install-recommends "${missing[@]}" </dev/null
