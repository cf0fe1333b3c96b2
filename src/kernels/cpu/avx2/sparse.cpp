// sparse.cpp (AVX2) — sparse-input accumulation over rows of a transposed weight matrix and
// the |x| > t index selection, with 256-bit registers.
//
// sparse_axpy: the active rows are taken 4 at a time; for each 32-element chunk of the
// output slice, y is held in four ymm registers while the chunk of all 4 rows is
// dequantized and FMA'd into them (y = fma(w, x_i, y) in list order), then stored once.
// Q8_0 and Q4_1 fold the block scale into the multiplier (x_i * d); Q4_1 adds
// sum_r x_r * m_r once per chunk. Float types take any n (8-lane steps, scalar tail).
// Upcoming groups' rows are prefetched (L2 far ahead, L1 one group ahead).
// select_active: movemask of 8 compares indexes a 256-entry table of packed lane indices
// (constexpr, immutable), widened and offset, stored whole; c <= i keeps stores in bounds.
#include <immintrin.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstring>

#include "kernels/cpu/avx2/avx2_sparse.h"
#include "kernels/cpu/avx2/simd_util.h"

namespace skim::kernels::avx2 {
namespace {

inline uint16_t load_u16(const void* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline __m128i load64(const void* p) { return _mm_loadl_epi64(static_cast<const __m128i*>(p)); }
inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

constexpr int kGroup = 4;
// Random active rows defeat the hardware prefetchers, so the rows of upcoming groups are
// prefetched in two steps: kFarGroups ahead into L2 (covers DRAM latency), then one group
// ahead into L1. (Measured on Zen 4, cold Q8_0 1536x576 at 50%: no prefetch 140 us,
// L1-only 2 ahead 140 us, L2-only 5 ahead 68 us, L2 5 ahead + L1 1 ahead 56 us.)
constexpr int kFarGroups = 5;

// Prefetches every cache line of the slices (`bytes` bytes from each row's start) of the
// active rows idx[k0, k0 + kGroup) below count, with locality hint Hint. Always inlined and
// written without a lambda: GCC deems an out-of-line function whose only effect is
// prefetching pure, and drops its calls.
template <int Hint>
[[gnu::always_inline]] inline void prefetch_group(const uint8_t* base, size_t stride, const int32_t* idx,
                                                  int32_t count, int32_t k0, size_t bytes) {
  for (int32_t k = k0; k < count && k < k0 + kGroup; ++k) {
    const uint8_t* p = base + static_cast<size_t>(idx[k]) * stride;
    for (uintptr_t line = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{63}; line < reinterpret_cast<uintptr_t>(p + bytes);
         line += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(line), static_cast<_mm_hint>(Hint));
    }
  }
}

// Runs K::pass<R>(rows, xs, n, y) over the active list in groups of kGroup rows (the last
// group has 1..3), after zeroing y; the slice of each row is K::bytes(n) bytes.
template <class K>
void drive(const uint8_t* base, size_t stride, int64_t n, const float* x, const int32_t* idx,
           int32_t count, float* y) {
  std::memset(y, 0, static_cast<size_t>(n) * sizeof(float));
  const size_t bytes = K::bytes(n);
  for (int g = 1; g <= kFarGroups; ++g) prefetch_group<_MM_HINT_T1>(base, stride, idx, count, g * kGroup, bytes);
  prefetch_group<_MM_HINT_T0>(base, stride, idx, count, 0, bytes);
  const uint8_t* rows[kGroup];
  float xs[kGroup];
  int32_t k = 0;
  for (; k + kGroup <= count; k += kGroup) {
    prefetch_group<_MM_HINT_T1>(base, stride, idx, count, k + (kFarGroups + 1) * kGroup, bytes);
    prefetch_group<_MM_HINT_T0>(base, stride, idx, count, k + kGroup, bytes);
    for (int r = 0; r < kGroup; ++r) {
      rows[r] = base + static_cast<size_t>(idx[k + r]) * stride;
      xs[r] = x[idx[k + r]];
    }
    K::template pass<kGroup>(rows, xs, n, y);
  }
  const int rest = static_cast<int>(count - k);
  for (int r = 0; r < rest; ++r) {
    rows[r] = base + static_cast<size_t>(idx[k + r]) * stride;
    xs[r] = x[idx[k + r]];
  }
  switch (rest) {
    case 3: K::template pass<3>(rows, xs, n, y); break;
    case 2: K::template pass<2>(rows, xs, n, y); break;
    case 1: K::template pass<1>(rows, xs, n, y); break;
    default: break;
  }
}

inline __m256 i8_to_ps(__m128i v8) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v8)); }
inline __m256 u8_to_ps(__m128i v8) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v8)); }

