// scheduler.h — continuous batching over a fixed set of slots.
//
// Each slot owns a Session (its KV cache, --ctx-size positions) and, while busy, one Job
// and its Generation. One thread loops:
//   1. admit queued jobs into free slots (FIFO), dropping jobs whose client has gone; a job
//      goes to the free slot whose cache holds the longest common prefix with its prompt
//      (e.g. the chat template's system prompt), and those positions are not read again;
//   2. free slots whose job was cancelled;
//   3. build ONE step: the pending token of every decoding slot, plus prompt chunks of
//      slots still reading their prompt (round-robin, at most prompt_chunk tokens in all),
//      so a long prompt is interleaved with the streams already decoding, never stalls them;
//   4. run it as ONE multi-sequence forward pass (Batch::step: shared matrix products,
//      per-slot KV cache and attention); sequences join and leave between steps. Each
//      decoding slot, and each slot whose prompt just completed, samples its next token;
//      finished slots are freed at once.
//
// Invariants: a reused prefix covers only prompt tokens read in chunks of >= 2 tokens, and
// every prompt piece is >= 2 tokens unless the prompt is 1 token (or prompt_chunk is 1), so
// outputs equal those of reading each prompt alone, bit for bit; slots and Generations
// are touched only by the scheduler thread; the queue
// and the flags are guarded by one mutex; a Job is admitted only if it fits (prompt
// length < slot context, checked by the caller through slot_ctx()); every admitted Job
// ends with finish() or fail(), and every queued Job is either admitted or failed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "server/job.h"
#include "server/metrics.h"
#include "skim/engine.h"

namespace skim::server {

struct SchedulerOptions {
  int32_t n_slots = 1;
  int32_t n_ctx = 2048;       // positions per slot (capped to the engine's context)
  int32_t max_queue = 64;     // jobs waiting for a slot; more are refused
  int32_t prompt_chunk = 128;  // prompt tokens per scheduler step (over all joining slots)
};

class Scheduler {
 public:
  Scheduler(const Engine& engine, const SchedulerOptions& options, Metrics& metrics);
  ~Scheduler();  // stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  enum class Admit { kOk, kQueueFull, kStopping };
  Admit submit(std::shared_ptr<Job> job);

  // Refuse new jobs from now on; jobs queued or running continue to their end.
  void drain();
  // Waits until nothing is queued or running; false on timeout.
  bool wait_idle(std::chrono::milliseconds timeout);
  // Fails every queued and running job ("server shutting down") and joins the thread.
  void stop();

  int32_t slot_ctx() const { return slot_ctx_; }
  int32_t n_slots() const { return static_cast<int32_t>(slots_.size()); }
  int32_t max_queue() const { return opt_.max_queue; }

 private:
  struct Slot;
  void loop();
  std::vector<std::pair<Slot*, std::shared_ptr<Job>>> admit_locked();  // pops jobs, reserves slots
  void step();
  void assign(Slot& slot, std::shared_ptr<Job> job);
  void handle(Slot& slot, GenerationStep&& step);
  std::shared_ptr<Job> release(Slot& slot);
  void fail_slot(Slot& slot, const ApiError& error);

  const Engine& engine_;
  SchedulerOptions opt_;
  Metrics& metrics_;
  int32_t slot_ctx_ = 0;
  std::vector<std::unique_ptr<Slot>> slots_;
  size_t prefill_rr_ = 0;
  // Scheduler-thread state of one step, allocated once: the forward pass's workspace
  // (n_slots + prompt_chunk rows) and the step's runs [<= n_slots] with their slots.
  std::unique_ptr<Batch> batch_;
  std::vector<Batch::Run> runs_;
  std::vector<Slot*> run_slots_;
  std::vector<uint8_t> run_is_prompt_;

  std::mutex mu_;
  std::condition_variable work_cv_;  // queue or flags changed
  std::condition_variable idle_cv_;  // became idle
  std::deque<std::shared_ptr<Job>> queue_;
  int32_t active_ = 0;  // busy slots (guarded by mu_)
  bool draining_ = false;
  bool stopping_ = false;
  bool exited_ = false;  // the loop has returned
  std::thread thread_;
};

}  // namespace skim::server
