// train.h — fitting one Deja Vu predictor (LowRankPredictor) to collected rows.
// Problem: inputs x [N, n_in], importance [N, n_out]; label y[r][i] = 1 when output i is
// among the k = keep_count(keep, n_out) most important of row r (ties: lower index).
// Loss: weighted binary cross-entropy on the logits s = btᵀ·(a·x) + bias,
//   L = Σ w_y · (softplus(s) − y·s) / Σ w_y,  w_1 = pos_weight, w_0 = 1,
// with pos_weight > (1−keep)/keep (default max(1, 2·(1−keep)/keep)) so misses cost more than
// false alarms (recall first, as Deja Vu). Init: bias = logit of each output's training
// label frequency, bt = 0 (so epoch 0 is the static "hot outputs" baseline), a gaussian.
// Mini-batch Adam; the parameters of the epoch with the best validation recall (epoch 0
// included) are kept; training stops after `patience` epochs without gain.
// Validation rows are the last val_fraction of the rows (the collector fills rows in chunk
// order, so they come from text chunks the training rows never saw).
// Deterministic: initialisation and batch order come from `seed` only; single-threaded
// (train layers in parallel for speed: each result is independent of the others).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/result.h"
#include "kernels/kernels.h"
#include "sparsity/config.h"

namespace skim::dejavu {

struct TrainOptions {
  int32_t rank = 32;
  float keep = 0.5f;          // kept fraction of outputs (defines the labels and the k of recall@k)
  float pos_weight = 0.0f;    // 0: max(1, 2·(1−keep)/keep)
  int32_t epochs = 10;
  int32_t patience = 3;
  int32_t batch = 128;
  float lr = 1e-2f;
  float weight_decay = 0.0f;  // decoupled (AdamW) on a and bt
  double val_fraction = 0.1;
  uint64_t seed = 1;
};

struct EvalStats {
  double loss = 0.0;    // weighted BCE
  double recall = 0.0;  // |predicted top-k ∩ true top-k| / k, mean over rows (= precision@k: both sets have k)
  double mass = 0.0;    // Σ importance over predicted top-k / Σ over true top-k, mean over rows
  double base_recall = 0.0;  // the same recall for a static predictor (mean training importance per output)
};

struct TrainReport {
  std::vector<double> train_loss;  // [epochs run] mean training loss per epoch
  EvalStats first;                 // validation before training
  EvalStats best;                  // validation at the kept epoch
  int32_t best_epoch = 0;
  int32_t n_train = 0, n_val = 0;
};

// Called after each epoch: (epoch, training loss, validation stats).
using EpochCallback = std::function<void(int32_t, double, const EvalStats&)>;

// x: [N, n_in], importance: [N, n_out] (>= 0), both row-major.
Result<LowRankPredictor> train_predictor(const kernels::KernelTable& kt, const float* x, const float* importance,
                                         int32_t N, int32_t n_in, int32_t n_out, const TrainOptions& opt,
                                         TrainReport* report, const EpochCallback& on_epoch = {});

// Validation metrics of a predictor on rows [N] (labels from importance and keep).
EvalStats evaluate_predictor(const kernels::KernelTable& kt, const LowRankPredictor& p, const float* x,
                             const float* importance, int32_t N, float keep, float pos_weight);

}  // namespace skim::dejavu
