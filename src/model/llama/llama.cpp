// llama.cpp — the Llama architecture (SmolLM2 and other converted Llama models): tensor
// binding with shape checks, and the forward pass over a batch of T rows that may belong to
// several sequences (continuous batching: shared products, per-sequence RoPE/KV/attention).
// Dense products go through kernels::matmul; with a SparsityPolicy, single-token decode
// takes the sparse kernels (TEAL: active input channels of every projection; CATS: active
// neurons of up/down; Deja Vu: predicted neurons, and predicted query heads' q rows,
// attention and o columns) and multi-token passes apply the same decisions as masks, so
// perplexity and accuracy measure the method. No allocation: buffers live in the workspace.
#include "model/llama/llama.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "core/check.h"
#include "kernels/sparse.h"
#include "model/layers.h"
#include "model/weights.h"
#include "sparsity/dejavu/predictor.h"

namespace skim::llama {

namespace {

// Activations for a batch of up to B tokens, allocated once.
class LlamaWorkspace final : public Workspace {
 public:
  LlamaWorkspace(const HParams& hp, const Weights& w, int32_t B, int32_t n_ctx, int32_t n_threads)
      : B_(B), n_ctx_(n_ctx) {
    pos.resize(static_cast<size_t>(B));
    attn_runs.resize(static_cast<size_t>(B));
    x.resize(static_cast<size_t>(B) * hp.n_embd);
    xb.resize(static_cast<size_t>(B) * hp.n_embd);
    xb2.resize(static_cast<size_t>(B) * hp.n_embd);
    q.resize(static_cast<size_t>(B) * hp.q_dim());
    k.resize(static_cast<size_t>(B) * hp.kv_dim());
    v.resize(static_cast<size_t>(B) * hp.kv_dim());
    att.resize(static_cast<size_t>(B) * hp.q_dim());
    hb.resize(static_cast<size_t>(B) * hp.n_ff);
    hb2.resize(static_cast<size_t>(B) * hp.n_ff);
    scores.resize(static_cast<size_t>(n_threads) * layers::attention_scratch_floats(n_ctx, hp.head_dim));
    size_t s = 0;
    auto need = [&](const TensorView& t) {
      s = std::max(s, kernels::matmul_scratch_bytes(t.type, t.cols(), B));
    };
    need(w.output);
    for (const auto& l : w.layers) {
      need(l.wq); need(l.wk); need(l.wv); need(l.wo); need(l.w_gate); need(l.w_up); need(l.w_down);
    }
    scratch.resize(s);
    active.resize(static_cast<size_t>(std::max({hp.n_embd, hp.q_dim(), hp.n_ff})));
    sparse_acts = kernels::SparseActs(std::max({hp.n_embd, hp.q_dim(), hp.n_ff}));
    mlp_prev.resize(static_cast<size_t>(B) * hp.n_embd);
    attn_prev.resize(static_cast<size_t>(B) * hp.n_embd);
    head_mask.resize(static_cast<size_t>(B) * hp.n_head);
    heads.resize(static_cast<size_t>(hp.n_head));
    active2.resize(static_cast<size_t>(hp.n_ff));
    // Deja Vu predictors have rank <= n_embd (SparsityPolicy::build checks it).
    dv_scratch.resize(static_cast<size_t>(hp.n_embd) + 2 * static_cast<size_t>(hp.n_ff));
  }
  int32_t max_batch() const override { return B_; }
  int32_t n_ctx() const override { return n_ctx_; }

