// ops.cpp (avx512) — the model ops of kernels/ops.h with AVX-512 F/BW/VL: the very
// instructions ggml's AVX-512 build uses (ggml_v_expf with vscalefps, 16-lane f16 dot
// products, _mm512_reduce_add_ps order), so results are bitwise those of ref/ops.cpp.
// Rules that keep them so: no reassociation (each 16-lane order is kept, only independent
// chains are interleaved) and no contraction of a rounded product into an add: such
// products pass through keep() (GCC contracts _mm512_mul_ps + _mm512_add_ps otherwise).
// Products of two fp16 values are exact in float, so there fused and unfused agree.

// GCC 12 flags its own _mm512_undefined_ps (`__m512 __Y = __Y;`) as uninitialized.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels/cpu/avx512/ops_avx512.h"
#include "kernels/ref/ops_ref.h"

namespace skim::kernels::avx512::ops {

namespace {

using kernels::ref::ops::attn_acc_offset;
using kernels::ref::ops::attn_q_offset;

constexpr int kLanes = kOpsLanes;

// An optimization barrier: the compiler cannot see that v is a product.
inline __m512 keep(__m512 v) {
  asm("" : "+v"(v));
  return v;
}

inline __mmask16 tail_mask(int64_t n) { return n >= kLanes ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1); }

inline __m512 load_f16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
inline __m512 maskz_load_f16(__mmask16 m, const uint16_t* p) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }
inline __m512 round_f16v(__m512 x) { return _mm512_cvtph_ps(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)); }

// ggml_v_expf, AVX-512 variant (ggml-cpu/vec.h), verbatim.
inline __m512 v_expf(__m512 x) {
  const __m512 r = _mm512_set1_ps(0x1.8p23f);
  const __m512 z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), r);
  const __m512 n = _mm512_sub_ps(z, r);
  const __m512 b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f),
                                    _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
  const __mmask16 d = _mm512_cmp_ps_mask(_mm512_abs_ps(n), _mm512_set1_ps(192), _CMP_GT_OQ);
  const __m512 u = _mm512_mul_ps(b, b);
  const __m512 j = _mm512_fmadd_ps(
      _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)), u,
                      _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f))),
      u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0f)));
  const __m512 res = _mm512_scalef_ps(j, n);
  if (_mm512_kortestz(d, d)) return res;
  const __m512 zero = _mm512_setzero_ps();
  const __m512 alt = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(n, zero, _CMP_LE_OQ), _mm512_set1_ps(INFINITY), zero);
  return _mm512_mask_blend_ps(d, res, alt);
}

// _mm512_reduce_add_ps order: halves, quarters, then (b0 + b2) + (b1 + b3).
inline float reduce16(__m512 v) {
  const __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v),
                                 _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  const __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
  return _mm_cvtss_f32(_mm_add_ss(c, _mm_movehdup_ps(c)));
}

// reduce16 of 16 vectors at once: lane k of the result = reduce16(v[k]), with exactly the
// additions of reduce16 (a transposing tree instead of 16 horizontal sums).
inline __m512 reduce16x16(const __m512* v) {
  __m512 s[8], u[4], w[2];
  // a_k[i] = v_k[i] + v_k[i + 8]: s[p] = [a_{2p} | a_{2p+1}]
  for (int p = 0; p < 8; ++p) {
    const __m512 lo = _mm512_shuffle_f32x4(v[2 * p], v[2 * p + 1], _MM_SHUFFLE(1, 0, 1, 0));
    const __m512 hi = _mm512_shuffle_f32x4(v[2 * p], v[2 * p + 1], _MM_SHUFFLE(3, 2, 3, 2));
    s[p] = _mm512_add_ps(lo, hi);
  }
  // b_k[i] = a_k[i] + a_k[i + 4]: u[m] = [b_{4m} | b_{4m+1} | b_{4m+2} | b_{4m+3}]
  for (int m = 0; m < 4; ++m) {
    const __m512 lo = _mm512_shuffle_f32x4(s[2 * m], s[2 * m + 1], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512 hi = _mm512_shuffle_f32x4(s[2 * m], s[2 * m + 1], _MM_SHUFFLE(3, 1, 3, 1));
    u[m] = _mm512_add_ps(lo, hi);
  }
  // c0 = b0 + b2, c1 = b1 + b3: chunk c of w[i] = [c0, c1 of key 8i + c, c0, c1 of key 8i + 4 + c]
  for (int i = 0; i < 2; ++i) {
    const __m512 lo = _mm512_shuffle_ps(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0));
    const __m512 hi = _mm512_shuffle_ps(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2));
    w[i] = _mm512_add_ps(lo, hi);
  }
  // c0 + c1: lane 4c + i holds key c + 4i
  const __m512 lo = _mm512_shuffle_ps(w[0], w[1], _MM_SHUFFLE(2, 0, 2, 0));
  const __m512 hi = _mm512_shuffle_ps(w[0], w[1], _MM_SHUFFLE(3, 1, 3, 1));
  const __m512 r = _mm512_add_ps(lo, hi);
  return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), r);
}

