#include "model/layers.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "core/fp16.h"

namespace skim::layers {

namespace {

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

// Sum of 16 lanes in the order of _mm512_reduce_add_ps: halves, quarters, then pairs.
float reduce16(const float* v) {
  float a[8], b[4];
  for (int i = 0; i < 8; ++i) a[i] = v[i + 8] + v[i];
  for (int i = 0; i < 4; ++i) b[i] = a[i + 4] + a[i];
  return (b[0] + b[2]) + (b[1] + b[3]);
}

constexpr int kLanes = 16;  // floats per AVX-512 register
constexpr int kGroups = 4;  // accumulator registers of ggml_vec_dot_f16 (GGML_F16_ARR)

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

}  // namespace

void rms_norm(const float* x, const float* w, float* out, int32_t n, float eps) {
  double sum = 0.0;
  for (int32_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / n);
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int32_t i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

namespace {
// Angles theta_i = freq_scale * (pos * theta_scale^i), the power advanced iteratively in
// float; the rotation is contracted to one fma per output as GCC compiles ggml's rope.
template <class Pair>
void rope_apply(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
                float freq_scale, Pair pair_index) {
  const float theta_scale = std::pow(base, -2.0f / static_cast<float>(n_rot));
  float cos_t[512], sin_t[512];  // n_rot/2 <= 512 (head_dim <= 1024 checked at load)
  float theta = static_cast<float>(pos);
  for (int32_t i = 0; i < n_rot / 2; ++i) {
    cos_t[i] = std::cos(freq_scale * theta);
    sin_t[i] = std::sin(freq_scale * theta);
    theta *= theta_scale;
  }
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

void swiglu(float* gate, const float* up, int32_t n) {
  for (int32_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + ggml_expf(-g)) * up[i];
  }
}

void store_kv_f16(float* dst, const float* src, int32_t n) {
  for (int32_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(fp32_to_fp16(src[i]));
}

void add_inplace(float* x, const float* y, int32_t n) {
  for (int32_t i = 0; i < n; ++i) x[i] += y[i];
}

namespace {
size_t padded_keys(int32_t n_ctx) { return (static_cast<size_t>(n_ctx) + kLanes - 1) / kLanes * kLanes; }
}  // namespace

size_t attention_scratch_floats(int32_t n_ctx, int32_t head_dim) {
  return padded_keys(n_ctx) + static_cast<size_t>(kGroups * kLanes) * head_dim;
}

void attention(ThreadPool& pool, const AttentionShape& s, const float* q, const float* k, const float* v, float* out,
               int32_t T, int32_t pos0, int32_t n_ctx, float* scratch) {
  const int32_t hd = s.head_dim;
  const int32_t q_dim = s.n_head * hd;
  const int32_t kv_dim = s.n_head_kv * hd;
  const int32_t group = s.n_head / s.n_head_kv;
  const size_t per_thread = attention_scratch_floats(n_ctx, hd);
  // llama.cpp multiplies by f16 K/V with tinyBLAS when the batch has >= 2 rows and the
  // shapes allow it (k % 16 == 0, m % 4 == 0), else with ggml_vec_dot_f16 row by row.
  const bool tb_kq = T >= 2 && hd % kLanes == 0;
  const bool tb_kqv = T >= 2 && hd % 4 == 0;
  pool.parallel_for(static_cast<int64_t>(T) * s.n_head, [&](int64_t begin, int64_t end, int ti) {
    float* probs = scratch + static_cast<size_t>(ti) * per_thread;  // [n_ctx rounded up to 16]
    float* acc = probs + padded_keys(n_ctx);                         // [4 * 16][hd]
    float qh[1024];  // head_dim <= 1024 (checked at load)
    for (int64_t job = begin; job < end; ++job) {
      const int32_t t = static_cast<int32_t>(job / s.n_head);
      const int32_t h = static_cast<int32_t>(job % s.n_head);
      const int32_t kvh = h / group;
      const int32_t n_keys = pos0 + t + 1;  // causal: keys 0..pos0+t
      // Scores: the query is rounded to f16 like the K cache it is multiplied with.
      const float* qsrc = q + static_cast<size_t>(t) * q_dim + static_cast<size_t>(h) * hd;
      for (int32_t d = 0; d < hd; ++d) qh[d] = fp16_to_fp32(fp32_to_fp16(qsrc[d]));
      float mx = -INFINITY;
      for (int32_t j = 0; j < n_keys; ++j) {
        const float* kj = k + static_cast<size_t>(j) * kv_dim + static_cast<size_t>(kvh) * hd;
        probs[j] = (tb_kq ? dot_f16_tinyblas(kj, qh, hd) : dot_f16_vec(kj, qh, hd)) * s.scale;
        mx = std::max(mx, probs[j]);
      }
      // Softmax as ggml_vec_soft_max_f32: exp per 16-lane chunk, chunk sums added in double.
      double sum = 0.0;
      for (int32_t j0 = 0; j0 < n_keys; j0 += kLanes) {
        for (int32_t j = j0; j < j0 + kLanes; ++j) probs[j] = j < n_keys ? ggml_expf(probs[j] - mx) : 0.0f;
        sum += reduce16(probs + j0);
      }
      const float inv = static_cast<float>(1.0 / sum);
      for (int32_t j = 0; j < n_keys; ++j) probs[j] = fp16_to_fp32(fp32_to_fp16(probs[j] * inv));
      // Weighted sum of V in the lane order of the f16 dot product over the keys: key j
      // goes to lane j % 16 of accumulator (j / 16) % 4 (tinyBLAS has one accumulator).
      const int n_acc = tb_kqv ? 1 : kGroups;
      std::fill(acc, acc + static_cast<size_t>(n_acc) * kLanes * hd, 0.0f);
      for (int32_t j = 0; j < n_keys; ++j) {
        const float* vj = v + static_cast<size_t>(j) * kv_dim + static_cast<size_t>(kvh) * hd;
        float* a = acc + static_cast<size_t>((j / kLanes) % n_acc * kLanes + j % kLanes) * hd;
        const float p = probs[j];
        for (int32_t d = 0; d < hd; ++d) a[d] += p * vj[d];
      }
      auto row = [&](int g, int l) { return acc + static_cast<size_t>(g * kLanes + l) * hd; };
      if (!tb_kqv) {
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
      float* oh = out + static_cast<size_t>(t) * q_dim + static_cast<size_t>(h) * hd;
      const float *b0 = row(0, 0), *b1 = row(0, 1), *b2 = row(0, 2), *b3 = row(0, 3);
      for (int32_t d = 0; d < hd; ++d) oh[d] = (b0[d] + b2[d]) + (b1[d] + b3[d]);
    }
  });
}

}  // namespace skim::layers
