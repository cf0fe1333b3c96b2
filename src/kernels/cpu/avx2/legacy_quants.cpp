// legacy_quants.cpp — AVX2 dot products for the 32-element block types against 8-bit
// activations: Q4_0/Q5_0/Q8_0 . Q8_0 and Q4_1 . Q8_1 (Q5_1 uses the scalar reference).
//
// One template does all four. Per block: the weights become 32 bytes (unsigned nibbles for
// Q4_1, signed values for the others), products with the activation bytes are summed to
// eight int32 by maddubs + madd (for signed weights via |w| and sign(x, w)), converted once
// to float and accumulated with the block's d_w * d_x. Q4_1 adds m_w * s_x per block.
// The integer part is exact, so results match ref/ up to float summation order.
// vec_dot_cols unpacks each weight block once for up to 4 activation rows.
#include <immintrin.h>

#include "kernels/cpu/avx2/avx2_kernels.h"
#include "kernels/cpu/avx2/simd_util.h"
#include "tensor/quant/q4_0.h"
#include "tensor/quant/q4_1.h"
#include "tensor/quant/q5_0.h"
#include "tensor/quant/q8_0.h"
#include "tensor/quant/q8_1.h"

namespace skim::kernels::avx2 {
namespace {

// [d, 0, 0, 0] from a block whose first field is an fp16 d.
inline __m128 scale_d(const void* block) {
  uint16_t d;
  std::memcpy(&d, block, 2);
  return _mm_cvtph_ps(_mm_cvtsi32_si128(d));
}
// [d, m, 0, 0] (or [d, s, 0, 0]) from a block starting with two fp16 fields.
inline __m128 scale_dm(const void* block) { return _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(load_u32(block)))); }

struct Q4_0 {
  using W = BlockQ4_0;
  using X = BlockQ8_0;
  static constexpr bool kUnsigned = false, kHasMin = false;
  static __m256i weights(const W& b) { return _mm256_sub_epi8(unpack_nibbles(b.qs), _mm256_set1_epi8(8)); }
  static __m128 wscale(const W& b) { return scale_d(&b); }
  static __m128 xscale(const X& b) { return scale_d(&b); }
};

struct Q4_1 {
  using W = BlockQ4_1;
  using X = BlockQ8_1;
  static constexpr bool kUnsigned = true, kHasMin = true;
  static __m256i weights(const W& b) { return unpack_nibbles(b.qs); }
  static __m128 wscale(const W& b) { return scale_dm(&b); }
  static __m128 xscale(const X& b) { return scale_dm(&b); }
};

struct Q5_0 {
  using W = BlockQ5_0;
  using X = BlockQ8_0;
  static constexpr bool kUnsigned = false, kHasMin = false;
  // nibble | 0xF0 where the fifth bit is clear: the signed byte nibble + 16*bit - 16.
  static __m256i weights(const W& b) {
    const __m256i hi = _mm256_andnot_si256(bits_to_bytes(load_u32(b.qh)), _mm256_set1_epi8(static_cast<char>(0xF0)));
    return _mm256_or_si256(unpack_nibbles(b.qs), hi);
  }
  static __m128 wscale(const W& b) { return scale_d(&b); }
  static __m128 xscale(const X& b) { return scale_d(&b); }
};

struct Q8_0 {
  using W = BlockQ8_0;
  using X = BlockQ8_0;
  static constexpr bool kUnsigned = false, kHasMin = false;
  static __m256i weights(const W& b) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)); }
  static __m128 wscale(const W& b) { return scale_d(&b); }
  static __m128 xscale(const X& b) { return scale_d(&b); }
};

// Accumulators for one activation row: float sums of d_w*d_x*sumi (8 lanes), and of the
// scale products [d_w*d_x, m_w*s_x, ., .] whose lane 1 is the Q4_1 offset term.
struct Acc {
  __m256 sum = _mm256_setzero_ps();
  __m128 ms = _mm_setzero_ps();
};

