// q8_0.h — ggml Q8_0: 32 values per 34-byte block, value = d * qs[i].
// Both a weight type (token embeddings, Gemma's attn_v) and the activation type for
// Q4_0/Q5_0/Q8_0 dot products; quantize_row_ref is the run-time activation quantizer.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/check.h"
#include "core/fp16.h"

namespace skim {

inline constexpr int64_t kQK8_0 = 32;

struct BlockQ8_0 {
  uint16_t d;      // fp16 scale
  int8_t qs[32];   // values in natural order
};
static_assert(sizeof(BlockQ8_0) == 34);

inline void dequantize_row_ref(const BlockQ8_0* x, float* y, int64_t n) {
  SKIM_CHECK(n % kQK8_0 == 0);
  for (int64_t i = 0; i < n / kQK8_0; ++i, y += kQK8_0) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK8_0; ++j) y[j] = d * static_cast<float>(x[i].qs[j]);
  }
}

// ggml's quantize_row_q8_0_ref: d = amax / 127, q = roundf(x / d) (ties away from zero).
inline void quantize_row_ref(const float* x, BlockQ8_0* y, int64_t n) {
  SKIM_CHECK(n % kQK8_0 == 0);
  for (int64_t i = 0; i < n / kQK8_0; ++i, x += kQK8_0) {
    float amax = 0.0f;
    for (int j = 0; j < kQK8_0; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK8_0; ++j) y[i].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  }
}

}  // namespace skim
