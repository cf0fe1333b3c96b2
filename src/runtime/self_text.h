// self_text.h — calibration text the model writes itself (`skim calibrate --data self`), for
// a user who has a model file and no corpus.
//
// Sequence k (k = 0, 1, ...) starts either from the model's chat template with one generic
// user turn (three sequences in four; the turns span everyday topics and kinds of request,
// chosen by a seeded permutation) or from BOS alone (every fourth, and every sequence of a
// model without a chat template), and continues by seeded sampling (temperature 1, top-p
// 0.95, min-p 0.05) until an end-of-generation token or its length limit: `max_len` tokens,
// or the part of the budget still unclaimed when it starts. Up to 8 sequences decode
// together (Engine::decode_step).
// Invariants: exactly `total` tokens come back (prompt tokens included: calibration sees
// the whole sequence, as the model does); the same (engine file, total, max_len, seed)
// give the same sequences, whatever the thread count (decode is batch-invariant and each
// sequence samples with its own seeded sampler).
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.h"
#include "skim/engine.h"

namespace skim {

struct SelfTextOptions {
  int64_t total = 32768;  // tokens to return, prompts included
  int32_t max_len = 512;  // tokens per sequence at most (>= 2)
  uint64_t seed = 1;
  bool progress = true;
};

// Sequences in the order they finished: [n_seq][<= max_len tokens], lengths summing to total.
Result<std::vector<std::vector<int32_t>>> generate_self_text(const Engine& engine, const SelfTextOptions& opt);

}  // namespace skim
