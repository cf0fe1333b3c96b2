// q5_k.h — ggml Q5_K: 256 weights per 176-byte super-block; like Q4_K with a fifth bit.
// For chunk c (64 elements), element 64c+l = low nibble of qs[32c+l] + 16*bit(2c) of qh[l],
// element 64c+32+l = high nibble + 16*bit(2c+1) of qh[l]; value = d*sc[j]*q - dmin*m[j].
// Dot products use Q8_K activations. quantize_row_ref is a plain min/max fit (tests only).
#pragma once

#include <cstdint>

#include "core/check.h"
#include "core/fp16.h"
#include "tensor/quant/q4_k.h"
#include "tensor/quant/quant_util.h"

namespace skim {

struct BlockQ5_K {
  uint16_t d;           // fp16 super-block scale for the sub-block scales
  uint16_t dmin;        // fp16 super-block scale for the sub-block mins
  uint8_t scales[12];   // 8 x (6-bit scale, 6-bit min), packed as in Q4_K
  uint8_t qh[32];       // fifth bits
  uint8_t qs[128];      // low nibbles
};
static_assert(sizeof(BlockQ5_K) == 176);

inline void dequantize_row_ref(const BlockQ5_K* x, float* y, int64_t n) {
  SKIM_CHECK(n % kQK_K == 0);
  for (int64_t i = 0; i < n / kQK_K; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(x[i].d);
    const float dmin = fp16_to_fp32(x[i].dmin);
    uint8_t sc[8], m[8];
    unpack_k4_scales(x[i].scales, sc, m);
    for (int c = 0; c < 4; ++c) {
      const uint8_t* ql = x[i].qs + 32 * c;
      const float d0 = d * sc[2 * c], m0 = dmin * m[2 * c];
      const float d1 = d * sc[2 * c + 1], m1 = dmin * m[2 * c + 1];
      for (int l = 0; l < 32; ++l) {
        const int q0 = (ql[l] & 0xF) + 16 * ((x[i].qh[l] >> (2 * c)) & 1);
        const int q1 = (ql[l] >> 4) + 16 * ((x[i].qh[l] >> (2 * c + 1)) & 1);
        y[64 * c + l] = d0 * static_cast<float>(q0) - m0;
        y[64 * c + 32 + l] = d1 * static_cast<float>(q1) - m1;
      }
    }
  }
}

inline void quantize_row_ref(const float* x, BlockQ5_K* y, int64_t n) {
  SKIM_CHECK(n % kQK_K == 0);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    uint8_t L[256];
    fit_k4_superblock(x, 31, L, y[i].scales, &y[i].d, &y[i].dmin);
    for (int l = 0; l < 32; ++l) y[i].qh[l] = 0;
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        const int q0 = L[64 * c + l], q1 = L[64 * c + 32 + l];
        y[i].qs[32 * c + l] = static_cast<uint8_t>((q0 & 15) | ((q1 & 15) << 4));
        y[i].qh[l] = static_cast<uint8_t>(y[i].qh[l] | ((q0 >> 4) << (2 * c)) |
                                          ((q1 >> 4) << (2 * c + 1)));
      }
    }
  }
}

}  // namespace skim
