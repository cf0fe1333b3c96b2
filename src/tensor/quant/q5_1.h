// q5_1.h — ggml Q5_1: 32 weights per 24-byte block, asymmetric 5-bit.
// Bits as in Q5_0; value = d * q + m. Dot products use Q8_1 activations.
#pragma once

#include <cfloat>
#include <cstdint>
#include <cstring>

#include "core/check.h"
#include "core/fp16.h"

namespace skim {

inline constexpr int64_t kQK5_1 = 32;

struct BlockQ5_1 {
  uint16_t d;       // fp16 scale
  uint16_t m;       // fp16 offset (the block minimum)
  uint8_t qh[4];    // fifth bits, u32 little-endian, bit k = element k
  uint8_t qs[16];   // low nibbles
};
static_assert(sizeof(BlockQ5_1) == 24);

inline void dequantize_row_ref(const BlockQ5_1* x, float* y, int64_t n) {
  SKIM_CHECK(n % kQK5_1 == 0);
  for (int64_t i = 0; i < n / kQK5_1; ++i, y += kQK5_1) {
    const float d = fp16_to_fp32(x[i].d);
    const float m = fp16_to_fp32(x[i].m);
    uint32_t h;
    std::memcpy(&h, x[i].qh, 4);
    for (int j = 0; j < 16; ++j) {
      const int q0 = (x[i].qs[j] & 15) | static_cast<int>(((h >> j) & 1) << 4);
      const int q1 = (x[i].qs[j] >> 4) | static_cast<int>(((h >> (j + 16)) & 1) << 4);
      y[j] = d * static_cast<float>(q0) + m;
      y[j + 16] = d * static_cast<float>(q1) + m;
    }
  }
}

// ggml's quantize_row_q5_1_ref: d = (max - min) / 31, m = min, q = (uint8)((x-min)/d + 0.5).
inline void quantize_row_ref(const float* x, BlockQ5_1* y, int64_t n) {
  SKIM_CHECK(n % kQK5_1 == 0);
  for (int64_t i = 0; i < n / kQK5_1; ++i, x += kQK5_1) {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < kQK5_1; ++j) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    y[i].m = fp32_to_fp16(min);
    uint32_t h = 0;
    for (int j = 0; j < 16; ++j) {
      const int q0 = static_cast<uint8_t>((x[j] - min) * id + 0.5f);
      const int q1 = static_cast<uint8_t>((x[j + 16] - min) * id + 0.5f);
      y[i].qs[j] = static_cast<uint8_t>((q0 & 15) | ((q1 & 15) << 4));
      h |= static_cast<uint32_t>((q0 >> 4) & 1) << j;
      h |= static_cast<uint32_t>((q1 >> 4) & 1) << (j + 16);
    }
    std::memcpy(y[i].qh, &h, 4);
  }
}

}  // namespace skim
