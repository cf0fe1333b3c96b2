// legacy_quants.cpp — AVX-512 VNNI dot products for the default model's weight types:
// Q4_1 . Q8_1 (all projections) and Q8_0 . Q8_0 (token embeddings / tied output).
//
// Two 32-element blocks fill one 512-bit register. Q4_1: the two 16-byte nibble fields are
// spread to [lo(b0), hi(b0), lo(b1), hi(b1)] (qword permute + per-qword variable shift),
// matching two 32-byte Q8_1 blocks side by side, and one vpdpbusd (unsigned x signed) gives
// 8 int32 partial sums per block. Q8_0: vpdpbusd(|w|, x negated where w < 0). Per block
// the int32 sums are converted once and multiplied by d_w*d_x (Q4_1 also adds m_w*s_x).
// The integer part is exact, so results match ref/ up to float summation order.
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/avx512/avx512_kernels.h"
#include "tensor/quant/q4_1.h"
#include "tensor/quant/q8_0.h"
#include "tensor/quant/q8_1.h"

namespace skim::kernels::avx512 {
namespace {

inline uint32_t load_u32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint16_t load_u16(const void* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

inline float hsum512(__m512 v) { return _mm512_reduce_add_ps(v); }

// Two 32-byte activation fields side by side.
inline __m512i pair512(const int8_t* q0, const int8_t* q1) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(load256(q0)), load256(q1), 1);
}

// Broadcast lane a of v to the low 8 floats and lane b to the high 8.
inline __m512 spread2(__m128 v, int a, int b) {
  const __m512i idx = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi32(a)), _mm256_set1_epi32(b), 1);
  return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(v));
}

// ---- Q4_1 . Q8_1 ---------------------------------------------------------------------------

// Nibbles of blocks w[0], w[1] as bytes [lo(w0) | hi(w0) | lo(w1) | hi(w1)].
inline __m512i q4_1_pair(const BlockQ4_1* w) {
  const __m256i two = _mm256_inserti128_si256(_mm256_castsi128_si256(load128(w[0].qs)), load128(w[1].qs), 1);
  const __m512i dup = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 1, 0, 1, 2, 3, 2, 3), _mm512_castsi256_si512(two));
  return _mm512_and_si512(_mm512_srlv_epi64(dup, _mm512_setr_epi64(0, 0, 4, 4, 0, 0, 4, 4)), _mm512_set1_epi8(0x0F));
}

// [d0, m0, d1, m1] (or [d0, s0, d1, s1]) from two blocks that start with two fp16 fields.
inline __m128 fp16x2_pair(const void* b0, const void* b1) {
  return _mm_cvtph_ps(_mm_unpacklo_epi32(_mm_cvtsi32_si128(static_cast<int>(load_u32(b0))),
                                         _mm_cvtsi32_si128(static_cast<int>(load_u32(b1)))));
}

struct AccQ4_1 {
  __m512 sum = _mm512_setzero_ps();
  __m128 ms = _mm_setzero_ps();  // lanes 1 and 3 accumulate m_w * s_x
};

inline void q4_1_pair_dot(__m512i wz, __m128 wdm, const BlockQ8_1* x, AccQ4_1& acc) {
  const __m128 p = _mm_mul_ps(wdm, fp16x2_pair(&x[0], &x[1]));
  acc.ms = _mm_add_ps(acc.ms, p);
  const __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wz, pair512(x[0].qs, x[1].qs));
  acc.sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), spread2(p, 0, 2), acc.sum);
}

inline int hsum256_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
  return _mm_cvtsi128_si32(s);
}

// A single block (odd tail) with 256-bit VNNI: (d_w*d_x) * sumi + m_w*s_x.
inline float q4_1_single(const BlockQ4_1& w, const BlockQ8_1& x) {
  const __m128i q = load128(w.qs);
  const __m256i wq = _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1),
                                      _mm256_set1_epi8(0x0F));
  const int sumi = hsum256_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), wq, load256(x.qs)));
  const __m128 p = _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(load_u32(&w)))),
                              _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(load_u32(&x)))));
  return _mm_cvtss_f32(p) * static_cast<float>(sumi) + _mm_cvtss_f32(_mm_shuffle_ps(p, p, 1));
}

