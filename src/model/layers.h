// layers.h — transformer building blocks shared by the architectures, written to follow
// llama.cpp's CPU arithmetic (sum of squares in double for RMSNorm, RoPE angles advanced
// iteratively in float, softmax with max subtraction) so the dense path tracks llama.cpp.
// All functions work on caller-owned buffers; none allocates.
#pragma once

#include <cstdint>
#include <span>

#include "core/thread_pool.h"

namespace skim::layers {

// out[n] = x[n] / sqrt(mean(x^2) + eps) * w[n]   (out may alias x)
void rms_norm(const float* x, const float* w, float* out, int32_t n, float eps);

// Rotary embedding, "NORM" mode (adjacent pairs (2i, 2i+1)), as llama.cpp applies it to
// converted Llama weights. x [n_heads][head_dim]; the first n_rot dims of each head rotate.
void rope_norm(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
               float freq_scale);
// "NEOX" mode (pairs (i, i + n_rot/2)), used by Gemma and GPT-NeoX-style models.
void rope_neox(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
               float freq_scale);

// gate[n] = silu(gate[n]) * up[n]
void swiglu(float* gate, const float* up, int32_t n);

// dst[n] = src[n] rounded to fp16 precision (llama.cpp keeps K/V in f16 by default).
void store_kv_f16(float* dst, const float* src, int32_t n);

// x[n] += y[n]
void add_inplace(float* x, const float* y, int32_t n);

// Causal grouped-query attention for T query tokens at positions pos0..pos0+T-1.
//   q   [T][n_head * head_dim]     queries (already rotated)
//   k,v [n_ctx][n_head_kv * head_dim] cache of one layer, filled up to pos0+T-1
//   out [T][n_head * head_dim]
//   scratch: n_threads * (pos0 + T) floats for scores
// Query head h reads KV head h / (n_head / n_head_kv). Work is split over (token, head).
// Like llama.cpp's default (non-flash) CPU path, the query and the softmax weights are
// rounded to fp16 before their products with the f16 cache.
struct AttentionShape {
  int32_t n_head, n_head_kv, head_dim;
  float scale;  // usually 1/sqrt(head_dim)
};
void attention(ThreadPool& pool, const AttentionShape& s, const float* q, const float* k, const float* v, float* out,
               int32_t T, int32_t pos0, float* scratch);

}  // namespace skim::layers