  std::vector<int32_t> pos;   // [B] position of each batch row in its sequence
  std::vector<layers::AttentionRun> attn_runs;  // [B] (at most one run per row)
  std::vector<float> x;       // [B, n_embd] residual stream
  std::vector<float> xb;      // [B, n_embd] normed input of a block
  std::vector<float> xb2;     // [B, n_embd] block output
  std::vector<float> q;       // [B, q_dim]
  std::vector<float> k;       // [B, kv_dim]
  std::vector<float> v;       // [B, kv_dim]
  std::vector<float> att;     // [B, q_dim] attention output
  std::vector<float> hb;      // [B, n_ff] gate, then silu(gate)*up
  std::vector<float> hb2;     // [B, n_ff] up
  std::vector<float> scores;  // attention scratch, per thread
  std::vector<uint8_t> scratch;  // quantized activations for matmul
  std::vector<int32_t> active;   // [max(n_embd, q_dim, n_ff)] active-channel indices (sparse decode)
  kernels::SparseActs sparse_acts;  // the active channels quantized for the int8 sparse kernels
  std::vector<float> mlp_prev;   // [B, n_embd] the previous layer's MLP input (Deja Vu lookahead)
  std::vector<float> attn_prev;  // [B, n_embd] the previous layer's attention input (Deja Vu head lookahead)
  std::vector<uint8_t> head_mask;  // [B, n_head] Deja Vu: 1 = query head computed
  std::vector<int32_t> heads;      // [n_head] Deja Vu: kept query heads of one token (increasing)
  std::vector<int32_t> active2;    // [n_ff] Deja Vu hybrid: the predicted neurons above the CATS threshold
  std::vector<float> dv_scratch;  // [n_embd + 2 n_ff] >= [rank + 2 n_ff] Deja Vu predictor scratch

