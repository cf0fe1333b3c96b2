// batch_test.cpp — multi-sequence forward passes (Batch, Engine::decode_step) on the real
// model: sequences decoded together give the same greedy tokens and the same logits as
// each decoded alone (products are per row, attention per sequence: the difference is
// expected to be exactly 0 and is reported), a prompt read in chunks inside decode steps
// equals reading it alone, and bad batches are errors that leave every session unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/test_paths.h"
#include "skim/engine.h"

namespace skim {
namespace {

Engine load_engine(Numerics numerics) {
  EngineOptions o;
  o.model_path = testing::default_model_path();
  o.n_ctx = 1024;
  o.n_threads = 2;  // two threads: attention jobs of one run split across threads
  o.numerics = numerics;
  auto r = Engine::load(o);
  if (!r) {
    ADD_FAILURE() << "cannot load " << o.model_path << ": " << r.error().message;
    std::abort();
  }
  return std::move(*r);
}

// One engine per numerics, loaded on first use.
const Engine& engine(Numerics numerics = Numerics::kExact) {
  static std::unique_ptr<Engine> exact, fast;
  std::unique_ptr<Engine>& e = numerics == Numerics::kFast ? fast : exact;
  if (!e) e = std::make_unique<Engine>(load_engine(numerics));
  return *e;
}

int32_t argmax(std::span<const float> v) {
  return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

float max_abs_diff(std::span<const float> a, std::span<const float> b) {
  float m = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

const std::vector<std::string> kPrompts = {
    "Hi",
    "The capital of France is",
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "Once upon a time, in a small village at the edge of a great forest, there lived an old "
    "clockmaker who had never left the valley. Every morning he",
};

struct Trace {
  std::vector<int32_t> tokens;
  std::vector<std::vector<float>> logits;  // [steps][n_vocab] after each token
};

// Greedy decoding of one prompt alone: Session::eval, one token per step.
Trace alone(const std::string& prompt, int32_t steps, Numerics numerics = Numerics::kExact) {
  const Engine& e = engine(numerics);
  auto s = e.new_session(256);
  Trace t;
  EXPECT_TRUE(s->eval(e.tokenize(prompt, true, true)).ok());
  for (int32_t i = 0; i < steps; ++i) {
    t.logits.emplace_back(s->logits().begin(), s->logits().end());
    const int32_t tok = argmax(s->logits());
    t.tokens.push_back(tok);
    const int32_t one[1] = {tok};
    EXPECT_TRUE(s->eval(one).ok());
  }
  return t;
}

void check_together_matches_alone(Numerics numerics) {
  const Engine& e = engine(numerics);
  constexpr int32_t kSteps = 12;
  std::vector<Trace> ref;
  for (const auto& p : kPrompts) ref.push_back(alone(p, kSteps, numerics));

  auto batch = e.new_batch(16, 8, 256);
  std::vector<std::unique_ptr<Session>> ss;
  std::vector<Session*> ptrs;
  for (const auto& p : kPrompts) {
    ss.push_back(e.new_session(256));
    ptrs.push_back(ss.back().get());
    ASSERT_TRUE(ss.back()->eval(e.tokenize(p, true, true)).ok());
  }
  std::vector<Trace> got(kPrompts.size());
  float worst = 0.0f;
  for (int32_t step = 0; step < kSteps; ++step) {
    std::vector<int32_t> toks;
    for (size_t i = 0; i < ss.size(); ++i) {
      worst = std::max(worst, max_abs_diff(ss[i]->logits(), ref[i].logits[static_cast<size_t>(step)]));
      toks.push_back(argmax(ss[i]->logits()));
      got[i].tokens.push_back(toks.back());
    }
    ASSERT_TRUE(batch->decode(ptrs, toks).ok());
  }
  for (size_t i = 0; i < ss.size(); ++i) EXPECT_EQ(got[i].tokens, ref[i].tokens) << kPrompts[i];
  std::printf("[ batch ] %s numerics: max |logit difference| batched vs alone over %d steps x %zu sequences: %g\n",
              e.info().numerics.c_str(), kSteps, ss.size(), static_cast<double>(worst));
  EXPECT_EQ(worst, 0.0f);
}

TEST(Batch, DecodingTogetherMatchesDecodingAlone) {
  if (!testing::have_default_model()) GTEST_SKIP() << "no model";
  check_together_matches_alone(Numerics::kExact);
}

// The fast numerics are batch-invariant too (one accumulator chain per output, whatever
// the tile width), so sequences decoded together still match decoding alone bitwise.
TEST(Batch, FastNumericsDecodingTogetherMatchesDecodingAlone) {
  if (!testing::have_default_model()) GTEST_SKIP() << "no model";
  check_together_matches_alone(Numerics::kFast);
}

TEST(Batch, EngineDecodeStepIsBatchedAndGrows) {
  if (!testing::have_default_model()) GTEST_SKIP() << "no model";
  const Engine& e = engine();
  constexpr int32_t kSteps = 6;
  std::vector<Trace> ref;
  for (const auto& p : kPrompts) ref.push_back(alone(p, kSteps));
  std::vector<std::unique_ptr<Session>> ss;
  for (const auto& p : kPrompts) {
    ss.push_back(e.new_session(256));
    ASSERT_TRUE(ss.back()->eval(e.tokenize(p, true, true)).ok());
  }
  // Step k decodes the first 1 + k % n sequences: the engine's batch grows, sequences
  // join and leave between steps.
  std::vector<size_t> done(ss.size(), 0);
  for (int32_t round = 0; round < 4 * kSteps; ++round) {
    std::vector<Session*> rows;
    std::vector<int32_t> toks;
    std::vector<size_t> idx;
    const size_t n = 1 + static_cast<size_t>(round) % ss.size();
    for (size_t i = 0; i < n; ++i) {
      if (done[i] >= kSteps) continue;
      EXPECT_EQ(max_abs_diff(ss[i]->logits(), ref[i].logits[done[i]]), 0.0f) << i << " step " << done[i];
      rows.push_back(ss[i].get());
      toks.push_back(ref[i].tokens[done[i]]);
      idx.push_back(i);
    }
    if (rows.empty()) continue;
    ASSERT_TRUE(e.decode_step(rows, toks).ok());
    for (size_t i : idx) ++done[i];
  }
}

TEST(Batch, PromptChunksInsideDecodeStepsMatchReadingAlone) {
  if (!testing::have_default_model()) GTEST_SKIP() << "no model";
  const Engine& e = engine();
  const std::vector<int32_t> long_prompt = e.tokenize(kPrompts[3], true, true);
  ASSERT_GT(long_prompt.size(), 20u);
  constexpr size_t kChunk = 7;
  // Reference: the same chunks, read alone.
  auto solo = e.new_session(256);
  for (size_t i = 0; i < long_prompt.size(); i += kChunk) {
    const size_t n = std::min(kChunk, long_prompt.size() - i);
    ASSERT_TRUE(solo->eval(std::span<const int32_t>(long_prompt).subspan(i, n)).ok());
  }
  const Trace ref_stream = alone(kPrompts[1], 8);

  auto batch = e.new_batch(2 + static_cast<int32_t>(kChunk), 4, 256);
  auto stream = e.new_session(256);
  auto joining = e.new_session(256);
  ASSERT_TRUE(stream->eval(e.tokenize(kPrompts[1], true, true)).ok());
  size_t pos = 0, step = 0;
  while (pos < long_prompt.size()) {
    ASSERT_LT(step, ref_stream.tokens.size());
    EXPECT_EQ(max_abs_diff(stream->logits(), ref_stream.logits[step]), 0.0f) << "step " << step;
    const int32_t tok = ref_stream.tokens[step++];
    const size_t n = std::min(kChunk, long_prompt.size() - pos);
    const bool last = pos + n == long_prompt.size();
    const Batch::Run runs[2] = {{stream.get(), std::span<const int32_t>(&tok, 1), true},
                                {joining.get(), std::span<const int32_t>(long_prompt).subspan(pos, n), last}};
    ASSERT_TRUE(batch->step(runs).ok());
    pos += n;
  }
  EXPECT_EQ(joining->n_past(), static_cast<int32_t>(long_prompt.size()));
  EXPECT_EQ(max_abs_diff(joining->logits(), solo->logits()), 0.0f);
  EXPECT_EQ(argmax(joining->logits()), argmax(solo->logits()));
}

TEST(Batch, BadBatchesAreErrorsAndChangeNothing) {
  if (!testing::have_default_model()) GTEST_SKIP() << "no model";
  const Engine& e = engine();
  auto batch = e.new_batch(8, 2, 64);
  auto a = e.new_session(64);
  auto b = e.new_session(64);
  auto big = e.new_session(512);  // larger than the batch's context
  const std::vector<int32_t> p = e.tokenize("Hello there", true, true);
  ASSERT_TRUE(a->eval(p).ok());
  ASSERT_TRUE(b->eval(p).ok());
  const int32_t n_a = a->n_past(), n_b = b->n_past();
  const int32_t t1[1] = {42};
  const int32_t bad[1] = {engine().info().n_vocab};
  const std::vector<int32_t> nine(9, 42), sixty(60, 42);
  auto fails = [&](std::initializer_list<Batch::Run> runs, const char* what) {
    Status st = batch->step(std::span<const Batch::Run>(runs.begin(), runs.size()));
    EXPECT_FALSE(st.ok()) << what;
    EXPECT_EQ(a->n_past(), n_a) << what;
    EXPECT_EQ(b->n_past(), n_b) << what;
  };
  fails({{a.get(), t1, true}, {a.get(), t1, true}}, "one session twice");
  fails({{a.get(), t1, true}, {b.get(), bad, true}}, "token id out of range");
  fails({{a.get(), nine, true}}, "more tokens than the batch holds");
  fails({{a.get(), t1, true}, {b.get(), t1, true}, {big.get(), t1, true}}, "more sequences than the batch holds");
  fails({{a.get(), std::span<const int32_t>(), true}}, "a run without tokens");
  fails({{nullptr, t1, true}}, "a run without a session");
  fails({{big.get(), t1, true}}, "a session larger than the batch's context");
  auto full = e.new_session(64);
  ASSERT_TRUE(full->eval(sixty).ok());
  const Batch::Run overflow[1] = {{full.get(), std::span<const int32_t>(nine).first(5), true}};
  Status st = batch->step(overflow);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("context"), std::string::npos) << st.error().message;
  EXPECT_EQ(full->n_past(), 60);
  // Engine::decode_step's own checks.
  Session* one[1] = {a.get()};
  EXPECT_FALSE(e.decode_step(one, std::span<const int32_t>()).ok());
  // And a good step still works afterwards.
  const Batch::Run good[2] = {{a.get(), t1, true}, {b.get(), t1, false}};
  EXPECT_TRUE(batch->step(good).ok());
  EXPECT_EQ(a->n_past(), n_a + 1);
  EXPECT_EQ(b->n_past(), n_b + 1);
}

}  // namespace
}  // namespace skim
