// calibration.cpp — the ThresholdCalibrator: activation histograms per (layer, site) -> thresholds.
#include "sparsity/calibration.h"

#include <cmath>

namespace skim {

ThresholdCalibrator::ThresholdCalibrator(int32_t n_layer) : n_layer_(n_layer), hist_(static_cast<size_t>(n_layer)) {}

void ThresholdCalibrator::observe(int32_t layer, ActivationSite site, const float* x, int32_t T, int32_t n) {
  auto& h = hist_[static_cast<size_t>(layer)][static_cast<size_t>(site)];
  const int64_t count = static_cast<int64_t>(T) * n;
  if (site == ActivationSite::kGate) {
    // CATS thresholds |silu(gate)|.
    silu_buf_.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) silu_buf_[static_cast<size_t>(i)] = x[i] / (1.0f + std::exp(-x[i]));
    h.add(silu_buf_.data(), count);
  } else {
    h.add(x, count);
  }
  if (layer == 0 && site == ActivationSite::kAttnIn) tokens_ += T;
}

const MagnitudeHistogram& ThresholdCalibrator::histogram(int32_t layer, ActivationSite site) const {
  return hist_[static_cast<size_t>(layer)][static_cast<size_t>(site)];
}

std::vector<std::array<float, kNumSparsitySites>> ThresholdCalibrator::uniform_thresholds(SparsityMethod method,
                                                                                           double target) const {
  std::vector<std::array<float, kNumSparsitySites>> th(static_cast<size_t>(n_layer_));
  for (int32_t l = 0; l < n_layer_; ++l) {
    auto& t = th[static_cast<size_t>(l)];
    t.fill(0.0f);
    const auto& H = hist_[static_cast<size_t>(l)];
    if (method == SparsityMethod::kTeal) {
      t[static_cast<size_t>(SparsitySite::kQkvIn)] = H[static_cast<size_t>(ActivationSite::kAttnIn)].quantile(target);
      t[static_cast<size_t>(SparsitySite::kOIn)] = H[static_cast<size_t>(ActivationSite::kOIn)].quantile(target);
      t[static_cast<size_t>(SparsitySite::kGateUpIn)] = H[static_cast<size_t>(ActivationSite::kMlpIn)].quantile(target);
      t[static_cast<size_t>(SparsitySite::kDownIn)] = H[static_cast<size_t>(ActivationSite::kDownIn)].quantile(target);
    } else if (method == SparsityMethod::kCats) {
      t[static_cast<size_t>(SparsitySite::kDownIn)] = H[static_cast<size_t>(ActivationSite::kGate)].quantile(target);
    }
  }
  return th;
}

}  // namespace skim
