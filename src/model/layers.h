// layers.h — transformer building blocks shared by the architectures. They reproduce
// llama.cpp's CPU arithmetic on x86 (AVX-512 build) operation for operation, because small
// models amplify rounding differences into different tokens: RMSNorm sums float squares in
// double; RoPE advances the angle powers in float and rotates with one fma per output;
// softmax and SiLU use ggml's polynomial expf; attention rounds Q and the probabilities to
// f16 and sums the f16 products in the lane order of ggml's f16 matmul (see attention()).
// The arithmetic itself lives in kernels/ops.h (an OpsTable, bitwise identical on every
// ISA); these functions choose llama.cpp's variants and split the work over threads.
// All functions work on caller-owned buffers; none allocates.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/thread_pool.h"
#include "kernels/ops.h"

namespace skim::layers {

// out[rows][n] = x / sqrt(mean(x^2) + eps) * w, per row   (out may alias x)
void rms_norm(const kernels::OpsTable& ops, const float* x, const float* w, float* out, int32_t n, int32_t rows,
              float eps);

// Rotary embedding, "NORM" mode (adjacent pairs (2i, 2i+1)), as llama.cpp applies it to
// converted Llama weights. x [n_heads][head_dim]; the first n_rot dims of each head rotate.
void rope_norm(const kernels::OpsTable& ops, float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot,
               int32_t pos, float base, float freq_scale);
// "NEOX" mode (pairs (i, i + n_rot/2)), used by Gemma and GPT-NeoX-style models.
void rope_neox(const kernels::OpsTable& ops, float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot,
               int32_t pos, float base, float freq_scale);

// gate[n] = silu(gate[n]) * up[n], silu(x) = x / (1 + exp(-x))
void swiglu(const kernels::OpsTable& ops, float* gate, const float* up, int64_t n);

// dst[n] = src[n] as fp16, round to nearest even (llama.cpp keeps K/V in f16 by default).
void store_kv_f16(const kernels::OpsTable& ops, uint16_t* dst, const float* src, int32_t n);

// x[n] += y[n]
void add_inplace(float* x, const float* y, int32_t n);

// silu(x) = x / (1 + exp(-x)) in plain float (libm exp), for the sparse paths, which pick
// neurons by it; the dense path's swiglu uses ggml's polynomial exp instead.
inline float silu_scalar(float x) { return x / (1.0f + std::exp(-x)); }

// Sparsity masks for multi-token passes (the single-token path skips work instead).
// x[n]: entries with |x| <= threshold become 0; returns how many stay (TEAL).
// A threshold <= 0 keeps every nonzero entry, as the sparse kernels' active-channel lists.
int64_t mask_below(float* x, int64_t n, float threshold);
// up[n] = 0 where |silu(gate[n])| <= threshold, so silu(gate)*up drops those neurons (CATS);
// returns how many neurons stay.
int64_t mask_neurons_by_gate(const float* gate, float* up, int64_t n, float threshold);

// Causal grouped-query attention for T query tokens at positions pos0..pos0+T-1.
//   q   [T][n_head * head_dim]     queries (already rotated)
//   k,v [n_ctx][n_head_kv * head_dim] fp16 cache of one layer, filled up to pos0+T-1
//   out [T][n_head * head_dim]
//   scratch: n_threads * attention_scratch_floats(n_ctx, head_dim) floats
// Query head h reads KV head h / (n_head / n_head_kv). Work is split over (token, head).
// As in llama.cpp's default (non-flash) CPU path, the query and the softmax weights are
// rounded to f16, and Q·K and P·V are summed in the order of the f16 matmul llama.cpp
// picks for the batch: tinyBLAS (one 16-lane accumulator) for T >= 2, ggml_vec_dot_f16
// (four 16-lane accumulators) for T == 1. The result does not depend on the thread count.
struct AttentionShape {
  int32_t n_head, n_head_kv, head_dim;
  float scale;  // usually 1/sqrt(head_dim)
  // Fast numerics (kernels.h use_fast_numerics): both f16 products take tinyBLAS's order
  // (one 16-lane accumulator) whenever the shape allows, whatever the run's length, instead
  // of following llama.cpp's choice (ggml_vec_dot_f16's 4 x 16 lanes for one-token runs).
  bool fast = false;
};
size_t attention_scratch_floats(int32_t n_ctx, int32_t head_dim);
void attention(const kernels::OpsTable& ops, ThreadPool& pool, const AttentionShape& s, const float* q,
               const uint16_t* k, const uint16_t* v, float* out, int32_t T, int32_t pos0, int32_t n_ctx,
               float* scratch);

// Several sequences' attention in one pass over the pool (continuous batching): run i is
// exactly attention(q_i, k_i, v_i, out_i, T_i, pos0_i) above (same f16 summation order,
// chosen by the run's own T), so batching sequences does not change any of their outputs.
// Work is split over (row, head) across all runs.
//   scratch: n_threads * attention_scratch_floats(scratch_ctx, head_dim) floats, where
//            scratch_ctx >= pos0_i + T_i for every run
struct AttentionRun {
  const float* q;        // [T][n_head * head_dim]
  const uint16_t* k;     // [n_ctx][n_head_kv * head_dim] fp16 cache of one layer
  const uint16_t* v;     // [n_ctx][n_head_kv * head_dim]
  float* out;            // [T][n_head * head_dim]
  int32_t T = 0, pos0 = 0;
  // Deja Vu head sparsity: [T][n_head], 0 = skip that query head (no scores, softmax or V
  // sum; its output is zeroed). Null: every head. K/V are read as usual by the kept heads.
  const uint8_t* head_mask = nullptr;
};
void attention_multi(const kernels::OpsTable& ops, ThreadPool& pool, const AttentionShape& s,
                     std::span<const AttentionRun> runs, int32_t scratch_ctx, float* scratch);

}  // namespace skim::layers
