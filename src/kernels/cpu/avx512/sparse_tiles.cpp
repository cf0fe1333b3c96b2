// sparse_tiles.cpp (AVX-512 VNNI) — sparse-input product over the Q4_1 int8 tile layout
// (kernels/q4_1_tiles.h) with activations quantized per panel (kernels/sparse_acts.h).
//
// Tile by tile (each tile's data is one stream), the outputs' f32 sums stay in registers
// (8 zmm for a wide tile of 128, 8 ymm for the narrow one of 64) across the panels. Per
// non-empty panel, 8 int32 accumulators are zeroed; each group of 4 active channels loads
// its 4 rows (64 / 32 bytes), interleaves them with two byte unpacks per 128-bit lane (4
// channels x 1 output per int32 lane, lanes in output order by construction of the
// layout), splits the nibbles and adds them times the group's 4 int8 activations with
// vpdpbusd (4 multiply-adds per lane, 64 per zmm); then y += m·s + (d·d_x)·acc once per
// panel. The integer sums are exact; float rounding differs from the dense Q4_1·Q8_1
// product only in order (d·d_x·acc versus (d_w·d_x)·acc per block). Upcoming panels' d/m
// planes and active rows are prefetched: kFarPanels ahead into L2, one ahead into L1
// (without: 2.3x slower from DRAM). Measured on Zen 4 (cold, 1 thread, 1536x576): 2.8x
// less compute than the dense Q4_1 matvec (L2-resident), but from DRAM 50% sparsity is
// barely faster than 0% (35 vs 33-41 us) whatever the prefetch distance (3..20 panels),
// channel pairing or panel order: the saving of skipped rows does not reach DRAM yet.
#include <immintrin.h>

#include <bit>
#include <numeric>
#include <cstring>

#include "kernels/cpu/avx512/avx512_sparse.h"
#include "kernels/q4_1_tiles.h"

// GCC 12 flags _mm512_undefined_ps() inside the unmasked 512-bit conversion intrinsics
// (GCC bug 105593): a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace skim::kernels::avx512 {
namespace {

namespace Tl = q4_1_tiles;

constexpr int32_t kFarPanels = 6;

// Prefetches panel pi's d/m planes and active rows of the tile at `tile` (Hint: _MM_HINT_T0
// / _T1). Always inlined: GCC drops calls to out-of-line prefetch-only code.
template <int Hint>
[[gnu::always_inline]] inline void prefetch_panel(const uint8_t* tile, int64_t width, const SparseActsView& a,
                                                  int32_t pi) {
  if (pi >= a.n_panels) return;
  const SparsePanel& P = a.panels[pi];
  const uint8_t* blk = tile + static_cast<size_t>(P.panel) * Tl::block_bytes(width);
  for (int64_t b = 0; b < 4 * width; b += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(blk + b), static_cast<_mm_hint>(Hint));
  }
  const uint8_t* rows = blk + Tl::row_offset(width, 0);
  for (uint32_t m = P.mask; m != 0; m &= m - 1) {
    _mm_prefetch(reinterpret_cast<const char*>(rows + std::countr_zero(m) * (width / 2)), static_cast<_mm_hint>(Hint));
  }
}

// Panels are visited in a scattered order (i · stride mod n, stride coprime with n), not
// front to back: an ascending stream with holes (the skipped channels' rows) makes the
// hardware stream prefetchers fetch the holes too, spending the bandwidth sparsity saves.
// The explicit prefetches above fetch exactly the lines needed.
inline int32_t panel_stride(int32_t n) {
  for (int32_t s : {7, 5, 11, 13, 3}) {
    if (std::gcd(s, n) == 1) return s;
  }
  return 1;
}

// Visits the non-empty panels of a tile of width W in the scattered order, prefetching
// upcoming ones (kFarPanels ahead into L2, the next into L1): body(P, blk) with blk the
// panel's block in the tile.
template <int64_t W, class Body>
[[gnu::always_inline]] inline void for_each_panel(const uint8_t* tile, const SparseActsView& a, Body&& body) {
  const int32_t n = a.n_panels, stride = panel_stride(n);
  auto at = [&](int32_t i) { return i < n ? static_cast<int32_t>(static_cast<int64_t>(i) * stride % n) : n; };
  for (int32_t i = 0; i < kFarPanels; ++i) prefetch_panel<_MM_HINT_T1>(tile, W, a, at(i));
  prefetch_panel<_MM_HINT_T0>(tile, W, a, at(0));
  for (int32_t i = 0; i < n; ++i) {
    prefetch_panel<_MM_HINT_T1>(tile, W, a, at(i + kFarPanels));
    prefetch_panel<_MM_HINT_T0>(tile, W, a, at(i + 1));
    const SparsePanel& P = a.panels[at(i)];
    const uint8_t* blk = tile + static_cast<size_t>(P.panel) * Tl::block_bytes(W);
    body(P, blk);
  }
}

