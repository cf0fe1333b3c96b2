// metrics.h — the server's counters and gauges, rendered as Prometheus text for /metrics.
//
// One Metrics object lives in the Server (no globals). Counters are monotonic atomics
// updated by the scheduler thread and the HTTP threads; the per-endpoint request counts
// sit behind a mutex. Rendering reads a consistent-enough snapshot (each value atomic).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace skim::server {

struct Metrics {
  // scheduler
  std::atomic<uint64_t> prompt_tokens_total{0};         // prompt tokens read by the model
  std::atomic<uint64_t> prompt_tokens_cached_total{0};  // prompt tokens reused from a slot's cache
  std::atomic<uint64_t> prompt_us_total{0};      // wall time of steps that read prompt tokens
  std::atomic<uint64_t> generated_tokens_total{0};
  std::atomic<uint64_t> decode_us_total{0};      // wall time of steps with decode rows (a mixed
                                                 // step counts here and in prompt_us_total)
  std::atomic<uint64_t> decode_steps_total{0};
  std::atomic<uint64_t> decode_rows_total{0};    // sum over steps of sequences per step
  std::atomic<uint64_t> mixed_steps_total{0};    // decode steps that also read prompt tokens
  std::atomic<uint64_t> jobs_finished_total{0};
  std::atomic<uint64_t> jobs_cancelled_total{0};
  std::atomic<uint64_t> jobs_failed_total{0};
  std::atomic<int64_t> queue_depth{0};
  std::atomic<int64_t> slots_busy{0};
  // http
  std::atomic<uint64_t> rejected_total{0};       // 503: queue full or draining
  std::atomic<int64_t> requests_in_flight{0};    // generation requests being answered

  void count_request(const std::string& endpoint, int status);
  uint64_t requests(const std::string& endpoint, int status) const;

  // Prometheus text exposition format (version 0.0.4).
  std::string render(int32_t n_slots, int32_t max_queue) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
};

}  // namespace skim::server
