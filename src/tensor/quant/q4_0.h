// q4_0.h — ggml Q4_0: 32 weights per 18-byte block, symmetric 4-bit.
// Element j (0..15) is the low nibble of qs[j], element j+16 the high nibble;
// value = d * (nibble - 8). Dot products use Q8_0 activations.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/check.h"
#include "core/fp16.h"

namespace skim {

inline constexpr int64_t kQK4_0 = 32;

struct BlockQ4_0 {
  uint16_t d;       // fp16 scale
  uint8_t qs[16];   // nibbles, see above
};
static_assert(sizeof(BlockQ4_0) == 18);

inline void dequantize_row_ref(const BlockQ4_0* x, float* y, int64_t n) {
  SKIM_CHECK(n % kQK4_0 == 0);
  for (int64_t i = 0; i < n / kQK4_0; ++i, y += kQK4_0) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < 16; ++j) {
      y[j] = d * static_cast<float>((x[i].qs[j] & 15) - 8);
      y[j + 16] = d * static_cast<float>((x[i].qs[j] >> 4) - 8);
    }
  }
}

// ggml's quantize_row_q4_0_ref: d = (signed value of largest magnitude) / -8.
inline void quantize_row_ref(const float* x, BlockQ4_0* y, int64_t n) {
  SKIM_CHECK(n % kQK4_0 == 0);
  for (int64_t i = 0; i < n / kQK4_0; ++i, x += kQK4_0) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK4_0; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < 16; ++j) {
      const int q0 = static_cast<int8_t>(x[j] * id + 8.5f);
      const int q1 = static_cast<int8_t>(x[j + 16] * id + 8.5f);
      y[i].qs[j] = static_cast<uint8_t>((q0 < 15 ? q0 : 15) | ((q1 < 15 ? q1 : 15) << 4));
    }
  }
}

}  // namespace skim
