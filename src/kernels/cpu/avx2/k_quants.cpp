// k_quants.cpp — AVX2 dot products of Q4_K and Q6_K rows with Q8_K activations.
//
// Q4_K: per 64-element chunk, low/high nibbles x activation bytes via maddubs, then madd
// with the sub-block's 6-bit scale (broadcast by a byte shuffle) accumulates exact int32
// sums; the min term is sum_j m[j] * (bsums[2j] + bsums[2j+1]). Q6_K: the 6-bit values are
// rebuilt unsigned (0..63), multiplied by maddubs, scaled per 16 elements by madd with the
// int8 scales; the -32 offset is applied once per super-block as 32 * sum_g sc[g]*bsums[g].
// All integer sums are exact, so results match ref/ up to float summation order.
#include <immintrin.h>

#include "kernels/cpu/avx2/avx2_kernels.h"
#include "kernels/cpu/avx2/simd_util.h"
#include "tensor/quant/q4_k.h"
#include "tensor/quant/q6_k.h"
#include "tensor/quant/q8_k.h"

namespace skim::kernels::avx2 {
namespace {

// Unpacks the 12-byte Q4_K scale field (see quant_util.h) four lanes at a time:
// returns sc[0..7] as int16 in the low 128 bits' 8 lanes and m[0..7] likewise in `mins`.
inline __m128i k4_scales(const uint8_t* s, __m128i* mins) {
  const uint32_t a = load_u32(s), b = load_u32(s + 4), c = load_u32(s + 8);
  const uint32_t sc_lo = a & 0x3F3F3F3Fu;
  const uint32_t m_lo = b & 0x3F3F3F3Fu;
  const uint32_t sc_hi = (c & 0x0F0F0F0Fu) | (((a >> 6) & 0x03030303u) << 4);
  const uint32_t m_hi = ((c >> 4) & 0x0F0F0F0Fu) | (((b >> 6) & 0x03030303u) << 4);
  *mins = _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(m_hi), static_cast<int>(m_lo)));
  return _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(sc_hi), static_cast<int>(sc_lo)));
}

inline const BlockQ8_K* col(const uint8_t* xq, size_t stride, int c) {
  return reinterpret_cast<const BlockQ8_K*>(xq + static_cast<size_t>(c) * stride);
}

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

template <int NC>
void q4_k_cols(int64_t n, const BlockQ4_K* w, const uint8_t* xq, size_t stride, float* out) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256 acc[NC];
  float acc_min[NC];
  for (int c = 0; c < NC; ++c) {
    acc[c] = _mm256_setzero_ps();
    acc_min[c] = 0.0f;
  }
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    __m128i m16;
    const __m256i sc16 = _mm256_broadcastsi128_si256(k4_scales(w[i].scales, &m16));
    __m256i sumi[NC];
    for (int c = 0; c < NC; ++c) sumi[c] = _mm256_setzero_si256();
    for (int ch = 0; ch < 4; ++ch) {
      const __m256i q4 = load256(w[i].qs + 32 * ch);
      const __m256i lo = _mm256_and_si256(q4, m4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q4, 4), m4);
      const __m256i s_lo = _mm256_shuffle_epi8(sc16, _mm256_set1_epi16(static_cast<short>(((4 * ch + 1) << 8) | (4 * ch))));
      const __m256i s_hi = _mm256_shuffle_epi8(sc16, _mm256_set1_epi16(static_cast<short>(((4 * ch + 3) << 8) | (4 * ch + 2))));
      for (int c = 0; c < NC; ++c) {
        const int8_t* y = col(xq, stride, c)[i].qs + 64 * ch;
        const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, load256(y)), s_lo);
        const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, load256(y + 32)), s_hi);
        sumi[c] = _mm256_add_epi32(sumi[c], _mm256_add_epi32(p0, p1));
      }
    }
    const float d = fp16(w[i].d), dmin = fp16(w[i].dmin);
    for (int c = 0; c < NC; ++c) {
      const BlockQ8_K& x = col(xq, stride, c)[i];
      const __m128i bs = _mm_hadd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.bsums)),
                                        _mm_loadu_si128(reinterpret_cast<const __m128i*>(x.bsums + 8)));
      __m128i pm = _mm_madd_epi16(m16, bs);
      pm = _mm_add_epi32(pm, _mm_unpackhi_epi64(pm, pm));
      pm = _mm_add_epi32(pm, _mm_shuffle_epi32(pm, 1));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi[c]), _mm256_set1_ps(d * x.d), acc[c]);
      acc_min[c] += dmin * x.d * static_cast<float>(_mm_cvtsi128_si32(pm));
    }
  }
  for (int c = 0; c < NC; ++c) out[c] = hsum_ps(acc[c]) - acc_min[c];
}

