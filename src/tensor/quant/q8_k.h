// q8_k.h — ggml Q8_K: 256 activations per 292-byte block, value = d * qs[i] with a float d,
// plus bsums[g] = sum of qs[16g..16g+15] (lets K-quant dot products apply their mins and
// offsets per group without touching qs). Activation-only type for Q4_K/Q5_K/Q6_K.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/check.h"
#include "tensor/quant/quant_util.h"

namespace skim {

struct BlockQ8_K {
  float d;             // scale
  int8_t qs[256];      // values in natural order
  int16_t bsums[16];   // per-16 sums of qs
};
static_assert(sizeof(BlockQ8_K) == 292);

inline void dequantize_row_ref(const BlockQ8_K* x, float* y, int64_t n) {
  SKIM_CHECK(n % kQK_K == 0);
  for (int64_t i = 0; i < n / kQK_K; ++i, y += kQK_K) {
    for (int j = 0; j < kQK_K; ++j) y[j] = x[i].d * static_cast<float>(x[i].qs[j]);
  }
}

// ggml's quantize_row_q8_K_ref: with max the signed value of largest magnitude,
// iscale = -127 / max, q = min(127, nearest_int(iscale * x)), d = 1 / iscale.
// An all-zero block gives d = 0, qs = 0 and bsums = 0.
inline void quantize_row_ref(const float* x, BlockQ8_K* y, int64_t n) {
  SKIM_CHECK(n % kQK_K == 0);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK_K; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      y[i].d = 0.0f;
      for (int j = 0; j < kQK_K; ++j) y[i].qs[j] = 0;
      for (int g = 0; g < 16; ++g) y[i].bsums[g] = 0;
      continue;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < kQK_K; ++j) {
      const int v = nearest_int(iscale * x[j]);
      y[i].qs[j] = static_cast<int8_t>(v < 127 ? v : 127);
    }
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += y[i].qs[16 * g + l];
      y[i].bsums[g] = static_cast<int16_t>(sum);
    }
    y[i].d = 1.0f / iscale;
  }
}

}  // namespace skim
