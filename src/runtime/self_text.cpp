// self_text.cpp — see self_text.h: slots of sessions decoding together, each sequence with
// its own sampler and length limit, the token budget claimed as sequences start.
#include "runtime/self_text.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <memory>
#include <numeric>
#include <random>
#include <string_view>

#include "core/progress.h"
#include "sampling/sampler.h"

namespace skim {

namespace {

// Generic user turns: everyday topics and kinds of request (explain, list, write, advise,
// compare, solve). Deliberately not drawn from any evaluation set.
constexpr std::array<std::string_view, 40> kUserTurns = {
    "Explain how a refrigerator keeps food cold.",
    "Write a short story about a lighthouse keeper who finds a message in a bottle.",
    "What are some good habits for getting better sleep?",
    "Give me a simple recipe for vegetable soup.",
    "How do airplanes stay in the air?",
    "Summarize the main causes of the First World War.",
    "Write a polite email asking my landlord to fix a leaking tap.",
    "What is the difference between weather and climate?",
    "Can you help me plan a three-day trip to a city by the sea?",
    "Explain what a prime number is and give a few examples.",
    "Write a poem about autumn leaves.",
    "How does the human heart pump blood?",
    "What should I consider when buying a used car?",
    "Describe how bread is made, step by step.",
    "Why is the sky blue?",
    "Write a Python function that checks whether a word is a palindrome.",
    "What are the benefits and drawbacks of working from home?",
    "Tell me about the life cycle of a butterfly.",
    "How can I start learning to play the guitar?",
    "Explain the rules of chess to a beginner.",
    "What is photosynthesis?",
    "Write a dialogue between a detective and a nervous witness.",
    "How do vaccines help the immune system?",
    "Give me some tips for a job interview.",
    "What happened during the industrial revolution?",
    "Explain how interest on a savings account works.",
    "Describe a busy market on a Saturday morning.",
    "How do I solve the equation 3x + 5 = 20?",
    "What are the planets of the solar system like?",
    "Write a short speech for a friend's wedding.",
    "How do bees make honey?",
    "What is the best way to learn a new language as an adult?",
    "Explain how the internet sends a message from one computer to another.",
    "Compare cats and dogs as pets.",
    "Write a children's story about a brave little turtle.",
    "How do earthquakes happen?",
    "What are some ways to reduce stress at work?",
    "Explain the water cycle.",
    "Describe the history of the printing press.",
    "What makes a good friend?",
};

// One sequence being written: its session, sampler, tokens and length limit.
struct Slot {
  std::unique_ptr<Session> session;
  std::unique_ptr<sampling::Sampler> sampler;
  std::vector<int32_t> tokens;
  int64_t limit = 0;
  bool active = false;
};

sampling::SamplingParams self_sampling(uint64_t seed) {
  sampling::SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 0.95f;
  p.min_p = 0.05f;
  p.seed = seed;
  return p;
}

// The prompt of sequence k: chat template + user turn, or BOS alone (a newline for a
// model without BOS). A chat prompt longer than `room` falls back to BOS.
std::vector<int32_t> prompt_for(const Engine& e, uint64_t k, const std::vector<size_t>& order, int64_t room) {
  if (k % 4 != 3) {
    const ChatMessage msg{"user", std::string(kUserTurns[order[k % order.size()]])};
    if (auto text = e.apply_chat_template({&msg, 1}, true); text.ok()) {
      auto ids = e.tokenize(*text, /*add_special=*/true, /*parse_special=*/true);
      if (static_cast<int64_t>(ids.size()) + 16 <= room) return ids;
    }
  }
  if (e.bos() >= 0) return {e.bos()};
  return e.tokenize("\n", false, false);
}

}  // namespace

Result<std::vector<std::vector<int32_t>>> generate_self_text(const Engine& engine, const SelfTextOptions& opt) {
  if (opt.total < 1) return make_error("self-generated text: the token budget must be >= 1");
  if (opt.max_len < 2 || opt.max_len > engine.info().n_ctx) {
    return make_error(fmt::format("self-generated text: sequence length {} out of [2, {}]", opt.max_len, engine.info().n_ctx));
  }
  constexpr size_t kSlots = 8;
  std::vector<size_t> order(kUserTurns.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::mt19937_64 rng(opt.seed);
  std::shuffle(order.begin(), order.end(), rng);

  std::vector<Slot> slots(kSlots);
  for (Slot& s : slots) s.session = engine.new_session(opt.max_len);
  std::vector<std::vector<int32_t>> out;
  int64_t claimed = 0, done = 0;  // tokens of started sequences (their limits), of finished ones
  uint64_t next = 0;
  ProgressBar bar("generate calibration text", opt.total, opt.progress);

  // Starts sequence `next` in slot s if budget is left (else leaves the slot inactive).
  auto start = [&](Slot& s) -> Status {
    s.active = false;
    const int64_t room = std::min<int64_t>(opt.max_len, opt.total - claimed);
    if (room < 1) return {};
    const uint64_t k = next++;
    s.tokens = prompt_for(engine, k, order, room);
    if (s.tokens.empty()) return make_error("self-generated text: the model has no BOS token and no chat template to start from");
    if (static_cast<int64_t>(s.tokens.size()) > room) s.tokens.resize(static_cast<size_t>(room));
    s.limit = room;
    claimed += room;
    s.sampler = std::make_unique<sampling::Sampler>(self_sampling(opt.seed * 0x9E3779B97F4A7C15ull + k), engine.info().n_vocab);
    s.session->clear();
    SKIM_RETURN_IF_ERROR(s.session->eval(s.tokens));
    s.active = true;
    return {};
  };
  // Ends slot s's sequence: its unused limit goes back to the budget.
  auto finish = [&](Slot& s) {
    claimed -= s.limit - static_cast<int64_t>(s.tokens.size());
    done += static_cast<int64_t>(s.tokens.size());
    out.push_back(std::move(s.tokens));
    s.tokens.clear();
    s.active = false;
  };

  for (Slot& s : slots) SKIM_RETURN_IF_ERROR(start(s));
  std::vector<Session*> step_sessions;
  std::vector<int32_t> step_tokens;
  while (true) {
    step_sessions.clear();
    step_tokens.clear();
    for (Slot& s : slots) {
      // A sequence at its limit (possibly right after its prompt) ends; the slot restarts.
      while (s.active && static_cast<int64_t>(s.tokens.size()) >= s.limit) {
        finish(s);
        SKIM_RETURN_IF_ERROR(start(s));
      }
      if (!s.active) continue;
      const int32_t tok = s.sampler->sample(s.session->logits());
      s.sampler->accept(tok);
      s.tokens.push_back(tok);
      if (engine.is_eog(tok) || static_cast<int64_t>(s.tokens.size()) >= s.limit) {
        finish(s);
        SKIM_RETURN_IF_ERROR(start(s));
        continue;
      }
      step_sessions.push_back(s.session.get());
      step_tokens.push_back(tok);
    }
    if (step_sessions.empty()) {
      if (std::none_of(slots.begin(), slots.end(), [](const Slot& s) { return s.active; })) break;
      continue;
    }
    SKIM_RETURN_IF_ERROR(engine.decode_step(step_sessions, step_tokens));
    int64_t in_flight = 0;
    for (const Slot& s : slots) in_flight += s.active ? static_cast<int64_t>(s.tokens.size()) : 0;
    bar.update(done + in_flight, fmt::format("{} sequences", out.size()));
  }
  bar.finish(fmt::format("{} sequences", out.size()));
  return out;
}

}  // namespace skim