void tile_wide(const uint8_t* tile, const SparseActsView& a, float* y) {
  constexpr int64_t W = Tl::kWide;
  constexpr size_t kRow = W / 2;  // 64 bytes
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m512 yv[8];
  #pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) yv[i] = _mm512_setzero_ps();
  for_each_panel<W>(tile, a, [&](const SparsePanel& P, const uint8_t* blk) {
    const uint8_t* rows = blk + Tl::row_offset(W, 0);
    __m512i acc[8];
    #pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) acc[i] = _mm512_setzero_si512();
    for (int32_t g = P.g0; g < P.g1; ++g) {
      const SparseGroup& G = a.groups[g];
      const __m512i r0 = _mm512_load_si512(rows + G.row[0] * kRow);
      const __m512i r1 = _mm512_load_si512(rows + G.row[1] * kRow);
      const __m512i r2 = _mm512_load_si512(rows + G.row[2] * kRow);
      const __m512i r3 = _mm512_load_si512(rows + G.row[3] * kRow);
      const __m512i u01l = _mm512_unpacklo_epi8(r0, r1), u01h = _mm512_unpackhi_epi8(r0, r1);
      const __m512i u23l = _mm512_unpacklo_epi8(r2, r3), u23h = _mm512_unpackhi_epi8(r2, r3);
      const __m512i w[4] = {_mm512_unpacklo_epi16(u01l, u23l), _mm512_unpackhi_epi16(u01l, u23l),
                            _mm512_unpacklo_epi16(u01h, u23h), _mm512_unpackhi_epi16(u01h, u23h)};
      const __m512i xb = _mm512_set1_epi32(G.xq);
      #pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        acc[k] = _mm512_dpbusd_epi32(acc[k], _mm512_and_si512(w[k], m4), xb);
        acc[4 + k] = _mm512_dpbusd_epi32(acc[4 + k], _mm512_and_si512(_mm512_srli_epi16(w[k], 4), m4), xb);
      }
    }
    const __m512 dx = _mm512_set1_ps(P.d), sx = _mm512_set1_ps(P.s);
    #pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(blk + Tl::d_offset(W) + 32 * i)));
      const __m512 m = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(blk + Tl::m_offset(W) + 32 * i)));
      yv[i] = _mm512_fmadd_ps(m, sx, yv[i]);
      yv[i] = _mm512_fmadd_ps(_mm512_mul_ps(d, dx), _mm512_cvtepi32_ps(acc[i]), yv[i]);
    }
  });
  // Accumulator order (16i + 8s + e) -> outputs (64s + 8i + e).
  #pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    _mm256_storeu_ps(y + 8 * i, _mm512_castps512_ps256(yv[i]));
    _mm256_storeu_ps(y + 64 + 8 * i, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(yv[i]), 1)));
  }
}

void tile_narrow(const uint8_t* tile, const SparseActsView& a, float* y) {
  constexpr int64_t W = Tl::kNarrow;
  constexpr size_t kRow = W / 2;  // 32 bytes
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256 yv[8];
  #pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) yv[i] = _mm256_setzero_ps();
  for_each_panel<W>(tile, a, [&](const SparsePanel& P, const uint8_t* blk) {
    const uint8_t* rows = blk + Tl::row_offset(W, 0);
    __m256i acc[8];
    #pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) acc[i] = _mm256_setzero_si256();
    for (int32_t g = P.g0; g < P.g1; ++g) {
      const SparseGroup& G = a.groups[g];
      const __m256i r0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(rows + G.row[0] * kRow));
      const __m256i r1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(rows + G.row[1] * kRow));
      const __m256i r2 = _mm256_load_si256(reinterpret_cast<const __m256i*>(rows + G.row[2] * kRow));
      const __m256i r3 = _mm256_load_si256(reinterpret_cast<const __m256i*>(rows + G.row[3] * kRow));
      const __m256i u01l = _mm256_unpacklo_epi8(r0, r1), u01h = _mm256_unpackhi_epi8(r0, r1);
      const __m256i u23l = _mm256_unpacklo_epi8(r2, r3), u23h = _mm256_unpackhi_epi8(r2, r3);
      const __m256i w[4] = {_mm256_unpacklo_epi16(u01l, u23l), _mm256_unpackhi_epi16(u01l, u23l),
                            _mm256_unpacklo_epi16(u01h, u23h), _mm256_unpackhi_epi16(u01h, u23h)};
      const __m256i xb = _mm256_set1_epi32(G.xq);
      #pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        acc[k] = _mm256_dpbusd_epi32(acc[k], _mm256_and_si256(w[k], m4), xb);
        acc[4 + k] = _mm256_dpbusd_epi32(acc[4 + k], _mm256_and_si256(_mm256_srli_epi16(w[k], 4), m4), xb);
      }
    }
    const __m256 dx = _mm256_set1_ps(P.d), sx = _mm256_set1_ps(P.s);
    #pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      const __m256 d = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(blk + Tl::d_offset(W) + 16 * i)));
      const __m256 m = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(blk + Tl::m_offset(W) + 16 * i)));
      yv[i] = _mm256_fmadd_ps(m, sx, yv[i]);
      yv[i] = _mm256_fmadd_ps(_mm256_mul_ps(d, dx), _mm256_cvtepi32_ps(acc[i]), yv[i]);
    }
  });
  #pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) _mm256_storeu_ps(y + 8 * i, yv[i]);
}

}  // namespace

void sparse_tiles_q4_1(const uint8_t* panels, int64_t out, int64_t t0, int64_t t1, const SparseActsView& a,
                       float* y) {
  for (int64_t t = t0; t < t1; ++t) {
    const uint8_t* tile = panels + Tl::tile_offset(a.n, t);
    float* yt = y + (Tl::tile_first(t) - Tl::tile_first(t0));
    if (Tl::tile_width(out, t) == Tl::kWide) {
      tile_wide(tile, a, yt);
    } else {
      tile_narrow(tile, a, yt);
    }
  }
}

}  // namespace skim::kernels::avx512
