// sampler.cpp — validation and the sampler chain (see sampler.h).
#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "core/check.h"

namespace skim::sampling {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

Error field_error(const char* field, const char* requirement, double got) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "sampling: %s must be %s, got %g", field, requirement, got);
  return make_error(buf);
}

}  // namespace

Status validate(const SamplingParams& p) {
  if (!std::isfinite(p.temperature)) {
    return field_error("temperature", "a finite number (<= 0 means greedy)", p.temperature);
  }
  // The negated forms also reject NaN.
  if (!(p.top_p >= 0.0f && p.top_p <= 1.0f)) {
    return field_error("top_p", "in [0, 1] (1 turns it off)", p.top_p);
  }
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) {
    return field_error("min_p", "in [0, 1] (0 turns it off)", p.min_p);
  }
  if (!(std::isfinite(p.repeat_penalty) && p.repeat_penalty > 0.0f)) {
    return field_error("repeat_penalty", "a finite number > 0 (1 turns it off)", p.repeat_penalty);
  }
  if (!std::isfinite(p.frequency_penalty)) {
    return field_error("frequency_penalty", "a finite number", p.frequency_penalty);
  }
  if (!std::isfinite(p.presence_penalty)) {
    return field_error("presence_penalty", "a finite number", p.presence_penalty);
  }
  if (p.penalty_last_n < -1 || p.penalty_last_n > kMaxPenaltyLastN) {
    return field_error("penalty_last_n", "in [-1, 1048576] (0 off, -1 all tokens)",
                       p.penalty_last_n);
  }
  if (p.top_logprobs < 0 || p.top_logprobs > kMaxTopLogprobs) {
    return field_error("top_logprobs", "in [0, 1024]", p.top_logprobs);
  }
  return {};
}

Result<Sampler> Sampler::create(const SamplingParams& p, int32_t n_vocab) {
  if (Status st = validate(p); !st.ok()) return st.error();
  if (n_vocab <= 0) return make_error("sampling: vocabulary size must be > 0, got " + std::to_string(n_vocab));
  return Sampler(p, n_vocab);
}

Sampler::Sampler(const SamplingParams& p, int32_t n_vocab)
    : params_(p),
      n_vocab_(n_vocab),
      penalties_(p.repeat_penalty, p.frequency_penalty, p.presence_penalty, p.penalty_last_n,
                 n_vocab),
      rng_(p.seed),
      want_probs_(p.logprobs || p.top_logprobs > 0) {
  SKIM_CHECK(n_vocab > 0);
  SKIM_CHECK(validate(p).ok());
  const auto nv = static_cast<size_t>(n_vocab);
  if (penalties_.enabled()) penalized_.resize(nv);
  if (params_.temperature > 0.0f) {  // greedy needs no candidate list
    cands_.resize(nv);
    weights_.resize(nv);
    const bool top_k_off = p.top_k <= 0 || p.top_k >= n_vocab;
    if (top_k_off && p.top_p < 1.0f) top_p_scratch_.resize(nv);  // histogram top-p
  }
  const size_t n_top = std::min(nv, static_cast<size_t>(std::max(p.top_logprobs, 0)));
  top_scratch_.resize(n_top);
  top_.resize(n_top);
}

void Sampler::accept(int32_t token) { penalties_.accept(token); }

void Sampler::reset() {
  penalties_.reset();
  rng_.reseed(params_.seed);
  top_count_ = 0;
  chosen_ = TokenProb{};
}

