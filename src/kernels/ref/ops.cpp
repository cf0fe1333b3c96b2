// ops.cpp (ref) — the scalar oracle of kernels/ops.h: llama.cpp's CPU arithmetic (AVX-512
// build) for RMSNorm, RoPE, SwiGLU, softmax and attention, emulated one lane at a time.
// Every SIMD version must reproduce these results bit for bit. This file is compiled
// without ISA flags, so std::fma is a libm call and nothing is contracted.
#include <algorithm>
#include <bit>
#include <cmath>

#include "core/fp16.h"
#include "kernels/ref/ops_ref.h"

namespace skim::kernels::ref::ops {

namespace {

constexpr int kLanes = kOpsLanes;        // floats per AVX-512 register
constexpr int kGroups = kOpsVecGroups;   // accumulator registers of ggml_vec_dot_f16

// Sum of 16 lanes in the order of _mm512_reduce_add_ps: halves, quarters, then pairs.
float reduce16(const float* v) {
  float a[8], b[4];
  for (int i = 0; i < 8; ++i) a[i] = v[i + 8] + v[i];
  for (int i = 0; i < 4; ++i) b[i] = a[i + 4] + a[i];
  return (b[0] + b[2]) + (b[1] + b[3]);
}

float round_to_f16(float x) { return fp16_to_fp32(fp32_to_fp16(x)); }

// Dot products of fp16-valued vectors (each product is exact in float, so a fused and an
// unfused multiply-add give the same sum) in the two orders llama.cpp's f16 matmul uses.
// tinyBLAS (llamafile sgemm, batches of >= 2 rows; n % 16 == 0): one 16-lane accumulator.
float dot_f16_tinyblas(const float* a, const float* b, int32_t n) {
  float acc[kLanes] = {};
  for (int32_t i = 0; i < n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) acc[l] += a[i + l] * b[i + l];
  }
  return reduce16(acc);
}
// ggml_vec_dot_f16 (single rows): four 16-lane accumulators over steps of 64, reduced
// pairwise, then the remainder added in double.
float dot_f16_vec(const float* a, const float* b, int32_t n) {
  float acc[kGroups][kLanes] = {};
  const int32_t np = n & ~(kGroups * kLanes - 1);
  for (int32_t i = 0; i < np; i += kGroups * kLanes) {
    for (int g = 0; g < kGroups; ++g) {
      for (int l = 0; l < kLanes; ++l) acc[g][l] += a[i + g * kLanes + l] * b[i + g * kLanes + l];
    }
  }
  for (int l = 0; l < kLanes; ++l) {
    acc[0][l] += acc[2][l];
    acc[1][l] += acc[3][l];
    acc[0][l] += acc[1][l];
  }
  double sum = reduce16(acc[0]);
  for (int32_t i = np; i < n; ++i) sum += static_cast<double>(a[i] * b[i]);
  return static_cast<float>(sum);
}

// Angles theta_i = freq_scale * (pos * theta_scale^i), the power advanced iteratively in
// float; the rotation is contracted to one fma per output as GCC compiles ggml's rope.
template <class Pair>
void rope_apply(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
                float freq_scale, Pair pair_index) {
  float cos_t[kOpsMaxHeadDim / 2], sin_t[kOpsMaxHeadDim / 2];
  rope_angles(n_rot, pos, base, freq_scale, cos_t, sin_t);
  for (int32_t h = 0; h < n_heads; ++h) {
    float* xh = x + static_cast<size_t>(h) * head_dim;
    for (int32_t i = 0; i < n_rot / 2; ++i) {
      auto [a, b] = pair_index(i, n_rot);
      const float x0 = xh[a], x1 = xh[b];
      xh[a] = std::fma(x0, cos_t[i], -(x1 * sin_t[i]));
      xh[b] = std::fma(x0, sin_t[i], x1 * cos_t[i]);
    }
  }
}

}  // namespace

// ggml_v_expf (ggml-cpu/vec.h, AVX-512 variant) evaluated one lane at a time: llama.cpp's
// softmax and SiLU use this polynomial, not libm's expf. fnmadd(a, b, c) == fma(-a, b, c).
float ggml_expf(float x) {
  const float r = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, r);
  const float n = z - r;
  if (std::fabs(n) > 192.0f) return n <= 0.0f ? 0.0f : INFINITY;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const float u = b * b;
  const float p_hi =
      std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f));
  const float j = std::fma(p_hi, u, std::fma(0x1.ffffecp-1f, b, 1.0f));
  // _mm512_scalef_ps(j, n) = j * 2^n rounded once; a multiplication when 2^n is a normal float.
  const int e = static_cast<int>(n);
  if (e >= -126 && e <= 127) return j * std::bit_cast<float>(static_cast<uint32_t>(e + 127) << 23);
  return std::ldexp(j, e);
}

void rope_angles(int32_t n_rot, int32_t pos, float base, float freq_scale, float* cos_t, float* sin_t) {
  const float theta_scale = std::pow(base, -2.0f / static_cast<float>(n_rot));
  float theta = static_cast<float>(pos);
  for (int32_t i = 0; i < n_rot / 2; ++i) {
    cos_t[i] = std::cos(freq_scale * theta);
    sin_t[i] = std::sin(freq_scale * theta);
    theta *= theta_scale;
  }
}

void rms_norm(const float* x, const float* w, float* out, int32_t n, int32_t rows, float eps) {
  for (int32_t r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * n;
    float* yr = out + static_cast<size_t>(r) * n;
    double sum = 0.0;
    for (int32_t i = 0; i < n; ++i) sum += static_cast<double>(xr[i] * xr[i]);
    const float mean = static_cast<float>(sum / n);
    const float scale = 1.0f / std::sqrt(mean + eps);
    for (int32_t i = 0; i < n; ++i) yr[i] = xr[i] * scale * w[i];
  }
}

