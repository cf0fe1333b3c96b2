// q6_k.h — ggml Q6_K: 256 weights per 210-byte super-block, 16 groups of 16 with int8
// scales; value = d * scales[e/16] * (q - 32), q in 0..63. Each half h (128 elements)
// uses ql[64h..64h+63] and qh[32h..32h+31]; for l in 0..31 the four elements
// 128h+l, +32, +64, +96 take (ql[l] & 15, ql[l+32] & 15, ql[l] >> 4, ql[l+32] >> 4) as
// low bits and bit pairs 0-1, 2-3, 4-5, 6-7 of qh[l] as high bits.
// Dot products use Q8_K activations. quantize_row_ref is a plain absmax fit (tests only).
#pragma once

#include <cmath>
#include <cstdint>

#include "core/check.h"
#include "core/fp16.h"
#include "tensor/quant/quant_util.h"

namespace skim {

struct BlockQ6_K {
  uint8_t ql[128];     // low 4 bits
  uint8_t qh[64];      // high 2 bits
  int8_t scales[16];   // per-16 scales
  uint16_t d;          // fp16 super-block scale
};
static_assert(sizeof(BlockQ6_K) == 210);

inline void dequantize_row_ref(const BlockQ6_K* x, float* y, int64_t n) {
  SKIM_CHECK(n % kQK_K == 0);
  for (int64_t i = 0; i < n / kQK_K; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(x[i].d);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = x[i].ql + 64 * h;
      const uint8_t* qh = x[i].qh + 32 * h;
      const int8_t* sc = x[i].scales + 8 * h;
      float* yh = y + 128 * h;
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q0 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q1 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q2 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q3 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        yh[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q0);
        yh[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q1);
        yh[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q2);
        yh[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q3);
      }
    }
  }
}

inline void quantize_row_ref(const float* x, BlockQ6_K* y, int64_t n) {
  SKIM_CHECK(n % kQK_K == 0);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    // Per group: the signed value of largest magnitude maps to q - 32 = -32.
    float group_scale[16];
    float max_abs_scale = 0.0f;
    for (int g = 0; g < 16; ++g) {
      float amax = 0.0f, max = 0.0f;
      for (int l = 0; l < 16; ++l) {
        if (std::fabs(x[16 * g + l]) > amax) {
          amax = std::fabs(x[16 * g + l]);
          max = x[16 * g + l];
        }
      }
      group_scale[g] = max / -32.0f;
      max_abs_scale = std::fmax(max_abs_scale, std::fabs(group_scale[g]));
    }
    y[i].d = fp32_to_fp16(max_abs_scale / 127.0f);
    const float d = fp16_to_fp32(y[i].d);
    uint8_t L[256];
    for (int g = 0; g < 16; ++g) {
      int s = d > 0.0f ? nearest_int(group_scale[g] / d) : 0;
      s = s < -127 ? -127 : (s > 127 ? 127 : s);
      y[i].scales[g] = static_cast<int8_t>(s);
      const float ds = d * static_cast<float>(s);
      for (int l = 0; l < 16; ++l) {
        int q = ds != 0.0f ? nearest_int(x[16 * g + l] / ds) : 0;
        q = q < -32 ? -32 : (q > 31 ? 31 : q);
        L[16 * g + l] = static_cast<uint8_t>(q + 32);
      }
    }
    for (int h = 0; h < 2; ++h) {
      uint8_t* ql = y[i].ql + 64 * h;
      uint8_t* qh = y[i].qh + 32 * h;
      const uint8_t* Lh = L + 128 * h;
      for (int l = 0; l < 32; ++l) {
        const int q0 = Lh[l], q1 = Lh[l + 32], q2 = Lh[l + 64], q3 = Lh[l + 96];
        ql[l] = static_cast<uint8_t>((q0 & 15) | ((q2 & 15) << 4));
        ql[l + 32] = static_cast<uint8_t>((q1 & 15) | ((q3 & 15) << 4));
        qh[l] = static_cast<uint8_t>((q0 >> 4) | ((q1 >> 4) << 2) | ((q2 >> 4) << 4) | ((q3 >> 4) << 6));
      }
    }
  }
}

}  // namespace skim
