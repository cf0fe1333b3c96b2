// gemm_tile.h — register-tiled GEMM microkernels for Q4_1 . Q8_1 and Q8_0 . Q8_0, shared
// by cpu/avx2/gemm.cpp and cpu/avx512/gemm.cpp. Include only from files compiled with at
// least -mavx2 -mfma -mf16c; everything here has internal linkage (anonymous namespace),
// so each ISA's translation unit gets its own instantiations.
//
// A call computes y[c * ldy + r] = vec_dot(w row r, x row c) for r < nr, c < nc <= 4.
// Rows are walked in register tiles of Isa::kRows weight rows x nc activation rows:
//  - the activation scales (fp16 d, s) are converted once per call into xs: [nb][8] f32
//    (d_0 s_0 d_1 s_1 ... for Q8_1, d_0 .. d_3 for Q8_0), reused by every row tile;
//  - each weight block is unpacked once per tile and used for nc activation rows, each
//    activation block is loaded once per tile and used for kRows weight rows.
// Numerics: every output is produced by exactly the float operation sequence of the
// one-row kernels in cpu/avx2/legacy_quants.cpp and cpu/avx512/legacy_quants.cpp:
//   per block in order: p = d_w * d_x (and m_w * s_x, in the odd lanes of the same
//   product), ms += p, acc = fma(float(int32 block dot), broadcast(d_w * d_x), acc) on an
//   8-lane accumulator; at the end hsum(acc) (+ ms for Q4_1). So the results are bitwise
//   those of vec_dot (tests/kernels/gemm_test.cpp checks this per ISA).
// The Isa policy supplies the integer block dots:
//   dot_u8i8(u, s): 8 x int32, lane j = sum_{k<4} u[4j+k] * s[4j+k] (u unsigned <= 127
//                   pairwise-safe, s signed) — vpdpbusd or maddubs + madd;
//   kRows: the register tile height (16 ymm registers for AVX2, 32 for AVX-512);
//   pick(q4_1, r, c): the tile kernel for r <= kRows rows x c columns (pick_tile here);
//   vec_dot_q4_1 / vec_dot_q8_0: the one-row kernels, for rows over kMaxBlocks blocks.
// The broadcast of d_w * d_x comes from a register (vpermps): reading it back from a stack
// buffer made GCC 12 keep the accumulator arrays in memory (a store per fma).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "tensor/quant/q4_1.h"
#include "tensor/quant/q8_0.h"
#include "tensor/quant/q8_1.h"

namespace skim::kernels::cpu_tile {
namespace {

// Most activation rows per call (= kernels::kGemmCols) and most blocks per row the scale
// buffer holds (n <= 16384); longer rows take the one-row kernel per output.
constexpr int kCols = 4;
constexpr int64_t kMaxBlocks = 512;

inline float hsum8(__m256 v) {  // the same reduction order as the one-row kernels
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline uint32_t ld_u32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint16_t ld_u16(const void* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline __m256i ld256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// The tiles read kRows weight rows side by side, short interleaved streams that the
// hardware prefetchers follow poorly when the weights come from DRAM (decode): each block
// prefetches the same block kPrefetchRows rows further down (a later tile's row).
constexpr int64_t kPrefetchRows = 8;
inline void prefetch_ahead(const void* block, size_t w_stride) {
  _mm_prefetch(static_cast<const char*>(block) + kPrefetchRows * w_stride, _MM_HINT_T0);
}

// 32 nibbles of a Q4_1 block as bytes: low nibbles (elements 0..15), then high (16..31).
inline __m256i q4_1_nibbles(const BlockQ4_1& b) {
  const __m256i q = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs)));
  return _mm256_and_si256(_mm256_srlv_epi64(q, _mm256_setr_epi64x(0, 0, 4, 4)), _mm256_set1_epi8(0x0F));
}

// ---- Q4_1 . Q8_1 ---------------------------------------------------------------------------

// xs: [nb][8] = (d, s) of activation rows 0..3 (unused columns: 0).
inline void q8_1_scales(int64_t nb, const uint8_t* xq, size_t stride, int nc, float* xs) {
  for (int64_t i = 0; i < nb; ++i) {
    uint32_t ds[kCols] = {0, 0, 0, 0};
    for (int c = 0; c < nc; ++c) ds[c] = ld_u32(xq + c * stride + static_cast<size_t>(i) * sizeof(BlockQ8_1));
    _mm256_store_ps(xs + 8 * i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ds))));
  }
}

