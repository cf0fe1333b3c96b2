// model.h — the Model interface every architecture implements, and the explicit context
// a forward pass runs in.
//
// A Model is immutable after loading (weights are views into the GGUF mapping), so one
// Model serves many sessions. Everything mutable during a forward pass lives in the
// caller's KvCache and Workspace, which are preallocated: a forward pass does not touch
// the heap.
#pragma once

#include <cstdint>
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

// Scratch memory for one forward pass of up to max_batch tokens (architecture-specific).
class Workspace {
 public:
  virtual ~Workspace() = default;
  virtual int32_t max_batch() const = 0;

  // Calibration hook: when set, forward() shows its activations to the observer.
  void set_observer(ActivationObserver* o) { observer_ = o; }
  ActivationObserver* observer() const { return observer_; }
  // What the sparse decode path computed vs what dense would have (since the last reset).
  SparsityStats& sparsity_stats() { return stats_; }

 private:
  ActivationObserver* observer_ = nullptr;
  SparsityStats stats_;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const HParams& hparams() const = 0;

  // The per-layer matrices sparsity methods repack (empty if the architecture has none).
  virtual std::vector<LayerMatrices> layer_matrices() const { return {}; }

  virtual std::unique_ptr<Workspace> make_workspace(int32_t max_batch, int32_t n_ctx, int32_t n_threads) const = 0;

  // Runs tokens [T] at positions pos0..pos0+T-1, appending their keys/values to `kv`
  // (positions < pos0 must already be there). Writes logits for the last n_out positions
  // of the batch into logits [n_out, n_vocab]. Requires T <= ws.max_batch() and
  // pos0 + T <= kv.n_ctx(); violations are Errors, not crashes.
  virtual Status forward(const ExecContext& ctx, Workspace& ws, KvCache& kv, std::span<const int32_t> tokens,
                         int32_t pos0, int32_t n_out, float* logits) const = 0;
};

}  // namespace skim
