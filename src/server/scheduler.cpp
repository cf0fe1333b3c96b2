// scheduler.cpp — the continuous-batching loop (see scheduler.h for the step structure
// and invariants).
#include "server/scheduler.h"

#include <fmt/core.h>

#include <algorithm>
#include <optional>

namespace skim::server {

using Clock = std::chrono::steady_clock;

namespace {
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}
uint64_t us_between(Clock::time_point a, Clock::time_point b) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(b - a).count());
}
}  // namespace

struct Scheduler::Slot {
  enum class State { kIdle, kPrompt, kDecode };
  std::unique_ptr<Session> session;
  std::shared_ptr<Job> job;
  std::optional<Generation> gen;
  State state = State::kIdle;
  size_t prompt_pos = 0;  // prompt tokens evaluated so far
  int32_t pending = -1;   // sampled token still to be appended (kDecode)
  Clock::time_point t_assigned, t_prompt_done;
  Usage usage;
};

Scheduler::Scheduler(const Engine& engine, const SchedulerOptions& options, Metrics& metrics)
    : engine_(engine), opt_(options), metrics_(metrics) {
  opt_.n_slots = std::max(1, opt_.n_slots);
  opt_.max_queue = std::max(0, opt_.max_queue);
  opt_.prompt_chunk = std::max(1, opt_.prompt_chunk);
  for (int32_t i = 0; i < opt_.n_slots; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->session = engine_.new_session(opt_.n_ctx);
    slots_.push_back(std::move(slot));
  }
  slot_ctx_ = slots_.front()->session->n_ctx();
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() { stop(); }

Scheduler::Admit Scheduler::submit(std::shared_ptr<Job> job) {
  std::lock_guard<std::mutex> lk(mu_);
  if (draining_ || stopping_) return Admit::kStopping;
  // A free slot takes the job at once; otherwise it waits in the bounded queue.
  const int32_t free_slots = static_cast<int32_t>(slots_.size()) - active_;
  if (static_cast<int32_t>(queue_.size()) >= free_slots + opt_.max_queue) return Admit::kQueueFull;
  queue_.push_back(std::move(job));
  metrics_.queue_depth.store(static_cast<int64_t>(queue_.size()));
  work_cv_.notify_all();
  return Admit::kOk;
}

void Scheduler::drain() {
  std::lock_guard<std::mutex> lk(mu_);
  draining_ = true;
}

bool Scheduler::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lk(mu_);
  return idle_cv_.wait_for(lk, timeout, [&] { return (queue_.empty() && active_ == 0) || exited_; });
}

void Scheduler::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
    work_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lk(mu_);
  idle_cv_.notify_all();
}

void Scheduler::loop() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    if (stopping_) {
      const ApiError err = unavailable("the server is shutting down");
      for (auto& job : queue_) job->fail(err);
      queue_.clear();
      lk.unlock();
      for (auto& s : slots_) {
        if (s->state != Slot::State::kIdle) fail_slot(*s, err);
      }
      lk.lock();
      metrics_.queue_depth.store(0);
      exited_ = true;
      idle_cv_.notify_all();
      return;
    }
    std::vector<std::pair<Slot*, std::shared_ptr<Job>>> admitted = admit_locked();
    if (active_ == 0) {
      idle_cv_.notify_all();
      work_cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      continue;
    }
    lk.unlock();
    for (auto& [slot, job] : admitted) assign(*slot, std::move(job));  // may fail a job: takes mu_
    step();
    lk.lock();
  }
}

std::vector<std::pair<Scheduler::Slot*, std::shared_ptr<Job>>> Scheduler::admit_locked() {
  std::vector<std::pair<Slot*, std::shared_ptr<Job>>> admitted;
  for (auto& s : slots_) {
    if (queue_.empty()) break;
    if (s->state != Slot::State::kIdle) continue;
    std::shared_ptr<Job> job;
    while (!queue_.empty() && !job) {
      job = std::move(queue_.front());
      queue_.pop_front();
      if (job->cancelled()) {  // the client left while waiting
        metrics_.jobs_cancelled_total.fetch_add(1);
        job.reset();
      }
    }
    if (!job) break;
    ++active_;
    s->state = Slot::State::kPrompt;  // reserved; assign() fills it in outside the lock
    admitted.emplace_back(s.get(), std::move(job));
  }
  metrics_.queue_depth.store(static_cast<int64_t>(queue_.size()));
  metrics_.slots_busy.store(active_);
  return admitted;
}

