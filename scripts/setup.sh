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
# Wanted by tests that skip (saying so) without them: the chat page's headless-browser test.
optional=(chromium)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
missing_optional=()
for p in "${optional[@]}"; do
  installed "$p" || missing_optional+=("$p")
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

if ((${#missing_optional[@]})); then
  echo "setup: installing optional ${missing_optional[*]}" >&2
  if [[ $(id -u) -eq 0 ]] && { ((${#missing[@]})) || apt-get update -qq; } &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_optional[@]}" >/dev/null; then
    :
  else
    echo "setup: could not install ${missing_optional[*]}; the tests that need them will be skipped" >&2
  fi
fi

# pip is needed by `skim pull` (models come from PyPI wheels).
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "setup: python3 -m pip is missing" >&2
  exit 1
fi

# The server's integration test drives `skim serve` with the official OpenAI client (PyPI).
if ! python3 -c 'import openai' >/dev/null 2>&1; then
  echo "setup: installing the openai Python package" >&2
  python3 -m pip install -q openai 2>/dev/null ||
    python3 -m pip install -q --break-system-packages openai ||
    echo "setup: could not install openai; the server's OpenAI-client test will be skipped" >&2
fi

# `make sweep` draws its Pareto plot with matplotlib (PyPI).
if ! python3 -c 'import matplotlib' >/dev/null 2>&1; then
  echo "setup: installing the matplotlib Python package" >&2
  python3 -m pip install -q matplotlib 2>/dev/null ||
    python3 -m pip install -q --break-system-packages matplotlib ||
    echo "setup: could not install matplotlib; scripts/plot_sweep.py will not run" >&2
fi
