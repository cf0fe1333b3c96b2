// collect.h — Deja Vu training data from the dense model: an ActivationObserver that keeps,
// for a random sample of token rows (the same rows in every layer), per layer
//   attn_in    [R, n_embd]  normed attention input (kAttnIn)      -> head predictor input
//   mlp_in     [R, n_embd]  normed MLP input (kMlpIn)             -> MLP predictor input
//   neuron     [R, n_ff]    |silu(gate)*up| (|kDownIn|, which is silu(gate)*up) -> MLP target
//   head_norm  [R, n_head]  ||att_h||_2 per query head of kOIn     -> head target
// Lookahead inputs need no copy: layer l-1's rows are the same tokens.
// Storage is fp16 (values are normed activations and magnitudes; fp16's 11-bit mantissa is
// ample for ranking), rows × layers × (2·n_embd + n_ff + n_head) × 2 bytes, allocated once:
// 8192 rows of SmolLM2-135M = 1.33 GB. Rows fill in chunk order, so the last rows come from
// the last chunks (held-apart validation text, see train.h).
// Use: begin_chunk(T) before each forward pass of T tokens picks which rows it keeps;
// end_chunk() after it commits them.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sparsity/observer.h"

namespace skim::dejavu {

struct CollectDims {
  int32_t n_layer = 0, n_embd = 0, n_ff = 0, n_head = 0, head_dim = 0;
};

enum class CollectedSite { kAttnIn, kMlpIn, kNeuron, kHeadNorm };

class Collector final : public ActivationObserver {
 public:
  // max_rows: rows kept per layer; rows_per_chunk: at most this many rows of each chunk
  // (spread the sample over the text); seed: which rows.
  Collector(const CollectDims& dims, int32_t max_rows, int32_t rows_per_chunk, uint64_t seed);

  // Chooses the rows of the next forward pass of T tokens (sorted positions).
  void begin_chunk(int32_t T);
  void end_chunk();
  void observe(int32_t layer, ActivationSite site, const float* x, int32_t T, int32_t n) override;

  const CollectDims& dims() const { return dims_; }
  int32_t rows() const { return rows_done_; }  // complete rows (every layer seen)
  bool full() const { return rows_done_ >= max_rows_; }
  size_t bytes() const;
  // Empty, or the first inconsistency seen (wrong width at a site).
  const std::string& error() const { return error_; }

  // One layer's stored rows as fp32: out [rows(), width(site)].
  void layer_f32(int32_t layer, CollectedSite site, std::vector<float>& out) const;
  int32_t width(CollectedSite site) const;

 private:
  uint16_t* row_ptr(int32_t layer, CollectedSite site, int32_t row);

  CollectDims dims_;
  int32_t max_rows_, rows_per_chunk_;
  std::mt19937_64 rng_;
  std::vector<int32_t> chunk_rows_;  // positions within the current chunk, sorted
  int32_t rows_done_ = 0;            // rows of finished chunks
  std::vector<uint16_t> store_[4];   // per CollectedSite: [n_layer, max_rows, width] fp16
  std::string error_;
};

}  // namespace skim::dejavu
