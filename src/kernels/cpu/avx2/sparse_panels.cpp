// sparse_panels.cpp (AVX2) — sparse-input product over the exact Q4_1 panel layout
// (kernels/q4_1_panels.h): y_j = Σ_B (d_jB · t_jB + m_jB · X_B), where for each panel B
// with active channels, t_jB = Σ_{i active in B} x_i q_ij and X_B = Σ x_i.
//
// The output slice is processed in tiles of up to 2 chunks (64 outputs, 8 ymm
// accumulators): for each run of consecutive active entries in the same panel, every
// entry's nibbles are widened, converted and FMA'd into the register tile (one FMA per
// weight, no per-row scale), then y += m·X + d·t once per run. Upcoming entries' rows are
// prefetched into L2 (kFar ahead, with their panel's d/m slices) and L1 (kNear ahead).
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/cpu/avx2/avx2_sparse.h"
#include "kernels/q4_1_panels.h"

namespace skim::kernels::avx2 {
namespace {

namespace P = q4_1_panels;

constexpr int kMaxChunks = 2;  // tile: 2 chunks x 32 outputs, 8 ymm accumulators
constexpr int32_t kFar = 24;   // entries ahead prefetched into L2
constexpr int32_t kNear = 4;   // entries ahead prefetched into L1

struct Ctx {
  const uint8_t* panels;
  int64_t out;
  size_t panel_bytes;
  const float* x;
  const int32_t* idx;
  int32_t count;
  int64_t j0;        // first output of the tile (absolute)
  size_t row_bytes;  // nibble bytes of the tile in one row
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

inline __m256 u8_to_ps(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)); }
inline __m256 f16_to_ps(const uint8_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

// One run: entries [k0, k1) of panel B over NC chunks of the tile; y: the tile's outputs.
template <int NC>
void run_tile(const Ctx& c, int32_t k0, int32_t k1, float* y) {
  const int32_t i0 = c.idx[k0];
  const uint8_t* panel = c.panels + static_cast<size_t>(i0 / P::kChannels) * c.panel_bytes;
  const __m128i m4 = _mm_set1_epi8(0x0F);
  __m256 acc[4 * NC];
  #pragma GCC unroll 32
  for (int a = 0; a < 4 * NC; ++a) acc[a] = _mm256_setzero_ps();
  float xsum = 0.0f;
  for (int32_t k = k0; k < k1; ++k) {
    prefetch_entry<_MM_HINT_T1>(c, k + kFar);
    prefetch_entry<_MM_HINT_T0>(c, k + kNear);
    const int32_t i = c.idx[k];
    const float xi = c.x[i];
    xsum += xi;
    const __m256 xv = _mm256_set1_ps(xi);
    const uint8_t* row = panel + P::row_offset(c.out, i % P::kChannels, c.j0);
    #pragma GCC unroll 8
    for (int ch = 0; ch < NC; ++ch) {
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 16 * ch));
      const __m128i lo = _mm_and_si128(q, m4), hi = _mm_and_si128(_mm_srli_epi16(q, 4), m4);
      acc[4 * ch] = _mm256_fmadd_ps(u8_to_ps(lo), xv, acc[4 * ch]);
      acc[4 * ch + 1] = _mm256_fmadd_ps(u8_to_ps(_mm_srli_si128(lo, 8)), xv, acc[4 * ch + 1]);
      acc[4 * ch + 2] = _mm256_fmadd_ps(u8_to_ps(hi), xv, acc[4 * ch + 2]);
      acc[4 * ch + 3] = _mm256_fmadd_ps(u8_to_ps(_mm_srli_si128(hi, 8)), xv, acc[4 * ch + 3]);
    }
  }
  const __m256 xs = _mm256_set1_ps(xsum);
  const uint8_t* dp = panel + P::d_offset(c.j0);
  const uint8_t* mp = panel + P::m_offset(c.out, c.j0);
  #pragma GCC unroll 32
  for (int a = 0; a < 4 * NC; ++a) {
    const size_t o = static_cast<size_t>(8 * a);
    const __m256 yv = _mm256_fmadd_ps(f16_to_ps(mp + 2 * o), xs, _mm256_loadu_ps(y + o));
    _mm256_storeu_ps(y + o, _mm256_fmadd_ps(f16_to_ps(dp + 2 * o), acc[a], yv));
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
      if (nc == 2) {
        run_tile<2>(c, k0, k1, y + s0);
      } else {
        run_tile<1>(c, k0, k1, y + s0);
      }
      k0 = k1;
    }
    s0 += nc * P::kChunk;
  }
}

}  // namespace skim::kernels::avx2