 private:
  int32_t B_;
  int32_t n_ctx_;
};

}  // namespace

std::vector<LayerMatrices> LlamaModel::layer_matrices() const {
  std::vector<LayerMatrices> m;
  for (const auto& l : w_.layers) m.push_back({l.wq, l.wk, l.wv, l.wo, l.w_gate, l.w_up, l.w_down});
  return m;
}

void LlamaModel::for_each_matrix(const std::function<void(TensorView&)>& fn) {
  for (auto& l : w_.layers) {
    for (TensorView* v : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) fn(*v);
  }
  fn(w_.output);
  // Tied embeddings: lookups read rows of the output's packed copy, so the mapped tensor
  // is not paged in again.
  if (w_.token_embd.data == w_.output.data) w_.token_embd.packed = w_.output.packed;
}

std::unique_ptr<Workspace> LlamaModel::make_workspace(int32_t max_batch, int32_t n_ctx, int32_t n_threads) const {
  return std::make_unique<LlamaWorkspace>(hp_, w_, max_batch, n_ctx, n_threads);
}

Status LlamaModel::forward_multi(const ExecContext& ctx, Workspace& wsb, std::span<const SeqRun> runs,
                                 float* logits) const {
  auto& ws = static_cast<LlamaWorkspace&>(wsb);
  const int32_t d = hp_.n_embd, qd = hp_.q_dim(), kvd = hp_.kv_dim(), ff = hp_.n_ff;
  if (runs.empty()) return make_error("empty batch");
  int64_t T64 = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    const SeqRun& r = runs[i];
    const int64_t Ti = static_cast<int64_t>(r.tokens.size());
    if (Ti == 0) return make_error(fmt::format("batch run {} has no tokens", i));
    T64 += Ti;
    if (!r.kv) return make_error(fmt::format("batch run {} has no KV cache", i));
    const KvCache& kv = *r.kv;
    if (kv.n_layer() != hp_.n_layer || kv.kv_dim() != kvd) {
      return make_error(fmt::format("batch run {}: the KV cache is not shaped for this model", i));
    }
    if (kv.n_ctx() > ws.n_ctx()) {
      return make_error(fmt::format("batch run {}: a KV cache of {} positions exceeds the workspace's context ({})",
                                    i, kv.n_ctx(), ws.n_ctx()));
    }
    if (r.pos0 < 0 || r.pos0 + Ti > kv.n_ctx()) {
      return make_error(fmt::format("context overflow: positions {}..{} exceed the context size {}", r.pos0,
                                    r.pos0 + Ti - 1, kv.n_ctx()));
    }
    if (r.n_out < 0 || r.n_out > Ti) return make_error("invalid number of output rows");
    for (size_t j = 0; j < i; ++j) {
      if (runs[j].kv == r.kv) return make_error(fmt::format("batch runs {} and {} share one KV cache", j, i));
    }
    for (int32_t t : r.tokens) {
      if (t < 0 || t >= hp_.n_vocab) return make_error(fmt::format("token id {} out of range [0, {})", t, hp_.n_vocab));
    }
  }
  if (T64 > ws.max_batch()) {
    return make_error(fmt::format("batch of {} tokens exceeds the workspace ({})", T64, ws.max_batch()));
  }
  const int32_t T = static_cast<int32_t>(T64);
  // Batch rows: run i holds rows [start_i, start_i + T_i) at positions pos0_i + t.
  {
    int32_t row = 0;
    for (const SeqRun& r : runs) {
      for (int32_t t = 0; t < static_cast<int32_t>(r.tokens.size()); ++t) ws.pos[static_cast<size_t>(row + t)] = r.pos0 + t;
      row += static_cast<int32_t>(r.tokens.size());
    }
  }
  const kernels::KernelTable& kt = ctx.kt;
  ActivationObserver* obs = ws.observer();  // calibration hook (usually null)
  const kernels::OpsTable& ops = ctx.ops;
  std::span<uint8_t> scratch(ws.scratch);
  auto mm = [&](const TensorView& w, const float* x, float* y, int32_t n) {
    kernels::matmul(kt, ctx.pool, w, x, y, n, scratch);
  };
  // Products that read the same input (q/k/v, gate/up) quantize it once.
  auto mm_shared = [&](const float* x, int32_t n, std::initializer_list<kernels::MatmulOut> outs) {
    const TensorView& w0 = *outs.begin()->w;
    bool same = true;
    for (const auto& o : outs) same = same && o.w->type == w0.type && o.w->cols() == w0.cols();
    if (!same) {
      for (const auto& o : outs) mm(*o.w, x, o.y, n);
      return;
    }
    const kernels::PreparedActs xq = kernels::prepare_acts(kt, ctx.pool, w0.type, x, n, w0.cols(), scratch);
    kernels::matmul_prepared_many(kt, ctx.pool, std::span<const kernels::MatmulOut>(outs.begin(), outs.size()), xq);
  };
  // Sparse decode (single token with a sparsity policy): the active channels of an input.
  const SparsityPolicy* sp = T == 1 ? ctx.sparsity : nullptr;
  const bool teal = sp && sp->method() == SparsityMethod::kTeal;
  const bool cats = sp && sp->config().cats_mlp();  // CATS, or Deja Vu heads + CATS
  const bool dejavu = sp && sp->method() == SparsityMethod::kDejaVu && sp->config().dejavu.mlp_predicted();
  const bool dv_heads = sp && sp->config().dejavu_heads();
  // Multi-token passes with a policy (prefill, perplexity, eval) apply the same thresholds
  // as masks before dense products, so quality measurements see the method's effect.
  const SparsityPolicy* masked = T > 1 ? ctx.sparsity : nullptr;
  const bool mask_teal = masked && masked->method() == SparsityMethod::kTeal;
  const bool mask_cats = masked && masked->config().cats_mlp();
  const bool mask_dejavu =
      masked && masked->method() == SparsityMethod::kDejaVu && masked->config().dejavu.mlp_predicted();
  const bool mask_dv_heads = masked && masked->config().dejavu_heads();
  // Deja Vu: the MLP neurons layer il computes, predicted from its own MLP input x [d] or,
  // with lookahead, from layer il-1's (prev). idx_out [k]; returns k.
  const SparsityPolicy* dv_policy =
      sp && sp->method() == SparsityMethod::kDejaVu ? sp : masked && masked->method() == SparsityMethod::kDejaVu ? masked : nullptr;
  auto dv_select = [&](int32_t il, const float* x, const float* prev, int32_t* idx_out) -> int32_t {
    const DejaVuConfig& dv = dv_policy->config().dejavu;
    const float* in = dv.lookahead && il > 0 ? prev : x;
    const int32_t k = dejavu::keep_count(dv.keep, ff);
    return dejavu::select_neurons(kt, dv.mlp[static_cast<size_t>(il)], in, k, ws.dv_scratch, idx_out);
  };
  // Deja Vu heads: the query heads layer il computes, from its attention input x [d] or,
  // with lookahead, layer il-1's (prev). heads_out [k], increasing; returns k.
  auto dv_select_heads = [&](int32_t il, const float* x, const float* prev, int32_t* heads_out) -> int32_t {
    const DejaVuConfig& dv = dv_policy->config().dejavu;
    const float* in = dv.lookahead && il > 0 ? prev : x;
    const int32_t k = dejavu::keep_count(dv.head_keep, hp_.n_head);
    return dejavu::select_heads(kt, dv.heads[static_cast<size_t>(il)], in, k, ws.dv_scratch, heads_out);
  };
  SparsityStats& stats = ws.sparsity_stats();
  auto mask = [&](float* x, int64_t n, int32_t il, SparsitySite site) {
    stats.kept += layers::mask_below(x, n, masked->threshold(il, site));
    stats.total += n;
  };
  auto select = [&](const float* x, int32_t n, float threshold) -> std::span<const int32_t> {
    const int32_t k = kt.select_active(x, n, threshold, ws.active.data());
    stats.kept += k;
    stats.total += n;
    return {ws.active.data(), static_cast<size_t>(k)};
  };
  auto sparse_in = [&](const kernels::TransposedMatrix& wt, const float* x, std::span<const int32_t> idx, float* y) {
    kernels::matvec_sparse_input(kt, ctx.pool, wt, x, idx, y, &ws.sparse_acts);
  };
  // Several matrices reading x's active channels (q/k/v, gate/up): quantized once, one dispatch.
  auto sparse_multi = [&](const float* x, int32_t n, std::span<const int32_t> idx,
                          std::initializer_list<std::pair<const kernels::TransposedMatrix*, float*>> outs) {
    SKIM_CHECK(outs.size() <= 3);
    ws.sparse_acts.build(x, n, idx);
    std::array<kernels::TransposedView, 3> views;
    std::array<float*, 3> ys;
    size_t c = 0;
    for (const auto& [wt, y] : outs) {
      views[c] = wt->view();
      ys[c++] = y;
    }
    kernels::matvec_sparse_multi(kt, ctx.pool, std::span(views.data(), c), ws.sparse_acts, std::span(ys.data(), c));
  };

