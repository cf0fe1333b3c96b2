// sparse_panels.cpp (AVX-512) — sparse-input product over the exact Q4_1 panel layout
// (kernels/q4_1_panels.h): y_j = Σ_B (d_jB · t_jB + m_jB · X_B), where for each panel B
// with active channels, t_jB = Σ_{i active in B} x_i q_ij and X_B = Σ x_i.
//
// The output slice is processed in tiles of up to 8 chunks (256 outputs): for each run of
// consecutive active entries in the same panel, the tile's t accumulators stay in 16 zmm
// registers while every entry's 128 nibble bytes are widened, converted and FMA'd (one FMA
// per weight, no per-row scale), then y += m·X + d·t once per run. The active rows of
// upcoming entries are prefetched into L2 (kFar ahead, with their panel's d/m slices) and
// L1 (kNear ahead): random rows defeat the hardware prefetchers.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/cpu/avx512/avx512_sparse.h"
#include "kernels/q4_1_panels.h"

// GCC 12 flags _mm512_undefined_ps() inside the unmasked 512-bit conversion intrinsics
// (GCC bug 105593): a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace skim::kernels::avx512 {
namespace {

namespace P = q4_1_panels;

constexpr int kMaxChunks = 8;  // tile: 8 chunks x 32 outputs, 16 zmm accumulators
constexpr int32_t kFar = 24;   // entries ahead prefetched into L2
constexpr int32_t kNear = 4;   // entries ahead prefetched into L1

struct Ctx {
  const uint8_t* panels;
  int64_t out;
  size_t panel_bytes;
  const float* x;
  const int32_t* idx;
  int32_t count;
  int64_t j0;         // first output of the tile (absolute)
  size_t row_bytes;   // nibble bytes of the tile in one row
};

template <int Hint>
[[gnu::always_inline]] inline void prefetch_range(const uint8_t* p, size_t bytes) {
  for (uintptr_t line = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{63}; line < reinterpret_cast<uintptr_t>(p + bytes);
       line += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(line), static_cast<_mm_hint>(Hint));
  }
}

// Prefetches the tile's bytes of entry k's row (and, for L2, its panel's d/m slices when k
// starts a new panel). Always inlined: GCC drops calls to out-of-line prefetch-only code.
template <int Hint>
[[gnu::always_inline]] inline void prefetch_entry(const Ctx& c, int32_t k) {
  if (k >= c.count) return;
  const int32_t i = c.idx[k];
  const uint8_t* panel = c.panels + static_cast<size_t>(i / P::kChannels) * c.panel_bytes;
  prefetch_range<Hint>(panel + P::row_offset(c.out, i % P::kChannels, c.j0), c.row_bytes);
  if (Hint == _MM_HINT_T1 && (k == 0 || c.idx[k - 1] / P::kChannels != i / P::kChannels)) {
    prefetch_range<Hint>(panel + P::d_offset(c.j0), 2 * c.row_bytes);
    prefetch_range<Hint>(panel + P::m_offset(c.out, c.j0), 2 * c.row_bytes);
  }
}

// One run: entries [k0, k1) of panel B over NC chunks of the tile; y: the tile's outputs.
template <int NC>
void run_tile(const Ctx& c, int32_t k0, int32_t k1, float* y) {
  const int32_t i0 = c.idx[k0];
  const uint8_t* panel = c.panels + static_cast<size_t>(i0 / P::kChannels) * c.panel_bytes;
  const __m128i m4 = _mm_set1_epi8(0x0F);
  __m512 acc[2 * NC];
  #pragma GCC unroll 32
  for (int a = 0; a < 2 * NC; ++a) acc[a] = _mm512_setzero_ps();
  float xsum = 0.0f;
  for (int32_t k = k0; k < k1; ++k) {
    prefetch_entry<_MM_HINT_T1>(c, k + kFar);
    prefetch_entry<_MM_HINT_T0>(c, k + kNear);
    const int32_t i = c.idx[k];
    const float xi = c.x[i];
    xsum += xi;
    const __m512 xv = _mm512_set1_ps(xi);
    const uint8_t* row = panel + P::row_offset(c.out, i % P::kChannels, c.j0);
    #pragma GCC unroll 8
    for (int ch = 0; ch < NC; ++ch) {
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 16 * ch));
      const __m512 lo = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(q, m4)));
      const __m512 hi = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(q, 4), m4)));
      acc[2 * ch] = _mm512_fmadd_ps(lo, xv, acc[2 * ch]);
      acc[2 * ch + 1] = _mm512_fmadd_ps(hi, xv, acc[2 * ch + 1]);
    }
  }
  const __m512 xs = _mm512_set1_ps(xsum);
  const uint8_t* dp = panel + P::d_offset(c.j0);
  const uint8_t* mp = panel + P::m_offset(c.out, c.j0);
  #pragma GCC unroll 8
  for (int ch = 0; ch < NC; ++ch) {
    #pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const size_t o = static_cast<size_t>(32 * ch + 16 * h);
      const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(dp + 2 * o)));
      const __m512 m = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(mp + 2 * o)));
      const __m512 yv = _mm512_fmadd_ps(m, xs, _mm512_loadu_ps(y + o));
      _mm512_storeu_ps(y + o, _mm512_fmadd_ps(d, acc[2 * ch + h], yv));
    }
  }
}

}  // namespace

void sparse_panels_q4_1(const uint8_t* panels, int64_t out, int64_t c0, int64_t n, const float* x,
                        const int32_t* idx, int32_t count, float* y) {
  std::memset(y, 0, static_cast<size_t>(n) * sizeof(float));
  // Tiles of equal size (up to kMaxChunks chunks): 9 chunks are 5 + 4, not 8 + 1.
  const int64_t chunks = n / P::kChunk, tiles = (chunks + kMaxChunks - 1) / kMaxChunks;
  for (int64_t t = 0, s0 = 0; t < tiles; ++t) {
    const int nc = static_cast<int>(chunks * (t + 1) / tiles - chunks * t / tiles);
    const Ctx c{panels, out, P::panel_bytes(out), x, idx, count, c0 + s0, static_cast<size_t>(nc) * 16};
    for (int32_t k = 0; k < std::min(count, kFar); ++k) prefetch_entry<_MM_HINT_T1>(c, k);
    for (int32_t k = 0; k < std::min(count, kNear); ++k) prefetch_entry<_MM_HINT_T0>(c, k);
    for (int32_t k0 = 0; k0 < count;) {
      const int32_t b = idx[k0] / static_cast<int32_t>(P::kChannels);
      int32_t k1 = k0 + 1;
      while (k1 < count && idx[k1] / static_cast<int32_t>(P::kChannels) == b) ++k1;
      float* yt = y + s0;
      switch (nc) {
        case 8: run_tile<8>(c, k0, k1, yt); break;
        case 7: run_tile<7>(c, k0, k1, yt); break;
        case 6: run_tile<6>(c, k0, k1, yt); break;
        case 5: run_tile<5>(c, k0, k1, yt); break;
        case 4: run_tile<4>(c, k0, k1, yt); break;
        case 3: run_tile<3>(c, k0, k1, yt); break;
        case 2: run_tile<2>(c, k0, k1, yt); break;
        default: run_tile<1>(c, k0, k1, yt); break;
      }
      k0 = k1;
    }
    s0 += nc * P::kChunk;
  }
}

}  // namespace skim::kernels::avx512
