// predictor.h — Deja Vu at inference: score a layer's input with its low-rank predictor
// (scores = btᵀ·(a·x) + bias, see LowRankPredictor in sparsity/config.h) and keep the top k.
// What the forward pass calls, per decoded token and layer:
//   MLP:   select_neurons -> idx [k] (increasing); gate and up via kernels::matmul_rows over
//          idx, down via matvec_sparse_input over idx on Wᵀ(down) (as CATS does).
//   Heads: select_heads -> query heads [k] (increasing); head_channels expands them to the
//          q rows / o input channels they own. K and V stay dense (every KV head, every
//          token): later tokens may select any query head of a group, and their attention
//          reads all cached positions, so a skipped K/V row would be a hole in the cache
//          (Deja Vu recomputes such rows lazily; at 3 KV heads of 64 the saving is small).
// Invariants: no allocation (the caller provides scratch of scratch_floats(p) floats); ties
// in scores go to the lower index, so the selection is deterministic; the returned indices
// are sorted increasing (locality for the kernels). Top-k finds the k-th largest score by
// radix selection (three counting passes over order-preserving keys of the scores), then
// one increasing scan collects the indices (no index sort).
#pragma once

#include <cstdint>
#include <span>

#include "kernels/kernels.h"
#include "sparsity/config.h"

namespace skim::dejavu {

// Floats of scratch select_* need: rank (hidden) + n_out (scores) + n_out (top-k copy).
inline size_t scratch_floats(const LowRankPredictor& p) {
  return static_cast<size_t>(p.rank) + 2 * static_cast<size_t>(p.n_out);
}

// k for a kept fraction of n (at least 1, at most n).
int32_t keep_count(float keep, int32_t n);

// scores: [n_out] = btᵀ·(a·x) + bias; hidden: [rank] scratch; x: [n_in].
void predict_scores(const kernels::KernelTable& kt, const LowRankPredictor& p, const float* x, float* hidden,
                    float* scores);

// The k largest of scores [n] (finite) -> idx_out [k], increasing; scratch: [n]. Returns k.
int32_t top_k(const float* scores, int32_t n, int32_t k, float* scratch, int32_t* idx_out);

// MLP neurons to compute for input x [n_embd]: idx_out [k]. scratch: [scratch_floats(p)].
// Returns k (clamped to [1, n_ff]).
int32_t select_neurons(const kernels::KernelTable& kt, const LowRankPredictor& p, const float* x, int32_t k,
                       std::span<float> scratch, int32_t* idx_out);

// Query heads to compute for input x [n_embd]: heads_out [k]. Same contract as select_neurons.
int32_t select_heads(const kernels::KernelTable& kt, const LowRankPredictor& p, const float* x, int32_t k,
                     std::span<float> scratch, int32_t* heads_out);

// The q rows (= o input channels) of the given heads: out [n_heads * head_dim], increasing
// when heads are. Returns the count.
int32_t head_channels(std::span<const int32_t> heads, int32_t head_dim, int32_t* out);

// Predictor cost: multiply-adds per token, and bytes of its fp32 weights.
inline int64_t predictor_macs(const LowRankPredictor& p) {
  return static_cast<int64_t>(p.rank) * (p.n_in + p.n_out);
}
inline int64_t predictor_bytes(int32_t n_in, int32_t rank, int32_t n_out) {
  return (static_cast<int64_t>(rank) * (n_in + n_out) + n_out) * 4;
}

}  // namespace skim::dejavu
