// thread_pool.h — a persistent pool of worker threads, created once per engine.
//
// run(fn) executes fn(thread_index, n_threads) on every thread (the caller is thread 0)
// and returns when all have finished. Workers spin briefly on a generation counter, then
// sleep on it (C++20 atomic wait = futex), so back-to-back dispatches during decode cost
// a few hundred nanoseconds, and an idle pool costs nothing. No allocation per dispatch.
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

  // Run fn(thread_index, n_threads) on all threads and wait. fn must not throw.
  template <class F>
  void run(F&& fn) {
    if (n_threads_ == 1) {
      fn(0, 1);
      return;
    }
    auto tramp = [](void* ctx, int ti, int nt) { (*static_cast<std::remove_reference_t<F>*>(ctx))(ti, nt); };
    dispatch(tramp, &fn);
  }

  // Split [0, n) into contiguous chunks, one per thread: fn(begin, end, thread_index).
  template <class F>
  void parallel_for(int64_t n, F&& fn) {
    run([&](int ti, int nt) {
      const int64_t chunk = (n + nt - 1) / nt;
      const int64_t b = ti * chunk;
      const int64_t e = b + chunk < n ? b + chunk : n;
      if (b < e) fn(b, e, ti);
    });
  }

 private:
  using Trampoline = void (*)(void*, int, int);
  void dispatch(Trampoline t, void* ctx);
  void worker(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  Trampoline task_ = nullptr;
  void* task_ctx_ = nullptr;
  alignas(64) std::atomic<uint32_t> generation_{0};
  alignas(64) std::atomic<int> pending_{0};
  alignas(64) std::atomic<bool> stop_{false};
};

}  // namespace skim