struct Q8_0 {  // 34-byte blocks: fp16 d, 32 int8
  static size_t bytes(int64_t n) { return static_cast<size_t>(n / 32 * 34); }
  template <int R>
  static void pass(const uint8_t* const* rows, const float* xs, int64_t n, float* y) {
    for (int64_t b = 0; b < n / 32; ++b) {
      float* yb = y + 32 * b;
      __m256 y0 = _mm256_loadu_ps(yb), y1 = _mm256_loadu_ps(yb + 8);
      __m256 y2 = _mm256_loadu_ps(yb + 16), y3 = _mm256_loadu_ps(yb + 24);
      for (int r = 0; r < R; ++r) {
        const uint8_t* blk = rows[r] + 34 * b;
        const __m256 s = _mm256_set1_ps(fp16(load_u16(blk)) * xs[r]);
        y0 = _mm256_fmadd_ps(i8_to_ps(load64(blk + 2)), s, y0);
        y1 = _mm256_fmadd_ps(i8_to_ps(load64(blk + 10)), s, y1);
        y2 = _mm256_fmadd_ps(i8_to_ps(load64(blk + 18)), s, y2);
        y3 = _mm256_fmadd_ps(i8_to_ps(load64(blk + 26)), s, y3);
      }
      _mm256_storeu_ps(yb, y0);
      _mm256_storeu_ps(yb + 8, y1);
      _mm256_storeu_ps(yb + 16, y2);
      _mm256_storeu_ps(yb + 24, y3);
    }
  }
};

struct Q4_1 {  // 20-byte blocks: fp16 d, fp16 m, 16 bytes of nibbles (lo: 0..15, hi: 16..31)
  static size_t bytes(int64_t n) { return static_cast<size_t>(n / 32 * 20); }
  template <int R>
  static void pass(const uint8_t* const* rows, const float* xs, int64_t n, float* y) {
    const __m128i m4 = _mm_set1_epi8(0x0F);
    for (int64_t b = 0; b < n / 32; ++b) {
      float* yb = y + 32 * b;
      __m256 y0 = _mm256_loadu_ps(yb), y1 = _mm256_loadu_ps(yb + 8);
      __m256 y2 = _mm256_loadu_ps(yb + 16), y3 = _mm256_loadu_ps(yb + 24);
      __m128 msum = _mm_setzero_ps();  // lane 1: sum_r x_r * m_r
      for (int r = 0; r < R; ++r) {
        const uint8_t* blk = rows[r] + 20 * b;
        const __m128 p = _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(load_u32(blk)))),
                                    _mm_set1_ps(xs[r]));  // [x*d, x*m]
        msum = _mm_add_ps(msum, p);
        const __m256 s = _mm256_broadcastss_ps(p);
        const __m128i q = load128(blk + 4);
        const __m128i lo = _mm_and_si128(q, m4), hi = _mm_and_si128(_mm_srli_epi16(q, 4), m4);
        y0 = _mm256_fmadd_ps(u8_to_ps(lo), s, y0);
        y1 = _mm256_fmadd_ps(u8_to_ps(_mm_srli_si128(lo, 8)), s, y1);
        y2 = _mm256_fmadd_ps(u8_to_ps(hi), s, y2);
        y3 = _mm256_fmadd_ps(u8_to_ps(_mm_srli_si128(hi, 8)), s, y3);
      }
      const __m256 m = _mm256_broadcastss_ps(_mm_shuffle_ps(msum, msum, 1));
      _mm256_storeu_ps(yb, _mm256_add_ps(y0, m));
      _mm256_storeu_ps(yb + 8, _mm256_add_ps(y1, m));
      _mm256_storeu_ps(yb + 16, _mm256_add_ps(y2, m));
      _mm256_storeu_ps(yb + 24, _mm256_add_ps(y3, m));
    }
  }
};

