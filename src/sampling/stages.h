// stages.h — the truncation stages of the sampler chain, as allocation-free free functions.
//
// A candidate is (token id, logit). All orderings use one total order, `better`: higher
// logit first, ties broken by lower token id. Because the order is total, every sorted
// prefix is canonical (independent of the standard library's sort algorithm), which is
// what makes sampling reproducible across platforms.
//
// Logit hygiene: when logits become candidates, NaN is mapped to -inf and +inf to the
// largest finite float, so softmax never sees inf - inf.
//
// Exponentials use exp_nonpos() (simd.h), a self-contained polynomial rather than libm:
// it vectorizes, and its result does not depend on the platform's libm. The loops over a
// whole vocabulary are 4-wide vector code.
//
// Invariants: the functions never allocate; a stage that truncates keeps at least one
// candidate; "sorted" means the whole span is in `better` order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "sampling/simd.h"

namespace skim::sampling {

struct Candidate {
  int32_t id;
  float logit;
};

// The total order: a before b.
inline bool better(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// NaN -> -inf, +inf -> FLT_MAX; everything else unchanged.
float sanitize_logit(float v);

// exp(x) for x <= 0, relative error < 3e-7; x > 0 counts as 0; 0 for x < -87, -inf, NaN.
// The same polynomial as the vector loops (simd.h), so scalar and vector results agree.
inline float exp_nonpos(float x) { return simd::exp_nonpos(simd::splat(x))[0]; }

// Largest non-NaN value; -inf if there is none.
float max_value(std::span<const float> x);

// sum_i exp_nonpos((x_i - shift) * scale), accumulated in a fixed order (deterministic).
double sum_exp(std::span<const float> x, float shift, float scale);

// Index of the largest logit, ties to the lowest id; NaN entries never win. 0 if every
// entry is NaN or -inf. logits must be non-empty.
int32_t argmax(std::span<const float> logits);

// Every logit as a candidate, in id order (sanitized). out.size() >= logits.size().
// Returns logits.size().
size_t fill_candidates(std::span<const float> logits, std::span<Candidate> out);

// The k best candidates in `better` order (sanitized), written to out[0..k).
// 1 <= k <= logits.size() and out.size() >= k. O(n + k log k log(n/k)) expected on
// typical logits: one comparison per token, a heap update for the few that enter.
size_t select_top_k(std::span<const float> logits, size_t k, std::span<Candidate> out);

// Nucleus (top-p) over the candidates, llama.cpp semantics: with probabilities
// softmax(logits) over `cands`, keep the smallest `better`-ordered prefix whose mass
// reaches p (at least one). p >= 1 keeps everything. Returns the kept count.
// Never sorts more than needed:
//  - sorted input, or few candidates: a walk over growing partial sorts; the kept
//    candidates end up sorted (*sorted = true);
//  - many unsorted candidates (a whole vocabulary): a histogram of probability mass
//    over logit buckets finds the bucket where the mass crosses p; only that bucket is
//    sorted. The kept candidates are then the surer ones in their previous order,
//    followed by the needed part of the crossing bucket in `better` order
//    (*sorted = false). scratch.size() >= cands.size() is required for this case.
size_t apply_top_p(std::span<Candidate> cands, float p, bool* sorted,
                   std::span<Candidate> scratch);

// Min-p, llama.cpp semantics: keep candidates whose probability is at least p times the
// largest one (logit >= max_logit + log p). p <= 0 keeps everything. Order is preserved
// (compaction when unsorted). Returns the kept count (>= 1).
size_t apply_min_p(std::span<Candidate> cands, float p, bool sorted);

// Largest logit among candidates (sorted: the first). cands must be non-empty.
float max_logit(std::span<const Candidate> cands, bool sorted);

// out[i] = exp_nonpos((cands[i].logit - mx) / temperature); returns their sum, accumulated
// in a fixed order. out.size() >= cands.size(), temperature > 0.
double candidate_weights(std::span<const Candidate> cands, float mx, float temperature,
                         std::span<float> out);

}  // namespace skim::sampling
