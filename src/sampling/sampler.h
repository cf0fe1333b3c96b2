// sampler.h — the sampler chain: logits of one position -> one token.
//
// Order (llama.cpp's default chain): penalties -> top_k -> top_p -> min_p -> temperature
// -> draw from the softmax with a seeded xoshiro256** generator. top_p and min_p see
// temperature-1 probabilities, as in llama.cpp. temperature <= 0 is greedy: the argmax of
// the penalized logits, ties to the lowest token id, no random draw.
//
// Invariants:
//  - Deterministic: same params (seed included) + same accepted tokens + same logits
//    => same token, on every platform (own PRNG, canonical candidate order).
//  - Every buffer is sized in the constructor; sample() and accept() never allocate.
//  - A Sampler holds per-sequence state (penalty window, RNG): one per sequence.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "sampling/penalties.h"
#include "sampling/rng.h"
#include "sampling/stages.h"

namespace skim::sampling {

struct SamplingParams {
  float temperature = 0.8f;         // <= 0: greedy (argmax)
  int32_t top_k = 40;               // <= 0 (or >= n_vocab): off
  float top_p = 0.95f;              // in [0, 1]; 1: off
  float min_p = 0.05f;              // in [0, 1]; 0: off
  float repeat_penalty = 1.0f;      // > 0; llama.cpp: logit > 0 ? logit / p : logit * p
  float frequency_penalty = 0.0f;   // OpenAI: logit -= count * frequency_penalty
  float presence_penalty = 0.0f;    // OpenAI: logit -= (count > 0) * presence_penalty
  int32_t penalty_last_n = 64;      // window of the penalties; 0: off; -1: all since reset()
  uint64_t seed = 0xFFFFFFFF;       // fixed default => deterministic by default

  // Log-probabilities of the chosen token (and alternatives), for OpenAI `logprobs`.
  bool logprobs = false;            // compute chosen_prob() after each sample()
  int32_t top_logprobs = 0;         // also the n most likely tokens (implies logprobs)
  // false: the model's distribution, softmax(penalized logits) over the whole vocabulary
  //        at temperature 1 (OpenAI semantics, also meaningful for greedy decoding).
  // true:  the distribution actually sampled from, after truncation and temperature
  //        (llama.cpp's post_sampling_probs; one-hot for greedy).
  bool post_sampling_probs = false;
};

inline constexpr int32_t kMaxPenaltyLastN = 1 << 20;
inline constexpr int32_t kMaxTopLogprobs = 1024;

// OK, or a one-line error naming the bad field and its value (NaN/inf, out of range).
Status validate(const SamplingParams& p);

struct TokenProb {
  int32_t token = -1;
  float logprob = 0.0f;  // natural log; -inf for a token the distribution excludes
  float prob = 0.0f;
};

class Sampler {
 public:
  // Validates the params (errors are user errors), then constructs.
  static Result<Sampler> create(const SamplingParams& p, int32_t n_vocab);
  // Preallocates everything. The params must pass validate() and n_vocab > 0 (checked).
  Sampler(const SamplingParams& p, int32_t n_vocab);

  // Chooses a token from the logits of one position (size n_vocab). Does not accept it:
  // call accept() with the token actually used (the caller may override it, e.g. EOS).
  int32_t sample(std::span<const float> logits);

  // Records a generated or prompt token for the penalty window.
  void accept(int32_t token);

  // Clears the penalty window and restarts the generator from the seed.
  void reset();

  // After sample(), when params.logprobs or top_logprobs > 0: the chosen token's
  // probability, and the top_logprobs most likely tokens in `better` order (most likely
  // first; fewer if the distribution has fewer tokens). Which distribution: see
  // SamplingParams::post_sampling_probs.
  TokenProb chosen_prob() const { return chosen_; }
  std::span<const TokenProb> top_probs() const { return {top_.data(), top_count_}; }

  const SamplingParams& params() const { return params_; }
  int32_t n_vocab() const { return n_vocab_; }

 private:
  // Draws from softmax(logit / temperature) over cands_[0..n). Returns the index.
  size_t draw(size_t n, bool sorted);
  void model_probs(std::span<const float> logits, int32_t chosen);
  void final_probs(size_t n, bool sorted, size_t chosen_index);

  SamplingParams params_;
  int32_t n_vocab_;
  PenaltyState penalties_;
  Rng rng_;
  bool want_probs_;
  std::vector<float> penalized_;      // n_vocab: logits after penalties (when enabled)
  std::vector<Candidate> cands_;      // n_vocab: working candidate list
  std::vector<float> weights_;        // n_vocab: exp((logit - max) / T) of candidates
  std::vector<Candidate> top_p_scratch_;  // n_vocab when top-p runs on the whole vocabulary
  std::vector<Candidate> top_scratch_;  // top_logprobs: selection for model_probs
  std::vector<TokenProb> top_;        // top_logprobs
  size_t top_count_ = 0;
  TokenProb chosen_;
  float last_max_ = 0.0f;     // softmax max of the last draw (for final_probs)
  double last_sum_ = 0.0;     // softmax normalizer of the last draw
};

}  // namespace skim::sampling
