#!/usr/bin/env bash
# Installs the Debian packages oidcore builds and tests with, skipping what is present
# (chromium is the browser of the end-to-end tests and of `make demo`).
# Runs apt-get only when something is missing, and only as root (otherwise it says what
# to install).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libssl-dev libsodium-dev libsimdjson-dev libcurl4-openssl-dev libhiredis-dev
  redis-server
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev
  python3 openssl
  binutils
  chromium
)
if [ "${1:-}" = "--with" ]; then
  shift
  packages+=("$@")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
