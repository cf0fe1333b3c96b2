// scheduler_test.cpp — server::Scheduler without HTTP: jobs run to a finish with usage, a
// job whose options the sampler refuses fails cleanly (no deadlock, slot freed), the queue
// bound holds, cancelled jobs free their slot, drain() refuses new work but lets queued
// work finish, stop() fails whatever is left.
#include <gtest/gtest.h>

#include <cmath>

#include "server/scheduler.h"
#include "server_fixture.h"

namespace skim::server {
namespace {

using namespace std::chrono_literals;
using skim::testing::test_engine;

std::shared_ptr<Job> make_job(const std::string& prompt, int32_t max_tokens) {
  GenerationOptions go;
  go.params.max_tokens = max_tokens;
  go.params.sampling.temperature = 0.0f;
  go.params.ignore_eos = true;
  return std::make_shared<Job>(test_engine().tokenize(prompt, true, true), go);
}

// Everything a job produces until it ends.
Delta drain_job(Job& job) {
  Delta all;
  for (int i = 0; i < 600; ++i) {
    Delta d = job.take(100ms);
    all.text += d.text;
    if (d.finished) {
      all.finished = true;
      all.finish_reason = d.finish_reason;
      all.error = d.error;
      all.usage = d.usage;
      break;
    }
  }
  return all;
}

SchedulerOptions opts(int32_t slots, int32_t queue) {
  SchedulerOptions o;
  o.n_slots = slots;
  o.n_ctx = 256;
  o.max_queue = queue;
  o.prompt_chunk = 32;
  return o;
}

TEST(Scheduler, JobsRunToTheirEndWithUsage) {
  Metrics m;
  Scheduler s(test_engine(), opts(2, 4), m);
  auto a = make_job("Hello there", 5);
  auto b = make_job("One, two, three,", 3);
  ASSERT_EQ(s.submit(a), Scheduler::Admit::kOk);
  ASSERT_EQ(s.submit(b), Scheduler::Admit::kOk);
  Delta da = drain_job(*a), db = drain_job(*b);
  EXPECT_TRUE(da.finished && !da.error);
  EXPECT_EQ(da.finish_reason, "length");
  EXPECT_EQ(da.usage.completion_tokens, 5);
  EXPECT_EQ(da.usage.prompt_tokens, static_cast<int32_t>(a->prompt().size()));
  EXPECT_EQ(db.usage.completion_tokens, 3);
  EXPECT_FALSE(da.text.empty());
  EXPECT_TRUE(s.wait_idle(10s));
  EXPECT_EQ(m.slots_busy.load(), 0);
  EXPECT_EQ(m.jobs_finished_total.load(), 2u);
  EXPECT_EQ(m.generated_tokens_total.load(), 8u);
}

TEST(Scheduler, ARefusedJobFailsWithoutBlockingTheLoop) {
  Metrics m;
  Scheduler s(test_engine(), opts(1, 4), m);
  GenerationOptions bad;
  bad.params.sampling.temperature = std::nanf("");
  auto j = std::make_shared<Job>(test_engine().tokenize("Hi", true, true), bad);
  ASSERT_EQ(s.submit(j), Scheduler::Admit::kOk);
  Delta d = drain_job(*j);
  ASSERT_TRUE(d.finished);
  ASSERT_TRUE(d.error.has_value());
  EXPECT_EQ(d.error->status, 400);
  // The slot is free again and the next job runs.
  auto ok = make_job("Hi", 2);
  ASSERT_EQ(s.submit(ok), Scheduler::Admit::kOk);
  EXPECT_EQ(drain_job(*ok).usage.completion_tokens, 2);
}

TEST(Scheduler, QueueBoundCancellationDrainAndStop) {
  Metrics m;
  Scheduler s(test_engine(), opts(1, 1), m);
  auto running = make_job("Once upon a time", 200);
  auto queued = make_job("Hello", 2);
  ASSERT_EQ(s.submit(running), Scheduler::Admit::kOk);
  while (m.slots_busy.load() == 0) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(s.submit(queued), Scheduler::Admit::kOk);
  EXPECT_EQ(s.submit(make_job("x", 1)), Scheduler::Admit::kQueueFull);  // 1 running + 1 queued
  running->cancel();                                                     // its client went away
  Delta dr = drain_job(*running);
  ASSERT_TRUE(dr.error.has_value());
  EXPECT_EQ(dr.error->code, "client_closed_request");
  EXPECT_EQ(drain_job(*queued).usage.completion_tokens, 2);  // the queued job got the slot
  EXPECT_EQ(m.jobs_cancelled_total.load(), 1u);

  s.drain();
  EXPECT_EQ(s.submit(make_job("x", 1)), Scheduler::Admit::kStopping);
  EXPECT_TRUE(s.wait_idle(10s));
  s.stop();
  s.stop();  // idempotent
}

TEST(Scheduler, StopFailsQueuedAndRunningJobs) {
  Metrics m;
  Scheduler s(test_engine(), opts(1, 2), m);
  auto running = make_job("Once upon a time", 500);
  auto queued = make_job("Hello", 2);
  ASSERT_EQ(s.submit(running), Scheduler::Admit::kOk);
  ASSERT_EQ(s.submit(queued), Scheduler::Admit::kOk);
  while (m.slots_busy.load() == 0) std::this_thread::sleep_for(1ms);
  s.stop();
  for (auto* j : {running.get(), queued.get()}) {
    Delta d = drain_job(*j);
    ASSERT_TRUE(d.finished);
    ASSERT_TRUE(d.error.has_value());
    EXPECT_EQ(d.error->status, 503);
  }
}

}  // namespace
}  // namespace skim::server
