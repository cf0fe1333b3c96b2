// greedy.h — TEAL's greedy sparsity allocation, adapted to per-(layer, site) thresholds.
//
// Every TEAL site (q/k/v input, o input, gate/up input, down input of each layer) has an
// error curve e_s(k): the relative error of its block output when k·step of its input
// channels (the smallest by magnitude, threshold from the calibration histogram) are zeroed.
// Starting from level 0 everywhere, greedy_allocate repeatedly raises the one site whose
// next level adds the least error per unit of parameter-weighted sparsity gained, until the
// parameter-weighted mean sparsity reaches the target. Ties go to the lowest site index, so
// the result is a pure function of the tables.
//
// The tables come from calibration activations: GreedyRowSampler keeps a seeded reservoir
// sample of input rows per (layer, site) while forwarding everything to another observer
// (the histogram calibrator); greedy_error_tables then measures each site's block-output
// error at every level with the engine's own matmul kernels on those rows:
//   kQkvIn    [q|k|v] outputs (attention's softmax is not re-run)
//   kOIn      o output (the attention block's output)
//   kGateUpIn the MLP block's output down(silu(gate)·up), gate/up reading the masked input
//   kDownIn   the MLP block's output, down reading the masked silu(gate)·up
// error = Σ‖Y_masked − Y_dense‖² / Σ‖Y_dense‖² over the sampled rows.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <vector>

#include "core/result.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "sparsity/calibration.h"
#include "sparsity/config.h"
#include "sparsity/observer.h"
#include "sparsity/policy.h"

namespace skim {

struct GreedySite {
  double weight = 0.0;        // parameters that read this input (any common unit, > 0)
  std::vector<double> error;  // error[k] at sparsity k·step; error[0] is the dense error (0)
};

struct GreedyAllocation {
  std::vector<int32_t> level;  // per site: the chosen level k (sparsity k·step)
  double sparsity = 0.0;       // achieved parameter-weighted mean sparsity
  int32_t steps = 0;           // increments taken
};

// Raises levels until the parameter-weighted mean sparsity is >= target (or every site is
// at its last level). A site's level never exceeds error.size() - 1.
GreedyAllocation greedy_allocate(std::span<const GreedySite> sites, double step, double target);

// Reservoir sample of `rows` input rows per (layer, TEAL site), seeded; forwards every
// observation to `next` (may be null). Skips the first `skip_first` rows of each call
// (the first positions of a chunk carry attention-sink outliers).
class GreedyRowSampler final : public ActivationObserver {
 public:
  GreedyRowSampler(int32_t n_layer, int32_t rows, uint64_t seed, ActivationObserver* next, int32_t skip_first = 4);
  void observe(int32_t layer, ActivationSite site, const float* x, int32_t T, int32_t n) override;

  // Rows kept for (layer, site): [count, width] row-major; count <= rows.
  const std::vector<float>& sample(int32_t layer, SparsitySite site) const;
  int32_t count(int32_t layer, SparsitySite site) const;
  int32_t width(int32_t layer, SparsitySite site) const;

 private:
  struct Reservoir {
    std::vector<float> data;  // [rows, width]
    int32_t width = 0;
    int32_t kept = 0;
    int64_t seen = 0;
    std::mt19937_64 rng;
  };
  int32_t rows_;
  int32_t skip_first_;
  ActivationObserver* next_;
  std::vector<std::array<Reservoir, kNumSparsitySites>> res_;  // [n_layer][site]
};

struct GreedyTableOptions {
  double step = 0.05;       // sparsity increment per level
  int32_t max_level = 19;   // levels 0..max_level (0.95 at step 0.05)
};

// Error tables for every (layer, site), site index = layer * kNumSparsitySites + site.
// weights come from the matrix shapes (rows·cols of every matrix reading the input).
// on_layer(done) is called after each layer (for a progress bar).
Result<std::vector<GreedySite>> greedy_error_tables(const kernels::KernelTable& kt, ThreadPool& pool,
                                                    std::span<const LayerMatrices> layers,
                                                    const GreedyRowSampler& rows, const ThresholdCalibrator& hist,
                                                    const GreedyTableOptions& opt,
                                                    const std::function<void(int32_t)>& on_layer = {});

// The activation histogram whose quantiles give TEAL thresholds at a site.
ActivationSite teal_histogram_site(SparsitySite s);

}  // namespace skim
