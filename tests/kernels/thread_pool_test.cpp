// thread_pool_test.cpp — ThreadPool (core/thread_pool.h): run() gives every slot exactly
// once; run_many() with more slots than threads runs each slot exactly once, passes thread
// indices in [0, size()), never runs two slots of one thread at once (per-thread scratch is
// safe), and keeps working back to back and when one slot is much slower than the rest;
// parallel_for_many covers [0, n) exactly once; dispatches with changing slot counts back to
// back run every slot exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/thread_pool.h"

namespace skim {
namespace {

TEST(ThreadPool, RunGivesEverySlotOnce) {
  for (int nt : {1, 2, 3}) {
    ThreadPool pool(nt);
    std::vector<std::atomic<int>> hits(static_cast<size_t>(nt));
    for (int rep = 0; rep < 100; ++rep) {
      pool.run([&](int slot, int n) {
        ASSERT_EQ(n, nt);
        hits[static_cast<size_t>(slot)].fetch_add(1);
      });
    }
    for (auto& h : hits) EXPECT_EQ(h.load(), 100);
  }
}

TEST(ThreadPool, RunManyRunsEachSlotOnceOnKnownThreads) {
  for (int nt : {1, 2, 3}) {
    ThreadPool pool(nt);
    for (int n_slots : {1, 2, 5, 17, 64}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n_slots));
      std::vector<std::atomic<int>> busy(static_cast<size_t>(nt));
      std::atomic<bool> overlap{false}, bad_thread{false};
      for (int rep = 0; rep < 20; ++rep) {
        pool.run_many(n_slots, [&](int slot, int ns, int thread) {
          if (ns != n_slots || thread < 0 || thread >= nt) {
            bad_thread = true;
            return;
          }
          if (busy[static_cast<size_t>(thread)].fetch_add(1) != 0) overlap = true;
          if (slot == 0 && rep % 5 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));  // a slow slot
          hits[static_cast<size_t>(slot)].fetch_add(1);
          busy[static_cast<size_t>(thread)].fetch_sub(1);
        });
      }
      EXPECT_FALSE(bad_thread.load());
      EXPECT_FALSE(overlap.load()) << "two slots ran at once on one thread index";
      for (auto& h : hits) EXPECT_EQ(h.load(), 20) << "threads " << nt << ", slots " << n_slots;
    }
  }
}

// Back-to-back dispatches with changing slot counts: a worker still holding the previous
// dispatch's claim must never run a slot of the next one (each slot runs exactly once per
// dispatch; an extra run would also over-count the pool's done counter and hang it).
TEST(ThreadPool, ChangingSlotCountsBackToBack) {
  for (int nt : {2, 3}) {
    ThreadPool pool(nt);
    std::atomic<int> runs{0};
    for (int i = 0; i < 20000; ++i) {
      const int n = 1 + (i * 7) % 17;
      runs = 0;
      if (i % 3 == 0) {
        pool.run([&](int, int) { runs.fetch_add(1); });
        ASSERT_EQ(runs.load(), nt) << "iteration " << i;
      } else {
        pool.run_many(n, [&](int, int, int) { runs.fetch_add(1); });
        ASSERT_EQ(runs.load(), n) << "iteration " << i;
      }
    }
  }
}

TEST(ThreadPool, ParallelForManyCoversTheRangeOnce) {
  ThreadPool pool(2);
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1000}}) {
    for (int slots : {1, 3, 16, 5000}) {
      std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
      pool.parallel_for_many(n, slots, [&](int64_t b, int64_t e, int) {
        for (int64_t i = b; i < e; ++i) seen[static_cast<size_t>(i)].fetch_add(1);
      });
      for (auto& s : seen) ASSERT_EQ(s.load(), 1) << "n " << n << ", slots " << slots;
    }
  }
}

}  // namespace
}  // namespace skim
