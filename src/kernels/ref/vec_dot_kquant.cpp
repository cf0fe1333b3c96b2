// vec_dot_kquant.cpp — scalar reference dot products for the K-quants against Q8_K
// activations (ggml's scalar formulas). Per super-block, all products are exact integers:
//   Q4_K/Q5_K: sum += (d * d_x) * sum_j sc[j] * (q . q8 over sub-block j)
//                   - (dmin * d_x) * sum_g bsums[g] * m[g/2]
//   Q6_K:      sum += (d * d_x) * sum_g scales[g] * ((q - 32) . q8 over group g)
#include "core/fp16.h"
#include "kernels/ref/ref_kernels.h"
#include "tensor/quant/q4_k.h"
#include "tensor/quant/q5_k.h"
#include "tensor/quant/q6_k.h"
#include "tensor/quant/q8_k.h"
#include "tensor/quant/quant_util.h"

namespace skim::kernels::ref {

namespace {

// sum_g bsums[g] * m[g / 2]: the min term of Q4_K / Q5_K.
int min_term(const BlockQ8_K& x, const uint8_t* m) {
  int s = 0;
  for (int g = 0; g < 16; ++g) s += x.bsums[g] * m[g / 2];
  return s;
}

}  // namespace

float vec_dot_q4_k(int64_t n, const void* w_row, const void* xq) {
  const auto* w = static_cast<const BlockQ4_K*>(w_row);
  const auto* x = static_cast<const BlockQ8_K*>(xq);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    uint8_t sc[8], m[8];
    unpack_k4_scales(w[i].scales, sc, m);
    int sumi = 0;
    for (int c = 0; c < 4; ++c) {
      const uint8_t* q = w[i].qs + 32 * c;
      const int8_t* y = x[i].qs + 64 * c;
      int s0 = 0, s1 = 0;
      for (int l = 0; l < 32; ++l) {
        s0 += (q[l] & 0xF) * y[l];
        s1 += (q[l] >> 4) * y[l + 32];
      }
      sumi += sc[2 * c] * s0 + sc[2 * c + 1] * s1;
    }
    const float d = fp16_to_fp32(w[i].d) * x[i].d;
    const float dmin = fp16_to_fp32(w[i].dmin) * x[i].d;
    sum += d * static_cast<float>(sumi) - dmin * static_cast<float>(min_term(x[i], m));
  }
  return sum;
}

float vec_dot_q5_k(int64_t n, const void* w_row, const void* xq) {
  const auto* w = static_cast<const BlockQ5_K*>(w_row);
  const auto* x = static_cast<const BlockQ8_K*>(xq);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    uint8_t sc[8], m[8];
    unpack_k4_scales(w[i].scales, sc, m);
    int sumi = 0;
    for (int c = 0; c < 4; ++c) {
      const uint8_t* ql = w[i].qs + 32 * c;
      const int8_t* y = x[i].qs + 64 * c;
      int s0 = 0, s1 = 0;
      for (int l = 0; l < 32; ++l) {
        s0 += ((ql[l] & 0xF) + 16 * ((w[i].qh[l] >> (2 * c)) & 1)) * y[l];
        s1 += ((ql[l] >> 4) + 16 * ((w[i].qh[l] >> (2 * c + 1)) & 1)) * y[l + 32];
      }
      sumi += sc[2 * c] * s0 + sc[2 * c + 1] * s1;
    }
    const float d = fp16_to_fp32(w[i].d) * x[i].d;
    const float dmin = fp16_to_fp32(w[i].dmin) * x[i].d;
    sum += d * static_cast<float>(sumi) - dmin * static_cast<float>(min_term(x[i], m));
  }
  return sum;
}

float vec_dot_q6_k(int64_t n, const void* w_row, const void* xq) {
  const auto* w = static_cast<const BlockQ6_K*>(w_row);
  const auto* x = static_cast<const BlockQ8_K*>(xq);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int sumi = 0;
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = w[i].ql + 64 * h;
      const uint8_t* qh = w[i].qh + 32 * h;
      const int8_t* sc = w[i].scales + 8 * h;
      const int8_t* y = x[i].qs + 128 * h;
      for (int k = 0; k < 4; ++k) {  // 32-element group k of this half: scales 2k, 2k+1
        int s0 = 0, s1 = 0;
        for (int l = 0; l < 32; ++l) {
          const int lo = k & 1 ? ql[l + 32] : ql[l];
          const int nib = k < 2 ? (lo & 0xF) : (lo >> 4);
          const int q = (nib | (((qh[l] >> (2 * k)) & 3) << 4)) - 32;
          (l < 16 ? s0 : s1) += q * y[32 * k + l];
        }
        sumi += sc[2 * k] * s0 + sc[2 * k + 1] * s1;
      }
    }
    sum += fp16_to_fp32(w[i].d) * x[i].d * static_cast<float>(sumi);
  }
  return sum;
}

}  // namespace skim::kernels::ref
