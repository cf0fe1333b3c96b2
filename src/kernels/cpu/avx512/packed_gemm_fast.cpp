// packed_gemm_fast.cpp — AVX-512 VNNI products of row-interleaved Q4_1x8 / Q8_0x8 matrices
// (kernels/packed.h) in the "fast" numerics (KernelTable::fast_numerics): per output, the
// order of ref::vec_dot_fast_q4_1 / vec_dot_fast_q8_0 (kernels/ref/vec_dot_fast.cpp):
//   for each block b in order, sumi = the exact integer dot of the 32 elements,
//   Q4_1: acc = fma(float(sumi), d_w * d_x, acc); acc = fma(m_w, s_x, acc)
//   Q8_0: acc = fma(float(sumi), d_w * d_x, acc)
// One float chain per output, so 32 elements cost 1 conversion and 1-2 fmas, where ggml's
// order (packed_gemm.cpp) keeps 8 lanes per output and pays 8 + 8. The integer dot of a
// block accumulates in one register lane per row: 8 vpdpbusd for 8 rows x 32 elements.
// A pass keeps up to kCols = 8 activation rows in registers (8 int + 8 float accumulators),
// so the weights' nibble unpacking is shared by 8 sequences: batched decode and prompt
// processing are compute-bound, and this is where the time goes.
// Activation scales are converted to float once per call and per chunk of kChunk blocks
// (stack arrays; no allocation); between chunks an output's accumulator rests in y.
// Q8_0: vpdpbusd needs an unsigned operand, so the activation enters as x + 128 (bytes
// prepared per chunk) and 128 * (sum of the block's weights), one shared vpdpbusd chain per
// row group, is subtracted; both integer sums are exact.
// Results do not depend on how many activation rows share a call (batch-invariant).
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "core/fp16.h"
#include "kernels/cpu/avx512/avx512_kernels.h"
#include "kernels/cpu/packed_lanes.h"
#include "kernels/packed.h"
#include "tensor/quant/q8_0.h"
#include "tensor/quant/q8_1.h"

namespace skim::kernels::avx512 {
namespace {

constexpr int kCols = 8;        // activation rows per pass
constexpr int64_t kChunk = 64;  // blocks whose activation data is prepared at once

using packed_lanes::bcast4;

// The same block of the row group kAheadGroups further on (nb blocks per group), into L1:
// the weights stream from memory once per call (measured: about +2% at 8 sequences, within
// the noise of this machine). Prefetching past the matrix's end is harmless (no fault).
constexpr int64_t kAheadGroups = 2;
template <class Block>
inline void prefetch_ahead(const Block* b, int64_t nb) {
  const char* p = reinterpret_cast<const char*>(b + kAheadGroups * nb);
  for (size_t off = 0; off < sizeof(Block); off += 64) _mm_prefetch(p + off, _MM_HINT_T0);
}

// Activation data of one chunk, for up to kCols rows: [c][b].
struct Q8_1Chunk {
  const int8_t* qs[kCols][kChunk];
  float d[kCols][kChunk];
  float s[kCols][kChunk];
};

// The walk both types share: row groups [g0, g1); per group the C accumulators start from
// y (zero for the first chunk, b0 == 0), blocks [b0, b0 + nbc) go through
// block(B, b, acc) in order, and the accumulators go back to y.
template <int C, class Block, class BlockFn>
inline void walk_groups(const Block* blocks, int64_t nb, int64_t g0, int64_t g1, int64_t b0, int64_t nbc, float* y,
                        size_t ldy, BlockFn&& block) {
  for (int64_t g = g0; g < g1; ++g) {
    const Block* p = blocks + g * nb + b0;
    float* yg = y + g * kPackRows;
    __m256 acc[C];
    for (int c = 0; c < C; ++c) {
      acc[c] = b0 == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(yg + static_cast<size_t>(c) * ldy);
    }
    for (int64_t b = 0; b < nbc; ++b) {
      prefetch_ahead(&p[b], nb);
      block(p[b], b, acc);
    }
    for (int c = 0; c < C; ++c) _mm256_storeu_ps(yg + static_cast<size_t>(c) * ldy, acc[c]);
  }
}

template <int C>
void q4_1_pass(const Q4_1x8Block* blocks, int64_t nb, int64_t g0, int64_t g1, int64_t b0, int64_t nbc,
               const Q8_1Chunk& x, float* y, size_t ldy) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  walk_groups<C>(blocks, nb, g0, g1, b0, nbc, y, ldy, [&](const Q4_1x8Block& B, int64_t b, __m256* acc) {
    __m256i s[C];
    for (int c = 0; c < C; ++c) s[c] = _mm256_setzero_si256();
    for (int i = 0; i < 4; ++i) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.q[i]));
      const __m256i lo = _mm256_and_si256(q, m4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
      for (int c = 0; c < C; ++c) {
        s[c] = _mm256_dpbusd_epi32(s[c], lo, bcast4(x.qs[c][b] + 4 * i));
        s[c] = _mm256_dpbusd_epi32(s[c], hi, bcast4(x.qs[c][b] + 16 + 4 * i));
      }
    }
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(B.d)));
    const __m256 m = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(B.m)));
    for (int c = 0; c < C; ++c) {
      const __m256 f = _mm256_mul_ps(d, _mm256_set1_ps(x.d[c][b]));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[c]), f, acc[c]);
      acc[c] = _mm256_fmadd_ps(m, _mm256_set1_ps(x.s[c][b]), acc[c]);
    }
  });
}