template <class Isa, int R, int C>
void q4_1_tile(int64_t nb, const uint8_t* w, size_t w_stride, const uint8_t* xq, size_t x_stride,
               const float* xs, float* y, size_t ldy) {
  __m256 acc[R][C];
  __m256 ms[R];  // lane 2c+1: sum of m_w * s_x for column c
  for (int r = 0; r < R; ++r) {
    ms[r] = _mm256_setzero_ps();
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  }
  for (int64_t i = 0; i < nb; ++i) {
    const __m256 xsi = _mm256_load_ps(xs + 8 * i);
    __m256i xv[C];
    for (int c = 0; c < C; ++c) {
      xv[c] = ld256(reinterpret_cast<const BlockQ8_1*>(xq + c * x_stride)[i].qs);
    }
    for (int r = 0; r < R; ++r) {
      const BlockQ4_1& b = reinterpret_cast<const BlockQ4_1*>(w + r * w_stride)[i];
      prefetch_ahead(&b, w_stride);
      const __m256i wq = q4_1_nibbles(b);
      // [d_w, m_w] x 4 times [d_c, s_c] for c < 4: d_w*d_c in lane 2c, m_w*s_c in 2c+1.
      const __m256 p = _mm256_mul_ps(_mm256_cvtph_ps(_mm_set1_epi32(static_cast<int>(ld_u32(&b)))), xsi);
      ms[r] = _mm256_add_ps(ms[r], p);
      for (int c = 0; c < C; ++c) {
        const __m256 dot = _mm256_cvtepi32_ps(Isa::dot_u8i8(wq, xv[c]));
        acc[r][c] = _mm256_fmadd_ps(dot, _mm256_permutevar8x32_ps(p, _mm256_set1_epi32(2 * c)), acc[r][c]);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    alignas(32) float m[8];
    _mm256_store_ps(m, ms[r]);
    for (int c = 0; c < C; ++c) y[c * ldy + r] = hsum8(acc[r][c]) + m[2 * c + 1];
  }
}

// ---- Q8_0 . Q8_0 ---------------------------------------------------------------------------

// xs: [nb][4] = d of activation rows 0..3 (unused columns: 0).
inline void q8_0_scales(int64_t nb, const uint8_t* xq, size_t stride, int nc, float* xs) {
  for (int64_t i = 0; i < nb; ++i) {
    uint16_t d[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int c = 0; c < nc; ++c) d[c] = ld_u16(xq + c * stride + static_cast<size_t>(i) * sizeof(BlockQ8_0));
    _mm_store_ps(xs + 4 * i, _mm_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(d))));
  }
}

template <class Isa, int R, int C>
void q8_0_tile(int64_t nb, const uint8_t* w, size_t w_stride, const uint8_t* xq, size_t x_stride,
               const float* xs, float* y, size_t ldy) {
  __m256 acc[R][C];
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  }
  for (int64_t i = 0; i < nb; ++i) {
    const __m256 xsi = _mm256_castps128_ps256(_mm_load_ps(xs + 4 * i));
    __m256i xv[C];
    for (int c = 0; c < C; ++c) {
      xv[c] = ld256(reinterpret_cast<const BlockQ8_0*>(xq + c * x_stride)[i].qs);
    }
    for (int r = 0; r < R; ++r) {
      const BlockQ8_0& b = reinterpret_cast<const BlockQ8_0*>(w + r * w_stride)[i];
      prefetch_ahead(&b, w_stride);
      const __m256i wq = ld256(b.qs);
      const __m256i wabs = _mm256_sign_epi8(wq, wq);
      const __m256 p = _mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(ld_u16(&b))), xsi);  // d_w * d_c, c < 4
      for (int c = 0; c < C; ++c) {
        // sum w*x = dot(|w|, sign(x, w)) per 4 bytes.
        const __m256 dot = _mm256_cvtepi32_ps(Isa::dot_u8i8(wabs, _mm256_sign_epi8(xv[c], wq)));
        acc[r][c] = _mm256_fmadd_ps(dot, _mm256_permutevar8x32_ps(p, _mm256_set1_epi32(c)), acc[r][c]);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) y[c * ldy + r] = hsum8(acc[r][c]);
  }
}