template <class T>
inline void block_dot(__m256i wq, __m256i wabs, __m128 ws, const typename T::X& x, Acc& acc) {
  const __m128 p = _mm_mul_ps(ws, T::xscale(x));
  if constexpr (T::kHasMin) acc.ms = _mm_add_ps(acc.ms, p);
  const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs));
  __m256i dot;
  if constexpr (T::kUnsigned) {
    dot = dot_u8i8(wq, xv);
  } else {
    dot = _mm256_madd_epi16(_mm256_maddubs_epi16(wabs, _mm256_sign_epi8(xv, wq)), _mm256_set1_epi16(1));
  }
  acc.sum = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_broadcastss_ps(p), acc.sum);
}

template <class T>
inline float finish(const Acc& a) {
  float s = hsum_ps(a.sum);
  if constexpr (T::kHasMin) s += _mm_cvtss_f32(_mm_shuffle_ps(a.ms, a.ms, 1));
  return s;
}

template <class T>
inline void load_weights(const typename T::W& b, __m256i& wq, __m256i& wabs, __m128& ws) {
  wq = T::weights(b);
  if constexpr (!T::kUnsigned) wabs = _mm256_sign_epi8(wq, wq);
  ws = T::wscale(b);
}

// One weight row . one activation row, two blocks per iteration on two accumulators.
template <class T, int NC>
void vec_dot_cols_n(int64_t n, const void* w_row, const uint8_t* xq, size_t stride, float* out) {
  const auto* w = static_cast<const typename T::W*>(w_row);
  const int64_t nb = n / 32;
  Acc acc[NC];
  __m256i wq, wabs = _mm256_setzero_si256();
  __m128 ws;
  for (int64_t i = 0; i < nb; ++i) {
    load_weights<T>(w[i], wq, wabs, ws);
    for (int c = 0; c < NC; ++c) {
      const auto* x = reinterpret_cast<const typename T::X*>(xq + static_cast<size_t>(c) * stride);
      block_dot<T>(wq, wabs, ws, x[i], acc[c]);
    }
  }
  for (int c = 0; c < NC; ++c) out[c] = finish<T>(acc[c]);
}
template <class T>
float vec_dot_row(int64_t n, const void* w_row, const void* xq) {
  // One accumulator in block order, as ggml: a row is the one-column case of the tile.
  float o;
  vec_dot_cols_n<T, 1>(n, w_row, static_cast<const uint8_t*>(xq), 0, &o);
  return o;
}

template <class T>
void vec_dot_cols(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out) {
  const auto* x = static_cast<const uint8_t*>(xq);
  switch (nc) {
    case 1: out[0] = vec_dot_row<T>(n, w, x); return;
    case 2: return vec_dot_cols_n<T, 2>(n, w, x, stride, out);
    case 3: return vec_dot_cols_n<T, 3>(n, w, x, stride, out);
    default: return vec_dot_cols_n<T, 4>(n, w, x, stride, out);
  }
}

}  // namespace

float vec_dot_q4_0(int64_t n, const void* w, const void* xq) { return vec_dot_row<Q4_0>(n, w, xq); }
float vec_dot_q4_1(int64_t n, const void* w, const void* xq) { return vec_dot_row<Q4_1>(n, w, xq); }
float vec_dot_q5_0(int64_t n, const void* w, const void* xq) { return vec_dot_row<Q5_0>(n, w, xq); }
float vec_dot_q8_0(int64_t n, const void* w, const void* xq) { return vec_dot_row<Q8_0>(n, w, xq); }

void vec_dot_cols_q4_0(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out) {
  vec_dot_cols<Q4_0>(n, w, xq, stride, nc, out);
}
void vec_dot_cols_q4_1(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out) {
  vec_dot_cols<Q4_1>(n, w, xq, stride, nc, out);
}
void vec_dot_cols_q5_0(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out) {
  vec_dot_cols<Q5_0>(n, w, xq, stride, nc, out);
}
void vec_dot_cols_q8_0(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out) {
  vec_dot_cols<Q8_0>(n, w, xq, stride, nc, out);
}

}  // namespace skim::kernels::avx2
