// q5_0.h — ggml Q5_0: 32 weights per 22-byte block, symmetric 5-bit.
// Low 4 bits as in Q4_0 (element j: low nibble of qs[j], j+16: high nibble); bit 4 of
// element k is bit k of the little-endian u32 qh. value = d * (q - 16).
// Dot products use Q8_0 activations.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/check.h"
#include "core/fp16.h"

namespace skim {

inline constexpr int64_t kQK5_0 = 32;

struct BlockQ5_0 {
  uint16_t d;       // fp16 scale
  uint8_t qh[4];    // fifth bits, u32 little-endian, bit k = element k
  uint8_t qs[16];   // low nibbles
};
static_assert(sizeof(BlockQ5_0) == 22);

inline void dequantize_row_ref(const BlockQ5_0* x, float* y, int64_t n) {
  SKIM_CHECK(n % kQK5_0 == 0);
  for (int64_t i = 0; i < n / kQK5_0; ++i, y += kQK5_0) {
    const float d = fp16_to_fp32(x[i].d);
    uint32_t h;
    std::memcpy(&h, x[i].qh, 4);
    for (int j = 0; j < 16; ++j) {
      const int q0 = (x[i].qs[j] & 15) | static_cast<int>(((h >> j) & 1) << 4);
      const int q1 = (x[i].qs[j] >> 4) | static_cast<int>(((h >> (j + 16)) & 1) << 4);
      y[j] = d * static_cast<float>(q0 - 16);
      y[j + 16] = d * static_cast<float>(q1 - 16);
    }
  }
}

// ggml's quantize_row_q5_0_ref: d = (signed value of largest magnitude) / -16.
inline void quantize_row_ref(const float* x, BlockQ5_0* y, int64_t n) {
  SKIM_CHECK(n % kQK5_0 == 0);
  for (int64_t i = 0; i < n / kQK5_0; ++i, x += kQK5_0) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK5_0; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    uint32_t h = 0;
    for (int j = 0; j < 16; ++j) {
      int q0 = static_cast<int8_t>(x[j] * id + 16.5f);
      int q1 = static_cast<int8_t>(x[j + 16] * id + 16.5f);
      q0 = q0 < 31 ? q0 : 31;
      q1 = q1 < 31 ? q1 : 31;
      y[i].qs[j] = static_cast<uint8_t>((q0 & 15) | ((q1 & 15) << 4));
      h |= static_cast<uint32_t>((q0 >> 4) & 1) << j;
      h |= static_cast<uint32_t>((q1 >> 4) & 1) << (j + 16);
    }
    std::memcpy(y[i].qh, &h, 4);
  }
}

}  // namespace skim