int32_t Sampler::sample(std::span<const float> logits) {
  SKIM_CHECK(logits.size() == static_cast<size_t>(n_vocab_));
  std::span<const float> src = logits;
  if (penalties_.has_history()) {
    std::copy(logits.begin(), logits.end(), penalized_.begin());
    penalties_.apply(penalized_);
    src = penalized_;
  }

  if (params_.temperature <= 0.0f) {
    const int32_t chosen = argmax(src);
    if (want_probs_) {
      if (params_.post_sampling_probs) {  // the greedy distribution is one-hot
        chosen_ = TokenProb{chosen, 0.0f, 1.0f};
        top_count_ = std::min<size_t>(top_.size(), 1);
        if (top_count_ > 0) top_[0] = chosen_;
      } else {
        model_probs(src, chosen);
      }
    }
    return chosen;
  }

  size_t n = 0;
  bool sorted = false;
  const int32_t k = params_.top_k;
  if (k > 0 && k < n_vocab_) {
    n = select_top_k(src, static_cast<size_t>(k), cands_);
    sorted = true;
  } else {
    n = fill_candidates(src, cands_);
  }
  n = apply_top_p(std::span(cands_.data(), n), params_.top_p, &sorted, top_p_scratch_);
  n = apply_min_p(std::span(cands_.data(), n), params_.min_p, sorted);

  const size_t idx = draw(n, sorted);
  const int32_t chosen = cands_[idx].id;
  if (want_probs_) {
    if (params_.post_sampling_probs) {
      final_probs(n, sorted, idx);
    } else {
      model_probs(src, chosen);
    }
  }
  return chosen;
}

size_t Sampler::draw(size_t n, bool sorted) {
  SKIM_CHECK(n >= 1);
  const double u = rng_.uniform();  // always exactly one draw per sample() at T > 0
  const float mx = max_logit(std::span(cands_.data(), n), sorted);
  const float t = params_.temperature;
  double sum = 0.0;
  if (mx == kNegInf) {  // every candidate impossible: treat them as equally likely
    std::fill_n(weights_.begin(), n, 1.0f);
    sum = static_cast<double>(n);
  } else {
    sum = candidate_weights(std::span(cands_.data(), n), mx, t, weights_);
  }
  last_max_ = mx;
  last_sum_ = sum;

  const double target = u * sum;
  double cum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    cum += weights_[i];
    if (target < cum) return i;
  }
  // Rounding left target at the very top: the last candidate with any weight.
  for (size_t i = n; i-- > 0;) {
    if (weights_[i] > 0.0f) return i;
  }
  return 0;
}

void Sampler::model_probs(std::span<const float> logits, int32_t chosen) {
  // log-softmax of the (penalized) logits over the whole vocabulary, temperature 1.
  // NaN counts as -inf and +inf as FLT_MAX (sanitize_logit), also inside sum_exp.
  const float mx = sanitize_logit(max_value(logits));
  double log_z = 0.0;
  if (mx == kNegInf) {
    log_z = std::log(static_cast<double>(logits.size()));  // degenerate: uniform
  } else {
    log_z = static_cast<double>(mx) + std::log(sum_exp(logits, mx, 1.0f));
  }
  auto make = [&](int32_t token) {
    const float l = sanitize_logit(logits[static_cast<size_t>(token)]);
    const double lp = mx == kNegInf ? -log_z : static_cast<double>(l) - log_z;
    return TokenProb{token, static_cast<float>(lp), static_cast<float>(std::exp(lp))};
  };
  chosen_ = make(chosen);
  top_count_ = top_.size();
  if (top_count_ == 0) return;
  select_top_k(logits, top_count_, top_scratch_);
  for (size_t i = 0; i < top_count_; ++i) top_[i] = make(top_scratch_[i].id);
}

void Sampler::final_probs(size_t n, bool sorted, size_t chosen_index) {
  // The distribution draw() used: weights over cands_[0..n), normalizer last_sum_.
  const double log_sum = std::log(last_sum_);
  const double t = params_.temperature;
  auto make = [&](const Candidate& c) {
    const double lp = last_max_ == kNegInf
                          ? -log_sum
                          : (static_cast<double>(c.logit) - last_max_) / t - log_sum;
    return TokenProb{c.id, static_cast<float>(lp), static_cast<float>(std::exp(lp))};
  };
  chosen_ = make(cands_[chosen_index]);
  top_count_ = std::min(top_.size(), n);
  if (top_count_ == 0) return;
  if (!sorted) {
    const auto mid = cands_.begin() + static_cast<std::ptrdiff_t>(top_count_);
    std::partial_sort(cands_.begin(), mid, cands_.begin() + static_cast<std::ptrdiff_t>(n), better);
  }
  for (size_t i = 0; i < top_count_; ++i) top_[i] = make(cands_[i]);
}

}  // namespace skim::sampling