void Scheduler::assign(Slot& s, std::shared_ptr<Job> job) {
  s.job = std::move(job);
  s.session->clear();
  s.prompt_pos = 0;
  s.pending = -1;
  s.t_assigned = Clock::now();
  s.usage = Usage{};
  s.usage.prompt_tokens = static_cast<int32_t>(s.job->prompt().size());
  s.usage.queue_ms = ms_between(s.job->admitted_at(), s.t_assigned);
  auto gen = Generation::create(engine_, *s.session, s.job->options());
  if (!gen) return fail_slot(s, invalid_request(gen.error().message));
  s.gen.emplace(std::move(*gen));
  s.gen->accept_prompt(s.job->prompt());
}

// Frees the slot first and only then lets the job's client know, so that a client that
// sends its next request the moment it has its answer finds the slot free.
std::shared_ptr<Job> Scheduler::release(Slot& s) {
  if (s.gen) metrics_.generated_tokens_total.fetch_add(static_cast<uint64_t>(s.gen->n_generated()));
  std::shared_ptr<Job> job = std::move(s.job);
  s.gen.reset();
  s.state = Slot::State::kIdle;
  s.pending = -1;
  std::lock_guard<std::mutex> lk(mu_);
  --active_;
  metrics_.slots_busy.store(active_);
  return job;
}

void Scheduler::fail_slot(Slot& s, const ApiError& error) {
  metrics_.jobs_failed_total.fetch_add(1);
  release(s)->fail(error);
}

void Scheduler::handle(Slot& s, GenerationStep&& step) {
  if (step.token >= 0 && !step.finished) s.pending = step.token;
  if (!step.text.empty() || step.has_logprob) s.job->append(step);
  if (step.finished) {
    s.usage.completion_tokens = s.gen->n_generated();
    s.usage.predicted_ms = ms_between(s.t_prompt_done, Clock::now());
    metrics_.jobs_finished_total.fetch_add(1);
    release(s)->finish(step.finish_reason, s.usage);
    return;
  }
  s.state = Slot::State::kDecode;
}

void Scheduler::step() {
  // 1. Clients that went away free their slots.
  for (auto& s : slots_) {
    if (s->state != Slot::State::kIdle && s->job->cancelled()) {
      metrics_.jobs_cancelled_total.fetch_add(1);
      release(*s)->fail(ApiError{499, "the client closed the connection", "cancelled", {}, "client_closed_request"});
    }
  }
  // 2. One prompt chunk for one slot, round-robin.
  const size_t n = slots_.size();
  for (size_t k = 0; k < n; ++k) {
    Slot& s = *slots_[(prefill_rr_ + k) % n];
    if (s.state != Slot::State::kPrompt) continue;
    prefill_rr_ = (prefill_rr_ + k + 1) % n;
    const auto& prompt = s.job->prompt();
    const size_t len = std::min(prompt.size() - s.prompt_pos, static_cast<size_t>(opt_.prompt_chunk));
    const auto t0 = Clock::now();
    Status st = s.session->eval(std::span<const int32_t>(prompt).subspan(s.prompt_pos, len));
    const auto t1 = Clock::now();
    if (!st) {
      fail_slot(s, internal_error("prompt processing failed: " + st.error().message));
      break;
    }
    s.prompt_pos += len;
    metrics_.prompt_tokens_total.fetch_add(len);
    metrics_.prompt_us_total.fetch_add(us_between(t0, t1));
    if (s.prompt_pos == prompt.size()) {
      s.t_prompt_done = t1;
      s.usage.prompt_ms = ms_between(s.t_assigned, t1);
      handle(s, s.gen->next());
    }
    break;
  }
  // 3. One batched decode step over every decoding slot.
  std::vector<Slot*> rows;
  std::vector<Session*> sessions;
  std::vector<int32_t> tokens;
  for (auto& s : slots_) {
    if (s->state == Slot::State::kDecode) {
      rows.push_back(s.get());
      sessions.push_back(s->session.get());
      tokens.push_back(s->pending);
    }
  }
  if (rows.empty()) return;
  const auto t0 = Clock::now();
  Status st = engine_.decode_step(sessions, tokens);
  const auto t1 = Clock::now();
  if (!st) {
    for (Slot* s : rows) fail_slot(*s, internal_error("decode failed: " + st.error().message));
    return;
  }
  metrics_.decode_steps_total.fetch_add(1);
  metrics_.decode_rows_total.fetch_add(rows.size());
  metrics_.decode_us_total.fetch_add(us_between(t0, t1));
  for (Slot* s : rows) {
    handle(*s, s->gen->next());
  }
}

}  // namespace skim::server