// The 16-lane vector whose reduce16 is the Q.K dot of one key (see ref::dot_f16_*).
// tinyBLAS: one accumulator over head_dim (% 16 == 0).
inline __m512 kq_lanes_tinyblas(const uint16_t* k, const float* q, int32_t hd) {
  __m512 acc = _mm512_mul_ps(load_f16(k), _mm512_loadu_ps(q));
  for (int32_t i = kLanes; i < hd; i += kLanes) acc = _mm512_fmadd_ps(load_f16(k + i), _mm512_loadu_ps(q + i), acc);
  return acc;
}
// ggml_vec_dot_f16: four accumulators over the first np = hd & ~63 elements, (0+2)+(1+3).
inline __m512 kq_lanes_vec(const uint16_t* k, const float* q, int32_t np) {
  if (np == 0) return _mm512_setzero_ps();
  __m512 a[4];
  for (int g = 0; g < 4; ++g) a[g] = _mm512_mul_ps(load_f16(k + g * kLanes), _mm512_loadu_ps(q + g * kLanes));
  for (int32_t i = 4 * kLanes; i < np; i += 4 * kLanes) {
    for (int g = 0; g < 4; ++g) {
      a[g] = _mm512_fmadd_ps(load_f16(k + i + g * kLanes), _mm512_loadu_ps(q + i + g * kLanes), a[g]);
    }
  }
  return _mm512_add_ps(_mm512_add_ps(a[0], a[2]), _mm512_add_ps(a[1], a[3]));
}

// P.V, one 16-dim chunk [d, d + 16) (mask m) of one accumulator group: acc[l] = sum over
// the keys j = g0 + l, g0 + l + R, g0 + l + 2R, ... (in that order) of p[j] * v_j. That is
// lane l of accumulator g0 / 16 of ggml's dot over the keys; the 16 lanes are independent
// chains, so one key of each is issued per step.
template <bool kFull>
inline void mix_group(const float* p, const uint16_t* v, size_t stride, int32_t n_keys, int32_t R, int32_t g0,
                      int32_t d, __mmask16 m, __m512* acc) {
  auto vload = [&](int32_t j) {
    const uint16_t* vj = v + static_cast<size_t>(j) * stride + d;
    return kFull ? load_f16(vj) : maskz_load_f16(m, vj);
  };
  for (int l = 0; l < kLanes; ++l) acc[l] = _mm512_setzero_ps();
  int32_t j0 = g0;
  for (; j0 + kLanes <= n_keys; j0 += R) {
#pragma GCC unroll 16
    for (int l = 0; l < kLanes; ++l) acc[l] = _mm512_fmadd_ps(_mm512_set1_ps(p[j0 + l]), vload(j0 + l), acc[l]);
  }
  if (j0 < n_keys) {
    const int32_t cnt = n_keys - j0;
#pragma GCC unroll 16
    for (int l = 0; l < kLanes; ++l) {
      if (l < cnt) acc[l] = _mm512_fmadd_ps(_mm512_set1_ps(p[j0 + l]), vload(j0 + l), acc[l]);
    }
  }
}