inline float finish(const AccQ4_1& a) {
  const __m128 ms = _mm_add_ps(a.ms, _mm_movehl_ps(a.ms, a.ms));  // lane 1 += lane 3
  return hsum512(a.sum) + _mm_cvtss_f32(_mm_shuffle_ps(ms, ms, 1));
}

float q4_1_row(int64_t n, const BlockQ4_1* w, const BlockQ8_1* x) {
  const int64_t nb = n / 32;
  AccQ4_1 a0, a1;
  int64_t i = 0;
  for (; i + 3 < nb; i += 4) {
    q4_1_pair_dot(q4_1_pair(w + i), fp16x2_pair(&w[i], &w[i + 1]), x + i, a0);
    q4_1_pair_dot(q4_1_pair(w + i + 2), fp16x2_pair(&w[i + 2], &w[i + 3]), x + i + 2, a1);
  }
  for (; i + 1 < nb; i += 2) q4_1_pair_dot(q4_1_pair(w + i), fp16x2_pair(&w[i], &w[i + 1]), x + i, a0);
  float s = finish(a0) + finish(a1);
  if (i < nb) s += q4_1_single(w[i], x[i]);
  return s;
}

template <int NC>
void q4_1_cols(int64_t n, const BlockQ4_1* w, const uint8_t* xq, size_t stride, float* out) {
  const int64_t nb = n / 32;
  AccQ4_1 acc[NC];
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    const __m512i wz = q4_1_pair(w + i);
    const __m128 wdm = fp16x2_pair(&w[i], &w[i + 1]);
    for (int c = 0; c < NC; ++c) {
      const auto* x = reinterpret_cast<const BlockQ8_1*>(xq + static_cast<size_t>(c) * stride);
      q4_1_pair_dot(wz, wdm, x + i, acc[c]);
    }
  }
  for (int c = 0; c < NC; ++c) {
    out[c] = finish(acc[c]);
    if (i < nb) out[c] += q4_1_single(w[i], reinterpret_cast<const BlockQ8_1*>(xq + static_cast<size_t>(c) * stride)[i]);
  }
}

// ---- Q8_0 . Q8_0 ---------------------------------------------------------------------------

// [d(a0), d(a1), d(b0), d(b1)] as floats from four blocks starting with an fp16 d.
inline __m128 fp16x4(const void* a0, const void* a1, const void* b0, const void* b1) {
  const __m128i h = _mm_setr_epi16(static_cast<short>(load_u16(a0)), static_cast<short>(load_u16(a1)),
                                   static_cast<short>(load_u16(b0)), static_cast<short>(load_u16(b1)), 0, 0, 0, 0);
  return _mm_cvtph_ps(h);
}

struct WQ8 {
  __m512i abs;      // |w| as unsigned bytes
  __mmask64 neg;    // bytes where w < 0
};

inline WQ8 q8_0_pair(const BlockQ8_0* w) {
  const __m512i wz = pair512(w[0].qs, w[1].qs);
  return {_mm512_abs_epi8(wz), _mm512_movepi8_mask(wz)};
}

// int32 sums of w*x for two blocks: vpdpbusd(|w|, x negated where w < 0).
inline __m512i q8_0_pair_dot(const WQ8& wp, const BlockQ8_0* x) {
  const __m512i xz = pair512(x[0].qs, x[1].qs);
  const __m512i sx = _mm512_mask_sub_epi8(xz, wp.neg, _mm512_setzero_si512(), xz);
  return _mm512_dpbusd_epi32(_mm512_setzero_si512(), wp.abs, sx);
}

inline float q8_0_single(const BlockQ8_0& w, const BlockQ8_0& x) {
  const __m256i wv = load256(w.qs);
  const __m256i xv = load256(x.qs);
  const __m256i sx = _mm256_mask_sub_epi8(xv, _mm256_movepi8_mask(wv), _mm256_setzero_si256(), xv);
  const __m256i dot = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(wv), sx);
  return static_cast<float>(hsum256_epi32(dot)) * (_cvtsh_ss(load_u16(&w)) * _cvtsh_ss(load_u16(&x)));
}

