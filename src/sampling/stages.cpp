// stages.cpp — top-k / top-p / min-p truncation and helpers (see stages.h).
#include "sampling/stages.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/check.h"

namespace skim::sampling {

using simd::F4;
using simd::I4;

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kPosInf = std::numeric_limits<float>::infinity();
constexpr float kMaxFinite = std::numeric_limits<float>::max();
// First partial-sort size for top-p on unsorted candidates; it grows 8x per round.
constexpr size_t kTopPFirstChunk = 128;
// From this many unsorted candidates on, top-p uses the mass histogram.
constexpr size_t kTopPHistogramMin = 4096;
// The histogram: buckets of equal width over logits in [max - kTopPRange, max]; the last
// bucket also takes everything lower (each such token has probability < e^-24 of the top).
constexpr size_t kTopPBuckets = 1024;
constexpr float kTopPRange = 24.0f;
// Float vector accumulators flush into a double this often (elements): short float sums
// keep the total accurate to ~1e-7 relative.
constexpr size_t kFlushEvery = 1024;

bool any(I4 m) { return (m[0] | m[1] | m[2] | m[3]) != 0; }
float hmax(F4 m) { return std::max(std::max(m[0], m[1]), std::max(m[2], m[3])); }
double hsum(F4 a) { return (static_cast<double>(a[0]) + a[1]) + (static_cast<double>(a[2]) + a[3]); }
F4 gather_logits(const Candidate* c) { return F4{c[0].logit, c[1].logit, c[2].logit, c[3].logit}; }

// sanitize_logit on 4 lanes.
F4 sanitize4(F4 v) {
  v = v != v ? simd::splat(kNegInf) : v;
  return v == simd::splat(kPosInf) ? simd::splat(kMaxFinite) : v;
}

size_t bucket_of(float logit, float mx) {
  constexpr float kInvWidth = static_cast<float>(kTopPBuckets - 1) / kTopPRange;
  constexpr float kLast = static_cast<float>(kTopPBuckets - 1);
  const float f = (mx - logit) * kInvWidth;  // >= 0; +inf for -inf logits
  return static_cast<size_t>(f < kLast ? f : kLast);
}

// Top-p on many unsorted candidates via a histogram of mass over logit buckets.
size_t top_p_histogram(std::span<Candidate> cands, float p, float mx, std::span<Candidate> scratch) {
  const size_t n = cands.size();
  SKIM_CHECK(scratch.size() >= n);
  std::array<double, kTopPBuckets> mass{};
  constexpr size_t kChunk = 256;
  std::array<float, kChunk> w;
  for (size_t i = 0; i < n; i += kChunk) {
    const size_t len = std::min(kChunk, n - i);
    candidate_weights(cands.subspan(i, len), mx, 1.0f, w);
    for (size_t j = 0; j < len; ++j) mass[bucket_of(cands[i + j].logit, mx)] += w[j];
  }
  double total = 0.0;
  for (double m : mass) total += m;
  const double target = static_cast<double>(p) * total;
  // The crossing bucket: the mass of the buckets before it is below target.
  size_t crossing = 0;
  double before = 0.0;
  for (; crossing + 1 < kTopPBuckets; ++crossing) {
    if (before + mass[crossing] >= target) break;
    before += mass[crossing];
  }
  // Keep the buckets before it in place; collect the crossing bucket in scratch.
  size_t kept = 0;
  size_t n_cross = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t b = bucket_of(cands[i].logit, mx);
    if (b < crossing) {
      cands[kept++] = cands[i];
    } else if (b == crossing) {
      scratch[n_cross++] = cands[i];
    }
  }
  // Sort only the crossing bucket and take the part needed to reach the target.
  std::sort(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(n_cross), better);
  double cum = before;
  for (size_t j = 0; j < n_cross; ++j) {
    cands[kept++] = scratch[j];
    cum += exp_nonpos(scratch[j].logit - mx);
    if (cum >= target) break;
  }
  SKIM_CHECK(kept >= 1);
  return kept;
}

}  // namespace

float sanitize_logit(float v) {
  v = v != v ? kNegInf : v;  // NaN
  return v == kPosInf ? kMaxFinite : v;
}

float max_value(std::span<const float> x) {
  const size_t n = x.size();
  F4 m = simd::splat(kNegInf);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) m = simd::max_skip_nan(m, simd::load(&x[i]));
  float best = hmax(m);
  for (; i < n; ++i) best = x[i] > best ? x[i] : best;
  return best;
}

double sum_exp(std::span<const float> x, float shift, float scale) {
  const size_t n = x.size();
  const F4 vshift = simd::splat(shift);
  const F4 vscale = simd::splat(scale);
  double total = 0.0;
  size_t i = 0;
  while (i + 4 <= n) {
    F4 acc = simd::splat(0.0f);
    const size_t end = std::min(n - n % 4, i + kFlushEvery);
    for (; i < end; i += 4) acc += simd::exp_nonpos((simd::load(&x[i]) - vshift) * vscale);
    total += hsum(acc);
  }
  for (; i < n; ++i) total += exp_nonpos((x[i] - shift) * scale);
  return total;
}

