// ops.cpp (avx2) — the model ops of kernels/ops.h with AVX2/FMA/F16C, bitwise equal to
// ref/ops.cpp (i.e. to ggml's AVX-512 build). Each 16-lane vector of the reference orders
// is a pair of 8-lane halves (lo = lanes 0..7, hi = lanes 8..15); _mm512_scalef_ps is
// emulated exactly by two multiplications (see v_expf). Rules as in avx512/ops.cpp: no
// reassociation, and rounded products that feed an add pass through keep() so GCC cannot
// contract them into an fma (products of two fp16 values are exact, so those may fuse).
// Partial vectors go through zero-padded 8-lane buffers; all ops are lane-wise there.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu/avx2/ops_avx2.h"
#include "kernels/ref/ops_ref.h"

namespace skim::kernels::avx2::ops {

namespace {

using kernels::ref::ops::attn_acc_offset;
using kernels::ref::ops::attn_q_offset;

constexpr int kLanes = kOpsLanes;  // lanes of the reference orders
constexpr int kW = 8;              // floats per AVX2 register

// An optimization barrier: the compiler cannot see that v is a product.
inline __m256 keep(__m256 v) {
  asm("" : "+x"(v));
  return v;
}

// All-ones in the first n (< 8 or more) lanes.
inline __m256i lane_mask(int64_t n) {
  const int m = static_cast<int>(std::min<int64_t>(n, kW));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(m), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline __m256 load_n(const float* p, int64_t n) {
  return n >= kW ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lane_mask(n));
}
inline void store_n(float* p, int64_t n, __m256 v) {
  if (n >= kW) {
    _mm256_storeu_ps(p, v);
  } else {
    _mm256_maskstore_ps(p, lane_mask(n), v);
  }
}
inline __m256 load_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
inline __m256 load_f16_n(const uint16_t* p, int64_t n) {
  if (n >= kW) return load_f16(p);
  uint16_t t[kW] = {};
  std::memcpy(t, p, static_cast<size_t>(std::max<int64_t>(n, 0)) * sizeof(uint16_t));
  return load_f16(t);
}
inline __m256 round_f16v(__m256 x) { return _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)); }

// ggml_v_expf, AVX-512 variant, on 8 lanes. _mm512_scalef_ps(j, n) = j * 2^n rounded once
// is (j * 2^e1) * s2 with e1 = n (+100 below -126, -100 above 127) and s2 = 1 (2^-100,
// 2^100): for |n| <= 192 the first product is exact (normal), the second rounds once.
inline __m256 v_expf(__m256 x) {
  const __m256 r = _mm256_set1_ps(0x1.8p23f);
  const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), r);
  const __m256 n = _mm256_sub_ps(z, r);
  const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                    _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
  const __m256 u = _mm256_mul_ps(b, b);
  const __m256 j = _mm256_fmadd_ps(
      _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                      _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
      u, _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_cvtps_epi32(n);  // n is integral (else replaced below, or NaN)
  const __m256i lo = _mm256_cmpgt_epi32(_mm256_set1_epi32(-126), e);
  const __m256i hi = _mm256_cmpgt_epi32(e, _mm256_set1_epi32(127));
  const __m256i hundred = _mm256_set1_epi32(100);
  const __m256i e1 = _mm256_sub_epi32(_mm256_add_epi32(e, _mm256_and_si256(lo, hundred)), _mm256_and_si256(hi, hundred));
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e1, _mm256_set1_epi32(127)), 23));
  const __m256 s2 = _mm256_blendv_ps(_mm256_blendv_ps(_mm256_set1_ps(1.0f), _mm256_set1_ps(0x1p-100f), _mm256_castsi256_ps(lo)),
                                     _mm256_set1_ps(0x1p100f), _mm256_castsi256_ps(hi));
  const __m256 res = keep(_mm256_mul_ps(keep(_mm256_mul_ps(j, s1)), s2));
  const __m256 absn = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
  const __m256 d = _mm256_cmp_ps(absn, _mm256_set1_ps(192.0f), _CMP_GT_OQ);
  if (_mm256_movemask_ps(d) == 0) return res;
  const __m256 le = _mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ);
  const __m256 alt = _mm256_blendv_ps(_mm256_set1_ps(INFINITY), _mm256_setzero_ps(), le);
  return _mm256_blendv_ps(res, alt, d);
}

