// metrics.cpp — Prometheus rendering of the server metrics (names prefixed skim_).
#include "server/metrics.h"

#include <fmt/core.h>

namespace skim::server {

void Metrics::count_request(const std::string& endpoint, int status) {
  std::lock_guard<std::mutex> lk(mu_);
  ++requests_[{endpoint, status}];
}

uint64_t Metrics::requests(const std::string& endpoint, int status) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = requests_.find({endpoint, status});
  return it == requests_.end() ? 0 : it->second;
}

namespace {

void metric(std::string& out, const char* name, const char* type, const char* help, double value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

}  // namespace

std::string Metrics::render(int32_t n_slots, int32_t max_queue) const {
  std::string out;
  {
    std::lock_guard<std::mutex> lk(mu_);
    out += "# HELP skim_requests_total HTTP requests answered, by endpoint and status.\n";
    out += "# TYPE skim_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      out += fmt::format("skim_requests_total{{endpoint=\"{}\",status=\"{}\"}} {}\n", key.first, key.second, n);
    }
  }
  const double prompt_s = static_cast<double>(prompt_us_total.load()) * 1e-6;
  const double decode_s = static_cast<double>(decode_us_total.load()) * 1e-6;
  const auto prompt_tokens = static_cast<double>(prompt_tokens_total.load());
  const auto generated = static_cast<double>(generated_tokens_total.load());
  const auto steps = static_cast<double>(decode_steps_total.load());
  const auto rows = static_cast<double>(decode_rows_total.load());
  metric(out, "skim_prompt_tokens_total", "counter", "Prompt tokens processed.", prompt_tokens);
  metric(out, "skim_prompt_tokens_cached_total", "counter",
         "Prompt tokens whose keys/values a slot reused from its previous request (common prefix).",
         static_cast<double>(prompt_tokens_cached_total.load()));
  metric(out, "skim_prompt_seconds_total", "counter", "Time spent processing prompts.", prompt_s);
  metric(out, "skim_prompt_tokens_per_second", "gauge", "Prompt throughput while processing prompts.",
         prompt_s > 0 ? prompt_tokens / prompt_s : 0.0);
  metric(out, "skim_generated_tokens_total", "counter", "Tokens generated (end-of-generation tokens excluded).",
         generated);
  metric(out, "skim_decode_seconds_total", "counter", "Time spent in batched decode steps.", decode_s);
  metric(out, "skim_decode_tokens_per_second", "gauge", "Aggregate decode throughput while decoding (all slots).",
         decode_s > 0 ? rows / decode_s : 0.0);
  metric(out, "skim_decode_steps_total", "counter", "Batched decode steps.", steps);
  metric(out, "skim_decode_sequences_total", "counter", "Sequences advanced by decode steps (sum of batch sizes).", rows);
  metric(out, "skim_decode_mixed_steps_total", "counter",
         "Decode steps that also read a joining request's prompt tokens (one forward pass).",
         static_cast<double>(mixed_steps_total.load()));
  metric(out, "skim_decode_batch_size_avg", "gauge", "Average sequences per decode step.", steps > 0 ? rows / steps : 0.0);
  metric(out, "skim_requests_finished_total", "counter", "Generations that ran to a finish reason.",
         static_cast<double>(jobs_finished_total.load()));
  metric(out, "skim_requests_cancelled_total", "counter", "Generations cancelled because the client went away.",
         static_cast<double>(jobs_cancelled_total.load()));
  metric(out, "skim_requests_failed_total", "counter", "Generations that failed inside the engine.",
         static_cast<double>(jobs_failed_total.load()));
  metric(out, "skim_requests_rejected_total", "counter", "Requests refused with 503 (queue full or shutting down).",
         static_cast<double>(rejected_total.load()));
  metric(out, "skim_requests_processing", "gauge", "Generation requests being answered.",
         static_cast<double>(requests_in_flight.load()));
  metric(out, "skim_queue_depth", "gauge", "Requests waiting for a slot.", static_cast<double>(queue_depth.load()));
  metric(out, "skim_queue_capacity", "gauge", "Requests that may wait for a slot before 503.", max_queue);
  metric(out, "skim_slots_busy", "gauge", "Slots running a generation.", static_cast<double>(slots_busy.load()));
  metric(out, "skim_slots_total", "gauge", "Slots (--parallel).", n_slots);
  return out;
}

}  // namespace skim::server
