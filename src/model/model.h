// model.h — the Model interface every architecture implements, and the explicit context
// a forward pass runs in.
//
// A Model is immutable after loading (weights are views into the GGUF mapping), so one
// Model serves many sessions. Everything mutable during a forward pass lives in the
// caller's KvCache and Workspace, which are preallocated: a forward pass does not touch
// the heap.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/ops.h"
#include "model/hparams.h"
#include "model/kv_cache.h"
#include "sparsity/observer.h"
#include "sparsity/policy.h"

namespace skim {

// Where kernels run: the dispatch tables (matmul kernels and model ops, both chosen once
// from the CPU, for the same Isa) and the thread pool.
struct ExecContext {
  const kernels::KernelTable& kt;
  const kernels::OpsTable& ops;
  ThreadPool& pool;
  const SparsityPolicy* sparsity = nullptr;  // single-token decode skips work when set
};

// Scratch memory for one forward pass of up to max_batch tokens in all, against caches of
// up to n_ctx positions (architecture-specific).
class Workspace {
 public:
  virtual ~Workspace() = default;
  virtual int32_t max_batch() const = 0;
  virtual int32_t n_ctx() const = 0;

  // Calibration hook: when set, forward() shows its activations to the observer.
  void set_observer(ActivationObserver* o) { observer_ = o; }
  ActivationObserver* observer() const { return observer_; }
  // What the sparse decode path computed vs what dense would have (since the last reset).
  SparsityStats& sparsity_stats() { return stats_; }

 private:
  ActivationObserver* observer_ = nullptr;
  SparsityStats stats_;
};

// One sequence's share of a multi-sequence forward pass (Model::forward_multi).
struct SeqRun {
  KvCache* kv = nullptr;              // the sequence's own cache
  std::span<const int32_t> tokens;    // [T_i] tokens to append
  int32_t pos0 = 0;                   // position of tokens[0] (= positions already cached)
  int32_t n_out = 0;                  // logits wanted for the last n_out tokens (0..T_i)
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const HParams& hparams() const = 0;

  // Every weight matrix the forward pass multiplies by, to attach row-interleaved copies
  // at load (TensorView::packed). Architectures without the hook keep the mapped layout.
  virtual void for_each_matrix(const std::function<void(TensorView&)>& fn) { (void)fn; }

  // The per-layer matrices sparsity methods repack (empty if the architecture has none).
  virtual std::vector<LayerMatrices> layer_matrices() const { return {}; }

  virtual std::unique_ptr<Workspace> make_workspace(int32_t max_batch, int32_t n_ctx, int32_t n_threads) const = 0;

  // Runs several sequences through the model in one pass (continuous batching). The runs'
  // tokens are concatenated into one batch of T = sum T_i rows for every matrix product
  // (each weight row is read once per pass for all sequences); RoPE positions, the K/V
  // stores and attention are per run, against that run's own cache. Run i appends its
  // keys/values at positions pos0_i..pos0_i+T_i-1 (positions < pos0_i must already be
  // there) and contributes the logits of its last n_out_i rows; logits is
  // [sum n_out_i, n_vocab], packed in run order. Each run's logits equal those of
  // forward() on that run alone (bitwise for dense weights: products are per row).
  // Requires 1 <= T_i, T <= ws.max_batch(), 0 <= n_out_i <= T_i, pos0_i + T_i <=
  // kv_i.n_ctx() <= the workspace's context, distinct caches shaped for this model, token
  // ids in the vocabulary; violations are Errors, not crashes.
  // Sparsity: with ctx.sparsity, a pass of T == 1 (one run, one token) takes the sparse
  // decode kernels; every other pass, multi-run decode batches included, applies the
  // policy's thresholds as masks before dense products (as prompt processing does).
  virtual Status forward_multi(const ExecContext& ctx, Workspace& ws, std::span<const SeqRun> runs,
                               float* logits) const = 0;

  // One sequence: forward_multi with the single run {kv, tokens, pos0, n_out}.
  // Tokens [T] at positions pos0..pos0+T-1; logits [n_out, n_vocab] for the last n_out.
  Status forward(const ExecContext& ctx, Workspace& ws, KvCache& kv, std::span<const int32_t> tokens, int32_t pos0,
                 int32_t n_out, float* logits) const {
    const SeqRun run{&kv, tokens, pos0, n_out};
    return forward_multi(ctx, ws, std::span<const SeqRun>(&run, 1), logits);
  }
};

}  // namespace skim
