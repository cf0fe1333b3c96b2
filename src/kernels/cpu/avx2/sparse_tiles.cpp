// sparse_tiles.cpp (AVX2) — sparse-input product over the Q4_1 int8 tile layout
// (kernels/q4_1_tiles.h) with activations quantized per panel (kernels/sparse_acts.h).
//
// As the AVX-512 kernel, tile by tile and panel by panel, one 64-output sub-tile at a time
// (a wide tile is two: each reads its 32-byte half of the rows): 8 ymm int32 accumulators
// per panel;
// per group of 4 active channels, the 4 row parts are interleaved with byte unpacks, the
// nibbles split and multiplied by the group's int8 activations with maddubs (u8 x s8 pairs
// -> i16, at most 2·15·127: no saturation) + madd by ones (-> i32); then y += m·s +
// (d·d_x)·acc. Integer sums exact, as the dense Q4_1·Q8_1 product.
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/avx2/avx2_sparse.h"
#include "kernels/q4_1_tiles.h"

namespace skim::kernels::avx2 {
namespace {

namespace Tl = q4_1_tiles;

// Sub-tile s (64 outputs) of a tile of `width` outputs for one panel: rows = the tile's
// part of row 0 (rows `stride` bytes apart), dp/mp its d/m planes; y: the tile's outputs.
void sub_tile(const uint8_t* rows, size_t stride, const uint8_t* dp, const uint8_t* mp, int64_t width, int s,
              const SparsePanel& P, const SparseGroup* groups, float* y) {
  const int64_t ns = width / 64;
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i ones = _mm256_set1_epi16(1);
  rows += 32 * s;
  __m256i acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = _mm256_setzero_si256();
  for (int32_t g = P.g0; g < P.g1; ++g) {
    const SparseGroup& G = groups[g];
    const __m256i r0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows + G.row[0] * stride));
    const __m256i r1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows + G.row[1] * stride));
    const __m256i r2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows + G.row[2] * stride));
    const __m256i r3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows + G.row[3] * stride));
    const __m256i u01l = _mm256_unpacklo_epi8(r0, r1), u01h = _mm256_unpackhi_epi8(r0, r1);
    const __m256i u23l = _mm256_unpacklo_epi8(r2, r3), u23h = _mm256_unpackhi_epi8(r2, r3);
    const __m256i w[4] = {_mm256_unpacklo_epi16(u01l, u23l), _mm256_unpackhi_epi16(u01l, u23l),
                          _mm256_unpacklo_epi16(u01h, u23h), _mm256_unpackhi_epi16(u01h, u23h)};
    const __m256i xb = _mm256_set1_epi32(G.xq);
    for (int k = 0; k < 4; ++k) {
      const __m256i lo = _mm256_maddubs_epi16(_mm256_and_si256(w[k], m4), xb);
      const __m256i hi = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(w[k], 4), m4), xb);
      acc[k] = _mm256_add_epi32(acc[k], _mm256_madd_epi16(lo, ones));
      acc[4 + k] = _mm256_add_epi32(acc[4 + k], _mm256_madd_epi16(hi, ones));
    }
  }
  const __m256 dx = _mm256_set1_ps(P.d), sx = _mm256_set1_ps(P.s);
  for (int i = 0; i < 8; ++i) {
    const size_t plane = static_cast<size_t>(8 * ns * i + 8 * s);  // fp16 position
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(dp + 2 * plane)));
    const __m256 m = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(mp + 2 * plane)));
    float* yo = y + 64 * s + 8 * i;
    __m256 yv = _mm256_fmadd_ps(m, sx, _mm256_loadu_ps(yo));
    yv = _mm256_fmadd_ps(_mm256_mul_ps(d, dx), _mm256_cvtepi32_ps(acc[i]), yv);
    _mm256_storeu_ps(yo, yv);
  }
}

}  // namespace

void sparse_tiles_q4_1(const uint8_t* panels, int64_t out, int64_t t0, int64_t t1, const SparseActsView& a,
                       float* y) {
  const int64_t j0 = Tl::tile_first(t0);
  std::memset(y, 0, static_cast<size_t>(Tl::tile_end(out, t1 - 1) - j0) * sizeof(float));
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t width = Tl::tile_width(out, t);
    const uint8_t* tile = panels + Tl::tile_offset(a.n, t);
    for (int32_t pi = 0; pi < a.n_panels; ++pi) {
      const SparsePanel& P = a.panels[pi];
      const uint8_t* blk = tile + static_cast<size_t>(P.panel) * Tl::block_bytes(width);
      for (int s = 0; s < width / 64; ++s) {
        sub_tile(blk + Tl::row_offset(width, 0), static_cast<size_t>(width / 2), blk + Tl::d_offset(width),
                 blk + Tl::m_offset(width), width, s, P, a.groups, y + (Tl::tile_first(t) - j0));
      }
    }
  }
}

}  // namespace skim::kernels::avx2
