// generation.cpp — the per-sequence generation state (include/skim/generation.h): sample
// -> end-of-generation / stop-string / length checks -> UTF-8-complete text.
//
// The order of checks mirrors Session::generate so that a scheduler built on Generation
// produces the same tokens and text as `skim run`. When the generation ends for any reason
// but a matched stop string (an end-of-generation token included), text held back (an
// unfinished UTF-8 sequence, or the beginning of a stop string that never completed) is
// flushed, not dropped; Session::generate does the same.
#include "skim/generation.h"

#include <fmt/core.h>

#include "sampling/sampler.h"
#include "sampling/stop_matcher.h"
#include "tokenizer/utf8.h"

namespace skim {

struct Generation::Impl {
  const Engine* engine;
  const Session* session;
  GenerationOptions opt;
  sampling::Sampler sampler;
  sampling::StopMatcher stop;
  tok::Utf8Stream utf8;
  std::vector<int32_t> tokens;
  int32_t limit;
  bool finished = false;
  std::string finish_reason;

  Impl(const Engine& e, const Session& s, const GenerationOptions& o, sampling::Sampler smp)
      : engine(&e),
        session(&s),
        opt(o),
        sampler(std::move(smp)),
        stop(o.params.stop),
        limit(o.params.max_tokens < 0 ? s.n_ctx() : o.params.max_tokens) {}

  // Ends the generation: everything still held back becomes text (unless a stop matched).
  std::string flush_and_finish(const std::string& reason) {
    std::string out;
    if (!finished) {
      const std::string rest = utf8.flush();
      auto m = stop.feed(rest);
      out.append(m.emit);
      if (!m.stopped) out.append(stop.flush());
    }
    finished = true;
    if (finish_reason.empty()) finish_reason = reason;
    return out;
  }
};

namespace {

sampling::SamplingParams sampling_params(const GenerationOptions& o) {
  sampling::SamplingParams sp;
  const SamplingOptions& so = o.params.sampling;
  sp.temperature = so.temperature;
  sp.top_k = so.top_k;
  sp.top_p = so.top_p;
  sp.min_p = so.min_p;
  sp.repeat_penalty = so.repeat_penalty;
  sp.frequency_penalty = so.frequency_penalty;
  sp.presence_penalty = so.presence_penalty;
  sp.penalty_last_n = so.penalty_last_n;
  sp.seed = so.seed;
  sp.logprobs = o.logprobs || o.top_logprobs > 0;
  sp.top_logprobs = o.top_logprobs;
  sp.post_sampling_probs = false;
  return sp;
}

}  // namespace

Status Generation::validate(const GenerationOptions& o) {
  if (o.top_logprobs < 0 || o.top_logprobs > 20) {
    return make_error(fmt::format("top_logprobs must be between 0 and 20, got {}", o.top_logprobs));
  }
  return sampling::validate(sampling_params(o));
}

Result<Generation> Generation::create(const Engine& engine, const Session& session, const GenerationOptions& o) {
  SKIM_RETURN_IF_ERROR(validate(o));
  SKIM_TRY(sampling::Sampler sampler, sampling::Sampler::create(sampling_params(o), engine.info().n_vocab));
  return Generation(std::make_unique<Impl>(engine, session, o, std::move(sampler)));
}

Generation::Generation(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Generation::Generation(Generation&&) noexcept = default;
Generation& Generation::operator=(Generation&&) noexcept = default;
Generation::~Generation() = default;

void Generation::accept_prompt(std::span<const int32_t> tokens) {
  for (int32_t t : tokens) impl_->sampler.accept(t);
}

GenerationStep Generation::next() {
  Impl& g = *impl_;
  GenerationStep step;
  if (g.finished) {
    step.finished = true;
    step.finish_reason = g.finish_reason;
    return step;
  }
  if (static_cast<int32_t>(g.tokens.size()) >= g.limit) {  // max_tokens == 0
    step.text = g.flush_and_finish("length");
    step.finished = true;
    step.finish_reason = g.finish_reason;
    return step;
  }
  const int32_t tok = g.sampler.sample(g.session->logits());
  g.sampler.accept(tok);
  step.token = tok;
  if (!g.opt.params.ignore_eos && g.engine->is_eog(tok)) {
    step.text = g.flush_and_finish("stop");
    step.finished = true;
    step.finish_reason = g.finish_reason;
    return step;
  }
  g.tokens.push_back(tok);
  if (g.sampler.params().logprobs) {
    step.has_logprob = true;
    const auto chosen = g.sampler.chosen_prob();
    step.logprob = {chosen.token, chosen.logprob};
    for (const auto& tp : g.sampler.top_probs()) step.top_logprobs.push_back({tp.token, tp.logprob});
  }
  const std::string piece = g.utf8.push(g.engine->token_piece(tok, false));
  auto m = g.stop.feed(piece);
  step.text.assign(m.emit);
  if (m.stopped) {
    g.finished = true;
    g.finish_reason = "stop";
  } else if (static_cast<int32_t>(g.tokens.size()) >= g.limit ||
             g.session->n_past() + 1 > g.session->n_ctx()) {  // no room to append the token
    step.text += g.flush_and_finish("length");
  }
  step.finished = g.finished;
  step.finish_reason = g.finish_reason;
  return step;
}

std::string Generation::finish(const std::string& reason) { return impl_->flush_and_finish(reason); }
bool Generation::finished() const { return impl_->finished; }
const std::string& Generation::finish_reason() const { return impl_->finish_reason; }
int32_t Generation::n_generated() const { return static_cast<int32_t>(impl_->tokens.size()); }
const std::vector<int32_t>& Generation::tokens() const { return impl_->tokens; }

}  // namespace skim
