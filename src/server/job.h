// job.h — one admitted generation request, shared by the HTTP thread that answers it and
// the scheduler thread that runs it.
//
// The scheduler appends output (text, logprobs) and finally a finish reason or an error;
// the HTTP thread takes everything accumulated since its last take (so a slow client gets
// larger chunks, never a growing backlog of wake-ups). Cancellation flows the other way:
// the HTTP thread marks the job cancelled when its client is gone and the scheduler frees
// the slot at its next step.
//
// Invariants: the prompt and options are immutable after construction; after finished or
// failed nothing more is appended; every member is safe to call from either thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/api_error.h"
#include "skim/generation.h"

namespace skim::server {

struct LogprobEntry {
  int32_t token = -1;
  float logprob = 0.0f;
  std::vector<TokenLogprob> top;
};

struct Usage {
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  double queue_ms = 0.0;      // admitted -> slot assigned
  double prompt_ms = 0.0;     // prompt processing
  double predicted_ms = 0.0;  // first sampled token -> finish
};

// What the HTTP thread takes from a job at once.
struct Delta {
  std::string text;
  std::vector<LogprobEntry> logprobs;
  bool finished = false;
  std::string finish_reason;      // when finished: "stop" or "length"
  std::optional<ApiError> error;  // the job failed (then finished is true as well)
  Usage usage;                    // when finished
  bool empty() const { return text.empty() && logprobs.empty() && !finished; }
};

class Job {
 public:
  using Clock = std::chrono::steady_clock;

  Job(std::vector<int32_t> prompt, GenerationOptions options)
      : prompt_(std::move(prompt)), options_(std::move(options)), admitted_at_(Clock::now()) {}

  const std::vector<int32_t>& prompt() const { return prompt_; }
  const GenerationOptions& options() const { return options_; }
  Clock::time_point admitted_at() const { return admitted_at_; }

  // --- scheduler side ---
  void append(const GenerationStep& step) {
    std::lock_guard<std::mutex> lk(mu_);
    if (pending_.finished) return;
    pending_.text += step.text;
    if (step.has_logprob) pending_.logprobs.push_back({step.logprob.token, step.logprob.logprob, step.top_logprobs});
    news_ = true;
    cv_.notify_all();
  }
  void finish(const std::string& reason, const Usage& usage) {
    std::lock_guard<std::mutex> lk(mu_);
    if (pending_.finished) return;
    pending_.finished = true;
    pending_.finish_reason = reason;
    pending_.usage = usage;
    news_ = true;
    cv_.notify_all();
  }
  void fail(ApiError error) {
    std::lock_guard<std::mutex> lk(mu_);
    if (pending_.finished) return;
    pending_.finished = true;
    pending_.error = std::move(error);
    news_ = true;
    cv_.notify_all();
  }

  // --- HTTP side ---
  // Waits up to `timeout` for output; returns what accumulated (empty on timeout). After
  // the finished delta has been taken, later calls return an empty delta at once.
  Delta take(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lk(mu_);
    if (taken_final_) return {};
    cv_.wait_for(lk, timeout, [&] { return news_; });
    Delta out = std::move(pending_);
    const bool fin = out.finished;
    pending_ = Delta{};
    pending_.finished = fin;  // keep refusing appends after the end
    news_ = false;
    if (fin) taken_final_ = true;
    return out;
  }
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  const std::vector<int32_t> prompt_;
  const GenerationOptions options_;
  const Clock::time_point admitted_at_;
  std::mutex mu_;
  std::condition_variable cv_;
  Delta pending_;
  bool news_ = false;
  bool taken_final_ = false;
  std::atomic<bool> cancelled_{false};
};

}  // namespace skim::server