void rope_norm(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
               float freq_scale) {
  rope_apply(x, n_heads, head_dim, n_rot, pos, base, freq_scale,
             [](int32_t i, int32_t) { return std::pair<int32_t, int32_t>{2 * i, 2 * i + 1}; });
}

void rope_neox(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
               float freq_scale) {
  rope_apply(x, n_heads, head_dim, n_rot, pos, base, freq_scale,
             [](int32_t i, int32_t nr) { return std::pair<int32_t, int32_t>{i, i + nr / 2}; });
}

void swiglu(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + ggml_expf(-g)) * up[i];
  }
}

void softmax_f16(float* x, int32_t n) {
  float mx = -INFINITY;
  for (int32_t j = 0; j < n; ++j) mx = std::max(mx, x[j]);
  // ggml_vec_soft_max_f32: exp per 16-lane chunk (llama.cpp pads the keys with masked
  // -inf scores, i.e. zeros here), chunk sums added in double.
  double sum = 0.0;
  for (int32_t j0 = 0; j0 < n; j0 += kLanes) {
    float chunk[kLanes];
    for (int l = 0; l < kLanes; ++l) chunk[l] = j0 + l < n ? ggml_expf(x[j0 + l] - mx) : 0.0f;
    for (int l = 0; l < kLanes && j0 + l < n; ++l) x[j0 + l] = chunk[l];
    sum += reduce16(chunk);
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int32_t j = 0; j < n; ++j) x[j] = round_to_f16(x[j] * inv);
}

void attn_scores(const float* q, const uint16_t* k, size_t kv_stride, int32_t head_dim, int32_t n_keys, float scale,
                 F16DotOrder order, float* out) {
  float kf[kOpsMaxHeadDim];
  for (int32_t j = 0; j < n_keys; ++j) {
    const uint16_t* kj = k + static_cast<size_t>(j) * kv_stride;
    for (int32_t d = 0; d < head_dim; ++d) kf[d] = fp16_to_fp32(kj[d]);
    const float dot = order == F16DotOrder::kTinyBlas ? dot_f16_tinyblas(kf, q, head_dim)
                                                      : dot_f16_vec(kf, q, head_dim);
    out[j] = dot * scale;
  }
}

void attn_mix(const float* p, const uint16_t* v, size_t kv_stride, int32_t head_dim, int32_t n_keys,
              F16DotOrder order, float* out, float* scratch) {
  const int32_t hd = head_dim;
  // Weighted sum of V in the lane order of the f16 dot product over the keys: key j goes
  // to lane j % 16 of accumulator (j / 16) % 4 (tinyBLAS has one accumulator).
  const int n_acc = order == F16DotOrder::kTinyBlas ? 1 : kGroups;
  float* acc = scratch;  // [n_acc * 16][hd]
  std::fill(acc, acc + static_cast<size_t>(n_acc) * kLanes * hd, 0.0f);
  for (int32_t j = 0; j < n_keys; ++j) {
    const uint16_t* vj = v + static_cast<size_t>(j) * kv_stride;
    float* a = acc + static_cast<size_t>((j / kLanes) % n_acc * kLanes + j % kLanes) * hd;
    const float pj = p[j];
    for (int32_t d = 0; d < hd; ++d) a[d] += pj * fp16_to_fp32(vj[d]);
  }
  auto row = [&](int g, int l) { return acc + static_cast<size_t>(g * kLanes + l) * hd; };
  if (n_acc == kGroups) {
    for (int l = 0; l < kLanes; ++l) {
      float *a0 = row(0, l), *a1 = row(1, l), *a2 = row(2, l), *a3 = row(3, l);
      for (int32_t d = 0; d < hd; ++d) {
        a0[d] += a2[d];
        a1[d] += a3[d];
        a0[d] += a1[d];
      }
    }
  }
  // reduce16 over the lanes, for all hd outputs at once
  for (int l = 0; l < 8; ++l) {
    float *dst = row(0, l), *src = row(0, l + 8);
    for (int32_t d = 0; d < hd; ++d) dst[d] = src[d] + dst[d];
  }
  for (int l = 0; l < 4; ++l) {
    float *dst = row(0, l), *src = row(0, l + 4);
    for (int32_t d = 0; d < hd; ++d) dst[d] = src[d] + dst[d];
  }
  const float *b0 = row(0, 0), *b1 = row(0, 1), *b2 = row(0, 2), *b3 = row(0, 3);
  for (int32_t d = 0; d < hd; ++d) out[d] = (b0[d] + b2[d]) + (b1[d] + b3[d]);
}

void attn_head(const AttnJob& job) {
  float* probs = job.scratch;                                   // [pad16(n_keys)]
  float* qh = job.scratch + attn_q_offset(job.n_keys);          // [head_dim]
  float* acc = job.scratch + attn_acc_offset(job.n_keys, job.head_dim);  // [64][head_dim]
  // The query is rounded to f16 like the K cache it is multiplied with.
  for (int32_t d = 0; d < job.head_dim; ++d) qh[d] = round_to_f16(job.q[d]);
  attn_scores(qh, job.k, job.kv_stride, job.head_dim, job.n_keys, job.scale, job.kq_order, probs);
  softmax_f16(probs, job.n_keys);
  attn_mix(probs, job.v, job.kv_stride, job.head_dim, job.n_keys, job.kqv_order, job.out, acc);
}

void f32_to_f16(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = fp32_to_fp16(src[i]);
}

void round_f16(const float* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = round_to_f16(src[i]);
}

}  // namespace skim::kernels::ref::ops
