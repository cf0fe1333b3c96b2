// vec_dot_legacy.cpp — scalar reference dot products for the 32-element block types,
// following ggml's scalar formulas exactly (integer block sums, then one float
// multiply-add per block in block order):
//   Q4_0/Q5_0/Q8_0 . Q8_0:  sum += (d_w * d_x) * sumi
//   Q4_1/Q5_1      . Q8_1:  sum += (d_w * d_x) * sumi + m_w * s_x
#include <cstring>

#include "core/fp16.h"
#include "kernels/ref/ref_kernels.h"
#include "tensor/quant/q4_0.h"
#include "tensor/quant/q4_1.h"
#include "tensor/quant/q5_0.h"
#include "tensor/quant/q5_1.h"
#include "tensor/quant/q8_0.h"
#include "tensor/quant/q8_1.h"

namespace skim::kernels::ref {

float vec_dot_q4_0(int64_t n, const void* w_row, const void* xq) {
  const auto* w = static_cast<const BlockQ4_0*>(w_row);
  const auto* x = static_cast<const BlockQ8_0*>(xq);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    int sumi = 0;
    for (int j = 0; j < 16; ++j) {
      sumi += ((w[i].qs[j] & 15) - 8) * x[i].qs[j];
      sumi += ((w[i].qs[j] >> 4) - 8) * x[i].qs[j + 16];
    }
    sum += static_cast<float>(sumi) * (fp16_to_fp32(w[i].d) * fp16_to_fp32(x[i].d));
  }
  return sum;
}

float vec_dot_q4_1(int64_t n, const void* w_row, const void* xq) {
  const auto* w = static_cast<const BlockQ4_1*>(w_row);
  const auto* x = static_cast<const BlockQ8_1*>(xq);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK4_1; ++i) {
    int sumi = 0;
    for (int j = 0; j < 16; ++j) {
      sumi += (w[i].qs[j] & 15) * x[i].qs[j];
      sumi += (w[i].qs[j] >> 4) * x[i].qs[j + 16];
    }
    sum += (fp16_to_fp32(w[i].d) * fp16_to_fp32(x[i].d)) * static_cast<float>(sumi) +
           fp16_to_fp32(w[i].m) * fp16_to_fp32(x[i].s);
  }
  return sum;
}

float vec_dot_q5_0(int64_t n, const void* w_row, const void* xq) {
  const auto* w = static_cast<const BlockQ5_0*>(w_row);
  const auto* x = static_cast<const BlockQ8_0*>(xq);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK5_0; ++i) {
    uint32_t h;
    std::memcpy(&h, w[i].qh, 4);
    int sumi = 0;
    for (int j = 0; j < 16; ++j) {
      const int q0 = ((w[i].qs[j] & 15) | static_cast<int>(((h >> j) & 1) << 4)) - 16;
      const int q1 = ((w[i].qs[j] >> 4) | static_cast<int>(((h >> (j + 16)) & 1) << 4)) - 16;
      sumi += q0 * x[i].qs[j] + q1 * x[i].qs[j + 16];
    }
    sum += static_cast<float>(sumi) * (fp16_to_fp32(w[i].d) * fp16_to_fp32(x[i].d));
  }
  return sum;
}

float vec_dot_q5_1(int64_t n, const void* w_row, const void* xq) {
  const auto* w = static_cast<const BlockQ5_1*>(w_row);
  const auto* x = static_cast<const BlockQ8_1*>(xq);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK5_1; ++i) {
    uint32_t h;
    std::memcpy(&h, w[i].qh, 4);
    int sumi = 0;
    for (int j = 0; j < 16; ++j) {
      const int q0 = (w[i].qs[j] & 15) | static_cast<int>(((h >> j) & 1) << 4);
      const int q1 = (w[i].qs[j] >> 4) | static_cast<int>(((h >> (j + 16)) & 1) << 4);
      sumi += q0 * x[i].qs[j] + q1 * x[i].qs[j + 16];
    }
    sum += (fp16_to_fp32(w[i].d) * fp16_to_fp32(x[i].d)) * static_cast<float>(sumi) +
           fp16_to_fp32(w[i].m) * fp16_to_fp32(x[i].s);
  }
  return sum;
}

float vec_dot_q8_0(int64_t n, const void* w_row, const void* xq) {
  const auto* w = static_cast<const BlockQ8_0*>(w_row);
  const auto* x = static_cast<const BlockQ8_0*>(xq);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQK8_0; ++j) sumi += w[i].qs[j] * x[i].qs[j];
    sum += static_cast<float>(sumi) * (fp16_to_fp32(w[i].d) * fp16_to_fp32(x[i].d));
  }
  return sum;
}

}  // namespace skim::kernels::ref
