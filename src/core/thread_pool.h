// thread_pool.h — a persistent pool of worker threads, created once per engine.
//
// run(fn) executes fn(slot, n_threads) once for every slot in [0, n_threads) and returns
// when all have finished. Slots are claimed, not assigned: the caller claims slot 0 and
// then, after finishing it, any slot no worker has claimed yet. So when a worker is slow to
// wake (the machine is oversubscribed, the worker was descheduled), the caller does its
// share instead of waiting for it, and a contended pool degrades to one thread's speed
// rather than to one scheduler time slice per dispatch.
//
// Invariants callers may rely on: each slot runs exactly once per run(), never on two
// threads at once, so per-slot scratch indexed by `slot` is safe; the split of the work
// depends only on (slot, n_threads), never on which thread ran it, so results do not
// depend on scheduling. Idle workers spin briefly, then yield, then sleep on a futex
// (C++20 atomic wait); back-to-back dispatches cost well under a microsecond when the
// workers are awake. No allocation per dispatch.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace skim {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Run fn(slot, n_threads) for every slot and wait. fn must not throw.
  template <class F>
  void run(F&& fn) {
    if (n_threads_ == 1) {
      fn(0, 1);
      return;
    }
    auto tramp = [](void* ctx, int slot, int nt, int) { (*static_cast<std::remove_reference_t<F>*>(ctx))(slot, nt); };
    dispatch(tramp, &fn, n_threads_);
  }

  // Run fn(slot, n_slots, thread) for every slot in [0, n_slots) (n_slots is capped to
  // kMaxSlots) and wait; threads claim
  // slots one at a time until none is left, so with several slots per thread the work
  // balances itself when a thread is descheduled or slow (the caller keeps claiming).
  // `thread` (in [0, size())) is the thread running the slot: per-thread scratch is indexed
  // by it, never by slot. The split depends only on n_slots. fn must not throw.
  static constexpr int kMaxSlots = 0xFFFF;
  template <class F>
  void run_many(int n_slots, F&& fn) {
    if (n_slots <= 0) return;
    if (n_slots > kMaxSlots) n_slots = kMaxSlots;
    if (n_threads_ == 1 || n_slots == 1) {
      for (int s = 0; s < n_slots; ++s) fn(s, n_slots, 0);
      return;
    }
    auto tramp = [](void* ctx, int slot, int ns, int thread) {
      (*static_cast<std::remove_reference_t<F>*>(ctx))(slot, ns, thread);
    };
    dispatch(tramp, &fn, n_slots);
  }
  // Split [0, n) into n_slots contiguous chunks claimed as in run_many: fn(begin, end, thread).
  template <class F>
  void parallel_for_many(int64_t n, int n_slots, F&& fn) {
    if (n <= 0) return;
    if (n_slots > n) n_slots = static_cast<int>(n);
    run_many(n_slots, [&](int slot, int ns, int thread) {
      const int64_t b = n * slot / ns, e = n * (slot + 1) / ns;
      if (b < e) fn(b, e, thread);
    });
  }
  // Split [0, n) into contiguous chunks, one per slot: fn(begin, end, slot).
  template <class F>
  void parallel_for(int64_t n, F&& fn) {
    run([&](int slot, int nt) {
      const int64_t chunk = (n + nt - 1) / nt;
      const int64_t b = slot * chunk;
      const int64_t e = b + chunk < n ? b + chunk : n;
      if (b < e) fn(b, e, slot);
    });
  }

 private:
  using Trampoline = void (*)(void* ctx, int slot, int n_slots, int thread);
  void dispatch(Trampoline t, void* ctx, int n_slots);
  void worker(int thread);
  // Claims and runs unclaimed slots of dispatch `gen` until none is left.
  void run_slots(uint32_t gen, int thread);

  int n_threads_;
  std::vector<std::thread> workers_;
  Trampoline task_ = nullptr;  // valid while a dispatch has unfinished slots
  void* task_ctx_ = nullptr;
  // (generation << 32) | (slot count << 16) | next unclaimed slot: one word, so a claim is
  // tied to its dispatch and its count (thread_pool.cpp).
  alignas(64) std::atomic<uint64_t> claim_{0};
  alignas(64) std::atomic<uint32_t> generation_{0};  // workers sleep on this
  alignas(64) std::atomic<int> done_{0};             // finished slots of the current dispatch
  alignas(64) std::atomic<bool> stop_{false};
};

}  // namespace skim
