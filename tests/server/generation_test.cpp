// generation_test.cpp — skim::Generation on the real model: the incremental loop driven
// through Engine::decode_step gives the same tokens, text and finish reason as
// Session::generate (alone and with several sequences per step), stop strings, length
// limits (max_tokens, a full context), logprobs, and parameter errors.
#include <gtest/gtest.h>

#include <cmath>

#include "server_fixture.h"
#include "skim/generation.h"

namespace skim {
namespace {

using testing::test_engine;

struct Output {
  std::vector<int32_t> tokens;
  std::string text;
  std::string finish_reason;
};

Output reference(const std::string& prompt, const GenerateParams& gp) {
  const Engine& e = test_engine();
  auto s = e.new_session(512);
  auto r = s->generate(e.tokenize(prompt, true, true), gp);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return {};
  return {r->tokens, r->text, r->finish_reason};
}

// Runs several generations together, one decode_step per round, like the scheduler.
std::vector<Output> batched(const std::vector<std::string>& prompts, const GenerationOptions& go, int32_t n_ctx = 512) {
  const Engine& e = test_engine();
  std::vector<std::unique_ptr<Session>> sessions;
  std::vector<Generation> gens;
  std::vector<Output> out(prompts.size());
  std::vector<int32_t> pending(prompts.size(), -1);
  for (const auto& p : prompts) {
    sessions.push_back(e.new_session(n_ctx));
    auto toks = e.tokenize(p, true, true);
    EXPECT_TRUE(sessions.back()->eval(toks).ok());
    auto g = Generation::create(e, *sessions.back(), go);
    EXPECT_TRUE(g.ok());
    g->accept_prompt(toks);
    gens.push_back(std::move(*g));
  }
  auto take = [&](size_t i) {
    GenerationStep st = gens[i].next();
    out[i].text += st.text;
    if (st.finished) out[i].finish_reason = st.finish_reason;
    pending[i] = st.needs_decode() ? st.token : -1;
  };
  for (size_t i = 0; i < prompts.size(); ++i) take(i);
  for (;;) {
    std::vector<Session*> ss;
    std::vector<int32_t> ts;
    std::vector<size_t> idx;
    for (size_t i = 0; i < prompts.size(); ++i) {
      if (pending[i] >= 0) {
        ss.push_back(sessions[i].get());
        ts.push_back(pending[i]);
        idx.push_back(i);
      }
    }
    if (ss.empty()) break;
    EXPECT_TRUE(e.decode_step(ss, ts).ok());
    for (size_t i : idx) take(i);
  }
  for (size_t i = 0; i < prompts.size(); ++i) out[i].tokens = gens[i].tokens();
  return out;
}

GenerationOptions greedy(int32_t max_tokens) {
  GenerationOptions go;
  go.params.max_tokens = max_tokens;
  go.params.sampling.temperature = 0.0f;
  return go;
}

TEST(Generation, GreedyMatchesSessionGenerate) {
  const std::string prompt = "The three primary colors are";
  auto go = greedy(12);
  Output ref = reference(prompt, go.params);
  Output got = batched({prompt}, go)[0];
  EXPECT_EQ(got.tokens, ref.tokens);
  EXPECT_EQ(got.text, ref.text);
  EXPECT_EQ(got.finish_reason, ref.finish_reason);
  EXPECT_EQ(got.tokens.size(), 12u);
  EXPECT_EQ(got.finish_reason, "length");
}

TEST(Generation, SeveralSequencesPerStepMatchAlone) {
  const std::vector<std::string> prompts = {"Once upon a time", "def fibonacci(n):", "The capital of France is"};
  GenerationOptions go;
  go.params.max_tokens = 8;
  go.params.sampling.temperature = 0.8f;
  go.params.sampling.seed = 1234;
  auto got = batched(prompts, go);
  for (size_t i = 0; i < prompts.size(); ++i) {
    Output ref = reference(prompts[i], go.params);
    EXPECT_EQ(got[i].tokens, ref.tokens) << prompts[i];
    EXPECT_EQ(got[i].text, ref.text) << prompts[i];
  }
}

TEST(Generation, StopStringEndsAndIsNotEmitted) {
  const std::string prompt = "Apples, pears, plums, cherries, grapes";
  auto go = greedy(24);
  go.params.stop = {","};
  Output ref = reference(prompt, go.params);
  Output got = batched({prompt}, go)[0];
  EXPECT_EQ(got.finish_reason, "stop");
  EXPECT_EQ(got.text, ref.text);
  EXPECT_EQ(got.text.find(','), std::string::npos);
}

// Ending at an end-of-generation token while the tail of the text is held back (it could
// be the start of a stop string): both Session::generate and Generation emit it.
TEST(Generation, HeldBackTextIsEmittedAtEndOfGeneration) {
  const Engine& e = test_engine();
  auto chat = e.apply_chat_template(std::vector<ChatMessage>{{"user", "Say hello."}}, true);
  ASSERT_TRUE(chat.ok());
  const std::string prompt = *chat;
  auto go = greedy(200);
  Output plain = reference(prompt, go.params);
  ASSERT_EQ(plain.finish_reason, "stop") << "expected the answer to end with an end-of-generation token";
  ASSERT_GE(plain.text.size(), 2u);
  const std::string tail = plain.text.substr(plain.text.size() - 2);
  go.params.stop = {tail + "\x01never"};  // its start matches the text's end, never the whole
  Output ref = reference(prompt, go.params);
  EXPECT_EQ(ref.finish_reason, "stop");
  EXPECT_EQ(ref.tokens, plain.tokens);
  EXPECT_EQ(ref.text, plain.text);  // was: the held-back tail dropped
  Output got = batched({prompt}, go)[0];
  EXPECT_EQ(got.text, plain.text);
  // Streaming callbacks see the same text.
  auto s = e.new_session(512);
  std::string streamed;
  auto r = s->generate(e.tokenize(prompt, true, true), go.params, [&](std::string_view t) {
    streamed += t;
    return true;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(streamed, plain.text);
}

TEST(Generation, MaxTokensZeroFinishesAtOnce) {
  const Engine& e = test_engine();
  auto s = e.new_session(64);
  ASSERT_TRUE(s->eval(e.tokenize("Hello", true, true)).ok());
  auto g = Generation::create(e, *s, greedy(0));
  ASSERT_TRUE(g.ok());
  GenerationStep st = g->next();
  EXPECT_TRUE(st.finished);
  EXPECT_EQ(st.finish_reason, "length");
  EXPECT_EQ(st.token, -1);
  EXPECT_FALSE(st.needs_decode());
  EXPECT_EQ(g->n_generated(), 0);
  EXPECT_TRUE(g->next().finished);  // stays finished
}

TEST(Generation, FullContextFinishesWithLength) {
  const Engine& e = test_engine();
  auto s = e.new_session(16);
  auto toks = e.tokenize("One two three four five six seven", true, true);
  ASSERT_LT(toks.size(), 16u);
  ASSERT_TRUE(s->eval(toks).ok());
  auto go = greedy(-1);
  go.params.ignore_eos = true;
  auto g = Generation::create(e, *s, go);
  ASSERT_TRUE(g.ok());
  for (;;) {
    GenerationStep st = g->next();
    if (st.finished) {
      EXPECT_EQ(st.finish_reason, "length");
      break;
    }
    const int32_t one[1] = {st.token};
    ASSERT_TRUE(s->eval(one).ok());  // never beyond the context
  }
  EXPECT_EQ(s->n_past(), 16);
  EXPECT_EQ(g->n_generated(), static_cast<int32_t>(16 - toks.size() + 1));
}

TEST(Generation, LogprobsOfTheChosenTokenAndAlternatives) {
  const Engine& e = test_engine();
  auto s = e.new_session(64);
  ASSERT_TRUE(s->eval(e.tokenize("The capital of France is", true, true)).ok());
  auto go = greedy(1);
  go.logprobs = true;
  go.top_logprobs = 3;
  auto g = Generation::create(e, *s, go);
  ASSERT_TRUE(g.ok());
  GenerationStep st = g->next();
  ASSERT_TRUE(st.has_logprob);
  EXPECT_EQ(st.logprob.token, st.token);
  EXPECT_LE(st.logprob.logprob, 0.0f);
  ASSERT_EQ(st.top_logprobs.size(), 3u);
  EXPECT_EQ(st.top_logprobs[0].token, st.token);  // greedy picks the most likely
  EXPECT_FLOAT_EQ(st.top_logprobs[0].logprob, st.logprob.logprob);
  EXPECT_GE(st.top_logprobs[0].logprob, st.top_logprobs[1].logprob);
  EXPECT_GE(st.top_logprobs[1].logprob, st.top_logprobs[2].logprob);
}

TEST(Generation, InvalidParametersAreErrors) {
  const Engine& e = test_engine();
  auto s = e.new_session(16);
  GenerationOptions go;
  go.top_logprobs = 50;
  EXPECT_FALSE(Generation::create(e, *s, go).ok());
  go.top_logprobs = 0;
  go.params.sampling.temperature = std::nanf("");
  auto bad = Generation::create(e, *s, go);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("temperature"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace skim