// One 16-dim output chunk of attn_mix: the lane accumulators of each group, then
// (acc0 + acc2) + (acc1 + acc3) per lane (ggml_vec_dot_f16), then reduce16 across lanes.
template <bool kFull>
inline __m512 mix_chunk(const float* p, const uint16_t* v, size_t stride, int32_t n_keys, bool tinyblas, int32_t d,
                        __mmask16 m) {
  __m512 lane[kLanes];
  if (tinyblas) {
    mix_group<kFull>(p, v, stride, n_keys, kLanes, 0, d, m, lane);
  } else {
    __m512 g[4][kLanes];
    for (int i = 0; i < 4; ++i) mix_group<kFull>(p, v, stride, n_keys, 4 * kLanes, i * kLanes, d, m, g[i]);
    for (int l = 0; l < kLanes; ++l) lane[l] = _mm512_add_ps(_mm512_add_ps(g[0][l], g[2][l]), _mm512_add_ps(g[1][l], g[3][l]));
  }
  for (int l = 0; l < 8; ++l) lane[l] = _mm512_add_ps(lane[l + 8], lane[l]);
  for (int l = 0; l < 4; ++l) lane[l] = _mm512_add_ps(lane[l + 4], lane[l]);
  return _mm512_add_ps(_mm512_add_ps(lane[0], lane[2]), _mm512_add_ps(lane[1], lane[3]));
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
      const __m512 scale = _mm512_set1_ps(1.0f / std::sqrt(mean + eps));
      const float* xi = x + static_cast<size_t>(r0 + i) * n;
      float* yi = out + static_cast<size_t>(r0 + i) * n;
      for (int32_t d = 0; d < n; d += kLanes) {
        const __mmask16 m = tail_mask(n - d);
        const __m512 y = _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, xi + d), scale),
                                       _mm512_maskz_loadu_ps(m, w + d));
        _mm512_mask_storeu_ps(yi + d, m, y);
      }
    }
  }
}

void rope_norm(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
               float freq_scale) {
  // Per pair (2i, 2i+1): lane 2i gets fma(x0, c, -(x1 s)), lane 2i+1 gets fma(x0, s, x1 c).
  alignas(64) float cs[kOpsMaxHeadDim], sn[kOpsMaxHeadDim];  // angles duplicated per pair
  {
    float c[kOpsMaxHeadDim / 2], s[kOpsMaxHeadDim / 2];
    kernels::ref::ops::rope_angles(n_rot, pos, base, freq_scale, c, s);
    for (int32_t i = 0; i < n_rot / 2; ++i) {
      cs[2 * i] = cs[2 * i + 1] = c[i];
      sn[2 * i] = sn[2 * i + 1] = s[i];
    }
  }
  const __mmask16 odd = 0xAAAA;
  for (int32_t h = 0; h < n_heads; ++h) {
    float* xh = x + static_cast<size_t>(h) * head_dim;
    for (int32_t d = 0; d < n_rot; d += kLanes) {
      const __mmask16 m = tail_mask(n_rot - d);
      const __m512 xv = _mm512_maskz_loadu_ps(m, xh + d);
      const __m512 xs = _mm512_permute_ps(xv, _MM_SHUFFLE(2, 3, 0, 1));  // partner of each lane
      const __m512 c = _mm512_maskz_loadu_ps(m, cs + d), s = _mm512_maskz_loadu_ps(m, sn + d);
      const __m512 even = _mm512_fmsub_ps(xv, c, keep(_mm512_mul_ps(xs, s)));
      const __m512 oddv = _mm512_fmadd_ps(xs, s, keep(_mm512_mul_ps(xv, c)));
      _mm512_mask_storeu_ps(xh + d, m, _mm512_mask_blend_ps(odd, even, oddv));
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
    for (int32_t i = 0; i < half; i += kLanes) {
      const __mmask16 m = tail_mask(half - i);
      const __m512 x0 = _mm512_maskz_loadu_ps(m, x0p + i), x1 = _mm512_maskz_loadu_ps(m, x1p + i);
      const __m512 cv = _mm512_maskz_loadu_ps(m, c + i), sv = _mm512_maskz_loadu_ps(m, s + i);
      const __m512 y0 = _mm512_fmsub_ps(x0, cv, keep(_mm512_mul_ps(x1, sv)));
      const __m512 y1 = _mm512_fmadd_ps(x0, sv, keep(_mm512_mul_ps(x1, cv)));
      _mm512_mask_storeu_ps(x0p + i, m, y0);
      _mm512_mask_storeu_ps(x1p + i, m, y1);
    }
  }
}

void swiglu(float* gate, const float* up, int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512i sign = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  for (int64_t i = 0; i < n; i += kLanes) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    const __m512 neg = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(g), sign));
    const __m512 silu = _mm512_div_ps(g, _mm512_add_ps(one, v_expf(neg)));
    _mm512_mask_storeu_ps(gate + i, m, _mm512_mul_ps(silu, _mm512_maskz_loadu_ps(m, up + i)));
  }
}