// hsum of 8 lanes as the second half of _mm512_reduce_add_ps: quarters, then pairs.
inline float hsum8(__m256 a) {
  const __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
  return _mm_cvtss_f32(_mm_add_ss(c, _mm_movehdup_ps(c)));
}
// reduce16 of the 16 lanes (lo, hi).
inline float reduce16(__m256 lo, __m256 hi) { return hsum8(_mm256_add_ps(lo, hi)); }

// hsum8 of 8 vectors at once (a[k] = lo_k + hi_k already formed): lane k = hsum8(a[k]).
inline __m256 hsum8x8(const __m256* a) {
  __m256 s[4], w[2];
  for (int p = 0; p < 4; ++p) {  // b_k[i] = a_k[i] + a_k[i + 4]: s[p] = [b_{2p} | b_{2p+1}]
    s[p] = _mm256_add_ps(_mm256_permute2f128_ps(a[2 * p], a[2 * p + 1], 0x20),
                         _mm256_permute2f128_ps(a[2 * p], a[2 * p + 1], 0x31));
  }
  for (int i = 0; i < 2; ++i) {  // chunk c of w[i] = [c0, c1 of key 4i + c, c0, c1 of key 4i + 2 + c]
    w[i] = _mm256_add_ps(_mm256_shuffle_ps(s[2 * i], s[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm256_shuffle_ps(s[2 * i], s[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  }
  // c0 + c1: lane 4c + i holds key c + 2i
  const __m256 r = _mm256_add_ps(_mm256_shuffle_ps(w[0], w[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm256_shuffle_ps(w[0], w[1], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm256_permutevar8x32_ps(r, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// lo + hi of the 16-lane vector whose reduce16 is the Q.K dot of one key (ref::dot_f16_*).
inline __m256 kq_lanes_tinyblas(const uint16_t* k, const float* q, int32_t hd) {
  __m256 lo = _mm256_mul_ps(load_f16(k), _mm256_loadu_ps(q));
  __m256 hi = _mm256_mul_ps(load_f16(k + kW), _mm256_loadu_ps(q + kW));
  for (int32_t i = kLanes; i < hd; i += kLanes) {
    lo = _mm256_fmadd_ps(load_f16(k + i), _mm256_loadu_ps(q + i), lo);
    hi = _mm256_fmadd_ps(load_f16(k + i + kW), _mm256_loadu_ps(q + i + kW), hi);
  }
  return _mm256_add_ps(lo, hi);
}
inline __m256 kq_lanes_vec(const uint16_t* k, const float* q, int32_t np) {
  if (np == 0) return _mm256_setzero_ps();
  __m256 a[8];  // accumulator g, half h at a[2g + h]
  for (int i = 0; i < 8; ++i) a[i] = _mm256_mul_ps(load_f16(k + i * kW), _mm256_loadu_ps(q + i * kW));
  for (int32_t s = 4 * kLanes; s < np; s += 4 * kLanes) {
    for (int i = 0; i < 8; ++i) a[i] = _mm256_fmadd_ps(load_f16(k + s + i * kW), _mm256_loadu_ps(q + s + i * kW), a[i]);
  }
  const __m256 lo = _mm256_add_ps(_mm256_add_ps(a[0], a[4]), _mm256_add_ps(a[2], a[6]));
  const __m256 hi = _mm256_add_ps(_mm256_add_ps(a[1], a[5]), _mm256_add_ps(a[3], a[7]));
  return _mm256_add_ps(lo, hi);
}

// P.V, one 8-dim chunk [d, d + n) of lanes [h0, h0 + 8) of one accumulator group:
// acc[i] = sum over the keys j = g0 + h0 + i + mR (m = 0, 1, ..., in that order) of
// p[j] * v_j, i.e. lane h0 + i of accumulator g0 / 16 of ggml's dot over the keys. The 8
// lanes are independent chains, so one key of each is issued per step.
template <bool kFull>
inline void mix_half(const float* p, const uint16_t* v, size_t stride, int32_t n_keys, int32_t R, int32_t first,
                     int32_t d, int32_t n, __m256* acc) {
  auto vload = [&](int32_t j) {
    const uint16_t* vj = v + static_cast<size_t>(j) * stride + d;
    return kFull ? load_f16(vj) : load_f16_n(vj, n);
  };
  for (int i = 0; i < kW; ++i) acc[i] = _mm256_setzero_ps();
  int32_t j0 = first;
  for (; j0 + kW <= n_keys; j0 += R) {
#pragma GCC unroll 8
    for (int i = 0; i < kW; ++i) acc[i] = _mm256_fmadd_ps(_mm256_set1_ps(p[j0 + i]), vload(j0 + i), acc[i]);
  }
  if (j0 < n_keys) {
    const int32_t cnt = n_keys - j0;
#pragma GCC unroll 8
    for (int i = 0; i < kW; ++i) {
      if (i < cnt) acc[i] = _mm256_fmadd_ps(_mm256_set1_ps(p[j0 + i]), vload(j0 + i), acc[i]);
    }
  }
}

// One 8-dim output chunk of attn_mix: the 16 lane accumulators of each group, then
// (acc0 + acc2) + (acc1 + acc3) per lane (ggml_vec_dot_f16), then reduce16 across lanes.
template <bool kFull>
inline __m256 mix_chunk(const float* p, const uint16_t* v, size_t stride, int32_t n_keys, bool tinyblas, int32_t d,
                        int32_t n) {
  __m256 lane[kLanes];
  if (tinyblas) {
    for (int h = 0; h < 2; ++h) mix_half<kFull>(p, v, stride, n_keys, kLanes, h * kW, d, n, lane + h * kW);
  } else {
    __m256 g[4][kLanes];
    for (int i = 0; i < 4; ++i) {
      for (int h = 0; h < 2; ++h) {
        mix_half<kFull>(p, v, stride, n_keys, 4 * kLanes, i * kLanes + h * kW, d, n, g[i] + h * kW);
      }
    }
    for (int l = 0; l < kLanes; ++l) lane[l] = _mm256_add_ps(_mm256_add_ps(g[0][l], g[2][l]), _mm256_add_ps(g[1][l], g[3][l]));
  }
  for (int l = 0; l < 8; ++l) lane[l] = _mm256_add_ps(lane[l + 8], lane[l]);
  for (int l = 0; l < 4; ++l) lane[l] = _mm256_add_ps(lane[l + 4], lane[l]);
  return _mm256_add_ps(_mm256_add_ps(lane[0], lane[2]), _mm256_add_ps(lane[1], lane[3]));
}

}  // namespace

void rms_norm(const float* x, const float* w, float* out, int32_t n, int32_t rows, float eps) {
  // Sequential double sums (4 rows interleaved to hide the add latency), then two scalings.
  for (int32_t r0 = 0; r0 < rows; r0 += 4) {
    const int nr = std::min<int32_t>(4, rows - r0);
    const float* xr[4];
    for (int i = 0; i < 4; ++i) xr[i] = x + static_cast<size_t>(r0 + std::min(i, nr - 1)) * n;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (int32_t i = 0; i < n; ++i) {
      s0 += static_cast<double>(xr[0][i] * xr[0][i]);
      s1 += static_cast<double>(xr[1][i] * xr[1][i]);
      s2 += static_cast<double>(xr[2][i] * xr[2][i]);
      s3 += static_cast<double>(xr[3][i] * xr[3][i]);
    }
    const double sums[4] = {s0, s1, s2, s3};
    for (int i = 0; i < nr; ++i) {
      const float mean = static_cast<float>(sums[i] / n);
      const __m256 scale = _mm256_set1_ps(1.0f / std::sqrt(mean + eps));
      const float* xi = x + static_cast<size_t>(r0 + i) * n;
      float* yi = out + static_cast<size_t>(r0 + i) * n;
      for (int32_t d = 0; d < n; d += kW) {
        store_n(yi + d, n - d, _mm256_mul_ps(_mm256_mul_ps(load_n(xi + d, n - d), scale), load_n(w + d, n - d)));
      }
    }
  }
}

void rope_norm(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
               float freq_scale) {
  // Per pair (2i, 2i+1): lane 2i gets fma(x0, c, -(x1 s)), lane 2i+1 gets fma(x0, s, x1 c).
  alignas(32) float cs[kOpsMaxHeadDim], sn[kOpsMaxHeadDim];  // angles duplicated per pair
  {
    float c[kOpsMaxHeadDim / 2], s[kOpsMaxHeadDim / 2];
    kernels::ref::ops::rope_angles(n_rot, pos, base, freq_scale, c, s);
    for (int32_t i = 0; i < n_rot / 2; ++i) {
      cs[2 * i] = cs[2 * i + 1] = c[i];
      sn[2 * i] = sn[2 * i + 1] = s[i];
    }
  }
  for (int32_t h = 0; h < n_heads; ++h) {
    float* xh = x + static_cast<size_t>(h) * head_dim;
    for (int32_t d = 0; d < n_rot; d += kW) {
      const int32_t m = n_rot - d;
      const __m256 xv = load_n(xh + d, m);
      const __m256 xs = _mm256_permute_ps(xv, _MM_SHUFFLE(2, 3, 0, 1));  // partner of each lane
      const __m256 c = load_n(cs + d, m), s = load_n(sn + d, m);
      const __m256 even = _mm256_fmsub_ps(xv, c, keep(_mm256_mul_ps(xs, s)));
      const __m256 odd = _mm256_fmadd_ps(xs, s, keep(_mm256_mul_ps(xv, c)));
      store_n(xh + d, m, _mm256_blend_ps(even, odd, 0xAA));
    }
  }
}

void rope_neox(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
               float freq_scale) {
  float c[kOpsMaxHeadDim / 2], s[kOpsMaxHeadDim / 2];
  kernels::ref::ops::rope_angles(n_rot, pos, base, freq_scale, c, s);
  const int32_t half = n_rot / 2;
  for (int32_t h = 0; h < n_heads; ++h) {
    float* x0p = x + static_cast<size_t>(h) * head_dim;
    float* x1p = x0p + half;
    for (int32_t i = 0; i < half; i += kW) {
      const int32_t m = half - i;
      const __m256 x0 = load_n(x0p + i, m), x1 = load_n(x1p + i, m);
      const __m256 cv = load_n(c + i, m), sv = load_n(s + i, m);
      const __m256 y0 = _mm256_fmsub_ps(x0, cv, keep(_mm256_mul_ps(x1, sv)));
      const __m256 y1 = _mm256_fmadd_ps(x0, sv, keep(_mm256_mul_ps(x1, cv)));
      store_n(x0p + i, m, y0);
      store_n(x1p + i, m, y1);
    }
  }
}

void swiglu(float* gate, const float* up, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
  for (int64_t i = 0; i < n; i += kW) {
    const __m256 g = load_n(gate + i, n - i);
    const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(one, v_expf(_mm256_xor_ps(g, sign))));
    store_n(gate + i, n - i, _mm256_mul_ps(silu, load_n(up + i, n - i)));
  }
}

void softmax_f16(float* x, int32_t n) {
  const __m256 ninf = _mm256_set1_ps(-INFINITY);
  __m256 mv = ninf;
  for (int32_t j = 0; j < n; j += kW) {
    const __m256 valid = _mm256_castsi256_ps(lane_mask(n - j));
    mv = _mm256_max_ps(mv, _mm256_blendv_ps(ninf, load_n(x + j, n - j), valid));
  }
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
  const __m256 mx = _mm256_set1_ps(_mm_cvtss_f32(m4));
  double sum = 0.0;
  for (int32_t j = 0; j < n; j += kLanes) {
    __m256 e[2];
    for (int h = 0; h < 2; ++h) {
      const int32_t m = n - j - h * kW;
      const __m256 valid = _mm256_castsi256_ps(lane_mask(m));
      e[h] = _mm256_and_ps(valid, v_expf(_mm256_sub_ps(load_n(x + j + h * kW, m), mx)));
      if (m > 0) store_n(x + j + h * kW, m, e[h]);
    }
    sum += static_cast<double>(reduce16(e[0], e[1]));
  }
  const __m256 inv = _mm256_set1_ps(static_cast<float>(1.0 / sum));
  for (int32_t j = 0; j < n; j += kW) {
    store_n(x + j, n - j, round_f16v(_mm256_mul_ps(load_n(x + j, n - j), inv)));
  }
}

void attn_scores(const float* q, const uint16_t* k, size_t kv_stride, int32_t head_dim, int32_t n_keys, float scale,
                 F16DotOrder order, float* out) {
  const int32_t hd = head_dim;
  const bool tb = order == F16DotOrder::kTinyBlas;
  const int32_t np = hd & ~(4 * kLanes - 1);  // ggml_vec_dot_f16's SIMD part
  const __m256 sv = _mm256_set1_ps(scale);
  __m256 lanes[kW];
  for (int32_t j0 = 0; j0 < n_keys; j0 += kW) {
    const int nk = std::min<int32_t>(kW, n_keys - j0);
    for (int i = 0; i < nk; ++i) {
      const uint16_t* kj = k + static_cast<size_t>(j0 + i) * kv_stride;
      lanes[i] = tb ? kq_lanes_tinyblas(kj, q, hd) : kq_lanes_vec(kj, q, np);
    }
    for (int i = nk; i < kW; ++i) lanes[i] = _mm256_setzero_ps();
    __m256 dots = hsum8x8(lanes);
    if (!tb && np < hd) {  // the remainder of ggml_vec_dot_f16, added in double
      alignas(32) float d[kW];
      _mm256_store_ps(d, dots);
      for (int i = 0; i < nk; ++i) {
        const uint16_t* kj = k + static_cast<size_t>(j0 + i) * kv_stride;
        double s = d[i];
        for (int32_t e = np; e < hd; ++e) s += static_cast<double>(_cvtsh_ss(kj[e]) * q[e]);
        d[i] = static_cast<float>(s);
      }
      dots = _mm256_load_ps(d);
    }
    store_n(out + j0, nk, keep(_mm256_mul_ps(dots, sv)));
  }
}

void attn_mix(const float* p, const uint16_t* v, size_t kv_stride, int32_t head_dim, int32_t n_keys,
              F16DotOrder order, float* out, float* /*scratch*/) {
  const bool tb = order == F16DotOrder::kTinyBlas;
  for (int32_t d = 0; d < head_dim; d += kW) {
    const int32_t n = head_dim - d;
    const __m256 o = n >= kW ? mix_chunk<true>(p, v, kv_stride, n_keys, tb, d, n)
                             : mix_chunk<false>(p, v, kv_stride, n_keys, tb, d, n);
    store_n(out + d, n, o);
  }
}

void attn_head(const AttnJob& job) {
  float* probs = job.scratch;
  float* qh = job.scratch + attn_q_offset(job.n_keys);
  float* acc = job.scratch + attn_acc_offset(job.n_keys, job.head_dim);
  round_f16(job.q, qh, job.head_dim);
  attn_scores(qh, job.k, job.kv_stride, job.head_dim, job.n_keys, job.scale, job.kq_order, probs);
  softmax_f16(probs, job.n_keys);
  attn_mix(probs, job.v, job.kv_stride, job.head_dim, job.n_keys, job.kqv_order, job.out, acc);
}

void f32_to_f16(const float* src, uint16_t* dst, int64_t n) {
  int64_t i = 0;
  for (; i + kW <= n; i += kW) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
  }
  if (i < n) {
    alignas(16) uint16_t t[kW];
    _mm_store_si128(reinterpret_cast<__m128i*>(t), _mm256_cvtps_ph(load_n(src + i, n - i), _MM_FROUND_TO_NEAREST_INT));
    std::memcpy(dst + i, t, static_cast<size_t>(n - i) * sizeof(uint16_t));
  }
}

void round_f16(const float* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; i += kW) store_n(dst + i, n - i, round_f16v(load_n(src + i, n - i)));
}

}  // namespace skim::kernels::avx2::ops
