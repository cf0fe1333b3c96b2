// q8_1.h — ggml Q8_1: 32 values per 36-byte block, value = d * qs[i], plus
// s = d * sum(qs) (fp16). Activation-only type for Q4_1/Q5_1 dot products: the weight
// offset term m * sum(x) is computed as m * s. Never stored in files.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/check.h"
#include "core/fp16.h"

namespace skim {

inline constexpr int64_t kQK8_1 = 32;

struct BlockQ8_1 {
  uint16_t d;      // fp16 scale
  uint16_t s;      // fp16 of d * sum(qs)
  int8_t qs[32];   // values in natural order
};
static_assert(sizeof(BlockQ8_1) == 36);

inline void dequantize_row_ref(const BlockQ8_1* x, float* y, int64_t n) {
  SKIM_CHECK(n % kQK8_1 == 0);
  for (int64_t i = 0; i < n / kQK8_1; ++i, y += kQK8_1) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK8_1; ++j) y[j] = d * static_cast<float>(x[i].qs[j]);
  }
}

// ggml's quantize_row_q8_1_ref: d = amax / 127, q = roundf(x / d), s = fp16(d * sum(q)).
inline void quantize_row_ref(const float* x, BlockQ8_1* y, int64_t n) {
  SKIM_CHECK(n % kQK8_1 == 0);
  for (int64_t i = 0; i < n / kQK8_1; ++i, x += kQK8_1) {
    float amax = 0.0f;
    for (int j = 0; j < kQK8_1; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    int sum = 0;
    for (int j = 0; j < kQK8_1; ++j) {
      y[i].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
      sum += y[i].qs[j];
    }
    y[i].s = fp32_to_fp16(static_cast<float>(sum) * d);
  }
}

}  // namespace skim
