// collect.cpp — the Deja Vu activation collector (see collect.h).
#include "sparsity/dejavu/collect.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/fp16.h"

namespace skim::dejavu {

namespace {
// fp16 without overflow to inf (massive activations stay ordered at the top).
uint16_t to_half(float v) { return fp32_to_fp16(std::clamp(v, -65504.0f, 65504.0f)); }
}  // namespace

Collector::Collector(const CollectDims& dims, int32_t max_rows, int32_t rows_per_chunk, uint64_t seed)
    : dims_(dims), max_rows_(std::max(max_rows, 0)), rows_per_chunk_(std::max(rows_per_chunk, 1)), rng_(seed) {
  for (int s = 0; s < 4; ++s) {
    store_[s].assign(static_cast<size_t>(dims_.n_layer) * static_cast<size_t>(max_rows_) *
                         static_cast<size_t>(width(static_cast<CollectedSite>(s))),
                     0);
  }
}

int32_t Collector::width(CollectedSite site) const {
  switch (site) {
    case CollectedSite::kAttnIn:
    case CollectedSite::kMlpIn: return dims_.n_embd;
    case CollectedSite::kNeuron: return dims_.n_ff;
    case CollectedSite::kHeadNorm: return dims_.n_head;
  }
  return 0;
}

size_t Collector::bytes() const {
  size_t b = 0;
  for (const auto& s : store_) b += s.size() * sizeof(uint16_t);
  return b;
}

uint16_t* Collector::row_ptr(int32_t layer, CollectedSite site, int32_t row) {
  const size_t w = static_cast<size_t>(width(site));
  return store_[static_cast<int>(site)].data() +
         (static_cast<size_t>(layer) * static_cast<size_t>(max_rows_) + static_cast<size_t>(row)) * w;
}

void Collector::begin_chunk(int32_t T) {
  chunk_rows_.clear();
  const int32_t want = std::min({rows_per_chunk_, T, max_rows_ - rows_done_});
  if (want <= 0) return;
  std::vector<int32_t> pos(static_cast<size_t>(T));  // [T] candidate positions
  std::iota(pos.begin(), pos.end(), 0);
  // Partial Fisher-Yates: the first `want` entries are a uniform sample.
  for (int32_t i = 0; i < want; ++i) {
    std::uniform_int_distribution<int32_t> pick(i, T - 1);
    std::swap(pos[static_cast<size_t>(i)], pos[static_cast<size_t>(pick(rng_))]);
  }
  chunk_rows_.assign(pos.begin(), pos.begin() + want);
  std::sort(chunk_rows_.begin(), chunk_rows_.end());
}

void Collector::end_chunk() {
  rows_done_ += static_cast<int32_t>(chunk_rows_.size());
  chunk_rows_.clear();
}

void Collector::observe(int32_t layer, ActivationSite site, const float* x, int32_t T, int32_t n) {
  if (chunk_rows_.empty() || layer < 0 || layer >= dims_.n_layer) return;
  CollectedSite dst;
  int32_t expect = 0;
  switch (site) {
    case ActivationSite::kAttnIn: dst = CollectedSite::kAttnIn; expect = dims_.n_embd; break;
    case ActivationSite::kMlpIn: dst = CollectedSite::kMlpIn; expect = dims_.n_embd; break;
    case ActivationSite::kDownIn: dst = CollectedSite::kNeuron; expect = dims_.n_ff; break;
    case ActivationSite::kOIn: dst = CollectedSite::kHeadNorm; expect = dims_.n_head * dims_.head_dim; break;
    default: return;  // kGate: silu(gate)*up arrives whole at kDownIn
  }
  if (n != expect || chunk_rows_.back() >= T) {
    if (error_.empty()) {
      error_ = fmt::format("dejavu collector: layer {} site {} has {} x {}, expected width {}", layer,
                           static_cast<int>(site), T, n, expect);
    }
    return;
  }
  for (size_t i = 0; i < chunk_rows_.size(); ++i) {
    const float* src = x + static_cast<size_t>(chunk_rows_[i]) * static_cast<size_t>(n);  // [n]
    uint16_t* out = row_ptr(layer, dst, rows_done_ + static_cast<int32_t>(i));
    if (dst == CollectedSite::kHeadNorm) {
      for (int32_t h = 0; h < dims_.n_head; ++h) {
        double ss = 0.0;
        const float* v = src + static_cast<size_t>(h) * static_cast<size_t>(dims_.head_dim);  // [head_dim]
        for (int32_t c = 0; c < dims_.head_dim; ++c) ss += static_cast<double>(v[c]) * v[c];
        out[h] = to_half(static_cast<float>(std::sqrt(ss)));
      }
    } else if (dst == CollectedSite::kNeuron) {
      for (int32_t c = 0; c < n; ++c) out[c] = to_half(std::fabs(src[c]));
    } else {
      for (int32_t c = 0; c < n; ++c) out[c] = to_half(src[c]);
    }
  }
}

void Collector::layer_f32(int32_t layer, CollectedSite site, std::vector<float>& out) const {
  const size_t w = static_cast<size_t>(width(site));
  const size_t n = static_cast<size_t>(rows_done_) * w;
  out.resize(n);
  const uint16_t* src = store_[static_cast<int>(site)].data() + static_cast<size_t>(layer) * static_cast<size_t>(max_rows_) * w;
  for (size_t i = 0; i < n; ++i) out[i] = fp16_to_fp32(src[i]);
}

}  // namespace skim::dejavu
