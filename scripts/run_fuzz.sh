#!/usr/bin/env bash
# run_fuzz.sh — run one libFuzzer target for a bounded time on a fresh seed corpus; fails
# (non-zero exit) on any crash, leak, timeout or sanitizer report.
#
# Usage: scripts/run_fuzz.sh FUZZER [SECONDS]      (SECONDS defaults to 30)
#   FUZZER is a binary from the fuzz build (clang + -DSKIM_FUZZ=ON, see `make fuzz`):
#     build-fuzz/fuzz_gguf             the GGUF reader; seeded with the head of the default
#                                      model (if pulled) and a hand-made empty v3 file
#     build-fuzz/fuzz_openai_request   the server's OpenAI request parser; seeded with
#                                      fuzz/seeds/openai_request/*.json, dictionary
#                                      fuzz/openai_request.dict
# Example: make fuzz FUZZ_SECS=60   or   scripts/run_fuzz.sh build-fuzz/fuzz_openai_request 120
# Crash reproducers are written to the current directory (crash-*, leak-*, timeout-*);
# replay one with: FUZZER crash-<hash>
set -euo pipefail
if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
fuzzer=$1
secs=${2:-30}
[[ -x $fuzzer ]] || { echo "run_fuzz: '$fuzzer' is not an executable fuzz target (build it: make fuzz)" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
extra=()
max_len=65536
case $(basename "$fuzzer") in
  fuzz_gguf)
    model="${SKIM_HOME:-$HOME/.cache/skim}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    if [[ -f $model ]]; then
      head -c 4096 "$model" >"$corpus/model_head_4k"
      head -c 65536 "$model" >"$corpus/model_head_64k"
    fi
    printf 'GGUF\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' >"$corpus/empty_v3"
    ;;
  fuzz_openai_request)
    cp "$here"/fuzz/seeds/openai_request/*.json "$corpus"/
    extra+=(-dict="$here/fuzz/openai_request.dict")
    max_len=16384
    ;;
  *)
    echo "run_fuzz: no seeds known for $(basename "$fuzzer"); starting from an empty corpus" >&2
    ;;
esac
echo "fuzz: running $(basename "$fuzzer") for ${secs}s" >&2
set +e
"$fuzzer" "$corpus" "${extra[@]}" -max_total_time="$secs" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 >"$corpus/log" 2>&1
rc=$?
set -e
tail -n 15 "$corpus/log"
if [[ $rc -ne 0 ]]; then
  echo "fuzz: $(basename "$fuzzer") FAILED (exit $rc); reproducer written to $(pwd)" >&2
  exit "$rc"
fi
echo "fuzz: $(basename "$fuzzer") ran ${secs}s with no crash" >&2
