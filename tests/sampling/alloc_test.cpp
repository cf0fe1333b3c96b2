// alloc_test.cpp — sample() and accept() must not touch the heap: everything is sized in
// the constructor. Replaces the global operator new of this test binary with a counting
// one (test-only; the library itself has no globals).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "sampling/sampler.h"

namespace {
std::atomic<long> g_allocations{0};  // test instrumentation only
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace skim::sampling {
namespace {

std::vector<float> random_logits(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

TEST(SamplerAllocations, NoneAfterConstruction) {
  constexpr int32_t kVocab = 49152;
  std::vector<std::vector<float>> logits;
  for (uint32_t i = 0; i < 4; ++i) logits.push_back(random_logits(kVocab, i));

  struct Variant {
    int32_t top_k;
    float temperature;
    bool post;
  };
  for (const Variant v : {Variant{40, 0.8f, false}, Variant{0, 0.8f, true}, Variant{0, 1.0f, false},
                          Variant{40, 0.0f, false}, Variant{40, 0.0f, true}}) {
    SamplingParams p;
    p.top_k = v.top_k;
    p.temperature = v.temperature;
    p.repeat_penalty = 1.1f;
    p.frequency_penalty = 0.2f;
    p.presence_penalty = 0.1f;
    p.penalty_last_n = 16;
    p.logprobs = true;
    p.top_logprobs = 5;
    p.post_sampling_probs = v.post;
    Sampler s(p, kVocab);
    const long before = g_allocations.load();
    for (int i = 0; i < 100; ++i) {  // long enough to wrap the penalty window
      const int32_t t = s.sample(logits[static_cast<size_t>(i) % logits.size()]);
      s.accept(t);
      (void)s.chosen_prob();
      (void)s.top_probs();
    }
    s.reset();
    EXPECT_EQ(g_allocations.load() - before, 0) << "top_k=" << v.top_k << " T=" << v.temperature;
  }
}

TEST(SamplerAllocations, CountingAllocatorWorks) {
  const long before = g_allocations.load();
  auto* v = new std::vector<int>(10);
  EXPECT_GT(g_allocations.load() - before, 0);
  delete v;
}

}  // namespace
}  // namespace skim::sampling
