// vec_dot_fast.cpp — scalar reference of the fast numerics (ref_kernels.h), the oracle of
// the SIMD fast kernels (e.g. cpu/avx512/packed_gemm_fast.cpp), which must match it bitwise.
// Per block: the exact integer dot of the 32 quantized elements, then one fused
// multiply-add into a single float accumulator (and one more for Q4_1's offset term).
#include <cmath>

#include "core/fp16.h"
#include "kernels/ref/ref_kernels.h"
#include "tensor/quant/q4_1.h"
#include "tensor/quant/q8_0.h"
#include "tensor/quant/q8_1.h"

namespace skim::kernels::ref {

float vec_dot_fast_q4_1(int64_t n, const void* wv, const void* xv) {
  const auto* w = static_cast<const BlockQ4_1*>(wv);
  const auto* x = static_cast<const BlockQ8_1*>(xv);
  float acc = 0.0f;
  for (int64_t b = 0; b < n / 32; ++b) {
    int32_t sumi = 0;
    for (int j = 0; j < 16; ++j) {
      sumi += (w[b].qs[j] & 0x0F) * x[b].qs[j];
      sumi += (w[b].qs[j] >> 4) * x[b].qs[16 + j];
    }
    const float f = fp16_to_fp32(w[b].d) * fp16_to_fp32(x[b].d);
    acc = std::fma(static_cast<float>(sumi), f, acc);
    acc = std::fma(fp16_to_fp32(w[b].m), fp16_to_fp32(x[b].s), acc);
  }
  return acc;
}

float vec_dot_fast_q8_0(int64_t n, const void* wv, const void* xv) {
  const auto* w = static_cast<const BlockQ8_0*>(wv);
  const auto* x = static_cast<const BlockQ8_0*>(xv);
  float acc = 0.0f;
  for (int64_t b = 0; b < n / 32; ++b) {
    int32_t sumi = 0;
    for (int j = 0; j < 32; ++j) sumi += w[b].qs[j] * x[b].qs[j];
    const float f = fp16_to_fp32(w[b].d) * fp16_to_fp32(x[b].d);
    acc = std::fma(static_cast<float>(sumi), f, acc);
  }
  return acc;
}

}  // namespace skim::kernels::ref
