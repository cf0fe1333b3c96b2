// calibration.h — threshold calibration for magnitude-based sparsity (TEAL, CATS):
// collect |activation| histograms per (layer, site) from the dense model on calibration
// text, then pick per-layer thresholds that zero a target fraction of entries.
//   TEAL: thresholds on |x| at the inputs of q/k/v, o, gate/up and down.
//   CATS: a threshold on |silu(gate)| (stored at the kDownIn slot).
// Uniform allocation gives every layer and site the target sparsity.
#pragma once

#include <array>
#include <vector>

#include "sparsity/config.h"
#include "sparsity/histogram.h"
#include "sparsity/observer.h"

namespace skim {

class ThresholdCalibrator final : public ActivationObserver {
 public:
  explicit ThresholdCalibrator(int32_t n_layer);
  void observe(int32_t layer, ActivationSite site, const float* x, int32_t T, int32_t n) override;

  // Thresholds for `method` at `target` sparsity, uniform over layers and sites.
  std::vector<std::array<float, kNumSparsitySites>> uniform_thresholds(SparsityMethod method, double target) const;
  const MagnitudeHistogram& histogram(int32_t layer, ActivationSite site) const;
  int64_t tokens_seen() const { return tokens_; }

 private:
  int32_t n_layer_;
  int64_t tokens_ = 0;
  // [n_layer][kNumActivationSites]; the kGate histogram holds |silu(gate)| (CATS).
  std::vector<std::array<MagnitudeHistogram, kNumActivationSites>> hist_;
  std::vector<float> silu_buf_;
};

}  // namespace skim
