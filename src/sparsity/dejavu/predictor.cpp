// predictor.cpp — low-rank scoring and deterministic top-k (radix selection; see predictor.h).
#include "sparsity/dejavu/predictor.h"

#include <algorithm>
#include <array>
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

namespace {
// Order-preserving map of a float to uint32 (larger float -> larger key; -0 < +0).
inline uint32_t order_key(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
inline float from_order_key(uint32_t k) {
  const uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
}  // namespace

int32_t top_k(const float* scores, int32_t n, int32_t k, float* scratch, int32_t* idx_out) {
  k = std::clamp(k, 0, n);
  if (k == 0) return 0;
  // The k-th largest score by radix selection on order keys, 11 + 11 + 10 bits from the
  // top: three counting passes instead of nth_element's data-dependent branches.
  (void)scratch;  // keys are recomputed per pass (cheaper than storing them)
  uint32_t prefix = 0, mask = 0;
  int32_t rank = k;  // 1-based rank from the top among keys matching prefix under mask
  static constexpr int kShift[3] = {21, 10, 0};
  static constexpr int kBits[3] = {11, 11, 10};
  std::array<int32_t, 2048> hist;
  for (int pass = 0; pass < 3; ++pass) {
    const int shift = kShift[pass];
    const uint32_t bins = 1u << kBits[pass];
    std::fill_n(hist.begin(), bins, 0);
    for (int32_t i = 0; i < n; ++i) {
      const uint32_t key = order_key(scores[i]);
      if ((key & mask) == prefix) ++hist[(key >> shift) & (bins - 1)];
    }
    uint32_t b = bins - 1;
    for (;; --b) {
      if (hist[b] >= rank) break;
      rank -= hist[b];
    }
    prefix |= b << shift;
    mask |= (bins - 1) << shift;
  }
  const float t = from_order_key(prefix);  // the k-th largest score
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
