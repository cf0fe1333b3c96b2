// q4_1_pairs.cpp — the "fast numerics" AVX-512 VNNI Q4_1 . Q8_1 kernels (vec_dot,
// vec_dot_cols, gemm), which take two 32-element blocks per 256-bit register ("block
// pairs"). Chosen by make_kernel_table(kAvx512, Numerics::kFast); the default (kExact)
// table keeps ggml's per-block operation order (legacy_quants.cpp), which reproduces
// llama.cpp's logits bit for bit.
//
// Why pairs: the one-block-per-register scheme (ggml's) spends ~13 vector uops per block —
// unpacking 16 nibble bytes into a full register, converting two scale pairs, a broadcast
// and a horizontal-free fma — and decode on this path is compute-bound, not bandwidth-bound.
// With two blocks per register the nibble unpack (and, shift, and) and the scale work
// (one fp16 conversion of [d0 m0 d1 m1], one multiply by [dx0 sx0 dx1 sx1]) serve 64
// weights, and one fma scales both blocks: ~8 uops per block.
//
// Layout trick: a pair register holds the 16 nibble bytes of block b and of block b+1,
//   lo = [b.low nibbles (elements 0..15) | b+1.low nibbles (0..15)]
//   hi = [b.high nibbles (16..31)        | b+1.high nibbles (16..31)]
// so the activations are taken in the same order (xl = x_b[0..15] | x_b+1[0..15], xh = the
// upper halves). vpdpbusd(vpdpbusd(0, lo, xl), hi, xh) leaves block b's integer dot in
// lanes 0..3 and block b+1's in lanes 4..7 (each lane: 8 products; exact).
//
// Float operation sequence (every kernel here follows it, so vec_dot, vec_dot_cols and
// gemm are bitwise equal per output):
//   per pair p in order: f = [d0 m0 d1 m1] * [dx0 sx0 dx1 sx1]  (fp16 -> f32 converted)
//                        ms += f                       (4 lanes; lanes 1 and 3 matter)
//                        acc = fma(float(dot), [f0 f0 f0 f0 f2 f2 f2 f2], acc)  (8 lanes)
//   an odd last block: f = [d m 0 0] * [dx sx 0 0], ms += f, acc = fma(float(dot of the
//   block, lanes 0..3 as above, lanes 4..7 zero), [f0 x4, f2 x4], acc)
//   result = hsum8(acc) + ms[1] + ms[3], hsum8 in the order of gemm_tile.h.
// This differs from ggml's per-block order only in float rounding, but the rounding
// differences flip some activation quantizations downstream, so logits differ from
// llama.cpp's at the level of the activation quantization noise (tests bound the kernel
// against the scalar oracle, and perplexity against llama.cpp's).
// Decode (one activation row) walks the weight rows one at a time: tiles of several rows
// ran 1.4x slower when the weights stream from DRAM.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/avx512/avx512_kernels.h"
#include "tensor/quant/q4_1.h"
#include "tensor/quant/q8_1.h"

namespace skim::kernels::avx512 {
namespace {

namespace pairs {

inline uint32_t u32_at(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Activation row of one pair, re-laid for the kernels: 64 quant bytes and 4 scales.
struct PairActs {
  __m256i xl, xh;  // x_b[0..15] | x_b+1[0..15], x_b[16..31] | x_b+1[16..31]
  __m128 s;        // [dx0 sx0 dx1 sx1] (an odd last block: [dx sx 0 0])
};

inline PairActs pair_acts(const BlockQ8_1* x, int64_t b, bool single) {
  const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
  const __m256i x1 = single ? _mm256_setzero_si256() : _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b + 1].qs));
  const uint32_t ds1 = single ? 0u : u32_at(&x[b + 1]);
  return {_mm256_permute2x128_si256(x0, x1, 0x20), _mm256_permute2x128_si256(x0, x1, 0x31),
          _mm_cvtph_ps(_mm_insert_epi32(_mm_cvtsi32_si128(static_cast<int>(u32_at(&x[b]))), static_cast<int>(ds1), 1))};
}

// Weights of one pair of a Q4_1 row: nibbles split as above, scales [d0 m0 d1 m1].
struct PairWeights {
  __m256i lo, hi;
  __m128 dm;
};

inline PairWeights pair_weights(const BlockQ4_1* w, int64_t b, bool single) {
  const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs));
  const __m128i q1 = single ? _mm_setzero_si128() : _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b + 1].qs));
  const __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const uint32_t dm1 = single ? 0u : u32_at(&w[b + 1]);
  return {_mm256_and_si256(q, m4), _mm256_and_si256(_mm256_srli_epi16(q, 4), m4),
          _mm_cvtph_ps(_mm_insert_epi32(_mm_cvtsi32_si128(static_cast<int>(u32_at(&w[b]))), static_cast<int>(dm1), 1))};
}