void softmax_f16(float* x, int32_t n) {
  __m512 mv = _mm512_set1_ps(-INFINITY);
  for (int32_t j = 0; j < n; j += kLanes) {
    mv = _mm512_max_ps(mv, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tail_mask(n - j), x + j));
  }
  const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(mv));
  double sum = 0.0;
  for (int32_t j = 0; j < n; j += kLanes) {
    const __mmask16 m = tail_mask(n - j);
    const __m512 e = _mm512_maskz_mov_ps(m, v_expf(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + j), mx)));
    _mm512_mask_storeu_ps(x + j, m, e);
    sum += static_cast<double>(reduce16(e));
  }
  const __m512 inv = _mm512_set1_ps(static_cast<float>(1.0 / sum));
  for (int32_t j = 0; j < n; j += kLanes) {
    const __mmask16 m = tail_mask(n - j);
    _mm512_mask_storeu_ps(x + j, m, round_f16v(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + j), inv)));
  }
}

void attn_scores(const float* q, const uint16_t* k, size_t kv_stride, int32_t head_dim, int32_t n_keys, float scale,
                 F16DotOrder order, float* out) {
  const int32_t hd = head_dim;
  const bool tb = order == F16DotOrder::kTinyBlas;
  const int32_t np = hd & ~(4 * kLanes - 1);  // ggml_vec_dot_f16's SIMD part
  const __m512 sv = _mm512_set1_ps(scale);
  __m512 lanes[kLanes];
  for (int32_t j0 = 0; j0 < n_keys; j0 += kLanes) {
    const int nk = std::min<int32_t>(kLanes, n_keys - j0);
    for (int i = 0; i < nk; ++i) {
      const uint16_t* kj = k + static_cast<size_t>(j0 + i) * kv_stride;
      lanes[i] = tb ? kq_lanes_tinyblas(kj, q, hd) : kq_lanes_vec(kj, q, np);
    }
    for (int i = nk; i < kLanes; ++i) lanes[i] = _mm512_setzero_ps();
    __m512 dots = reduce16x16(lanes);
    if (!tb && np < hd) {  // the remainder of ggml_vec_dot_f16, added in double
      alignas(64) float d[kLanes];
      _mm512_store_ps(d, dots);
      for (int i = 0; i < nk; ++i) {
        const uint16_t* kj = k + static_cast<size_t>(j0 + i) * kv_stride;
        double s = d[i];
        for (int32_t e = np; e < hd; ++e) s += static_cast<double>(_cvtsh_ss(kj[e]) * q[e]);
        d[i] = static_cast<float>(s);
      }
      dots = _mm512_load_ps(d);
    }
    _mm512_mask_storeu_ps(out + j0, tail_mask(nk), keep(_mm512_mul_ps(dots, sv)));
  }
}

void attn_mix(const float* p, const uint16_t* v, size_t kv_stride, int32_t head_dim, int32_t n_keys,
              F16DotOrder order, float* out, float* /*scratch*/) {
  const bool tb = order == F16DotOrder::kTinyBlas;
  for (int32_t d = 0; d < head_dim; d += kLanes) {
    const __mmask16 m = tail_mask(head_dim - d);
    const __m512 o = head_dim - d >= kLanes ? mix_chunk<true>(p, v, kv_stride, n_keys, tb, d, m)
                                            : mix_chunk<false>(p, v, kv_stride, n_keys, tb, d, m);
    _mm512_mask_storeu_ps(out + d, m, o);
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
  for (int64_t i = 0; i < n; i += kLanes) {
    const __mmask16 m = tail_mask(n - i);
    _mm256_mask_storeu_epi16(dst + i, m, _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, src + i), _MM_FROUND_TO_NEAREST_INT));
  }
}

void round_f16(const float* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; i += kLanes) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(dst + i, m, round_f16v(_mm512_maskz_loadu_ps(m, src + i)));
  }
}

}  // namespace skim::kernels::avx512::ops
