// ops_ref.h — the scalar oracle of the model ops (kernels/ops.h) and the helpers every ISA
// shares so that they are computed by the very same code: the RoPE angle table (libm
// cos/sin/pow) and the scratch layout of an attention job.
// Plain C++, compiled without ISA flags: std::fma is a correctly rounded fused multiply-add
// (a libm call), float math is SSE2 single precision, nothing is contracted.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/ops.h"

namespace skim::kernels::ref::ops {

void rms_norm(const float* x, const float* w, float* out, int32_t n, int32_t rows, float eps);
void rope_norm(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
               float freq_scale);
void rope_neox(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
               float freq_scale);
void swiglu(float* gate, const float* up, int64_t n);
void softmax_f16(float* x, int32_t n);
void attn_scores(const float* q, const uint16_t* k, size_t kv_stride, int32_t head_dim, int32_t n_keys, float scale,
                 F16DotOrder order, float* out);
void attn_mix(const float* p, const uint16_t* v, size_t kv_stride, int32_t head_dim, int32_t n_keys,
              F16DotOrder order, float* out, float* scratch);
void attn_head(const AttnJob& job);
void f32_to_f16(const float* src, uint16_t* dst, int64_t n);
void round_f16(const float* src, float* dst, int64_t n);

// ggml_v_expf (AVX-512 variant) for one lane.
float ggml_expf(float x);

// RoPE angles: cos_t[i], sin_t[i] of freq_scale * theta_i, theta_0 = pos,
// theta_{i+1} = theta_i * base^(-2/n_rot) in float, for i < n_rot / 2.
void rope_angles(int32_t n_rot, int32_t pos, float base, float freq_scale, float* cos_t, float* sin_t);

// Scratch of an attention job (floats from the start of AttnJob::scratch, each offset a
// multiple of 16 floats): probabilities [pad16(n_keys)], the rounded query [pad16(hd)],
// P.V accumulators [64][hd] (row r holds lane r % 16 of accumulator r / 16).
inline size_t pad16(size_t n) { return (n + kOpsLanes - 1) / kOpsLanes * kOpsLanes; }
inline size_t attn_q_offset(int32_t n_keys) { return pad16(static_cast<size_t>(n_keys)); }
inline size_t attn_acc_offset(int32_t n_keys, int32_t head_dim) {
  return attn_q_offset(n_keys) + pad16(static_cast<size_t>(head_dim));
}

}  // namespace skim::kernels::ref::ops
