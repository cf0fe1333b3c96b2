// generation.h — incremental generation state of one sequence, for schedulers that decode
// many sequences together (continuous batching) and for one-sequence loops alike.
//
// A Generation owns what turns logits into output for one sequence: the sampler (penalty
// window, seeded RNG), the stop-string matcher, the UTF-8 re-assembler and the counters.
// It never runs the model. The caller's loop is:
//
//   auto gen = Generation::create(engine, session, params);   // session holds the prompt
//   gen->accept_prompt(prompt);                               // penalty window (optional)
//   for (;;) {
//     GenerationStep s = gen->next();   // samples from session.logits()
//     emit(s.text);
//     if (s.finished) break;
//     engine.decode_step({&session}, {s.token});   // in practice: all unfinished sequences
//   }
//
// Invariants:
//  - next() samples from the session's current logits, so the session must have evaluated
//    the prompt (and every token next() returned with finished == false) before each call.
//  - Text is emitted only when it is complete UTF-8 and cannot be the start of a stop
//    string; stop strings are never emitted. Tokens and finish reasons equal those of
//    Session::generate for the same inputs (same sampler, same checks in the same order),
//    and so does the text: at an end-of-generation token both emit the text still held
//    back (the start of a stop string that never completed), not drop it.
//  - finish_reason is "stop" (an end-of-generation token or a stop string) or "length"
//    (max_tokens reached or the session's context is full). After finished, next() keeps
//    returning an empty finished step.
//  - An end-of-generation token is not counted, not emitted and needs no decode.
//  - The Engine and the Session must outlive the Generation.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "skim/engine.h"
#include "skim/result.h"

namespace skim {

struct GenerationOptions {
  GenerateParams params;
  // Log-probabilities (OpenAI `logprobs` / `top_logprobs`): of the model's distribution
  // after penalties, at temperature 1, over the whole vocabulary.
  bool logprobs = false;
  int32_t top_logprobs = 0;  // 0..20 alternatives per position (implies logprobs)
};

struct TokenLogprob {
  int32_t token = -1;
  float logprob = 0.0f;  // natural log
};

struct GenerationStep {
  int32_t token = -1;          // the sampled token (-1 when nothing was sampled)
  std::string text;            // text that became safe to emit (may be empty)
  bool finished = false;
  std::string finish_reason;   // when finished: "stop" or "length"
  // The token must be appended to the session (decode_step) before the next call.
  bool needs_decode() const { return !finished && token >= 0; }
  // When logprobs were requested and a counted token was sampled.
  bool has_logprob = false;
  TokenLogprob logprob;
  std::vector<TokenLogprob> top_logprobs;  // most likely first
};

class Generation {
 public:
  // Checks the options without building anything (a user error names the bad field).
  static Status validate(const GenerationOptions& options);
  // Validates the options, then builds the state for `session`.
  static Result<Generation> create(const Engine& engine, const Session& session, const GenerationOptions& options);
  Generation(Generation&&) noexcept;
  Generation& operator=(Generation&&) noexcept;
  ~Generation();

  // Records prompt tokens in the sampler's penalty window (as Session::generate does).
  void accept_prompt(std::span<const int32_t> tokens);

  // Samples the next token from the session's current logits; see the header comment.
  GenerationStep next();

  // Ends the generation early (client gone, server stopping): returns the held-back text
  // (may be empty) and marks it finished with the given reason.
  std::string finish(const std::string& reason);

  bool finished() const;
  const std::string& finish_reason() const;
  int32_t n_generated() const;  // counted tokens (end-of-generation tokens excluded)
  const std::vector<int32_t>& tokens() const;

  struct Impl;

 private:
  explicit Generation(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace skim
