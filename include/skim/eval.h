// eval.h — quality measurements over an Engine (public API).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "skim/engine.h"
#include "skim/result.h"

namespace skim {

struct PerplexityOptions {
  int32_t n_ctx = 512;      // chunk length
  int32_t max_chunks = -1;  // < 0: all
  bool progress = true;     // progress bar with ETA on stderr
};

struct PerplexityResult {
  double perplexity = 0.0;
  double uncertainty = 0.0;  // +/- as llama-perplexity prints it
  int64_t tokens = 0;        // tokens in the text
  int32_t chunks = 0;
  int64_t scored = 0;        // tokens scored
  std::vector<double> running;  // perplexity after each chunk
  double seconds = 0.0;
};

// llama.cpp's method: tokenize with add_special; non-overlapping chunks of n_ctx tokens;
// the first token of each chunk becomes BOS when the model adds BOS; score the second half
// of each chunk (positions n_ctx/2+1 .. n_ctx-1) by log-softmax in double.
Result<PerplexityResult> perplexity(const Engine& engine, std::string_view text, const PerplexityOptions& opt);

// ---- zero-shot tasks ---------------------------------------------------------------------

struct TaskOptions {
  int32_t limit = -1;     // evaluate the first `limit` examples (< 0: all)
  bool progress = true;
};

struct TaskResult {
  std::string task;
  int32_t examples = 0;
  double accuracy = 0.0;        // LAMBADA: last word greedily exact; choice tasks: argmax of summed log-likelihood
  double accuracy_norm = -1.0;  // choice tasks: argmax of log-likelihood per byte of the choice (-1: n/a)
  std::string metric;           // which of the two is the task's conventional headline metric
  double seconds = 0.0;
};

// lambada, arc_easy, hellaswag, winogrande, boolq
const std::vector<std::string>& task_names();

// The task's file relative to a data folder (shared/data layout, e.g.
// "lambada_openai/lambada_test.jsonl"); empty for an unknown task.
std::string task_file(const std::string& task);

// Runs one task on its file under data_dir (data_dir / task_file(task)).
Result<TaskResult> eval_task(const Engine& engine, const std::string& task, const std::string& data_dir,
                             const TaskOptions& opt);

}  // namespace skim
