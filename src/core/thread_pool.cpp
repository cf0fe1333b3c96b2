// thread_pool.cpp — slot claiming, spin-then-yield-then-sleep waits (see thread_pool.h).
#include "core/thread_pool.h"

#include <immintrin.h>
#include <sched.h>

namespace skim {

namespace {

// Idle workers: pause this many times (a few tens of microseconds: long enough to bridge
// the serial ops between two products of a decode step), yielding the core every
// kYieldEvery pauses so an oversubscribed machine can run someone else, then sleep.
constexpr int kSpinIterations = 20000;
constexpr int kYieldEvery = 256;

// The claim word: generation (32 bits) | slot count (16) | next unclaimed slot (16). The
// count travels in the same word as the claim, so a thread holding a stale word can never
// pair it with another dispatch's count (a successful CAS proves the whole word current).
constexpr uint64_t pack(uint32_t gen, uint32_t n_slots, uint32_t slot) {
  return (static_cast<uint64_t>(gen) << 32) | (static_cast<uint64_t>(n_slots) << 16) | slot;
}
constexpr uint32_t gen_of(uint64_t c) { return static_cast<uint32_t>(c >> 32); }
constexpr uint32_t count_of(uint64_t c) { return static_cast<uint32_t>(c >> 16) & 0xFFFF; }
constexpr uint32_t slot_of(uint64_t c) { return static_cast<uint32_t>(c) & 0xFFFF; }

}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_slots(uint32_t gen, int thread) {
  uint64_t c = claim_.load(std::memory_order_acquire);
  for (;;) {
    if (gen_of(c) != gen) return;
    const uint32_t slot = slot_of(c);
    const int n_slots = static_cast<int>(count_of(c));
    if (slot >= static_cast<uint32_t>(n_slots)) return;
    if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // A successful claim of an unfinished dispatch: task_ is that dispatch's (the caller
    // publishes a new task only after every slot of the previous one is done).
    task_(task_ctx_, static_cast<int>(slot), n_slots, thread);
    if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_slots) done_.notify_all();
    c = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::dispatch(Trampoline t, void* ctx, int n_slots) {
  const uint32_t gen = generation_.load(std::memory_order_relaxed) + 1;
  task_ = t;
  task_ctx_ = ctx;
  done_.store(0, std::memory_order_relaxed);
  claim_.store(pack(gen, static_cast<uint32_t>(n_slots), 1), std::memory_order_release);  // slot 0 is the caller's
  generation_.store(gen, std::memory_order_release);
  generation_.notify_all();
  t(ctx, 0, n_slots, 0);
  done_.fetch_add(1, std::memory_order_acq_rel);
  run_slots(gen, 0);  // whatever the workers have not picked up yet
  // Wait for slots other threads claimed: spin, yield, then sleep on done_.
  for (int spin = 0;; ++spin) {
    const int d = done_.load(std::memory_order_acquire);
    if (d == n_slots) break;
    if (spin < kSpinIterations) {
      if (spin % kYieldEvery == kYieldEvery - 1) {
        sched_yield();
      } else {
        _mm_pause();
      }
    } else {
      done_.wait(d, std::memory_order_acquire);
    }
  }
}

void ThreadPool::worker(int thread) {
  uint32_t seen = 0;
  for (;;) {
    uint32_t g;
    for (int spin = 0;; ++spin) {
      g = generation_.load(std::memory_order_acquire);
      if (g != seen) break;
      if (spin < kSpinIterations) {
        if (spin % kYieldEvery == kYieldEvery - 1) {
          sched_yield();
        } else {
          _mm_pause();
        }
      } else {
        generation_.wait(seen, std::memory_order_acquire);
      }
    }
    seen = g;
    if (stop_.load(std::memory_order_acquire)) return;
    run_slots(g, thread);
  }
}

}  // namespace skim
