// legacy_quants.cpp — AVX-512 VNNI dot products for the default model's weight types:
// Q4_1 . Q8_1 (all projections) and Q8_0 . Q8_0 (token embeddings / tied output).
//
// The AVX2 scheme (one 32-element block per 256-bit register, int32 block sums converted
// once and scaled by d_w*d_x) with vpdpbusd (AVX512-VNNI on 256-bit registers) replacing
// the maddubs + madd pair. On Zen 4 this beat a 512-bit two-blocks-per-register variant:
// 512-bit ops are double-pumped there, and the per-block fp16 scales (interleaved with the
// quants, 20/34/36-byte blocks) cost more shuffles when two blocks share a register.
// Q4_1 also adds m_w*s_x per block. Integer parts are exact, so results match ref/ up to
// float summation order. vec_dot_cols unpacks each weight block once for up to 4 rows.
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

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// ---- Q4_1 . Q8_1 ---------------------------------------------------------------------------

struct Q4_1Weights {
  __m256i q;     // nibbles as bytes: low nibbles (elements 0..15), then high (16..31)
  uint32_t dm;   // fp16 d and m, as stored
};

inline Q4_1Weights q4_1_weights(const BlockQ4_1& b) {
  // Broadcast-load the 16 bytes to both halves, shift the upper half by 4, mask.
  const __m256i q = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs)));
  return {_mm256_and_si256(_mm256_srlv_epi64(q, _mm256_setr_epi64x(0, 0, 4, 4)), _mm256_set1_epi8(0x0F)),
          load_u32(&b)};
}

struct AccQ4_1 {
  __m256 sum = _mm256_setzero_ps();
  __m128 ms = _mm_setzero_ps();  // lane 1 accumulates m_w * s_x
};

inline void q4_1_block(const Q4_1Weights& w, const BlockQ8_1& x, AccQ4_1& acc) {
  // [d_w, m_w, d_x, s_x] in one conversion, then [d_w*d_x, m_w*s_x].
  const __m128 f = _mm_cvtph_ps(_mm_insert_epi32(_mm_cvtsi32_si128(static_cast<int>(w.dm)), static_cast<int>(load_u32(&x)), 1));
  const __m128 p = _mm_mul_ps(f, _mm_movehl_ps(f, f));
  acc.ms = _mm_add_ps(acc.ms, p);
  const __m256i dot = _mm256_dpbusd_epi32(_mm256_setzero_si256(), w.q, load256(x.qs));
  acc.sum = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_broadcastss_ps(p), acc.sum);
}

inline float finish(const AccQ4_1& a) { return hsum(a.sum) + _mm_cvtss_f32(_mm_shuffle_ps(a.ms, a.ms, 1)); }

template <int NC>
void q4_1_cols(int64_t n, const BlockQ4_1* w, const uint8_t* xq, size_t stride, float* out) {
  AccQ4_1 acc[NC];
  for (int64_t i = 0; i < n / 32; ++i) {
    const Q4_1Weights wq = q4_1_weights(w[i]);
    for (int c = 0; c < NC; ++c) {
      q4_1_block(wq, reinterpret_cast<const BlockQ8_1*>(xq + static_cast<size_t>(c) * stride)[i], acc[c]);
    }
  }
  for (int c = 0; c < NC; ++c) out[c] = finish(acc[c]);
}
// One row = the one-column tile: one accumulator in block order, as ggml sums.
float q4_1_row(int64_t n, const BlockQ4_1* w, const BlockQ8_1* x) {
  float o;
  q4_1_cols<1>(n, w, reinterpret_cast<const uint8_t*>(x), 0, &o);
  return o;
}

// ---- Q8_0 . Q8_0 ---------------------------------------------------------------------------

struct Q8_0Weights {
  __m256i q;    // the signed weights (also the sign source for x)
  __m256i abs;  // |w| as unsigned bytes
  float d;
};

inline Q8_0Weights q8_0_weights(const BlockQ8_0& b) {
  const __m256i q = load256(b.qs);
  return {q, _mm256_sign_epi8(q, q), _cvtsh_ss(load_u16(&b))};
}

// sum w*x = vpdpbusd(|w|, sign(x, w)) per 4 bytes.
inline void q8_0_block(const Q8_0Weights& w, const BlockQ8_0& x, __m256& acc) {
  const __m256i dot = _mm256_dpbusd_epi32(_mm256_setzero_si256(), w.abs, _mm256_sign_epi8(load256(x.qs), w.q));
  acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(w.d * _cvtsh_ss(load_u16(&x))), acc);
}

template <int NC>
void q8_0_cols(int64_t n, const BlockQ8_0* w, const uint8_t* xq, size_t stride, float* out) {
  __m256 acc[NC];
  for (int c = 0; c < NC; ++c) acc[c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / 32; ++i) {
    const Q8_0Weights wq = q8_0_weights(w[i]);
    for (int c = 0; c < NC; ++c) {
      q8_0_block(wq, reinterpret_cast<const BlockQ8_0*>(xq + static_cast<size_t>(c) * stride)[i], acc[c]);
    }
  }
  for (int c = 0; c < NC; ++c) out[c] = hsum(acc[c]);
}
float q8_0_row(int64_t n, const BlockQ8_0* w, const BlockQ8_0* x) {
  float o;
  q8_0_cols<1>(n, w, reinterpret_cast<const uint8_t*>(x), 0, &o);
  return o;
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
