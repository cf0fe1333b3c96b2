// policy.cpp — builds a SparsityPolicy: validates the config and repacks the matrices its kernels read.
#include "sparsity/policy.h"

#include <fmt/core.h>

namespace skim {

namespace {
Result<kernels::TransposedMatrix> repack(const TensorView& w) {
  // Q4_1: the int8 tile layout (exact bytes; out a multiple of 64), else exact panels.
  if (w.type == DType::kQ4_1) return w.rows() % 64 == 0 ? kernels::transpose_tiles(w) : kernels::transpose_exact(w);
  return kernels::transpose_repack(w, DType::kQ8_0);
}
}  // namespace

Result<std::unique_ptr<SparsityPolicy>> SparsityPolicy::build(SparsityConfig cfg, std::span<const LayerMatrices> layers) {
  if (cfg.n_layer() != static_cast<int32_t>(layers.size())) {
    return make_error(fmt::format("sparsity config has {} layers, the model {}", cfg.n_layer(), layers.size()));
  }
  if (cfg.method == SparsityMethod::kDejaVu) {
    const DejaVuConfig& dv = cfg.dejavu;
    if (dv.mlp_predicted() && dv.mlp.size() != layers.size()) {
      return make_error("Deja Vu sidecar has no MLP predictor for every layer");
    }
    if (!dv.heads.empty() && dv.heads.size() != layers.size()) {
      return make_error("Deja Vu sidecar has no head predictor for every layer");
    }
    if (dv.mlp.empty() && dv.heads.empty()) return make_error("Deja Vu sidecar has no predictors");
    // The forward pass's predictor scratch holds rank + 2 n_out floats with rank <= n_embd.
    for (size_t l = 0; l < layers.size(); ++l) {
      for (const auto* v : {&dv.mlp, &dv.heads}) {
        if (v->empty()) continue;
        const LowRankPredictor& p = (*v)[l];
        if (p.rank > layers[l].w_gate.cols()) {
          return make_error(fmt::format("Deja Vu predictor of layer {} has rank {} > the model width {}", l, p.rank,
                                        layers[l].w_gate.cols()));
        }
      }
    }
  }
  const bool dv_mlp = cfg.method == SparsityMethod::kDejaVu && cfg.dejavu.mlp_mode != DejaVuMlp::kNone;
  auto p = std::unique_ptr<SparsityPolicy>(new SparsityPolicy());
  p->layers_.resize(layers.size());
  for (size_t l = 0; l < layers.size(); ++l) {
    const LayerMatrices& m = layers[l];
    SparseLayer& s = p->layers_[l];
    if (cfg.method == SparsityMethod::kTeal) {
      SKIM_TRY(s.q, repack(m.wq));
      SKIM_TRY(s.k, repack(m.wk));
      SKIM_TRY(s.v, repack(m.wv));
      SKIM_TRY(s.o, repack(m.wo));
      SKIM_TRY(s.gate, repack(m.w_gate));
      SKIM_TRY(s.up, repack(m.w_up));
    }
    if (cfg.method == SparsityMethod::kTeal || cfg.method == SparsityMethod::kCats || dv_mlp) {
      SKIM_TRY(s.down, repack(m.w_down));
    }
    // Deja Vu heads: o reads only the kept heads' channels.
    if (cfg.dejavu_heads()) {
      SKIM_TRY(s.o, repack(m.wo));
    }
    for (const auto* t : {&s.q, &s.k, &s.v, &s.o, &s.gate, &s.up, &s.down}) p->repacked_bytes_ += t->bytes().size();
  }
  p->cfg_ = std::move(cfg);
  return p;
}

}  // namespace skim
