// stages_test.cpp — top-k / top-p / min-p stages and the penalty window, checked against
// straightforward reference implementations (full sort, explicit softmax).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "sampling/penalties.h"
#include "sampling/stages.h"

namespace skim::sampling {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> random_logits(size_t n, uint32_t seed, float scale = 3.0f, bool quantize = false) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) {
    x = dist(gen);
    if (quantize) x = std::round(x * 4.0f) / 4.0f;  // many exact ties
  }
  return v;
}

std::vector<Candidate> sorted_reference(const std::vector<float>& logits) {
  std::vector<Candidate> c(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) c[i] = {static_cast<int32_t>(i), sanitize_logit(logits[i])};
  std::sort(c.begin(), c.end(), better);
  return c;
}

std::vector<int32_t> ids(std::span<const Candidate> c) {
  std::vector<int32_t> out;
  for (const Candidate& x : c) out.push_back(x.id);
  return out;
}

TEST(Stages, ArgmaxTiesToLowestIdAndSkipsNaN) {
  EXPECT_EQ(argmax(std::vector<float>{1, 3, 2, 3}), 1);
  EXPECT_EQ(argmax(std::vector<float>{std::nanf(""), -1, -1}), 1);
  EXPECT_EQ(argmax(std::vector<float>{-kInf, -kInf}), 0);
  EXPECT_EQ(argmax(std::vector<float>{0, kInf, kInf}), 1);
}

TEST(Stages, SanitizeLogit) {
  EXPECT_EQ(sanitize_logit(std::nanf("")), -kInf);
  EXPECT_EQ(sanitize_logit(kInf), std::numeric_limits<float>::max());
  EXPECT_EQ(sanitize_logit(-kInf), -kInf);
  EXPECT_EQ(sanitize_logit(1.5f), 1.5f);
}

TEST(Stages, TopKMatchesFullSortIncludingTies) {
  for (bool quantize : {false, true}) {
    const auto logits = random_logits(5000, 7, 3.0f, quantize);
    const auto ref = sorted_reference(logits);
    std::vector<Candidate> out(logits.size());
    for (size_t k : {size_t{1}, size_t{2}, size_t{40}, size_t{1000}, logits.size()}) {
      ASSERT_EQ(select_top_k(logits, k, out), k);
      EXPECT_EQ(ids(std::span(out.data(), k)), ids(std::span(ref.data(), k)))
          << "k=" << k << " quantize=" << quantize;
    }
  }
}

TEST(Stages, TopKInfinityTiesGoToLowestId) {
  std::vector<float> logits(100, 0.0f);
  logits[10] = logits[50] = logits[90] = kInf;
  std::vector<Candidate> out(logits.size());
  select_top_k(logits, 1, out);
  EXPECT_EQ(out[0].id, 10);
  select_top_k(logits, 2, out);
  EXPECT_EQ(out[1].id, 50);
  EXPECT_EQ(argmax(logits), 10);
}

TEST(Stages, TopKHandlesNaNAndInf) {
  std::vector<float> logits = {std::nanf(""), 1.0f, kInf, std::nanf(""), 0.5f};
  std::vector<Candidate> out(logits.size());
  select_top_k(logits, 3, out);
  EXPECT_EQ(out[0].id, 2);
  EXPECT_EQ(out[0].logit, std::numeric_limits<float>::max());
  EXPECT_EQ(out[1].id, 1);
  EXPECT_EQ(out[2].id, 4);
  select_top_k(logits, 5, out);  // NaNs last, as -inf, lower id first
  EXPECT_EQ(out[3].id, 0);
  EXPECT_EQ(out[4].id, 3);
  EXPECT_EQ(out[4].logit, -kInf);
}

// Probabilities 0.5, 0.3, 0.15, 0.05 (as logits = log p), shuffled ids.
std::vector<float> four_token_logits() {
  return {std::log(0.15f), std::log(0.5f), std::log(0.05f), std::log(0.3f)};
}