// ---- drivers -------------------------------------------------------------------------------

using TileFn = void (*)(int64_t nb, const uint8_t* w, size_t w_stride, const uint8_t* xq, size_t x_stride,
                        const float* xs, float* y, size_t ldy);

template <class Isa, int R, int C>
constexpr TileFn q4_1_fn() { return &q4_1_tile<Isa, R, C>; }
template <class Isa, int R, int C>
constexpr TileFn q8_0_fn() { return &q8_0_tile<Isa, R, C>; }

// The tile kernel for R weight rows x c activation rows.
template <class Isa, bool kQ41, int R>
constexpr TileFn tile_fn(int c) {
  if constexpr (kQ41) {
    switch (c) {
      case 1: return q4_1_fn<Isa, R, 1>();
      case 2: return q4_1_fn<Isa, R, 2>();
      case 3: return q4_1_fn<Isa, R, 3>();
      default: return q4_1_fn<Isa, R, 4>();
    }
  } else {
    switch (c) {
      case 1: return q8_0_fn<Isa, R, 1>();
      case 2: return q8_0_fn<Isa, R, 2>();
      case 3: return q8_0_fn<Isa, R, 3>();
      default: return q8_0_fn<Isa, R, 4>();
    }
  }
}
template <class Isa, bool kQ41>
TileFn pick_tile(int r, int c) {
  static_assert(Isa::kRows >= 1 && Isa::kRows <= 4);
  switch (r) {
    case 1: return tile_fn<Isa, kQ41, 1>(c);
    case 2: if constexpr (Isa::kRows >= 2) return tile_fn<Isa, kQ41, 2>(c); [[fallthrough]];
    case 3: if constexpr (Isa::kRows >= 3) return tile_fn<Isa, kQ41, 3>(c); [[fallthrough]];
    default: return tile_fn<Isa, kQ41, Isa::kRows>(c);
  }
}

// The GemmFn of kernels.h for Q4_1 (kQ41) or Q8_0 weights. Isa::vec_dot_q4_1/q8_0 is the
// one-row kernel, used only for rows longer than kMaxBlocks blocks.
template <class Isa, bool kQ41>
void gemm(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq, size_t x_stride, int nc,
          float* y, size_t ldy) {
  const int64_t nb = n / 32;
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* xb = static_cast<const uint8_t*>(xq);
  if (nb > kMaxBlocks) {
    for (int64_t r = 0; r < nr; ++r) {
      for (int c = 0; c < nc; ++c) {
        const void* wr = wb + r * w_stride;
        const void* xc = xb + c * x_stride;
        y[c * ldy + r] = kQ41 ? Isa::vec_dot_q4_1(n, wr, xc) : Isa::vec_dot_q8_0(n, wr, xc);
      }
    }
    return;
  }
  alignas(32) float xs[kMaxBlocks * 8];  // [nb][8] (Q4_1) or [nb][4] (Q8_0)
  if constexpr (kQ41) {
    q8_1_scales(nb, xb, x_stride, nc, xs);
  } else {
    q8_0_scales(nb, xb, x_stride, nc, xs);
  }
  // Isa::pick(kQ41, r, c): the tile kernel for r <= kRows weight rows x c activation rows.
  // One activation row (decode): weight rows one at a time — several interleaved row
  // streams per tile ran up to 1.4x slower when the weights come from DRAM.
  const int rows_per_tile = nc == 1 ? 1 : Isa::kRows;
  const TileFn full = Isa::pick(kQ41, rows_per_tile, nc);
  int64_t r = 0;
  for (; r + rows_per_tile <= nr; r += rows_per_tile) full(nb, wb + r * w_stride, w_stride, xb, x_stride, xs, y + r, ldy);
  if (r < nr) Isa::pick(kQ41, static_cast<int>(nr - r), nc)(nb, wb + r * w_stride, w_stride, xb, x_stride, xs, y + r, ldy);
}

}  // namespace
}  // namespace skim::kernels::cpu_tile
