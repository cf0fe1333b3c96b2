// packed_gemm.cpp — AVX2 products of row-interleaved Q4_1x8 / Q8_0x8 matrices
// (kernels/packed.h) with Q8_1 / Q8_0 activation rows: KernelTable::packed_gemm.
//
// The scheme of cpu/avx512/packed_gemm.cpp (rows across the 8 lanes, ggml's 8 accumulator
// lanes as 8 registers, the same per-block float operations and final reduction tree, so
// every output is bitwise this ISA's vec_dot) with maddubs + madd as the 4-element integer
// dot: Q4_1 nibbles are the unsigned operand; Q8_0 uses ggml's sign trick
// (|w| . sign(x, w)), whose 16-bit pair sums cannot saturate. With 16 ymm registers one
// activation row is taken at a time.
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/avx2/avx2_kernels.h"
#include "kernels/cpu/packed_lanes.h"
#include "kernels/packed.h"
#include "tensor/quant/q8_0.h"
#include "tensor/quant/q8_1.h"

namespace skim::kernels::avx2 {
namespace {

using packed_lanes::bcast4;
using packed_lanes::reduce8;

// 8 int32 lanes: sum of 4 products u * s per lane (u unsigned, pair sums within int16).
inline __m256i dot4(__m256i u, __m256i s) { return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)); }

void q4_1x8_row(int64_t nb, const Q4_1x8Block* blocks, int64_t g0, int64_t g1, const BlockQ8_1* x, float* y) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int64_t g = g0; g < g1; ++g) {
    const Q4_1x8Block* p = blocks + g * nb;
    __m256 acc[8];
    for (auto& a : acc) a = _mm256_setzero_ps();
    __m256 ms = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const Q4_1x8Block& B = p[b];
      const __m256 f = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(B.d))),
                                     _mm256_set1_ps(_cvtsh_ss(x[b].d)));
      ms = _mm256_add_ps(ms, _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(B.m))),
                                           _mm256_set1_ps(_cvtsh_ss(x[b].s))));
      for (int i = 0; i < 4; ++i) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.q[i]));
        const __m256i lo = _mm256_and_si256(q, m4);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot4(lo, bcast4(x[b].qs + 4 * i))), f, acc[i]);
        acc[4 + i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot4(hi, bcast4(x[b].qs + 16 + 4 * i))), f, acc[4 + i]);
      }
    }
    _mm256_storeu_ps(y + g * kPackRows, _mm256_add_ps(reduce8(acc), ms));
  }
}

void q8_0x8_row(int64_t nb, const Q8_0x8Block* blocks, int64_t g0, int64_t g1, const BlockQ8_0* x, float* y) {
  for (int64_t g = g0; g < g1; ++g) {
    const Q8_0x8Block* p = blocks + g * nb;
    __m256 acc[8];
    for (auto& a : acc) a = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const Q8_0x8Block& B = p[b];
      const __m256 f = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(B.d))),
                                     _mm256_set1_ps(_cvtsh_ss(x[b].d)));
      for (int j = 0; j < 8; ++j) {
        const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.q[j]));
        const __m256i dot = dot4(_mm256_sign_epi8(w, w), _mm256_sign_epi8(bcast4(x[b].qs + 4 * j), w));
        acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), f, acc[j]);
      }
    }
    _mm256_storeu_ps(y + g * kPackRows, reduce8(acc));
  }
}

}  // namespace

void packed_gemm_q4_1(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq, size_t x_stride, int nc,
                      float* y, size_t ldy) {
  for (int c = 0; c < nc; ++c) {
    q4_1x8_row(n / 32, static_cast<const Q4_1x8Block*>(packed), g0, g1,
               reinterpret_cast<const BlockQ8_1*>(static_cast<const uint8_t*>(xq) + c * x_stride), y + c * ldy);
  }
}

void packed_gemm_q8_0(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq, size_t x_stride, int nc,
                      float* y, size_t ldy) {
  for (int c = 0; c < nc; ++c) {
    q8_0x8_row(n / 32, static_cast<const Q8_0x8Block*>(packed), g0, g1,
               reinterpret_cast<const BlockQ8_0*>(static_cast<const uint8_t*>(xq) + c * x_stride), y + c * ldy);
  }
}

}  // namespace skim::kernels::avx2
