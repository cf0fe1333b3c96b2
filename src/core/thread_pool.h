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
    auto tramp = [](void* ctx, int slot, int nt) { (*static_cast<std::remove_reference_t<F>*>(ctx))(slot, nt); };
    dispatch(tramp, &fn);
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
  using Trampoline = void (*)(void*, int, int);
  void dispatch(Trampoline t, void* ctx);
  void worker();
  // Claims and runs unclaimed slots of dispatch `gen` until none is left.
  void run_slots(uint32_t gen);

  int n_threads_;
  std::vector<std::thread> workers_;
  Trampoline task_ = nullptr;  // valid while a dispatch has unfinished slots
  void* task_ctx_ = nullptr;
  // (generation << 32) | next unclaimed slot: one word, so a claim is tied to its dispatch.
  alignas(64) std::atomic<uint64_t> claim_{0};
  alignas(64) std::atomic<uint32_t> generation_{0};  // workers sleep on this
  alignas(64) std::atomic<int> done_{0};             // finished slots of the current dispatch
  alignas(64) std::atomic<bool> stop_{false};
};

}  // namespace skim
