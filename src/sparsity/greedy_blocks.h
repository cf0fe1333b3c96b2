// greedy_blocks.h — TEAL's block-wise greedy allocation (teal/greedyopt.py), per layer and
// block: each block (attention: q/k/v input + o input; MLP: gate/up input + down input)
// gets the target's parameter-weighted sparsity, split between its two sites by a greedy
// path that, from 0, raises whichever site's sparsity by one step adds the least block
// output error per parameter skipped, measured jointly with the block's other site:
//   MLP block   exact: y = down(mask_d(silu(gate·mask_g x) · up·mask_g x)) on calibration
//               rows, relative error Σ‖y − y_dense‖² / Σ‖y_dense‖²;
//   attention   without re-running attention on the sampled rows: the relative errors of
//               its sites (greedy.h tables: [q|k|v] output, o output) added.
// The paths do not depend on the target, so one plan serves every sparsity level. For a
// target, the path point reaching it is taken (the last step fractional), and a block
// falls back to uniform (both sites at the target) wherever uniform's block error on the
// calibration rows is lower: greedy is never worse than uniform on the data it measured.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/result.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "sparsity/calibration.h"
#include "sparsity/config.h"
#include "sparsity/greedy.h"
#include "sparsity/policy.h"

namespace skim {

// One block's greedy path over its two sites (levels k: sparsity k·step).
struct GreedyBlockPath {
  std::array<SparsitySite, 2> sites{};
  std::array<double, 2> weight{};                  // parameters reading each site's input
  std::vector<std::array<int32_t, 2>> levels;      // [steps + 1] levels after each step, from {0, 0}
  std::vector<double> error;                       // [steps + 1] block error at each point
  std::vector<double> uniform_error;               // [K + 1] block error with both sites at level k
};

struct GreedyPlan {
  double step = 0.05;
  int32_t max_level = 19;
  std::vector<std::array<GreedyBlockPath, 2>> blocks;  // [n_layer] {attention, MLP}
};

// Relative MLP block-output error on rows x [R, d] with the gate/up input zeroed where
// |x| <= t_gate_up and the down input where |h| <= t_down (a negative threshold keeps all).
double mlp_block_error(const kernels::KernelTable& kt, ThreadPool& pool, const LayerMatrices& L, const float* x,
                       int32_t R, float t_gate_up, float t_down);

// The paths of every block. tables: greedy_error_tables' output (attention's site errors);
// rows / hist: the calibration rows and histograms they came from. on_layer(done) after
// each layer.
Result<GreedyPlan> greedy_block_plan(const kernels::KernelTable& kt, ThreadPool& pool,
                                     std::span<const LayerMatrices> layers, const GreedyRowSampler& rows,
                                     const ThresholdCalibrator& hist, std::span<const GreedySite> tables,
                                     const GreedyTableOptions& opt, const std::function<void(int32_t)>& on_layer = {});

struct GreedyBlockAllocation {
  std::vector<std::array<double, kNumSparsitySites>> sparsity;  // [n_layer][site]
  std::vector<std::array<double, 2>> error;          // [n_layer] {attention, MLP} block error (interpolated)
  std::vector<std::array<double, 2>> uniform_error;  // the same for uniform at the target
  std::vector<std::array<bool, 2>> uniform;          // whether the block fell back to uniform
  double mean_sparsity = 0.0;                        // parameter-weighted over all blocks
};

// The allocation at `target` (in [0, max_level·step]).
GreedyBlockAllocation greedy_block_allocate(const GreedyPlan& plan, double target);

}  // namespace skim