TEST(Stages, TopPKeepsSmallestPrefixReachingP) {
  const auto logits = four_token_logits();
  struct Case {
    float p;
    std::vector<int32_t> kept;
  };
  const std::vector<Case> cases = {
      {0.0f, {1}},          {0.4f, {1}},          {0.75f, {1, 3}},
      {0.85f, {1, 3, 0}},   {0.97f, {1, 3, 0, 2}}, {1.0f, {0, 1, 2, 3}},  // 1: off, untouched
  };
  for (const Case& c : cases) {
    for (bool presort : {false, true}) {
      std::vector<Candidate> cands(logits.size());
      fill_candidates(logits, cands);
      if (presort) std::sort(cands.begin(), cands.end(), better);
      bool sorted = presort;
      std::vector<Candidate> scratch(cands.size());
      const size_t n = apply_top_p(cands, c.p, &sorted, scratch);
      auto kept = ids(std::span(cands.data(), n));
      if (c.p >= 1.0f && !presort) {
        EXPECT_FALSE(sorted);
      } else {
        EXPECT_TRUE(sorted);
      }
      if (c.p >= 1.0f) std::sort(kept.begin(), kept.end());
      EXPECT_EQ(kept, c.kept) << "p=" << c.p << " presort=" << presort;
    }
  }
}

// Reference nucleus: explicit softmax in double, cumulated in sorted order.
size_t reference_nucleus(const std::vector<Candidate>& ref, float p) {
  const float mx = ref[0].logit;
  double total = 0;
  for (const Candidate& c : ref) total += std::exp(static_cast<double>(c.logit) - mx);
  double cum = 0;
  size_t want = 0;
  while (want < ref.size()) {
    cum += std::exp(static_cast<double>(ref[want].logit) - mx);
    ++want;
    if (cum >= p * total) break;
  }
  return want;
}

TEST(Stages, TopPOnLargeUnsortedVocabMatchesReference) {
  // Flat to peaked, with and without ties, with masked (-inf / NaN) tokens: exercises the
  // histogram path (whole vocabulary, unsorted) and the growing partial sorts (presorted).
  for (float scale : {0.5f, 3.0f, 8.0f}) {
    for (bool quantize : {false, true}) {
      auto logits = random_logits(100000, 11, scale, quantize);
      for (size_t i = 0; i < logits.size(); i += 97) logits[i] = -kInf;
      logits[5] = std::nanf("");
      const auto ref = sorted_reference(logits);
      for (float p : {0.0f, 0.5f, 0.9f, 0.95f, 0.999f}) {
        const size_t want = reference_nucleus(ref, p);
        for (bool presort : {false, true}) {
          std::vector<Candidate> cands(logits.size());
          fill_candidates(logits, cands);
          if (presort) std::sort(cands.begin(), cands.end(), better);
          std::vector<Candidate> scratch(cands.size());
          bool sorted = presort;
          const size_t n = apply_top_p(cands, p, &sorted, scratch);
          // The boundary may move by a token or two where float and double sums differ.
          ASSERT_NEAR(static_cast<double>(n), static_cast<double>(want), 2.0)
              << "scale=" << scale << " quantize=" << quantize << " p=" << p;
          auto got = ids(std::span(cands.data(), n));
          auto expect = ids(std::span(ref.data(), n));
          if (presort) {
            EXPECT_TRUE(sorted);
            EXPECT_EQ(got, expect);
          } else {
            EXPECT_FALSE(sorted);
            std::sort(got.begin(), got.end());
            std::sort(expect.begin(), expect.end());
            EXPECT_EQ(got, expect) << "scale=" << scale << " p=" << p;
          }
        }
      }
    }
  }
}

