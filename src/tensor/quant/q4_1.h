// q4_1.h — ggml Q4_1: 32 weights per 20-byte block, asymmetric 4-bit.
// Element j (0..15) is the low nibble of qs[j], element j+16 the high nibble;
// value = d * nibble + m. Dot products use Q8_1 activations (whose `s` carries sum(x)).
#pragma once

#include <cfloat>
#include <cstdint>

#include "core/check.h"
#include "core/fp16.h"

namespace skim {

inline constexpr int64_t kQK4_1 = 32;

struct BlockQ4_1 {
  uint16_t d;       // fp16 scale
  uint16_t m;       // fp16 offset (the block minimum)
  uint8_t qs[16];   // nibbles, see above
};
static_assert(sizeof(BlockQ4_1) == 20);

inline void dequantize_row_ref(const BlockQ4_1* x, float* y, int64_t n) {
  SKIM_CHECK(n % kQK4_1 == 0);
  for (int64_t i = 0; i < n / kQK4_1; ++i, y += kQK4_1) {
    const float d = fp16_to_fp32(x[i].d);
    const float m = fp16_to_fp32(x[i].m);
    for (int j = 0; j < 16; ++j) {
      y[j] = d * static_cast<float>(x[i].qs[j] & 15) + m;
      y[j + 16] = d * static_cast<float>(x[i].qs[j] >> 4) + m;
    }
  }
}

// ggml's quantize_row_q4_1_ref: d = (max - min) / 15, m = min,
// q = min(15, (int8)((x - min) / d + 0.5)).
inline void quantize_row_ref(const float* x, BlockQ4_1* y, int64_t n) {
  SKIM_CHECK(n % kQK4_1 == 0);
  for (int64_t i = 0; i < n / kQK4_1; ++i, x += kQK4_1) {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < kQK4_1; ++j) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    y[i].m = fp32_to_fp16(min);
    for (int j = 0; j < 16; ++j) {
      const int q0 = static_cast<int8_t>((x[j] - min) * id + 0.5f);
      const int q1 = static_cast<int8_t>((x[j + 16] - min) * id + 0.5f);
      y[i].qs[j] = static_cast<uint8_t>((q0 < 15 ? q0 : 15) | ((q1 < 15 ? q1 : 15) << 4));
    }
  }
}

}  // namespace skim