  // Embeddings: x[row] = token_embd[token of that row]
  {
    size_t row = 0;
    for (const SeqRun& r : runs) {
      for (int32_t t : r.tokens) kernels::get_row(w_.token_embd, t, ws.x.data() + row++ * d);
    }
  }

  const layers::AttentionShape ashape{hp_.n_head, hp_.n_head_kv, hp_.head_dim,
                                      1.0f / std::sqrt(static_cast<float>(hp_.head_dim)), kt.fast_numerics};
  for (int32_t il = 0; il < hp_.n_layer; ++il) {
    const LayerWeights& L = w_.layers[static_cast<size_t>(il)];
    // --- attention block ---
    layers::rms_norm(ops, ws.x.data(), L.attn_norm, ws.xb.data(), d, T, hp_.rms_eps);
    if (obs) obs->observe(il, ActivationSite::kAttnIn, ws.xb.data(), T, d);
    // Deja Vu heads: the query heads each row computes. Decode skips the others' q rows,
    // attention and o columns (head_ch: their channels); multi-token passes zero their
    // attention output. K/V stay dense: the cache must hold every KV head for later tokens.
    std::span<const int32_t> head_ch;  // decode: channels of the kept heads; empty: dense
    bool heads_masked = false;
    if (dv_heads || mask_dv_heads) {
      const int32_t hd = hp_.head_dim, nh = hp_.n_head;
      for (int32_t t = 0; t < T; ++t) {
        const size_t rd = static_cast<size_t>(t) * d;
        const int32_t k = dv_select_heads(il, &ws.xb[rd], &ws.attn_prev[rd], ws.heads.data());
        uint8_t* m = &ws.head_mask[static_cast<size_t>(t) * nh];
        std::fill_n(m, nh, uint8_t{0});
        for (int32_t j = 0; j < k; ++j) m[ws.heads[static_cast<size_t>(j)]] = 1;
        stats.kept += static_cast<int64_t>(k) * hd;
        stats.total += qd;
        if (dv_heads && k < nh) {
          const int32_t n_ch = dejavu::head_channels({ws.heads.data(), static_cast<size_t>(k)}, hd, ws.active.data());
          head_ch = {ws.active.data(), static_cast<size_t>(n_ch)};
        }
      }
      heads_masked = mask_dv_heads || !head_ch.empty();
      std::copy_n(ws.xb.data(), static_cast<size_t>(T) * d, ws.attn_prev.data());
    }
    if (!head_ch.empty()) {
      // q rows of the kept heads only; k and v dense.
      const kernels::PreparedActs xq = kernels::prepare_acts(kt, ctx.pool, L.wq.type, ws.xb.data(), 1, d, scratch);
      kernels::matmul_rows(kt, ctx.pool, L.wq, xq, head_ch, ws.q.data());
      if (L.wk.type == L.wq.type && L.wv.type == L.wq.type) {
        kernels::matmul_prepared(kt, ctx.pool, L.wk, xq, ws.k.data());
        kernels::matmul_prepared(kt, ctx.pool, L.wv, xq, ws.v.data());
      } else {
        mm_shared(ws.xb.data(), 1, {{&L.wk, ws.k.data()}, {&L.wv, ws.v.data()}});
      }
    } else if (teal) {
      const SparseLayer& S = sp->layer(il);
      auto idx = select(ws.xb.data(), d, sp->threshold(il, SparsitySite::kQkvIn));
      sparse_multi(ws.xb.data(), d, idx, {{&S.q, ws.q.data()}, {&S.k, ws.k.data()}, {&S.v, ws.v.data()}});
    } else {
      if (mask_teal) mask(ws.xb.data(), static_cast<int64_t>(T) * d, il, SparsitySite::kQkvIn);
      mm_shared(ws.xb.data(), T, {{&L.wq, ws.q.data()}, {&L.wk, ws.k.data()}, {&L.wv, ws.v.data()}});
    }
    for (int32_t t = 0; t < T; ++t) {
      const int32_t pos = ws.pos[static_cast<size_t>(t)];
      layers::rope_norm(ops, &ws.q[static_cast<size_t>(t) * qd], hp_.n_head, hp_.head_dim, hp_.n_rot, pos,
                        hp_.rope_base, hp_.rope_freq_scale);
      layers::rope_norm(ops, &ws.k[static_cast<size_t>(t) * kvd], hp_.n_head_kv, hp_.head_dim, hp_.n_rot, pos,
                        hp_.rope_base, hp_.rope_freq_scale);
    }
    // Each run's cache rows pos0..pos0+T_i-1 are contiguous: one conversion each.
    {
      size_t row = 0;
      for (size_t i = 0; i < runs.size(); ++i) {
        const SeqRun& r = runs[i];
        const int32_t Ti = static_cast<int32_t>(r.tokens.size());
        uint16_t* kc = r.kv->k(il);
        uint16_t* vc = r.kv->v(il);
        layers::store_kv_f16(ops, kc + static_cast<size_t>(r.pos0) * kvd, ws.k.data() + row * kvd, Ti * kvd);
        layers::store_kv_f16(ops, vc + static_cast<size_t>(r.pos0) * kvd, ws.v.data() + row * kvd, Ti * kvd);
        ws.attn_runs[i] = {ws.q.data() + row * qd, kc, vc, ws.att.data() + row * qd, Ti, r.pos0};
        if (heads_masked) ws.attn_runs[i].head_mask = ws.head_mask.data() + row * static_cast<size_t>(hp_.n_head);
        row += static_cast<size_t>(Ti);
      }
    }
    layers::attention_multi(ops, ctx.pool, ashape, std::span<const layers::AttentionRun>(ws.attn_runs.data(), runs.size()),
                            ws.n_ctx(), ws.scores.data());
    if (obs) obs->observe(il, ActivationSite::kOIn, ws.att.data(), T, qd);
    if (!head_ch.empty()) {
      sparse_in(sp->layer(il).o, ws.att.data(), head_ch, ws.xb2.data());  // o columns of the kept heads
    } else if (teal) {
      auto idx = select(ws.att.data(), qd, sp->threshold(il, SparsitySite::kOIn));
      sparse_in(sp->layer(il).o, ws.att.data(), idx, ws.xb2.data());
    } else {
      if (mask_teal) mask(ws.att.data(), static_cast<int64_t>(T) * qd, il, SparsitySite::kOIn);
      mm(L.wo, ws.att.data(), ws.xb2.data(), T);
    }
    layers::add_inplace(ws.x.data(), ws.xb2.data(), T * d);

    // --- SwiGLU MLP block ---
    layers::rms_norm(ops, ws.x.data(), L.ffn_norm, ws.xb.data(), d, T, hp_.rms_eps);
    if (obs) obs->observe(il, ActivationSite::kMlpIn, ws.xb.data(), T, d);
    if (teal) {
      // TEAL: gate/up read the sparse block input; down reads sparse silu(gate)*up.
      const SparseLayer& S = sp->layer(il);
      auto idx = select(ws.xb.data(), d, sp->threshold(il, SparsitySite::kGateUpIn));
      sparse_multi(ws.xb.data(), d, idx, {{&S.gate, ws.hb.data()}, {&S.up, ws.hb2.data()}});
      layers::swiglu(ops, ws.hb.data(), ws.hb2.data(), ff);
      auto idx_down = select(ws.hb.data(), ff, sp->threshold(il, SparsitySite::kDownIn));
      sparse_in(S.down, ws.hb.data(), idx_down, ws.xb2.data());
    } else if (cats) {
      // CATS: gate dense; neurons with |silu(gate)| above the threshold get their up row
      // and down column computed, the rest are skipped.
      mm(L.w_gate, ws.xb.data(), ws.hb.data(), 1);
      for (int32_t i = 0; i < ff; ++i) ws.hb[static_cast<size_t>(i)] = layers::silu_scalar(ws.hb[static_cast<size_t>(i)]);
      auto idx = select(ws.hb.data(), ff, sp->threshold(il, SparsitySite::kDownIn));
      const kernels::PreparedActs xq = kernels::prepare_acts(kt, ctx.pool, L.w_up.type, ws.xb.data(), 1, d, scratch);
      kernels::matmul_rows(kt, ctx.pool, L.w_up, xq, idx, ws.hb2.data());
      for (int32_t i : idx) ws.hb[static_cast<size_t>(i)] *= ws.hb2[static_cast<size_t>(i)];
      sparse_in(sp->layer(il).down, ws.hb.data(), idx, ws.xb2.data());
    } else if (dejavu) {
      // Deja Vu: the predictor picks the neurons; their gate/up rows and down columns are
      // computed, the rest skipped (the CATS kernels, without the dense gate).
      const int32_t k = dv_select(il, ws.xb.data(), ws.mlp_prev.data(), ws.active.data());
      std::span<const int32_t> idx(ws.active.data(), static_cast<size_t>(k));
      const kernels::PreparedActs xq = kernels::prepare_acts(kt, ctx.pool, L.w_gate.type, ws.xb.data(), 1, d, scratch);
      kernels::matmul_rows(kt, ctx.pool, L.w_gate, xq, idx, ws.hb.data());
      if (sp->config().dejavu.mlp_mode == DejaVuMlp::kHybrid) {
        // Hybrid: of the predicted neurons, those with |silu(gate)| above the CATS
        // threshold get their up row and down column (gate rows: k; up/down rows: n2).
        const float th = sp->threshold(il, SparsitySite::kDownIn);
        int32_t n2 = 0;
        for (int32_t i : idx) {
          const float g = layers::silu_scalar(ws.hb[static_cast<size_t>(i)]);
          if (std::fabs(g) > th) ws.active2[static_cast<size_t>(n2++)] = i;
        }
        idx = std::span<const int32_t>(ws.active2.data(), static_cast<size_t>(n2));
      }
      stats.kept += static_cast<int64_t>(idx.size());
      stats.total += ff;
      if (L.w_up.type != L.w_gate.type) {
        const kernels::PreparedActs xu = kernels::prepare_acts(kt, ctx.pool, L.w_up.type, ws.xb.data(), 1, d, scratch);
        kernels::matmul_rows(kt, ctx.pool, L.w_up, xu, idx, ws.hb2.data());
      } else {
        kernels::matmul_rows(kt, ctx.pool, L.w_up, xq, idx, ws.hb2.data());
      }
      for (int32_t i : idx) {
        const float g = ws.hb[static_cast<size_t>(i)];
        ws.hb[static_cast<size_t>(i)] = layers::silu_scalar(g) * ws.hb2[static_cast<size_t>(i)];
      }
      sparse_in(sp->layer(il).down, ws.hb.data(), idx, ws.xb2.data());
      std::copy_n(ws.xb.data(), d, ws.mlp_prev.data());
    } else {
      const int64_t n_ff = static_cast<int64_t>(T) * ff;
      if (mask_teal) mask(ws.xb.data(), static_cast<int64_t>(T) * d, il, SparsitySite::kGateUpIn);
      mm_shared(ws.xb.data(), T, {{&L.w_gate, ws.hb.data()}, {&L.w_up, ws.hb2.data()}});
      if (obs) obs->observe(il, ActivationSite::kGate, ws.hb.data(), T, ff);
      if (mask_cats) {
        stats.kept += layers::mask_neurons_by_gate(ws.hb.data(), ws.hb2.data(), n_ff,
                                                   masked->threshold(il, SparsitySite::kDownIn));
        stats.total += n_ff;
      }
      if (mask_dejavu) {
        // Per row: up = 0 outside the predicted neurons, so silu(gate)*up drops them.
        for (int32_t t = 0; t < T; ++t) {
          const size_t rd = static_cast<size_t>(t) * d, rf = static_cast<size_t>(t) * ff;
          const int32_t k = dv_select(il, &ws.xb[rd], &ws.mlp_prev[rd], ws.active.data());
          float* up = &ws.hb2[rf];
          const float* gate = &ws.hb[rf];
          // Hybrid: a predicted neuron also needs |silu(gate)| above the CATS threshold.
          const float th = masked->config().dejavu.mlp_mode == DejaVuMlp::kHybrid
                               ? masked->threshold(il, SparsitySite::kDownIn)
                               : -1.0f;
          int32_t j = 0;  // idx is increasing
          for (int32_t i = 0; i < ff; ++i) {
            if (j < k && ws.active[static_cast<size_t>(j)] == i) {
              ++j;
              if (th >= 0.0f && std::fabs(layers::silu_scalar(gate[i])) <= th) {
                up[i] = 0.0f;
              } else {
                ++stats.kept;
              }
            } else {
              up[i] = 0.0f;
            }
          }
          stats.total += ff;
        }
        std::copy_n(ws.xb.data(), static_cast<size_t>(T) * d, ws.mlp_prev.data());
      }
      layers::swiglu(ops, ws.hb.data(), ws.hb2.data(), n_ff);
      if (obs) obs->observe(il, ActivationSite::kDownIn, ws.hb.data(), T, ff);
      if (mask_teal) mask(ws.hb.data(), n_ff, il, SparsitySite::kDownIn);
      mm(L.w_down, ws.hb.data(), ws.xb2.data(), T);
    }
    layers::add_inplace(ws.x.data(), ws.xb2.data(), T * d);
  }