// The integer dots of both blocks: lanes 0..3 block b, lanes 4..7 block b+1, as float.
inline __m256 pair_dot(const PairWeights& w, __m256i xl, __m256i xh) {
  return _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), w.lo, xl), w.hi, xh));
}

inline __m256 spread_scales(__m128 f) {  // [f0 f0 f0 f0 f2 f2 f2 f2]
  return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(f), _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2));
}

inline float finish(__m256 acc, __m128 ms) {
  alignas(16) float m[4];
  _mm_store_ps(m, ms);
  return hsum8(acc) + m[1] + m[3];
}

// One weight row . one Q8_1 activation row (standard layout), n elements.
inline float row_dot(int64_t n, const BlockQ4_1* w, const BlockQ8_1* x) {
  const int64_t nb = n / 32;
  __m256 acc = _mm256_setzero_ps();
  __m128 ms = _mm_setzero_ps();
  for (int64_t b = 0; b < nb; b += 2) {
    const bool single = b + 1 == nb;
    const PairActs xa = pair_acts(x, b, single);
    const PairWeights wp = pair_weights(w, b, single);
    const __m128 f = _mm_mul_ps(wp.dm, xa.s);
    ms = _mm_add_ps(ms, f);
    acc = _mm256_fmadd_ps(pair_dot(wp, xa.xl, xa.xh), spread_scales(f), acc);
  }
  return finish(acc, ms);
}

// ---- GEMM: activations re-laid once per call, then register tiles ------------------------

constexpr int kCols = 4;               // most activation rows per call (kernels::kGemmCols)
constexpr int64_t kMaxPairs = 256;     // rows of up to 16384 elements use the stack buffer

// xa: [np][C] PairActs of activation rows c < nc.
inline void relay_acts(int64_t nb, const uint8_t* xq, size_t x_stride, int nc, PairActs* xa) {
  const int64_t np = (nb + 1) / 2;
  for (int c = 0; c < nc; ++c) {
    const auto* x = reinterpret_cast<const BlockQ8_1*>(xq + static_cast<size_t>(c) * x_stride);
    for (int64_t p = 0; p < np; ++p) xa[p * kCols + c] = pair_acts(x, 2 * p, 2 * p + 1 == nb);
  }
}

// R weight rows x C activation rows: y[c * ldy + r]. The scale products of two activation
// rows share one register: lanes 0..3 for column c, 4..7 for column c+1.
template <int R, int C>
void pair_tile(int64_t nb, const uint8_t* w, size_t w_stride, const PairActs* xa, float* y, size_t ldy) {
  constexpr int CP = (C + 1) / 2;
  __m256 acc[R][C];
  __m256 ms[R][CP];
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
    for (int c = 0; c < CP; ++c) ms[r][c] = _mm256_setzero_ps();
  }
  const __m256i lo_idx = _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2);
  const __m256i hi_idx = _mm256_setr_epi32(4, 4, 4, 4, 6, 6, 6, 6);
  for (int64_t b = 0, p = 0; b < nb; b += 2, ++p) {
    const bool single = b + 1 == nb;
    const PairActs* xp = xa + p * kCols;
    __m256 xs[CP];
    for (int c = 0; c < CP; ++c) {
      xs[c] = 2 * c + 1 < C ? _mm256_set_m128(xp[2 * c + 1].s, xp[2 * c].s) : _mm256_zextps128_ps256(xp[2 * c].s);
    }
    for (int r = 0; r < R; ++r) {
      const auto* wr = reinterpret_cast<const BlockQ4_1*>(w + static_cast<size_t>(r) * w_stride);
      const PairWeights wp = pair_weights(wr, b, single);
      const __m256 dm2 = _mm256_set_m128(wp.dm, wp.dm);
      for (int c2 = 0; c2 < CP; ++c2) {
        const __m256 f = _mm256_mul_ps(dm2, xs[c2]);
        ms[r][c2] = _mm256_add_ps(ms[r][c2], f);
        const int c = 2 * c2;
        acc[r][c] = _mm256_fmadd_ps(pair_dot(wp, xp[c].xl, xp[c].xh), _mm256_permutevar8x32_ps(f, lo_idx), acc[r][c]);
        if (c + 1 < C) {
          acc[r][c + 1] = _mm256_fmadd_ps(pair_dot(wp, xp[c + 1].xl, xp[c + 1].xh), _mm256_permutevar8x32_ps(f, hi_idx),
                                          acc[r][c + 1]);
        }
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c2 = 0; c2 < CP; ++c2) {
      alignas(32) float m[8];
      _mm256_store_ps(m, ms[r][c2]);
      const int c = 2 * c2;
      y[static_cast<size_t>(c) * ldy + r] = hsum8(acc[r][c]) + m[1] + m[3];
      if (c + 1 < C) y[static_cast<size_t>(c + 1) * ldy + r] = hsum8(acc[r][c + 1]) + m[5] + m[7];
    }
  }
}

