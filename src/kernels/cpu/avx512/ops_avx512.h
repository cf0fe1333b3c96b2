// ops_avx512.h — entry points of the AVX512 model ops in cpu/avx512/ops.cpp (kernels/ops.h).
// Declarations only: safe to include from baseline code, callable only where
// isa_supported(Isa::kAvx512) holds. Results are bitwise those of ref/ops.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/ops.h"

namespace skim::kernels::avx512::ops {

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

}  // namespace skim::kernels::avx512::ops