TEST(Stages, ExpNonposMatchesLibm) {
  double max_rel = 0;
  for (float x = -87.0f; x <= 0.0f; x += 0.0137f) {
    const double want = std::exp(static_cast<double>(x));
    max_rel = std::max(max_rel, std::abs(exp_nonpos(x) - want) / want);
  }
  EXPECT_LT(max_rel, 3e-7);
  EXPECT_EQ(exp_nonpos(0.0f), 1.0f);
  EXPECT_EQ(exp_nonpos(5.0f), 1.0f);  // clamped
  EXPECT_EQ(exp_nonpos(kInf), 1.0f);
  EXPECT_EQ(exp_nonpos(-kInf), 0.0f);
  EXPECT_EQ(exp_nonpos(-100.0f), 0.0f);
  EXPECT_EQ(exp_nonpos(std::nanf("")), 0.0f);
}

TEST(Stages, MaxValueAndSumExp) {
  std::vector<float> x = {1, std::nanf(""), -kInf, 7, 3, 7, 2, 0, 1, 1, 5};
  EXPECT_EQ(max_value(x), 7.0f);
  double want = 0;
  for (float v : x) want += std::isnan(v) ? 0.0 : std::exp((static_cast<double>(v) - 7.0) * 0.5);
  EXPECT_NEAR(sum_exp(x, 7.0f, 0.5f), want, 1e-6);
  EXPECT_EQ(max_value(std::vector<float>{std::nanf("")}), -kInf);
  const auto big = random_logits(100003, 5);
  double big_want = 0;
  const float mx = max_value(big);
  for (float v : big) big_want += std::exp(static_cast<double>(v) - mx);
  EXPECT_NEAR(sum_exp(big, mx, 1.0f) / big_want, 1.0, 1e-6);
}

TEST(Stages, MinPKeepsTokensAboveFractionOfMax) {
  const auto logits = four_token_logits();  // p = .15 .5 .05 .3
  for (bool presort : {false, true}) {
    std::vector<Candidate> cands(logits.size());
    fill_candidates(logits, cands);
    if (presort) std::sort(cands.begin(), cands.end(), better);
    // min_p 0.25: threshold 0.125 -> keeps .5, .3, .15; drops .05
    size_t n = apply_min_p(cands, 0.25f, presort);
    auto kept = ids(std::span(cands.data(), n));
    EXPECT_EQ(kept, presort ? std::vector<int32_t>({1, 3, 0}) : std::vector<int32_t>({0, 1, 3}));
    // min_p 0.5: threshold 0.25 -> keeps .5, .3
    n = apply_min_p(std::span(cands.data(), n), 0.5f, presort);
    kept = ids(std::span(cands.data(), n));
    EXPECT_EQ(kept, presort ? std::vector<int32_t>({1, 3}) : std::vector<int32_t>({1, 3}));
    // min_p 1: only the max
    n = apply_min_p(std::span(cands.data(), n), 1.0f, presort);
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(cands[0].id, 1);
  }
  std::vector<Candidate> cands(logits.size());
  fill_candidates(logits, cands);
  EXPECT_EQ(apply_min_p(cands, 0.0f, false), 4u);  // off
}

// ---- penalties --------------------------------------------------------------------------

TEST(Penalties, RepeatDividesPositiveMultipliesNegative) {
  PenaltyState st(2.0f, 0.0f, 0.0f, 64, 5);
  ASSERT_TRUE(st.enabled());
  st.accept(1);
  st.accept(2);
  st.accept(3);
  std::vector<float> logits = {4.0f, 4.0f, -3.0f, 0.0f, 1.0f};
  st.apply(logits);
  EXPECT_FLOAT_EQ(logits[0], 4.0f);   // not seen
  EXPECT_FLOAT_EQ(logits[1], 2.0f);   // positive: divided
  EXPECT_FLOAT_EQ(logits[2], -6.0f);  // negative: multiplied
  EXPECT_FLOAT_EQ(logits[3], 0.0f);   // zero stays zero
  EXPECT_FLOAT_EQ(logits[4], 1.0f);   // not seen
}

