#!/usr/bin/env bash
# run_fuzz.sh FUZZER SECONDS — run a libFuzzer target for a bounded time on a seed corpus
# (a small valid GGUF written by the fuzzer's own -seed helper is not needed: we seed with
# the head of the default model and a few hand-made files). Fails on any crash.
set -euo pipefail
fuzzer=$1
secs=${2:-30}
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
model="${SKIM_HOME:-$HOME/.cache/skim}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ -f $model ]]; then
  head -c 4096 "$model" >"$corpus/model_head_4k"
  head -c 65536 "$model" >"$corpus/model_head_64k"
fi
printf 'GGUF\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' >"$corpus/empty_v3"
echo "fuzz: running $(basename "$fuzzer") for ${secs}s" >&2
"$fuzzer" "$corpus" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 | tail -n 15
echo "fuzz: $(basename "$fuzzer") ran ${secs}s with no crash" >&2
