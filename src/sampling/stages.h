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
// Invariants: the functions never allocate; a stage that truncates keeps at least one
// candidate; "sorted" means the whole span is in `better` order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

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
// reaches p (at least one). p >= 1 keeps everything. Sorts only as much as needed
// (growing partial sorts), so a large unsorted vocabulary is cheap when the mass is
// concentrated. On return the kept prefix is sorted and *sorted is true (unless
// nothing was done). Returns the kept count.
size_t apply_top_p(std::span<Candidate> cands, float p, bool* sorted);

// Min-p, llama.cpp semantics: keep candidates whose probability is at least p times the
// largest one (logit >= max_logit + log p). p <= 0 keeps everything. Order is preserved
// (compaction when unsorted). Returns the kept count (>= 1).
size_t apply_min_p(std::span<Candidate> cands, float p, bool sorted);

// Largest logit among candidates (sorted: the first). cands must be non-empty.
float max_logit(std::span<const Candidate> cands, bool sorted);

}  // namespace skim::sampling