TEST(Penalties, RepeatIsPerTokenNotPerOccurrence) {
  PenaltyState st(2.0f, 0.0f, 0.0f, 64, 3);
  for (int i = 0; i < 5; ++i) st.accept(1);
  std::vector<float> logits = {1.0f, 8.0f, 1.0f};
  st.apply(logits);
  EXPECT_FLOAT_EQ(logits[1], 4.0f);
}

TEST(Penalties, FrequencyScalesWithCountPresenceDoesNot) {
  PenaltyState st(1.0f, 0.5f, 0.25f, 64, 4);
  st.accept(0);
  st.accept(2);
  st.accept(2);
  st.accept(2);
  EXPECT_EQ(st.count(2), 3);
  std::vector<float> logits = {1.0f, 1.0f, 1.0f, 1.0f};
  st.apply(logits);
  EXPECT_FLOAT_EQ(logits[0], 1.0f - 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(logits[1], 1.0f);
  EXPECT_FLOAT_EQ(logits[2], 1.0f - 1.5f - 0.25f);
  EXPECT_FLOAT_EQ(logits[3], 1.0f);
}

TEST(Penalties, RepeatThenFrequencyOrder) {
  PenaltyState st(2.0f, 1.0f, 0.0f, 64, 2);
  st.accept(0);
  std::vector<float> logits = {4.0f, 0.0f};
  st.apply(logits);
  EXPECT_FLOAT_EQ(logits[0], 4.0f / 2.0f - 1.0f);  // llama.cpp: repeat first
}

TEST(Penalties, WindowEvictsOldTokens) {
  PenaltyState st(1.0f, 1.0f, 0.0f, 3, 10);
  for (int32_t t : {5, 5, 6, 7}) st.accept(t);  // window: 5 6 7
  EXPECT_EQ(st.count(5), 1);
  EXPECT_EQ(st.count(6), 1);
  EXPECT_EQ(st.count(7), 1);
  st.accept(8);  // window: 6 7 8
  EXPECT_EQ(st.count(5), 0);
  std::vector<float> logits(10, 0.0f);
  st.apply(logits);
  EXPECT_FLOAT_EQ(logits[5], 0.0f);
  EXPECT_FLOAT_EQ(logits[6], -1.0f);
  EXPECT_FLOAT_EQ(logits[8], -1.0f);
  // A long run through a small window keeps counts exact.
  for (int i = 0; i < 1000; ++i) st.accept(i % 10);
  int32_t total = 0;
  for (int32_t t = 0; t < 10; ++t) total += st.count(t);
  EXPECT_EQ(total, 3);
  EXPECT_EQ(st.count(7), 1);  // 997 998 999 -> 7 8 9
  EXPECT_EQ(st.count(9), 1);
  EXPECT_EQ(st.count(6), 0);
}

TEST(Penalties, UnboundedWindowAndReset) {
  PenaltyState st(1.0f, 1.0f, 0.0f, -1, 4);
  for (int i = 0; i < 100; ++i) st.accept(3);
  EXPECT_EQ(st.count(3), 100);
  st.reset();
  EXPECT_EQ(st.count(3), 0);
  EXPECT_FALSE(st.has_history());
  std::vector<float> logits(4, 1.0f);
  st.apply(logits);
  EXPECT_EQ(logits, std::vector<float>(4, 1.0f));
}

TEST(Penalties, NeutralOrZeroWindowIsDisabled) {
  EXPECT_FALSE(PenaltyState(1.0f, 0.0f, 0.0f, 64, 4).enabled());
  EXPECT_FALSE(PenaltyState(1.3f, 0.5f, 0.5f, 0, 4).enabled());
  EXPECT_TRUE(PenaltyState(1.0f, 0.0f, -0.5f, 64, 4).enabled());
}

}  // namespace
}  // namespace skim::sampling
