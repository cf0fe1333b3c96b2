// histogram.h — streaming magnitude histograms for calibration: log-spaced bins over
// |x| in [1e-8, 1e4] (plus an exact-zero bin), so a quantile (the threshold that zeroes a
// given fraction of entries) is found to within one bin (~0.3% relative width) without
// keeping the activations. One histogram per (layer, site).
#pragma once

#include <cstdint>
#include <vector>

namespace skim {

class MagnitudeHistogram {
 public:
  MagnitudeHistogram();
  void add(const float* x, int64_t n);
  void merge(const MagnitudeHistogram& other);
  int64_t count() const { return total_; }
  // Smallest threshold t such that the fraction of |x| <= t is >= q (q in [0, 1]).
  float quantile(double q) const;
  // Fraction of |x| <= t.
  double fraction_below(float t) const;

 private:
  static int bin_of(float a);
  static float upper_edge(int bin);
  std::vector<int64_t> bins_;
  int64_t total_ = 0;
};

}  // namespace skim