int32_t argmax(std::span<const float> logits) {
  SKIM_CHECK(!logits.empty());
  const float best = max_value(logits);
  const size_t n = logits.size();
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    if (any(simd::load(&logits[i]) == simd::splat(best))) break;
  }
  for (; i < n; ++i) {
    if (logits[i] == best) return static_cast<int32_t>(i);  // the first: lowest id
  }
  return 0;  // every entry NaN
}

size_t fill_candidates(std::span<const float> logits, std::span<Candidate> out) {
  const size_t n = logits.size();
  SKIM_CHECK(out.size() >= n);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const F4 v = sanitize4(simd::load(&logits[i]));
    for (size_t j = 0; j < 4; ++j) out[i + j] = Candidate{static_cast<int32_t>(i + j), v[j]};
  }
  for (; i < n; ++i) out[i] = Candidate{static_cast<int32_t>(i), sanitize_logit(logits[i])};
  return n;
}

size_t select_top_k(std::span<const float> logits, size_t k, std::span<Candidate> out) {
  const size_t n = logits.size();
  SKIM_CHECK(k >= 1 && k <= n && out.size() >= k);
  // A heap ordered by `better`, so its front is the worst of the k kept so far.
  Candidate* heap = out.data();
  for (size_t i = 0; i < k; ++i) heap[i] = Candidate{static_cast<int32_t>(i), sanitize_logit(logits[i])};
  std::make_heap(heap, heap + k, better);
  float worst = heap[0].logit;
  // Ids grow with i, so a tie with the current worst loses: only a strictly larger
  // (sanitized) logit can enter. The raw block test below may let through NaN-free
  // false positives (+inf vs FLT_MAX); offer() decides on sanitized values.
  auto offer = [&](size_t i) {
    const float v = sanitize_logit(logits[i]);
    if (!(v > worst)) return;
    std::pop_heap(heap, heap + k, better);
    heap[k - 1] = Candidate{static_cast<int32_t>(i), v};
    std::push_heap(heap, heap + k, better);
    worst = heap[0].logit;
  };
  size_t i = k;
  // Blocks of 16 first: one vector test per block, the heap only for blocks with a winner.
  for (; i + 16 <= n; i += 16) {
    const F4 w = simd::splat(worst);
    const I4 gt = (simd::load(&logits[i]) > w) | (simd::load(&logits[i + 4]) > w) |
                  (simd::load(&logits[i + 8]) > w) | (simd::load(&logits[i + 12]) > w);
    if (!any(gt)) continue;
    for (size_t j = 0; j < 16; ++j) offer(i + j);
  }
  for (; i < n; ++i) offer(i);
  std::sort_heap(heap, heap + k, better);
  return k;
}

float max_logit(std::span<const Candidate> cands, bool sorted) {
  SKIM_CHECK(!cands.empty());
  if (sorted) return cands[0].logit;
  const size_t n = cands.size();
  F4 m = simd::splat(kNegInf);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) m = simd::max_skip_nan(m, gather_logits(&cands[i]));
  float best = hmax(m);
  for (; i < n; ++i) best = std::max(best, cands[i].logit);
  return best;
}

double candidate_weights(std::span<const Candidate> cands, float mx, float temperature,
                         std::span<float> out) {
  const size_t n = cands.size();
  SKIM_CHECK(out.size() >= n && temperature > 0.0f);
  const F4 vmx = simd::splat(mx);
  const F4 vt = simd::splat(temperature);
  double total = 0.0;
  size_t i = 0;
  while (i + 4 <= n) {
    F4 acc = simd::splat(0.0f);
    const size_t end = std::min(n - n % 4, i + kFlushEvery);
    for (; i < end; i += 4) {
      const F4 w = simd::exp_nonpos((gather_logits(&cands[i]) - vmx) / vt);
      simd::store(&out[i], w);
      acc += w;
    }
    total += hsum(acc);
  }
  for (; i < n; ++i) {
    out[i] = exp_nonpos((cands[i].logit - mx) / temperature);
    total += out[i];
  }
  return total;
}

size_t apply_top_p(std::span<Candidate> cands, float p, bool* sorted,
                   std::span<Candidate> scratch) {
  const size_t n = cands.size();
  if (p >= 1.0f || n <= 1) return n;
  const float mx = max_logit(cands, *sorted);
  if (mx == kNegInf) return n;  // every candidate impossible: nothing to rank by
  if (!*sorted && n >= kTopPHistogramMin) return top_p_histogram(cands, p, mx, scratch);
  double total = 0.0;
  for (const Candidate& c : cands) total += exp_nonpos(c.logit - mx);
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
    cum += exp_nonpos(cands[kept].logit - mx);
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
