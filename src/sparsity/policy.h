// policy.h — a calibrated sparsity method ready to run: its config plus the repacked
// weights its kernels read. Built once at engine load from the model's weight views; the
// model's single-token decode path consults it (prefill stays dense).
//   TEAL: every projection reads its input sparsely -> Wᵀ of q, k, v, o, gate, up, down.
//   CATS: gate dense, up by output rows (standard layout), down by active neurons -> Wᵀ of down.
//   Deja Vu: MLP as CATS (predicted neurons' gate/up rows; Wᵀ of down); heads: q by output
//            rows, o by the kept heads' input channels -> Wᵀ of o.
// Wᵀ copies are exact Q4_1 int8 tiles where the source is Q4_1 (no requantization), else Q8_0.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "core/result.h"
#include "kernels/transposed.h"
#include "sparsity/config.h"
#include "tensor/tensor_view.h"

namespace skim {

// The matrices of one transformer layer, as the model binds them ([out, in] views).
struct LayerMatrices {
  TensorView wq, wk, wv, wo, w_gate, w_up, w_down;
};

struct SparseLayer {
  kernels::TransposedMatrix q, k, v, o, gate, up, down;  // empty when the method does not need it
};

class SparsityPolicy {
 public:
  static Result<std::unique_ptr<SparsityPolicy>> build(SparsityConfig cfg, std::span<const LayerMatrices> layers);

  const SparsityConfig& config() const { return cfg_; }
  SparsityMethod method() const { return cfg_.method; }
  const SparseLayer& layer(int32_t l) const { return layers_[static_cast<size_t>(l)]; }
  float threshold(int32_t l, SparsitySite s) const { return cfg_.threshold(l, s); }
  size_t repacked_bytes() const { return repacked_bytes_; }

 private:
  SparsityConfig cfg_;
  std::vector<SparseLayer> layers_;
  size_t repacked_bytes_ = 0;
};

// Counters of how much work the sparse path skipped, accumulated per decode step.
struct SparsityStats {
  int64_t kept = 0;   // channels / neurons computed
  int64_t total = 0;  // channels / neurons that a dense step computes
  double sparsity() const { return total > 0 ? 1.0 - static_cast<double>(kept) / static_cast<double>(total) : 0.0; }
};

}  // namespace skim
