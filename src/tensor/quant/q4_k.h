// q4_k.h — ggml Q4_K: 256 weights per 144-byte super-block of 8 sub-blocks of 32.
// Sub-block j has a 6-bit scale sc[j] and 6-bit min m[j] (packed, see quant_util.h);
// value = d*sc[j]*q - dmin*m[j] with q in 0..15. The 128 qs bytes are 4 chunks of 32:
// chunk c holds sub-block 2c in the low nibbles and sub-block 2c+1 in the high nibbles.
// Dot products use Q8_K activations.
//
// quantize_row_ref is for tests and fixtures: a plain per-sub-block min/max fit with
// 6-bit scales, not ggml's iterative search, so its error is a little larger than ggml's.
#pragma once

#include <cstdint>

#include "core/check.h"
#include "core/fp16.h"
#include "tensor/quant/quant_util.h"

namespace skim {

struct BlockQ4_K {
  uint16_t d;           // fp16 super-block scale for the sub-block scales
  uint16_t dmin;        // fp16 super-block scale for the sub-block mins
  uint8_t scales[12];   // 8 x (6-bit scale, 6-bit min), packed
  uint8_t qs[128];      // nibbles, see above
};
static_assert(sizeof(BlockQ4_K) == 144);

inline void dequantize_row_ref(const BlockQ4_K* x, float* y, int64_t n) {
  SKIM_CHECK(n % kQK_K == 0);
  for (int64_t i = 0; i < n / kQK_K; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(x[i].d);
    const float dmin = fp16_to_fp32(x[i].dmin);
    uint8_t sc[8], m[8];
    unpack_k4_scales(x[i].scales, sc, m);
    for (int c = 0; c < 4; ++c) {
      const uint8_t* q = x[i].qs + 32 * c;
      const float d0 = d * sc[2 * c], m0 = dmin * m[2 * c];
      const float d1 = d * sc[2 * c + 1], m1 = dmin * m[2 * c + 1];
      for (int l = 0; l < 32; ++l) {
        y[64 * c + l] = d0 * static_cast<float>(q[l] & 0xF) - m0;
        y[64 * c + 32 + l] = d1 * static_cast<float>(q[l] >> 4) - m1;
      }
    }
  }
}

// Fits 8 sub-blocks of 32 with `nmax` + 1 levels each; writes levels to L[256], packed
// scales to `scales`, and returns {d, dmin} as stored fp16. Shared with Q5_K (nmax 31).
inline void fit_k4_superblock(const float* x, int nmax, uint8_t* L, uint8_t* scales,
                              uint16_t* d_out, uint16_t* dmin_out) {
  float sub_scale[8], sub_min[8];  // value ~= sub_scale * q - sub_min, sub_min >= 0
  float max_scale = 0.0f, max_min = 0.0f;
  for (int j = 0; j < 8; ++j) {
    float lo = 0.0f, hi = x[32 * j];
    for (int l = 0; l < 32; ++l) {
      lo = x[32 * j + l] < lo ? x[32 * j + l] : lo;
      hi = x[32 * j + l] > hi ? x[32 * j + l] : hi;
    }
    sub_scale[j] = hi > lo ? (hi - lo) / static_cast<float>(nmax) : 0.0f;
    sub_min[j] = -lo;
    max_scale = sub_scale[j] > max_scale ? sub_scale[j] : max_scale;
    max_min = sub_min[j] > max_min ? sub_min[j] : max_min;
  }
  *d_out = fp32_to_fp16(max_scale / 63.0f);
  *dmin_out = fp32_to_fp16(max_min / 63.0f);
  const float d = fp16_to_fp32(*d_out), dmin = fp16_to_fp32(*dmin_out);
  uint8_t sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    const int s = d > 0.0f ? nearest_int(sub_scale[j] / d) : 0;
    const int mm = dmin > 0.0f ? nearest_int(sub_min[j] / dmin) : 0;
    sc[j] = static_cast<uint8_t>(s < 63 ? s : 63);
    m[j] = static_cast<uint8_t>(mm < 63 ? mm : 63);
    const float ds = d * sc[j], dm = dmin * m[j];
    for (int l = 0; l < 32; ++l) {
      int q = ds > 0.0f ? nearest_int((x[32 * j + l] + dm) / ds) : 0;
      q = q < 0 ? 0 : (q > nmax ? nmax : q);
      L[32 * j + l] = static_cast<uint8_t>(q);
    }
  }
  pack_k4_scales(sc, m, scales);
}

inline void quantize_row_ref(const float* x, BlockQ4_K* y, int64_t n) {
  SKIM_CHECK(n % kQK_K == 0);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    uint8_t L[256];
    fit_k4_superblock(x, 15, L, y[i].scales, &y[i].d, &y[i].dmin);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        y[i].qs[32 * c + l] = static_cast<uint8_t>(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
      }
    }
  }
}

}  // namespace skim
