// session.cpp — one sequence: evaluation in batches, logits, and the generate loop
// (sample -> stop checks -> stream UTF-8-complete text; held-back text is flushed at the
// end unless a stop string matched, as in generation.cpp).
#include <fmt/core.h>

#include <algorithm>
#include <chrono>

#include "runtime/engine_impl.h"
#include "sampling/sampler.h"
#include "sampling/stop_matcher.h"

namespace skim {

Session::Impl::Impl(const Engine::Impl* e, int32_t n_ctx)
    : engine(e),
      kv(e->model->hparams().n_layer, n_ctx, e->model->hparams().kv_dim()),
      ws(e->model->make_workspace(e->n_batch, n_ctx, e->pool->size())),
      logits(static_cast<size_t>(e->model->hparams().n_vocab)) {}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

int32_t Session::n_past() const { return impl_->n_past; }
int32_t Session::n_ctx() const { return impl_->kv.n_ctx(); }
void Session::clear() { impl_->n_past = 0; }
double Session::measured_sparsity() const { return impl_->ws->sparsity_stats().sparsity(); }
void Session::reset_sparsity_stats() { impl_->ws->sparsity_stats() = SparsityStats{}; }
std::span<const float> Session::logits() const { return impl_->logits; }

Status Session::eval(std::span<const int32_t> tokens) {
  Impl& s = *impl_;
  if (tokens.empty()) return {};
  if (s.n_past + static_cast<int64_t>(tokens.size()) > s.kv.n_ctx()) {
    return make_error(fmt::format("prompt too long: {} tokens + {} already in context exceed the context size {}",
                                  tokens.size(), s.n_past, s.kv.n_ctx()));
  }
  const int32_t B = s.ws->max_batch();
  for (size_t i = 0; i < tokens.size(); i += static_cast<size_t>(B)) {
    const size_t n = std::min(tokens.size() - i, static_cast<size_t>(B));
    const bool last = i + n == tokens.size();
    SKIM_RETURN_IF_ERROR(s.engine->model->forward(s.exec(), *s.ws, s.kv, tokens.subspan(i, n), s.n_past,
                                                  last ? 1 : 0, s.logits.data()));
    s.n_past += static_cast<int32_t>(n);
  }
  return {};
}

void Session::truncate(int32_t n) { impl_->n_past = std::clamp(n, 0, impl_->n_past); }

Status Session::eval_logits(std::span<const int32_t> tokens, int32_t n_out, float* out) {
  impl_->n_past = 0;
  return append_logits(tokens, n_out, out);
}

Status Session::append_logits(std::span<const int32_t> tokens, int32_t n_out, float* out) {
  Impl& s = *impl_;
  if (s.n_past + static_cast<int64_t>(tokens.size()) > s.kv.n_ctx()) {
    return make_error(fmt::format("{} tokens + {} in context exceed the context size {}", tokens.size(), s.n_past,
                                  s.kv.n_ctx()));
  }
  if (n_out < 0 || n_out > static_cast<int32_t>(tokens.size())) return make_error("invalid n_out");
  const int32_t B = s.ws->max_batch();
  const size_t n_vocab = s.logits.size();
  const size_t first_out = tokens.size() - static_cast<size_t>(n_out);
  for (size_t i = 0; i < tokens.size(); i += static_cast<size_t>(B)) {
    const size_t n = std::min(tokens.size() - i, static_cast<size_t>(B));
    // Outputs wanted from this batch: positions >= first_out, always a suffix of the batch.
    const size_t out_begin = std::max(first_out, i);
    const int32_t batch_out = out_begin < i + n ? static_cast<int32_t>(i + n - out_begin) : 0;
    SKIM_RETURN_IF_ERROR(s.engine->model->forward(s.exec(), *s.ws, s.kv, tokens.subspan(i, n), s.n_past, batch_out,
                                                  out + (out_begin - first_out) * n_vocab));
    s.n_past += static_cast<int32_t>(n);
  }
  return {};
}

Result<GenerateResult> Session::generate(std::span<const int32_t> prompt, const GenerateParams& gp,
                                         const std::function<bool(std::string_view)>& on_text) {
  Impl& s = *impl_;
  const Engine::Impl& e = *s.engine;
  sampling::SamplingParams sp;
  sp.temperature = gp.sampling.temperature;
  sp.top_k = gp.sampling.top_k;
  sp.top_p = gp.sampling.top_p;
  sp.min_p = gp.sampling.min_p;
  sp.repeat_penalty = gp.sampling.repeat_penalty;
  sp.frequency_penalty = gp.sampling.frequency_penalty;
  sp.presence_penalty = gp.sampling.presence_penalty;
  sp.penalty_last_n = gp.sampling.penalty_last_n;
  sp.seed = gp.sampling.seed;
  SKIM_TRY(sampling::Sampler sampler, sampling::Sampler::create(sp, e.model->hparams().n_vocab));
  if (prompt.empty() && s.n_past == 0) return make_error("empty prompt");

  GenerateResult r;
  r.prompt_tokens = static_cast<int32_t>(prompt.size());
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  SKIM_RETURN_IF_ERROR(eval(prompt));
  for (int32_t t : prompt) sampler.accept(t);
  auto t1 = Clock::now();
  r.prompt_seconds = std::chrono::duration<double>(t1 - t0).count();

  sampling::StopMatcher stop(gp.stop);
  tok::Utf8Stream utf8;
  bool keep_going = true;
  auto emit = [&](std::string_view text) {  // text views die at the next feed: copy now
    r.text += text;
    if (on_text && !text.empty() && keep_going) keep_going = on_text(text);
  };
  r.finish_reason = "length";
  bool stop_matched = false;
  const int32_t limit = gp.max_tokens < 0 ? s.kv.n_ctx() : gp.max_tokens;
  for (int32_t i = 0; i < limit && keep_going; ++i) {
    const int32_t tok = sampler.sample(s.logits);
    sampler.accept(tok);
    if (!gp.ignore_eos && e.tokenizer->is_eog(tok)) {
      r.finish_reason = "stop";
      break;
    }
    r.tokens.push_back(tok);
    const std::string piece = utf8.push(e.tokenizer->token_to_piece(tok, false));
    auto m = stop.feed(piece);
    emit(m.emit);
    if (m.stopped) {
      r.finish_reason = "stop";
      stop_matched = true;
      break;
    }
    if (i + 1 == limit) break;
    if (s.n_past + 1 > s.kv.n_ctx()) break;  // context full: finish with "length"
    const int32_t one[1] = {tok};
    SKIM_RETURN_IF_ERROR(eval(one));
  }
  // Whatever ended the generation (length, end-of-generation token, the caller), text held
  // back (an unfinished UTF-8 sequence, the start of a stop string that never completed)
  // is emitted, as Generation does; only a matched stop string ends the text where it began.
  if (!stop_matched) {
    const std::string rest = utf8.flush();
    auto m = stop.feed(rest);
    emit(m.emit);
    if (!m.stopped) emit(stop.flush());
  }
  r.generate_seconds = std::chrono::duration<double>(Clock::now() - t1).count();
  return r;
}

}  // namespace skim