using PairTileFn = void (*)(int64_t nb, const uint8_t* w, size_t w_stride, const PairActs* xa, float* y, size_t ldy);

template <int R>
PairTileFn pair_tile_for_cols(int c) {
  switch (c) {
    case 1: return &pair_tile<R, 1>;
    case 2: return &pair_tile<R, 2>;
    case 3: return &pair_tile<R, 3>;
    default: return &pair_tile<R, 4>;
  }
}

inline PairTileFn pick_pair_tile(int r, int c) {
  switch (r) {
    case 1: return pair_tile_for_cols<1>(c);
    case 2: return pair_tile_for_cols<2>(c);
    case 3: return pair_tile_for_cols<3>(c);
    default: return pair_tile_for_cols<4>(c);
  }
}

// y[c * ldy + r] = row_dot(w row r, x row c), r < nr, c < nc <= kCols (the GemmFn contract).
inline void gemm(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq, size_t x_stride, int nc,
                 float* y, size_t ldy) {
  constexpr int kRows = 4;
  const int64_t nb = n / 32;
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* xb = static_cast<const uint8_t*>(xq);
  if ((nb + 1) / 2 > kMaxPairs) {
    for (int64_t r = 0; r < nr; ++r) {
      for (int c = 0; c < nc; ++c) {
        y[static_cast<size_t>(c) * ldy + r] =
            row_dot(n, reinterpret_cast<const BlockQ4_1*>(wb + r * w_stride),
                    reinterpret_cast<const BlockQ8_1*>(xb + static_cast<size_t>(c) * x_stride));
      }
    }
    return;
  }
  alignas(32) PairActs xa[kMaxPairs * kCols];
  relay_acts(nb, xb, x_stride, nc, xa);
  // One activation row (decode): weight rows one at a time — several interleaved row
  // streams per tile ran 1.4x slower when the weights come from DRAM.
  const int rows_per_tile = nc == 1 ? 1 : kRows;
  const PairTileFn full = pick_pair_tile(rows_per_tile, nc);
  int64_t r = 0;
  for (; r + rows_per_tile <= nr; r += rows_per_tile) full(nb, wb + r * w_stride, w_stride, xa, y + r, ldy);
  if (r < nr) pick_pair_tile(static_cast<int>(nr - r), nc)(nb, wb + r * w_stride, w_stride, xa, y + r, ldy);
}

}  // namespace pairs
}  // namespace

float vec_dot_q4_1_pairs(int64_t n, const void* w, const void* xq) {
  return pairs::row_dot(n, static_cast<const BlockQ4_1*>(w), static_cast<const BlockQ8_1*>(xq));
}

void vec_dot_cols_q4_1_pairs(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out) {
  pairs::gemm(n, w, 0, 1, xq, stride, nc, out, 1);
}

void gemm_q4_1_pairs(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq, size_t x_stride, int nc,
                     float* y, size_t ldy) {
  pairs::gemm(n, w, w_stride, nr, xq, x_stride, nc, y, ldy);
}

}  // namespace skim::kernels::avx512
