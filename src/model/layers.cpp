#include "model/layers.h"

#include <algorithm>
#include <cmath>

#include "core/fp16.h"

namespace skim::layers {

void rms_norm(const float* x, const float* w, float* out, int32_t n, float eps) {
  double sum = 0.0;
  for (int32_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float mean = static_cast<float>(sum / n);
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int32_t i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

namespace {
// Angles theta_i = pos * freq_scale * base^(-2i/n_rot), advanced iteratively in float.
template <class Pair>
void rope_apply(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
                float freq_scale, Pair pair_index) {
  const float theta_scale = std::pow(base, -2.0f / static_cast<float>(n_rot));
  float cos_t[512], sin_t[512];  // n_rot/2 <= 512 (head_dim <= 1024 checked at load)
  float theta = static_cast<float>(pos) * freq_scale;
  for (int32_t i = 0; i < n_rot / 2; ++i) {
    cos_t[i] = std::cos(theta);
    sin_t[i] = std::sin(theta);
    theta *= theta_scale;
  }
  for (int32_t h = 0; h < n_heads; ++h) {
    float* xh = x + static_cast<size_t>(h) * head_dim;
    for (int32_t i = 0; i < n_rot / 2; ++i) {
      auto [a, b] = pair_index(i, n_rot);
      const float x0 = xh[a], x1 = xh[b];
      xh[a] = x0 * cos_t[i] - x1 * sin_t[i];
      xh[b] = x0 * sin_t[i] + x1 * cos_t[i];
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
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void store_kv_f16(float* dst, const float* src, int32_t n) {
  for (int32_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(fp32_to_fp16(src[i]));
}

void add_inplace(float* x, const float* y, int32_t n) {
  for (int32_t i = 0; i < n; ++i) x[i] += y[i];
}

void attention(ThreadPool& pool, const AttentionShape& s, const float* q, const float* k, const float* v, float* out,
               int32_t T, int32_t pos0, float* scratch) {
  const int32_t hd = s.head_dim;
  const int32_t q_dim = s.n_head * hd;
  const int32_t kv_dim = s.n_head_kv * hd;
  const int32_t group = s.n_head / s.n_head_kv;
  const int32_t n_keys_max = pos0 + T;
  pool.parallel_for(static_cast<int64_t>(T) * s.n_head, [&](int64_t begin, int64_t end, int ti) {
    float* scores = scratch + static_cast<size_t>(ti) * n_keys_max;
    float qh16[1024];  // head_dim <= 1024 (checked at load)
    for (int64_t job = begin; job < end; ++job) {
      const int32_t t = static_cast<int32_t>(job / s.n_head);
      const int32_t h = static_cast<int32_t>(job % s.n_head);
      const int32_t kvh = h / group;
      const int32_t n_keys = pos0 + t + 1;  // causal: keys 0..pos0+t
      const float* qsrc = q + static_cast<size_t>(t) * q_dim + static_cast<size_t>(h) * hd;
      for (int32_t d = 0; d < hd; ++d) qh16[d] = fp16_to_fp32(fp32_to_fp16(qsrc[d]));
      const float* qh = qh16;
      float mx = -INFINITY;
      for (int32_t j = 0; j < n_keys; ++j) {
        const float* kj = k + static_cast<size_t>(j) * kv_dim + static_cast<size_t>(kvh) * hd;
        float dot = 0.0f;
        for (int32_t d = 0; d < hd; ++d) dot += qh[d] * kj[d];
        scores[j] = dot * s.scale;
        mx = std::max(mx, scores[j]);
      }
      double sum = 0.0;
      for (int32_t j = 0; j < n_keys; ++j) {
        scores[j] = std::exp(scores[j] - mx);
        sum += scores[j];
      }
      const float inv = static_cast<float>(1.0 / sum);
      float* oh = out + static_cast<size_t>(t) * q_dim + static_cast<size_t>(h) * hd;
      std::fill(oh, oh + hd, 0.0f);
      for (int32_t j = 0; j < n_keys; ++j) {
        const float* vj = v + static_cast<size_t>(j) * kv_dim + static_cast<size_t>(kvh) * hd;
        const float p = fp16_to_fp32(fp32_to_fp16(scores[j] * inv));
        for (int32_t d = 0; d < hd; ++d) oh[d] += p * vj[d];
      }
    }
  });
}

}  // namespace skim::layers