template <int NC>
void q6_k_cols(int64_t n, const BlockQ6_K* w, const uint8_t* xq, size_t stride, float* out) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i m30 = _mm256_set1_epi8(0x30);
  __m256 acc[NC];
  for (int c = 0; c < NC; ++c) acc[c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    __m256i sumi[NC];
    for (int c = 0; c < NC; ++c) sumi[c] = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i ql0 = load256(w[i].ql + 64 * h);
      const __m256i ql1 = load256(w[i].ql + 64 * h + 32);
      const __m256i qh = load256(w[i].qh + 32 * h);
      const __m256i q[4] = {
          _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30)),
          _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), _mm256_and_si256(qh, m30)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4), _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30)),
      };
      // Both lanes: this half's 8 scales as int16.
      const __m256i s16 = _mm256_broadcastsi128_si256(
          _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w[i].scales + 8 * h))));
      for (int k = 0; k < 4; ++k) {
        // Low lane: scale 2k (elements 32k..32k+15), high lane: scale 2k+1.
        const __m256i sk = _mm256_shuffle_epi8(
            s16, _mm256_setr_m128i(_mm_set1_epi16(static_cast<short>(((4 * k + 1) << 8) | (4 * k))),
                                   _mm_set1_epi16(static_cast<short>(((4 * k + 3) << 8) | (4 * k + 2)))));
        for (int c = 0; c < NC; ++c) {
          const int8_t* y = col(xq, stride, c)[i].qs + 128 * h + 32 * k;
          sumi[c] = _mm256_add_epi32(sumi[c], _mm256_madd_epi16(_mm256_maddubs_epi16(q[k], load256(y)), sk));
        }
      }
    }
    const __m256i sc_all = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[i].scales)));
    const float d = fp16(w[i].d);
    for (int c = 0; c < NC; ++c) {
      const BlockQ8_K& x = col(xq, stride, c)[i];
      const __m256i off = _mm256_madd_epi16(sc_all, load256(x.bsums));
      const __m256i total = _mm256_sub_epi32(sumi[c], _mm256_slli_epi32(off, 5));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_set1_ps(d * x.d), acc[c]);
    }
  }
  for (int c = 0; c < NC; ++c) out[c] = hsum_ps(acc[c]);
}

}  // namespace

float vec_dot_q4_k(int64_t n, const void* w, const void* xq) {
  float out;
  q4_k_cols<1>(n, static_cast<const BlockQ4_K*>(w), static_cast<const uint8_t*>(xq), 0, &out);
  return out;
}

float vec_dot_q6_k(int64_t n, const void* w, const void* xq) {
  float out;
  q6_k_cols<1>(n, static_cast<const BlockQ6_K*>(w), static_cast<const uint8_t*>(xq), 0, &out);
  return out;
}

void vec_dot_cols_q4_k(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out) {
  const auto* wb = static_cast<const BlockQ4_K*>(w);
  const auto* x = static_cast<const uint8_t*>(xq);
  switch (nc) {
    case 1: return q4_k_cols<1>(n, wb, x, stride, out);
    case 2: return q4_k_cols<2>(n, wb, x, stride, out);
    case 3: return q4_k_cols<3>(n, wb, x, stride, out);
    default: return q4_k_cols<4>(n, wb, x, stride, out);
  }
}

void vec_dot_cols_q6_k(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out) {
  const auto* wb = static_cast<const BlockQ6_K*>(w);
  const auto* x = static_cast<const uint8_t*>(xq);
  switch (nc) {
    case 1: return q6_k_cols<1>(n, wb, x, stride, out);
    case 2: return q6_k_cols<2>(n, wb, x, stride, out);
    case 3: return q6_k_cols<3>(n, wb, x, stride, out);
    default: return q6_k_cols<4>(n, wb, x, stride, out);
  }
}

}  // namespace skim::kernels::avx2
