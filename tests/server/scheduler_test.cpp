// scheduler_test.cpp — server::Scheduler without HTTP: jobs run to a finish with usage, a
// job whose options the sampler refuses fails cleanly (no deadlock, slot freed), the queue
// bound holds, cancelled jobs free their slot, drain() refuses new work but lets queued
// work finish, stop() fails whatever is left; a long prompt joining while others stream is
// read in chunks inside their decode steps, and every output equals the job run alone.
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

// The greedy text of a prompt generated alone (Session::generate, no batching).
std::string alone(const std::vector<int32_t>& prompt, int32_t max_tokens) {
  auto session = test_engine().new_session(512);
  GenerateParams gp;
  gp.max_tokens = max_tokens;
  gp.sampling.temperature = 0.0f;
  gp.ignore_eos = true;
  auto r = session->generate(prompt, gp);
  EXPECT_TRUE(r.ok());
  return r.ok() ? r->text : std::string();
}

TEST(Scheduler, LongPromptJoinsWhileOthersStream) {
  Metrics m;
  SchedulerOptions o = opts(3, 4);
  o.n_ctx = 512;
  o.prompt_chunk = 16;
  Scheduler s(test_engine(), o, m);
  auto a = make_job("Once upon a time", 48);
  auto b = make_job("The capital of France is", 48);
  ASSERT_EQ(s.submit(a), Scheduler::Admit::kOk);
  ASSERT_EQ(s.submit(b), Scheduler::Admit::kOk);
  // Both stream before the long prompt arrives.
  Delta a0 = a->take(10s), b0 = b->take(10s);
  ASSERT_FALSE(a0.empty());
  ASSERT_FALSE(b0.empty());
  std::string long_text;
  for (int i = 0; i < 12; ++i) long_text += "The quick brown fox jumps over the lazy dog number " + std::to_string(i) + ". ";
  auto c = make_job(long_text, 8);
  ASSERT_GE(c->prompt().size(), 140u);
  ASSERT_NE(c->prompt().size() % 16, 1u);  // a 1-token last chunk would use T == 1 attention order
  const uint64_t steps_before = m.decode_steps_total.load();
  ASSERT_EQ(s.submit(c), Scheduler::Admit::kOk);
  Delta da = drain_job(*a), db = drain_job(*b), dc = drain_job(*c);
  ASSERT_TRUE(da.finished && !da.error && db.finished && !db.error && dc.finished && !dc.error);
  EXPECT_EQ(a0.text + da.text, alone(a->prompt(), 48));
  EXPECT_EQ(b0.text + db.text, alone(b->prompt(), 48));
  EXPECT_EQ(dc.text, alone(c->prompt(), 8));
  EXPECT_EQ(dc.usage.completion_tokens, 8);
  // The long prompt (>= 9 chunks of 16) was read inside the streams' decode steps: each
  // of its steps also advanced the streams, none stalled them.
  const uint64_t chunks = (c->prompt().size() + 15) / 16;
  EXPECT_GE(m.mixed_steps_total.load(), chunks);
  EXPECT_GT(m.decode_steps_total.load() - steps_before, chunks);
  EXPECT_EQ(m.prompt_tokens_total.load() + m.prompt_tokens_cached_total.load(),
            a->prompt().size() + b->prompt().size() + c->prompt().size());
}

TEST(Scheduler, ASharedPrefixIsReadOnceAndOutputsStayExact) {
  Metrics m;
  SchedulerOptions o = opts(1, 4);
  o.prompt_chunk = 8;
  Scheduler s(test_engine(), o, m);
  const std::string system = "You are a careful assistant. Answer in one short sentence, please. ";
  auto first = make_job(system + "What is the capital of Italy?", 6);
  ASSERT_EQ(s.submit(first), Scheduler::Admit::kOk);
  Delta d1 = drain_job(*first);
  ASSERT_TRUE(d1.finished && !d1.error);
  EXPECT_EQ(m.prompt_tokens_cached_total.load(), 0u);
  auto second = make_job(system + "Name a large animal.", 6);
  const size_t shared = [&] {
    size_t i = 0;
    while (first->prompt()[i] == second->prompt()[i]) ++i;
    return i;
  }();
  ASSERT_GE(shared, 10u);
  ASSERT_EQ(s.submit(second), Scheduler::Admit::kOk);
  Delta d2 = drain_job(*second);
  ASSERT_TRUE(d2.finished && !d2.error);
  EXPECT_GE(m.prompt_tokens_cached_total.load(), shared - 8);  // whole 8-token chunks at least
  EXPECT_LE(m.prompt_tokens_cached_total.load(), shared);
  EXPECT_EQ(d2.usage.prompt_tokens, static_cast<int32_t>(second->prompt().size()));
  EXPECT_EQ(d1.text, alone(first->prompt(), 6));
  EXPECT_EQ(d2.text, alone(second->prompt(), 6));
  // The same prompt again: everything but the last 2 tokens is reused.
  auto third = make_job(system + "Name a large animal.", 6);
  const uint64_t before = m.prompt_tokens_cached_total.load();
  ASSERT_EQ(s.submit(third), Scheduler::Admit::kOk);
  Delta d3 = drain_job(*third);
  EXPECT_EQ(d3.text, d2.text);
  EXPECT_GE(m.prompt_tokens_cached_total.load() - before, shared);
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
