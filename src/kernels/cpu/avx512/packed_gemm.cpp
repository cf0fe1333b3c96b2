// packed_gemm.cpp — AVX-512 VNNI products of row-interleaved Q4_1x8 / Q8_0x8 matrices
// (kernels/packed.h) with Q8_1 / Q8_0 activation rows: KernelTable::packed_gemm.
//
// One vpdpbusd multiplies 8 weight rows' 4-element groups by the activation's 4 bytes
// (broadcast), so rows sit across the lanes and ggml's 8 per-row accumulator lanes become
// 8 registers: acc[j] (j = 0..7) holds lane j of every row's accumulator. Per block and row
// the float operations are those of vec_dot_q4_1 / vec_dot_q8_0 in legacy_quants.cpp:
//   Q4_1: f = d_w * d_x, ms = ms + m_w * s_x, acc[j] = fma(float(dot_j), f, acc[j]);
//   Q8_0: f = d_w * d_x,                        acc[j] = fma(float(dot_j), f, acc[j]);
// and the end is hsum's tree ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7)) (+ ms for Q4_1), so
// every output is bitwise that row's vec_dot. Integer dots are exact: Q4_1 nibbles are
// the unsigned operand; Q8_0 takes the activation as unsigned (x + 128) and subtracts
// 128 * (sum of the 4 weights), itself one vpdpbusd shared by the activation rows.
// A call covers row groups [g0, g1) and up to 4 activation rows, two at a time (2 x 8
// accumulators + scales fit the 32 registers).
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/avx512/avx512_kernels.h"
#include "kernels/cpu/packed_lanes.h"
#include "kernels/packed.h"
#include "tensor/quant/q8_0.h"
#include "tensor/quant/q8_1.h"

namespace skim::kernels::avx512 {
namespace {

using packed_lanes::bcast4;
using packed_lanes::reduce8;


template <int C>
void q4_1x8_cols(int64_t nb, const Q4_1x8Block* blocks, int64_t g0, int64_t g1, const uint8_t* xq, size_t x_stride,
                 float* y, size_t ldy) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const BlockQ8_1* x[C];
  for (int c = 0; c < C; ++c) x[c] = reinterpret_cast<const BlockQ8_1*>(xq + static_cast<size_t>(c) * x_stride);
  for (int64_t g = g0; g < g1; ++g) {
    const Q4_1x8Block* p = blocks + g * nb;
    __m256 acc[C][8], ms[C];
    for (int c = 0; c < C; ++c) {
      ms[c] = _mm256_setzero_ps();
      for (int j = 0; j < 8; ++j) acc[c][j] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < nb; ++b) {
      const Q4_1x8Block& B = p[b];
      const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(B.d)));
      const __m256 m = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(B.m)));
      __m256 f[C];
      for (int c = 0; c < C; ++c) {
        const BlockQ8_1& xb = x[c][b];
        f[c] = _mm256_mul_ps(d, _mm256_set1_ps(_cvtsh_ss(xb.d)));
        ms[c] = _mm256_add_ps(ms[c], _mm256_mul_ps(m, _mm256_set1_ps(_cvtsh_ss(xb.s))));
      }
      for (int i = 0; i < 4; ++i) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.q[i]));
        const __m256i lo = _mm256_and_si256(q, m4);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        for (int c = 0; c < C; ++c) {
          const int8_t* xs = x[c][b].qs;
          const __m256i dlo = _mm256_dpbusd_epi32(_mm256_setzero_si256(), lo, bcast4(xs + 4 * i));
          const __m256i dhi = _mm256_dpbusd_epi32(_mm256_setzero_si256(), hi, bcast4(xs + 16 + 4 * i));
          acc[c][i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dlo), f[c], acc[c][i]);
          acc[c][4 + i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dhi), f[c], acc[c][4 + i]);
        }
      }
    }
    for (int c = 0; c < C; ++c) {
      _mm256_storeu_ps(y + static_cast<size_t>(c) * ldy + g * kPackRows, _mm256_add_ps(reduce8(acc[c]), ms[c]));
    }
  }
}

template <int C>
void q8_0x8_cols(int64_t nb, const Q8_0x8Block* blocks, int64_t g0, int64_t g1, const uint8_t* xq, size_t x_stride,
                 float* y, size_t ldy) {
  const __m256i k80 = _mm256_set1_epi8(static_cast<char>(0x80));
  const BlockQ8_0* x[C];
  for (int c = 0; c < C; ++c) x[c] = reinterpret_cast<const BlockQ8_0*>(xq + static_cast<size_t>(c) * x_stride);
  for (int64_t g = g0; g < g1; ++g) {
    const Q8_0x8Block* p = blocks + g * nb;
    __m256 acc[C][8];
    for (int c = 0; c < C; ++c) {
      for (int j = 0; j < 8; ++j) acc[c][j] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < nb; ++b) {
      const Q8_0x8Block& B = p[b];
      const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(B.d)));
      __m256 f[C];
      for (int c = 0; c < C; ++c) f[c] = _mm256_mul_ps(d, _mm256_set1_ps(_cvtsh_ss(x[c][b].d)));
      for (int j = 0; j < 8; ++j) {
        const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.q[j]));
        const __m256i corr = _mm256_dpbusd_epi32(_mm256_setzero_si256(), k80, w);  // 128 * sum of 4 weights
        for (int c = 0; c < C; ++c) {
          const __m256i xu = _mm256_xor_si256(bcast4(x[c][b].qs + 4 * j), k80);  // x + 128, as unsigned
          const __m256i dot = _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), xu, w), corr);
          acc[c][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), f[c], acc[c][j]);
        }
      }
    }
    for (int c = 0; c < C; ++c) _mm256_storeu_ps(y + static_cast<size_t>(c) * ldy + g * kPackRows, reduce8(acc[c]));
  }
}

}  // namespace

namespace {

// Runs a column kernel over nc activation rows, two at a time.
template <class Block, void (*Two)(int64_t, const Block*, int64_t, int64_t, const uint8_t*, size_t, float*, size_t),
          void (*One)(int64_t, const Block*, int64_t, int64_t, const uint8_t*, size_t, float*, size_t)>
void by_column_pairs(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq, size_t x_stride, int nc,
                     float* y, size_t ldy) {
  const auto* blocks = static_cast<const Block*>(packed);
  const auto* x = static_cast<const uint8_t*>(xq);
  int c = 0;
  for (; c + 2 <= nc; c += 2) Two(n / 32, blocks, g0, g1, x + c * x_stride, x_stride, y + c * ldy, ldy);
  if (c < nc) One(n / 32, blocks, g0, g1, x + c * x_stride, x_stride, y + c * ldy, ldy);
}

}  // namespace

void packed_gemm_q4_1(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq, size_t x_stride, int nc,
                      float* y, size_t ldy) {
  by_column_pairs<Q4_1x8Block, q4_1x8_cols<2>, q4_1x8_cols<1>>(n, packed, g0, g1, xq, x_stride, nc, y, ldy);
}

void packed_gemm_q8_0(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq, size_t x_stride, int nc,
                      float* y, size_t ldy) {
  by_column_pairs<Q8_0x8Block, q8_0x8_cols<2>, q8_0x8_cols<1>>(n, packed, g0, g1, xq, x_stride, nc, y, ldy);
}

}  // namespace skim::kernels::avx512
