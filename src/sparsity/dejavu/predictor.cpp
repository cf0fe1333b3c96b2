// predictor.cpp — low-rank scoring and deterministic top-k (see predictor.h).
#include "sparsity/dejavu/predictor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "core/check.h"

namespace skim::dejavu {

int32_t keep_count(float keep, int32_t n) {
  const auto k = static_cast<int32_t>(std::lround(static_cast<double>(keep) * n));
  return std::clamp(k, 1, n);
}

void predict_scores(const kernels::KernelTable& kt, const LowRankPredictor& p, const float* x, float* hidden,
                    float* scores) {
  const size_t n_in = static_cast<size_t>(p.n_in), n_out = static_cast<size_t>(p.n_out);
  for (int32_t j = 0; j < p.rank; ++j) hidden[j] = kt.dot_f32(p.a.data() + static_cast<size_t>(j) * n_in, x, p.n_in);
  std::memcpy(scores, p.bias.data(), n_out * sizeof(float));
  for (int32_t j = 0; j < p.rank; ++j) kt.axpy_f32(hidden[j], p.bt.data() + static_cast<size_t>(j) * n_out, scores, p.n_out);
}

int32_t top_k(const float* scores, int32_t n, int32_t k, float* scratch, int32_t* idx_out) {
  k = std::clamp(k, 0, n);
  if (k == 0) return 0;
  std::copy_n(scores, n, scratch);
  std::nth_element(scratch, scratch + (k - 1), scratch + n, std::greater<float>());
  const float t = scratch[k - 1];  // the k-th largest score
  int32_t above = 0;
  for (int32_t i = 0; i < n; ++i) above += scores[i] > t;
  int32_t ties = k - above;  // scores equal to t that are kept: the lowest indices
  int32_t m = 0;
  for (int32_t i = 0; i < n; ++i) {
    if (scores[i] > t || (scores[i] == t && ties-- > 0)) idx_out[m++] = i;
  }
  return m;
}

namespace {
int32_t select(const kernels::KernelTable& kt, const LowRankPredictor& p, const float* x, int32_t k,
               std::span<float> scratch, int32_t* idx_out) {
  SKIM_CHECK(scratch.size() >= scratch_floats(p));
  float* hidden = scratch.data();
  float* scores = scratch.data() + p.rank;
  predict_scores(kt, p, x, hidden, scores);
  return top_k(scores, p.n_out, std::clamp(k, 1, p.n_out), scores + p.n_out, idx_out);
}
}  // namespace

int32_t select_neurons(const kernels::KernelTable& kt, const LowRankPredictor& p, const float* x, int32_t k,
                       std::span<float> scratch, int32_t* idx_out) {
  return select(kt, p, x, k, scratch, idx_out);
}

int32_t select_heads(const kernels::KernelTable& kt, const LowRankPredictor& p, const float* x, int32_t k,
                     std::span<float> scratch, int32_t* heads_out) {
  return select(kt, p, x, k, scratch, heads_out);
}

int32_t head_channels(std::span<const int32_t> heads, int32_t head_dim, int32_t* out) {
  int32_t n = 0;
  for (int32_t h : heads) {
    for (int32_t c = 0; c < head_dim; ++c) out[n++] = h * head_dim + c;
  }
  return n;
}

}  // namespace skim::dejavu
