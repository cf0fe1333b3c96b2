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
size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}
}  // namespace

struct Scheduler::Slot {
  enum class State { kIdle, kPrompt, kDecode };
  std::unique_ptr<Session> session;
  std::shared_ptr<Job> job;
  std::optional<Generation> gen;
  State state = State::kIdle;
  size_t prompt_pos = 0;  // prompt tokens evaluated so far (cached ones included)
  // Tokens at positions [0, cached.size()) of the session whose keys/values are exactly
  // what evaluating them afresh would give: prompt tokens read in chunks of >= 2 tokens
  // (the f16 attention order of a 1-token pass differs; generated tokens never count).
  // The next job in this slot reuses the longest common prefix with its prompt.
  std::vector<int32_t> cached;
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
  for (auto& s : slots_) s->cached.reserve(static_cast<size_t>(slot_ctx_));  // no growth while serving
  // One row per decoding slot plus the prompt chunk; at most one run per slot.
  batch_ = engine_.new_batch(opt_.n_slots + opt_.prompt_chunk, opt_.n_slots, slot_ctx_);
  runs_.reserve(slots_.size());
  run_slots_.reserve(slots_.size());
  run_is_prompt_.reserve(slots_.size());
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
  while (!queue_.empty()) {
    std::shared_ptr<Job> job = std::move(queue_.front());
    queue_.pop_front();
    if (job->cancelled()) {  // the client left while waiting
      metrics_.jobs_cancelled_total.fetch_add(1);
      continue;
    }
    // The free slot whose cached prefix shares the most with this prompt (ties: first).
    Slot* best = nullptr;
    size_t best_len = 0;
    for (auto& s : slots_) {
      if (s->state != Slot::State::kIdle) continue;
      const size_t len = common_prefix(s->cached, job->prompt());
      if (!best || len > best_len) {
        best = s.get();
        best_len = len;
      }
    }
    if (!best) {  // no free slot: back to the head of the queue
      queue_.push_front(std::move(job));
      break;
    }
    ++active_;
    best->state = Slot::State::kPrompt;  // reserved; assign() fills it in outside the lock
    admitted.emplace_back(best, std::move(job));
  }
  metrics_.queue_depth.store(static_cast<int64_t>(queue_.size()));
  metrics_.slots_busy.store(active_);
  return admitted;
}

void Scheduler::assign(Slot& s, std::shared_ptr<Job> job) {
  s.job = std::move(job);
  // Reuse the cached prefix, leaving at least 2 prompt tokens to read (a 1-token pass
  // would use another f16 attention order than reading the prompt alone does).
  const auto& prompt = s.job->prompt();
  const size_t keep = std::min(common_prefix(s.cached, prompt), prompt.size() >= 2 ? prompt.size() - 2 : 0);
  s.cached.resize(keep);
  s.session->truncate(static_cast<int32_t>(keep));
  s.prompt_pos = keep;
  metrics_.prompt_tokens_cached_total.fetch_add(keep);
  s.pending = -1;
  s.t_assigned = Clock::now();
  s.usage = Usage{};
  s.usage.prompt_tokens = static_cast<int32_t>(s.job->prompt().size());
  s.usage.queue_ms = ms_between(s.job->admitted_at(), s.t_assigned);
  if (s.job->prompt().empty()) return fail_slot(s, invalid_request("the prompt is empty"));
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
  // 2. The step's runs: one token of every decoding slot, then prompt chunks of slots
  //    still reading their prompt, round-robin, up to prompt_chunk tokens in all.
  runs_.clear();
  run_slots_.clear();
  run_is_prompt_.clear();
  int32_t n_decode = 0;
  for (auto& s : slots_) {
    if (s->state != Slot::State::kDecode) continue;
    runs_.push_back(Batch::Run{s->session.get(), std::span<const int32_t>(&s->pending, 1), true});
    run_slots_.push_back(s.get());
    run_is_prompt_.push_back(0);
    ++n_decode;
  }
  const size_t n = slots_.size();
  int32_t budget = opt_.prompt_chunk;
  size_t next_rr = prefill_rr_;
  for (size_t k = 0; k < n && budget > 0; ++k) {
    const size_t idx = (prefill_rr_ + k) % n;
    Slot& s = *slots_[idx];
    if (s.state != Slot::State::kPrompt) continue;
    const auto& prompt = s.job->prompt();
    const size_t rem = prompt.size() - s.prompt_pos;
    size_t len = std::min(rem, static_cast<size_t>(budget));
    // No 1-token pieces (other f16 attention order than reading the prompt at once):
    // leave 2 tokens rather than 1, and wait for a fresh budget rather than take 1.
    if (len < rem && rem - len == 1 && len >= 3) {
      --len;
    } else if (len < rem && (len < 2 || rem - len == 1) && budget < opt_.prompt_chunk) {
      continue;
    }
    runs_.push_back(Batch::Run{s.session.get(), std::span<const int32_t>(prompt).subspan(s.prompt_pos, len),
                               s.prompt_pos + len == prompt.size()});
    run_slots_.push_back(&s);
    run_is_prompt_.push_back(1);
    budget -= static_cast<int32_t>(len);
    next_rr = (idx + 1) % n;  // the next step starts after the last slot served
  }
  prefill_rr_ = next_rr;
  if (runs_.empty()) return;
  const int32_t n_prompt_tokens = opt_.prompt_chunk - budget;

  // 3. ONE forward pass for all of them.
  const auto t0 = Clock::now();
  Status st = batch_->step(runs_);
  const auto t1 = Clock::now();
  if (!st) {
    for (size_t i = 0; i < runs_.size(); ++i) {
      fail_slot(*run_slots_[i], internal_error((run_is_prompt_[i] ? "prompt processing failed: " : "decode failed: ") +
                                               st.error().message));
    }
    return;
  }
  // A mixed step counts its wall time both as prompt time and as decode time.
  if (n_prompt_tokens > 0) {
    metrics_.prompt_tokens_total.fetch_add(static_cast<uint64_t>(n_prompt_tokens));
    metrics_.prompt_us_total.fetch_add(us_between(t0, t1));
  }
  if (n_decode > 0) {
    metrics_.decode_steps_total.fetch_add(1);
    metrics_.decode_rows_total.fetch_add(static_cast<uint64_t>(n_decode));
    metrics_.decode_us_total.fetch_add(us_between(t0, t1));
    if (n_prompt_tokens > 0) metrics_.mixed_steps_total.fetch_add(1);
  }
  // 4. Every slot with new logits samples; finished slots are freed at once.
  for (size_t i = 0; i < runs_.size(); ++i) {
    Slot& s = *run_slots_[i];
    if (run_is_prompt_[i]) {
      const auto piece = runs_[i].tokens;
      if (piece.size() >= 2 && s.cached.size() == s.prompt_pos) s.cached.insert(s.cached.end(), piece.begin(), piece.end());
      s.prompt_pos += piece.size();
      if (!runs_[i].want_logits) continue;  // more prompt to read
      s.t_prompt_done = t1;
      s.usage.prompt_ms = ms_between(s.t_assigned, t1);
    }
    handle(s, s.gen->next());
  }
}

}  // namespace skim::server