  // Final norm and logits only for each run's last n_out rows, gathered into xb in run order.
  int32_t n_out = 0;
  {
    int32_t row = 0;
    for (const SeqRun& r : runs) {
      const int32_t Ti = static_cast<int32_t>(r.tokens.size());
      if (r.n_out > 0) {
        layers::rms_norm(ops, &ws.x[static_cast<size_t>(row + Ti - r.n_out) * d], w_.output_norm,
                         &ws.xb[static_cast<size_t>(n_out) * d], d, r.n_out, hp_.rms_eps);
      }
      n_out += r.n_out;
      row += Ti;
    }
  }
  if (n_out == 0) return {};
  mm(w_.output, ws.xb.data(), logits, n_out);
  return {};
}

Result<std::unique_ptr<Model>> load(const gguf::File& f) {
  SKIM_TRY(HParams hp, read_hparams(f));
  const gguf::TensorInfo* emb = f.find_tensor("token_embd.weight");
  if (!emb) return make_error("missing tensor 'token_embd.weight'");
  if (emb->shape.size() != 2 || emb->shape[1] != hp.n_embd || emb->shape[0] <= 0) {
    return make_error("tensor 'token_embd.weight' has the wrong shape");
  }
  hp.n_vocab = static_cast<int32_t>(emb->shape[0]);
  if (hp.n_rot != hp.head_dim) return make_error("llama: rope.dimension_count must equal the head size");
  const int64_t d = hp.n_embd, qd = hp.q_dim(), kvd = hp.kv_dim(), ff = hp.n_ff;

  Weights w;
  SKIM_TRY(w.token_embd, bind_tensor(f, "token_embd.weight", {hp.n_vocab, d}));
  SKIM_TRY(w.output_norm, bind_f32_vector(f, "output_norm.weight", d));
  if (f.find_tensor("output.weight")) {
    SKIM_TRY(w.output, bind_tensor(f, "output.weight", {hp.n_vocab, d}));
  } else {
    w.output = w.token_embd;  // tied embeddings
  }
  for (int32_t il = 0; il < hp.n_layer; ++il) {
    const std::string p = fmt::format("blk.{}.", il);
    LayerWeights L;
    SKIM_TRY(L.attn_norm, bind_f32_vector(f, p + "attn_norm.weight", d));
    SKIM_TRY(L.wq, bind_tensor(f, p + "attn_q.weight", {qd, d}));
    SKIM_TRY(L.wk, bind_tensor(f, p + "attn_k.weight", {kvd, d}));
    SKIM_TRY(L.wv, bind_tensor(f, p + "attn_v.weight", {kvd, d}));
    SKIM_TRY(L.wo, bind_tensor(f, p + "attn_output.weight", {d, qd}));
    SKIM_TRY(L.ffn_norm, bind_f32_vector(f, p + "ffn_norm.weight", d));
    SKIM_TRY(L.w_gate, bind_tensor(f, p + "ffn_gate.weight", {ff, d}));
    SKIM_TRY(L.w_up, bind_tensor(f, p + "ffn_up.weight", {ff, d}));
    SKIM_TRY(L.w_down, bind_tensor(f, p + "ffn_down.weight", {d, ff}));
    w.layers.push_back(L);
  }
  return std::unique_ptr<Model>(std::make_unique<LlamaModel>(std::move(hp), std::move(w)));
}

}  // namespace skim::llama
