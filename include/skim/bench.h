// bench.h — end-to-end speed measurements following llama-bench's conventions: pp<N>
// (prompt processing: N random tokens in batches) and tg<N> (generation: N single-token
// decodes), random token ids, a warm-up run, the cache cleared before each repetition,
// t/s = tokens / seconds per repetition, reported as mean ± sd.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "skim/engine.h"
#include "skim/result.h"

namespace skim {

struct BenchOptions {
  int32_t n_prompt = 512;  // 0: skip pp
  int32_t n_gen = 128;     // 0: skip tg
  int32_t repetitions = 5;
  uint64_t seed = 1234;
  // > 1: the tg test also decodes this many sequences together (Engine::decode_step, one
  // forward pass per step for all of them), reported as "tg<N> x<P>" in aggregate tok/s.
  int32_t n_parallel = 1;
};

struct BenchResult {
  std::string test;               // "pp512", "tg128"
  int32_t n_tokens = 0;
  std::vector<double> samples;    // tokens per second, one per repetition
  double mean = 0.0, stddev = 0.0;
};

Result<std::vector<BenchResult>> bench(const Engine& engine, const BenchOptions& opt);

// Memory read bandwidth (bytes/s) measured by streaming a buffer much larger than the
// caches with `n_threads` threads (best of several passes).
double measure_read_bandwidth(int32_t n_threads, size_t bytes = size_t{512} << 20);

// Bytes of weights read per decoded token by the dense path (all layer matrices plus the
// output projection; the embedding row is negligible).
int64_t weight_bytes_per_token(const Engine& engine);

// Peak resident set size of this process so far, in bytes.
int64_t peak_rss_bytes();

}  // namespace skim
