// llama.h — the Llama architecture (SmolLM2, Llama 2/3 and relatives): weights bound from
// GGUF and the forward pass. Q/K rows arrive permuted by llama.cpp's converter, so RoPE
// is applied in NORM mode (adjacent pairs) directly to the GGUF weights.
#pragma once

#include <memory>
#include <vector>

#include "core/result.h"
#include "format/gguf/gguf_file.h"
#include "model/model.h"
#include "tensor/tensor_view.h"

namespace skim::llama {

struct LayerWeights {
  const float* attn_norm;  // [n_embd]
  TensorView wq;           // [q_dim, n_embd]
  TensorView wk;           // [kv_dim, n_embd]
  TensorView wv;           // [kv_dim, n_embd]
  TensorView wo;           // [n_embd, q_dim]
  const float* ffn_norm;   // [n_embd]
  TensorView w_gate;       // [n_ff, n_embd]
  TensorView w_up;         // [n_ff, n_embd]
  TensorView w_down;       // [n_embd, n_ff]
};

struct Weights {
  TensorView token_embd;   // [n_vocab, n_embd]
  const float* output_norm;  // [n_embd]
  TensorView output;       // [n_vocab, n_embd]; token_embd when tied
  std::vector<LayerWeights> layers;
};

class LlamaModel final : public Model {
 public:
  LlamaModel(HParams hp, Weights w) : hp_(std::move(hp)), w_(std::move(w)) {}
  const HParams& hparams() const override { return hp_; }
  const Weights& weights() const { return w_; }
  std::unique_ptr<Workspace> make_workspace(int32_t max_batch, int32_t n_ctx, int32_t n_threads) const override;
  std::vector<LayerMatrices> layer_matrices() const override;
  void for_each_matrix(const std::function<void(TensorView&)>& fn) override;
  Status forward_multi(const ExecContext& ctx, Workspace& ws, std::span<const SeqRun> runs,
                       float* logits) const override;

 private:
  HParams hp_;
  Weights w_;
};

Result<std::unique_ptr<Model>> load(const gguf::File& file);

}  // namespace skim::llama
