// batch.cpp — multi-sequence forward passes (continuous batching): Batch::step maps its
// runs onto one Model::forward_multi call and hands each session its logits.
//
// Invariants: the workspace, the run list and the logits buffer are sized at creation, so
// a step does not allocate; every run is validated (here: distinct sessions, counts; in
// the model: positions, token ids, batch size) before any session changes; a session's
// n_past advances only after the pass succeeded.
#include <fmt/core.h>

#include <algorithm>
#include <cstring>

#include "runtime/engine_impl.h"

namespace skim {

Batch::Impl::Impl(const Engine::Impl* e, int32_t max_tokens, int32_t max_seqs_, int32_t n_ctx)
    : engine(e),
      ws(e->model->make_workspace(max_tokens, n_ctx, e->pool->size())),
      max_seqs(max_seqs_),
      runs(static_cast<size_t>(max_seqs_)),
      decode_runs(static_cast<size_t>(max_seqs_)),
      logits(static_cast<size_t>(max_seqs_) * static_cast<size_t>(e->model->hparams().n_vocab)) {}

Batch::Batch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Batch::~Batch() = default;
int32_t Batch::max_tokens() const { return impl_->ws->max_batch(); }
int32_t Batch::max_seqs() const { return impl_->max_seqs; }

std::unique_ptr<Batch> Engine::new_batch(int32_t max_tokens, int32_t max_seqs, int32_t n_ctx) const {
  const int32_t ctx = n_ctx > 0 ? std::min(n_ctx, impl_->info.n_ctx) : impl_->info.n_ctx;
  max_tokens = std::max(1, max_tokens);
  max_seqs = std::clamp(max_seqs, 1, max_tokens);
  return std::make_unique<Batch>(std::make_unique<Batch::Impl>(impl_.get(), max_tokens, max_seqs, ctx));
}

Status Batch::step(std::span<const Run> runs) {
  Impl& b = *impl_;
  if (runs.empty()) return {};
  if (static_cast<int64_t>(runs.size()) > b.max_seqs) {
    return make_error(fmt::format("batch of {} sequences exceeds its capacity ({})", runs.size(), b.max_seqs));
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    if (!r.session) return make_error(fmt::format("batch run {} has no session", i));
    const Session::Impl& s = *r.session->impl_;
    if (s.engine != b.engine) return make_error(fmt::format("batch run {}: the session belongs to another engine", i));
    if (r.tokens.empty()) return make_error(fmt::format("batch run {} has no tokens", i));
    if (s.n_past + static_cast<int64_t>(r.tokens.size()) > s.kv.n_ctx()) {
      return make_error(fmt::format("batch run {}: {} tokens + {} in context exceed the context size {}", i,
                                    r.tokens.size(), s.n_past, s.kv.n_ctx()));
    }
    for (size_t j = 0; j < i; ++j) {
      if (runs[j].session == r.session) return make_error(fmt::format("batch runs {} and {} share a session", j, i));
    }
    b.runs[i] = SeqRun{&r.session->impl_->kv, r.tokens, s.n_past, r.want_logits ? 1 : 0};
  }
  SKIM_RETURN_IF_ERROR(b.engine->model->forward_multi(
      b.engine->exec(), *b.ws, std::span<const SeqRun>(b.runs.data(), runs.size()), b.logits.data()));
  const size_t n_vocab = static_cast<size_t>(b.engine->model->hparams().n_vocab);
  size_t out = 0;
  for (const Run& r : runs) {
    Session::Impl& s = *r.session->impl_;
    s.n_past += static_cast<int32_t>(r.tokens.size());
    if (r.want_logits) {
      std::memcpy(s.logits.data(), b.logits.data() + out * n_vocab, n_vocab * sizeof(float));
      ++out;
    }
  }
  return {};
}

Status Batch::decode(std::span<Session* const> sessions, std::span<const int32_t> tokens) {
  if (sessions.size() != tokens.size()) return make_error("decode: one token per session");
  if (static_cast<int64_t>(sessions.size()) > impl_->max_seqs) {
    return make_error(fmt::format("batch of {} sequences exceeds its capacity ({})", sessions.size(), impl_->max_seqs));
  }
  Run* rs = impl_->decode_runs.data();  // [max_seqs], reused
  for (size_t i = 0; i < sessions.size(); ++i) rs[i] = Run{sessions[i], tokens.subspan(i, 1), true};
  return step(std::span<const Run>(rs, sessions.size()));
}

Status Engine::decode_step(std::span<Session* const> sessions, std::span<const int32_t> tokens) const {
  if (sessions.size() != tokens.size()) return make_error("decode_step: one token per session");
  if (sessions.empty()) return {};
  std::lock_guard<std::mutex> lk(impl_->decode_mu);
  const int32_t n = static_cast<int32_t>(sessions.size());
  if (!impl_->decode_batch || impl_->decode_batch->max_seqs() < n) {
    impl_->decode_batch = new_batch(n, n);  // grows only: later steps reuse it
  }
  return impl_->decode_batch->decode(sessions, tokens);
}

}  // namespace skim
