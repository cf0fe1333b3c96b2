// stages.cpp — top-k / top-p / min-p truncation and helpers (see stages.h).
#include "sampling/stages.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/check.h"

namespace skim::sampling {

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kPosInf = std::numeric_limits<float>::infinity();
constexpr float kMaxFinite = std::numeric_limits<float>::max();
// First partial-sort size for top-p on unsorted candidates; it grows 8x per round.
constexpr size_t kTopPFirstChunk = 128;
}  // namespace

float sanitize_logit(float v) {
  if (std::isnan(v)) return kNegInf;
  if (v == kPosInf) return kMaxFinite;
  return v;
}

int32_t argmax(std::span<const float> logits) {
  SKIM_CHECK(!logits.empty());
  float best = kNegInf;
  size_t best_i = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (logits[i] > best) {  // strict: ties keep the lowest id; NaN never compares greater
      best = logits[i];
      best_i = i;
    }
  }
  return static_cast<int32_t>(best_i);
}

size_t fill_candidates(std::span<const float> logits, std::span<Candidate> out) {
  SKIM_CHECK(out.size() >= logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    out[i] = Candidate{static_cast<int32_t>(i), sanitize_logit(logits[i])};
  }
  return logits.size();
}

size_t select_top_k(std::span<const float> logits, size_t k, std::span<Candidate> out) {
  const size_t n = logits.size();
  SKIM_CHECK(k >= 1 && k <= n && out.size() >= k);
  // A heap ordered by `better`, so its front is the worst of the k kept so far.
  Candidate* heap = out.data();
  for (size_t i = 0; i < k; ++i) heap[i] = Candidate{static_cast<int32_t>(i), sanitize_logit(logits[i])};
  std::make_heap(heap, heap + k, better);
  float worst = heap[0].logit;
  for (size_t i = k; i < n; ++i) {
    // Ids grow with i, so a tie with the current worst loses: only a strictly larger
    // logit can enter. NaN never compares greater.
    const float v = logits[i];
    if (!(v > worst)) continue;
    std::pop_heap(heap, heap + k, better);
    heap[k - 1] = Candidate{static_cast<int32_t>(i), sanitize_logit(v)};
    std::push_heap(heap, heap + k, better);
    worst = heap[0].logit;
  }
  std::sort_heap(heap, heap + k, better);
  return k;
}

float max_logit(std::span<const Candidate> cands, bool sorted) {
  SKIM_CHECK(!cands.empty());
  if (sorted) return cands[0].logit;
  float m = kNegInf;
  for (const Candidate& c : cands) m = std::max(m, c.logit);
  return m;
}

size_t apply_top_p(std::span<Candidate> cands, float p, bool* sorted) {
  const size_t n = cands.size();
  if (p >= 1.0f || n <= 1) return n;
  const float mx = max_logit(cands, *sorted);
  if (mx == kNegInf) return n;  // every candidate impossible: nothing to rank by
  double total = 0.0;
  for (const Candidate& c : cands) total += std::exp(c.logit - mx);
  const double target = static_cast<double>(p) * total;

  size_t sorted_len = *sorted ? n : 0;
  double cum = 0.0;
  size_t kept = 0;
  while (kept < n) {
    if (kept == sorted_len) {
      // Extend the sorted prefix: the tail holds only candidates no better than it.
      const size_t next = std::min(n, std::max(kTopPFirstChunk, sorted_len * 8));
      std::partial_sort(cands.begin() + static_cast<std::ptrdiff_t>(sorted_len),
                        cands.begin() + static_cast<std::ptrdiff_t>(next), cands.end(), better);
      sorted_len = next;
    }
    cum += std::exp(cands[kept].logit - mx);
    ++kept;
    if (cum >= target) break;
  }
  *sorted = true;  // the kept prefix [0, kept) is sorted
  return kept;
}

size_t apply_min_p(std::span<Candidate> cands, float p, bool sorted) {
  const size_t n = cands.size();
  if (p <= 0.0f || n <= 1) return n;
  const float threshold = max_logit(cands, sorted) + std::log(p);
  if (sorted) {
    size_t kept = 1;  // the first is the maximum and always passes
    while (kept < n && cands[kept].logit >= threshold) ++kept;
    return kept;
  }
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i) {
    if (cands[i].logit >= threshold) cands[kept++] = cands[i];
  }
  SKIM_CHECK(kept >= 1);
  return kept;
}

}  // namespace skim::sampling