float q8_0_row(int64_t n, const BlockQ8_0* w, const BlockQ8_0* x) {
  const int64_t nb = n / 32;
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 3 < nb; i += 4) {
    const __m128 d01 = fp16x4(&w[i], &w[i + 1], &x[i], &x[i + 1]);
    const __m128 d23 = fp16x4(&w[i + 2], &w[i + 3], &x[i + 2], &x[i + 3]);
    const __m128 p01 = _mm_mul_ps(d01, _mm_movehl_ps(d01, d01));  // [dw0*dx0, dw1*dx1, ...]
    const __m128 p23 = _mm_mul_ps(d23, _mm_movehl_ps(d23, d23));
    a0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(q8_0_pair_dot(q8_0_pair(w + i), x + i)), spread2(p01, 0, 1), a0);
    a1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(q8_0_pair_dot(q8_0_pair(w + i + 2), x + i + 2)), spread2(p23, 0, 1), a1);
  }
  for (; i + 1 < nb; i += 2) {
    const __m128 d01 = fp16x4(&w[i], &w[i + 1], &x[i], &x[i + 1]);
    const __m128 p01 = _mm_mul_ps(d01, _mm_movehl_ps(d01, d01));
    a0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(q8_0_pair_dot(q8_0_pair(w + i), x + i)), spread2(p01, 0, 1), a0);
  }
  float s = hsum512(_mm512_add_ps(a0, a1));
  if (i < nb) s += q8_0_single(w[i], x[i]);
  return s;
}

template <int NC>
void q8_0_cols(int64_t n, const BlockQ8_0* w, const uint8_t* xq, size_t stride, float* out) {
  const int64_t nb = n / 32;
  __m512 acc[NC];
  for (int c = 0; c < NC; ++c) acc[c] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    const WQ8 wp = q8_0_pair(w + i);
    for (int c = 0; c < NC; ++c) {
      const auto* x = reinterpret_cast<const BlockQ8_0*>(xq + static_cast<size_t>(c) * stride) + i;
      const __m128 d = fp16x4(&w[i], &w[i + 1], &x[0], &x[1]);
      const __m128 p = _mm_mul_ps(d, _mm_movehl_ps(d, d));
      acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(q8_0_pair_dot(wp, x)), spread2(p, 0, 1), acc[c]);
    }
  }
  for (int c = 0; c < NC; ++c) {
    out[c] = hsum512(acc[c]);
    if (i < nb) out[c] += q8_0_single(w[i], reinterpret_cast<const BlockQ8_0*>(xq + static_cast<size_t>(c) * stride)[i]);
  }
}

}  // namespace

float vec_dot_q4_1(int64_t n, const void* w, const void* xq) {
  return q4_1_row(n, static_cast<const BlockQ4_1*>(w), static_cast<const BlockQ8_1*>(xq));
}

float vec_dot_q8_0(int64_t n, const void* w, const void* xq) {
  return q8_0_row(n, static_cast<const BlockQ8_0*>(w), static_cast<const BlockQ8_0*>(xq));
}

void vec_dot_cols_q4_1(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out) {
  const auto* wb = static_cast<const BlockQ4_1*>(w);
  const auto* x = static_cast<const uint8_t*>(xq);
  switch (nc) {
    case 1: out[0] = q4_1_row(n, wb, reinterpret_cast<const BlockQ8_1*>(x)); return;
    case 2: return q4_1_cols<2>(n, wb, x, stride, out);
    case 3: return q4_1_cols<3>(n, wb, x, stride, out);
    default: return q4_1_cols<4>(n, wb, x, stride, out);
  }
}

void vec_dot_cols_q8_0(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out) {
  const auto* wb = static_cast<const BlockQ8_0*>(w);
  const auto* x = static_cast<const uint8_t*>(xq);
  switch (nc) {
    case 1: out[0] = q8_0_row(n, wb, reinterpret_cast<const BlockQ8_0*>(x)); return;
    case 2: return q8_0_cols<2>(n, wb, x, stride, out);
    case 3: return q8_0_cols<3>(n, wb, x, stride, out);
    default: return q8_0_cols<4>(n, wb, x, stride, out);
  }
}

}  // namespace skim::kernels::avx512
