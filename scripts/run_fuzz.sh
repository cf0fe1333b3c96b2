#!/usr/bin/env bash
# run_fuzz.sh — run libFuzzer targets, each for a bounded time on a fresh seed corpus; fails
# (non-zero exit) on any crash, leak, timeout or sanitizer report in any of them.
#
# Usage: scripts/run_fuzz.sh FUZZER... [SECONDS]    (SECONDS per target, defaults to 30)
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
fuzzers=()
secs=30
for a in "$@"; do
  if [[ $a =~ ^[0-9]+$ ]]; then secs=$a; else fuzzers+=("$a"); fi
done
[[ ${#fuzzers[@]} -gt 0 ]] || { echo "run_fuzz: no fuzz target given" >&2; exit 2; }
for f in "${fuzzers[@]}"; do
  [[ -x $f ]] || { echo "run_fuzz: '$f' is not an executable fuzz target (build it: make fuzz)" >&2; exit 2; }
done
here=$(cd "$(dirname "$0")/.." && pwd)

# run_one FUZZER: one target on its own fresh corpus; returns the fuzzer's exit status.
run_one() {
  local fuzzer=$1 corpus rc max_len=65536
  local extra=()
  corpus=$(mktemp -d)
  case $(basename "$fuzzer") in
    fuzz_gguf)
      local model="${SKIM_HOME:-$HOME/.cache/skim}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
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
  rm -rf "$corpus"
  if [[ $rc -ne 0 ]]; then
    echo "fuzz: $(basename "$fuzzer") FAILED (exit $rc); reproducer written to $(pwd)" >&2
  else
    echo "fuzz: $(basename "$fuzzer") ran ${secs}s with no crash" >&2
  fi
  return "$rc"
}

status=0
for f in "${fuzzers[@]}"; do
  run_one "$f" || status=$?
done
exit "$status"