// Activation data of one chunk for Q8_0: the bytes x + 128 and the float scales, [c][b].
struct Q8_0Chunk {
  alignas(32) int8_t xu[kCols][kChunk][32];  // bytes x + 128, read as unsigned by vpdpbusd
  float d[kCols][kChunk];
};

template <int C>
void q8_0_pass(const Q8_0x8Block* blocks, int64_t nb, int64_t g0, int64_t g1, int64_t b0, int64_t nbc,
               const Q8_0Chunk& x, float* y, size_t ldy) {
  const __m256i k80 = _mm256_set1_epi8(static_cast<char>(0x80));
  walk_groups<C>(blocks, nb, g0, g1, b0, nbc, y, ldy, [&](const Q8_0x8Block& B, int64_t b, __m256* acc) {
    __m256i s[C];
    __m256i corr = _mm256_setzero_si256();  // 128 * sum of the block's weights, per row
    for (int c = 0; c < C; ++c) s[c] = _mm256_setzero_si256();
    for (int j = 0; j < 8; ++j) {
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.q[j]));
      corr = _mm256_dpbusd_epi32(corr, k80, w);
      for (int c = 0; c < C; ++c) s[c] = _mm256_dpbusd_epi32(s[c], bcast4(&x.xu[c][b][4 * j]), w);
    }
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(B.d)));
    for (int c = 0; c < C; ++c) {
      const __m256 f = _mm256_mul_ps(d, _mm256_set1_ps(x.d[c][b]));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(s[c], corr)), f, acc[c]);
    }
  });
}

// Runs Pass<C> with C = nc (1..kCols) as a compile-time count.
template <template <int> class Pass, class... A>
void with_cols(int nc, A&&... a) {
  switch (nc) {
    case 1: Pass<1>::run(a...); break;
    case 2: Pass<2>::run(a...); break;
    case 3: Pass<3>::run(a...); break;
    case 4: Pass<4>::run(a...); break;
    case 5: Pass<5>::run(a...); break;
    case 6: Pass<6>::run(a...); break;
    case 7: Pass<7>::run(a...); break;
    default: Pass<8>::run(a...); break;
  }
}

template <int C>
struct Q4_1Pass {
  template <class... A>
  static void run(A&&... a) { q4_1_pass<C>(a...); }
};
template <int C>
struct Q8_0Pass {
  template <class... A>
  static void run(A&&... a) { q8_0_pass<C>(a...); }
};

}  // namespace

void packed_gemm_fast_q4_1(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq, size_t x_stride,
                           int nc, float* y, size_t ldy) {
  const auto* blocks = static_cast<const Q4_1x8Block*>(packed);
  const auto* xb = static_cast<const uint8_t*>(xq);
  const int64_t nb = n / 32;
  Q8_1Chunk chunk;
  for (int c0 = 0; c0 < nc; c0 += kCols) {
    const int k = std::min(kCols, nc - c0);
    for (int64_t b0 = 0; b0 < nb; b0 += kChunk) {
      const int64_t nbc = std::min(kChunk, nb - b0);
      for (int c = 0; c < k; ++c) {
        const auto* row = reinterpret_cast<const BlockQ8_1*>(xb + static_cast<size_t>(c0 + c) * x_stride);
        for (int64_t b = 0; b < nbc; ++b) {
          const BlockQ8_1& a = row[b0 + b];
          chunk.qs[c][b] = a.qs;
          chunk.d[c][b] = fp16_to_fp32(a.d);
          chunk.s[c][b] = fp16_to_fp32(a.s);
        }
      }
      with_cols<Q4_1Pass>(k, blocks, nb, g0, g1, b0, nbc, chunk, y + static_cast<size_t>(c0) * ldy, ldy);
    }
  }
}

void packed_gemm_fast_q8_0(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq, size_t x_stride,
                           int nc, float* y, size_t ldy) {
  const auto* blocks = static_cast<const Q8_0x8Block*>(packed);
  const auto* xb = static_cast<const uint8_t*>(xq);
  const int64_t nb = n / 32;
  Q8_0Chunk chunk;
  const __m256i k80 = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int c0 = 0; c0 < nc; c0 += kCols) {
    const int k = std::min(kCols, nc - c0);
    for (int64_t b0 = 0; b0 < nb; b0 += kChunk) {
      const int64_t nbc = std::min(kChunk, nb - b0);
      for (int c = 0; c < k; ++c) {
        const auto* row = reinterpret_cast<const BlockQ8_0*>(xb + static_cast<size_t>(c0 + c) * x_stride);
        for (int64_t b = 0; b < nbc; ++b) {
          const BlockQ8_0& a = row[b0 + b];
          const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs));
          _mm256_store_si256(reinterpret_cast<__m256i*>(chunk.xu[c][b]), _mm256_xor_si256(q, k80));
          chunk.d[c][b] = fp16_to_fp32(a.d);
        }
      }
      with_cols<Q8_0Pass>(k, blocks, nb, g0, g1, b0, nbc, chunk, y + static_cast<size_t>(c0) * ldy, ldy);
    }
  }
}

}  // namespace skim::kernels::avx512
