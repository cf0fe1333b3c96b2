// histogram.cpp — log-spaced magnitude histograms with quantile lookup for threshold calibration.
#include "sparsity/histogram.h"

#include <cmath>

namespace skim {

namespace {
constexpr double kLo = 1e-8;
constexpr double kHi = 1e4;
constexpr int kBins = 8192;  // log-spaced between kLo and kHi; bin 0 is [0, kLo)
const double kLogSpan = std::log(kHi / kLo);
}  // namespace

MagnitudeHistogram::MagnitudeHistogram() : bins_(kBins + 2, 0) {}

int MagnitudeHistogram::bin_of(float a) {
  if (!(a >= kLo)) return 0;  // includes 0 and NaN
  if (a >= kHi) return kBins + 1;
  int b = 1 + static_cast<int>(std::log(a / kLo) / kLogSpan * kBins);
  return b > kBins ? kBins : b;
}

float MagnitudeHistogram::upper_edge(int bin) {
  if (bin == 0) return static_cast<float>(kLo);
  if (bin > kBins) return INFINITY;
  return static_cast<float>(kLo * std::exp(kLogSpan * bin / kBins));
}

void MagnitudeHistogram::add(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) ++bins_[static_cast<size_t>(bin_of(std::fabs(x[i])))];
  total_ += n;
}

void MagnitudeHistogram::merge(const MagnitudeHistogram& o) {
  for (size_t i = 0; i < bins_.size(); ++i) bins_[i] += o.bins_[i];
  total_ += o.total_;
}

float MagnitudeHistogram::quantile(double q) const {
  if (total_ == 0 || q <= 0) return 0.0f;
  const double want = q * static_cast<double>(total_);
  int64_t acc = 0;
  for (size_t b = 0; b < bins_.size(); ++b) {
    acc += bins_[b];
    if (static_cast<double>(acc) >= want) return upper_edge(static_cast<int>(b));
  }
  return INFINITY;
}

double MagnitudeHistogram::fraction_below(float t) const {
  if (total_ == 0) return 0.0;
  int64_t acc = 0;
  const int tb = bin_of(t);
  for (int b = 0; b < tb; ++b) acc += bins_[static_cast<size_t>(b)];
  return static_cast<double>(acc) / static_cast<double>(total_);
}

}  // namespace skim