// Float rows: Load::vec(ptr) -> 8 lanes, Load::one(ptr) -> 1 element.
template <class Load, size_t kElem>
struct FloatRows {
  static size_t bytes(int64_t n) { return kElem * static_cast<size_t>(n); }
  template <int R>
  static void pass(const uint8_t* const* rows, const float* xs, int64_t n, float* y) {
    int64_t j = 0;
    for (; j + 32 <= n; j += 32) {
      __m256 y0 = _mm256_loadu_ps(y + j), y1 = _mm256_loadu_ps(y + j + 8);
      __m256 y2 = _mm256_loadu_ps(y + j + 16), y3 = _mm256_loadu_ps(y + j + 24);
      for (int r = 0; r < R; ++r) {
        const __m256 s = _mm256_set1_ps(xs[r]);
        const uint8_t* p = rows[r] + kElem * static_cast<size_t>(j);
        y0 = _mm256_fmadd_ps(Load::vec(p), s, y0);
        y1 = _mm256_fmadd_ps(Load::vec(p + 8 * kElem), s, y1);
        y2 = _mm256_fmadd_ps(Load::vec(p + 16 * kElem), s, y2);
        y3 = _mm256_fmadd_ps(Load::vec(p + 24 * kElem), s, y3);
      }
      _mm256_storeu_ps(y + j, y0);
      _mm256_storeu_ps(y + j + 8, y1);
      _mm256_storeu_ps(y + j + 16, y2);
      _mm256_storeu_ps(y + j + 24, y3);
    }
    for (; j + 8 <= n; j += 8) {
      __m256 y0 = _mm256_loadu_ps(y + j);
      for (int r = 0; r < R; ++r) {
        y0 = _mm256_fmadd_ps(Load::vec(rows[r] + kElem * static_cast<size_t>(j)), _mm256_set1_ps(xs[r]), y0);
      }
      _mm256_storeu_ps(y + j, y0);
    }
    for (; j < n; ++j) {
      float acc = y[j];
      for (int r = 0; r < R; ++r) acc += xs[r] * Load::one(rows[r] + kElem * static_cast<size_t>(j));
      y[j] = acc;
    }
  }
};

struct LoadF32 {
  static __m256 vec(const uint8_t* p) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p)); }
  static float one(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
};
struct LoadF16 {
  static __m256 vec(const uint8_t* p) { return _mm256_cvtph_ps(load128(p)); }
  static float one(const uint8_t* p) { return fp16(load_u16(p)); }
};

// kCompressLut[m]: byte j = the lane of the j-th set bit of m (unused bytes 0).
constexpr std::array<uint64_t, 256> make_compress_lut() {
  std::array<uint64_t, 256> lut{};
  for (int m = 0; m < 256; ++m) {
    uint64_t v = 0;
    int j = 0;
    for (int lane = 0; lane < 8; ++lane) {
      if (m & (1 << lane)) v |= static_cast<uint64_t>(lane) << (8 * j++);
    }
    lut[static_cast<size_t>(m)] = v;
  }
  return lut;
}
constexpr std::array<uint64_t, 256> kCompressLut = make_compress_lut();

inline int above(__m256 v, __m256 t) {
  const __m256 a = _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF)));
  return _mm256_movemask_ps(_mm256_cmp_ps(a, t, _CMP_GT_OQ));
}

}  // namespace

void sparse_axpy_f32(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                     const int32_t* idx, int32_t count, float* y) {
  drive<FloatRows<LoadF32, 4>>(base, row_stride, n, x, idx, count, y);
}
void sparse_axpy_f16(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                     const int32_t* idx, int32_t count, float* y) {
  drive<FloatRows<LoadF16, 2>>(base, row_stride, n, x, idx, count, y);
}
void sparse_axpy_q8_0(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                      const int32_t* idx, int32_t count, float* y) {
  drive<Q8_0>(base, row_stride, n, x, idx, count, y);
}
void sparse_axpy_q4_1(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                      const int32_t* idx, int32_t count, float* y) {
  drive<Q4_1>(base, row_stride, n, x, idx, count, y);
}

int32_t select_active(const float* x, int64_t n, float threshold, int32_t* idx) {
  const __m256 t = _mm256_set1_ps(threshold);
  int32_t c = 0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const int m = above(_mm256_loadu_ps(x + i), t);
    const __m256i lanes = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(kCompressLut[static_cast<size_t>(m)])));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + c),  // c <= i: in bounds
                        _mm256_add_epi32(lanes, _mm256_set1_epi32(static_cast<int>(i))));
    c += std::popcount(static_cast<uint32_t>(m));
  }
  for (; i < n; ++i) {
    if (std::fabs(x[i]) > threshold) idx[c++] = static_cast<int32_t>(i);
  }
  return c;
}

int64_t count_active(const float* x, int64_t n, float threshold) {
  const __m256 t = _mm256_set1_ps(threshold);
  int64_t c = 0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) c += std::popcount(static_cast<uint32_t>(above(_mm256_loadu_ps(x + i), t)));
  for (; i < n; ++i) c += std::fabs(x[i]) > threshold ? 1 : 0;
  return c;
}

}  // namespace skim::kernels::avx2
