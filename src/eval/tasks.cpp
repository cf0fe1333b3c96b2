// tasks.cpp — zero-shot scoring. A candidate's log-likelihood is the sum of log-softmax
// over its continuation tokens, where the split follows lm-evaluation-harness: encode the
// whole string, and the continuation is what remains after the context's own encoding.
// Candidates sharing a context reuse the cached context (KV prefix).
#include <fmt/core.h>

#include <chrono>
#include <cmath>

#include "core/progress.h"
#include "eval/task_data.h"
#include "skim/eval.h"

namespace skim {

const std::vector<std::string>& task_names() {
  static const std::vector<std::string> names = {"lambada", "arc_easy", "hellaswag", "winogrande", "boolq"};
  return names;
}

std::string task_file(const std::string& task) {
  if (task == "lambada") return "lambada_openai/lambada_test.jsonl";
  if (task == "arc_easy") return "arc_easy/arc_easy.jsonl";
  if (task == "hellaswag") return "hellaswag/hellaswag_val_full.txt.bz2";
  if (task == "winogrande") return "winogrande/winogrande.jsonl";
  if (task == "boolq") return "boolq/boolq.jsonl";
  return {};
}

namespace {

struct Scored {
  double logprob = 0.0;
  bool greedy = true;  // every continuation token was the argmax
};

// Scores continuation tokens `cont` after `ctx` (ctx non-empty). `cached` is the context
// prefix the session already holds from the previous call (reused when equal).
Result<Scored> score(Session& s, const std::vector<int32_t>& ctx, const std::vector<int32_t>& cont, int32_t n_vocab,
                     std::vector<int32_t>& cached, std::vector<float>& logits) {
  // Evaluate ctx[:-1] (cacheable), then ctx.back() + cont[:-1] with logits for all.
  std::vector<int32_t> prefix(ctx.begin(), ctx.end() - 1);
  if (prefix != cached || s.n_past() < static_cast<int32_t>(prefix.size())) {
    s.clear();
    SKIM_RETURN_IF_ERROR(s.eval(prefix));
    cached = prefix;
  }
  s.truncate(static_cast<int32_t>(prefix.size()));
  std::vector<int32_t> run;
  run.push_back(ctx.back());
  run.insert(run.end(), cont.begin(), cont.end() - 1);
  logits.resize(run.size() * static_cast<size_t>(n_vocab));
  SKIM_RETURN_IF_ERROR(s.append_logits(run, static_cast<int32_t>(run.size()), logits.data()));
  Scored r;
  for (size_t i = 0; i < cont.size(); ++i) {
    const float* row = logits.data() + i * static_cast<size_t>(n_vocab);
    float mx = row[0];
    int32_t arg = 0;
    for (int32_t v = 1; v < n_vocab; ++v) {
      if (row[v] > mx) {
        mx = row[v];
        arg = v;
      }
    }
    double sum = 0.0;
    for (int32_t v = 0; v < n_vocab; ++v) sum += std::exp(static_cast<double>(row[v] - mx));
    r.logprob += static_cast<double>(row[cont[i]] - mx) - std::log(sum);
    if (arg != cont[i]) r.greedy = false;
  }
  return r;
}

}  // namespace

Result<TaskResult> eval_task(const Engine& engine, const std::string& task, const std::string& data_dir,
                             const TaskOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  SKIM_TRY(std::vector<eval::Example> examples, eval::load_task(task, data_dir, opt.limit));
  if (examples.empty()) return make_error(fmt::format("task '{}' has no examples", task));
  const int32_t n_vocab = engine.info().n_vocab;
  auto session = engine.new_session();
  std::vector<int32_t> cached;
  std::vector<float> logits;
  TaskResult res;
  res.task = task;
  res.metric = task == "lambada" ? "acc" : (task == "hellaswag" || task == "arc_easy") ? "acc_norm" : "acc";
  int64_t correct = 0, correct_norm = 0, skipped = 0;
  ProgressBar bar("eval " + task, static_cast<int64_t>(examples.size()), opt.progress);
  for (size_t i = 0; i < examples.size(); ++i) {
    const eval::Example& ex = examples[i];
    double best = -INFINITY, best_norm = -INFINITY;
    int32_t arg = -1, arg_norm = -1;
    bool greedy_ok = false, ok = true;
    for (size_t c = 0; c < ex.candidates.size(); ++c) {
      const auto& cand = ex.candidates[c];
      auto whole = engine.tokenize(cand.context + cand.continuation, true, false);
      auto ctx = engine.tokenize(cand.context, true, false);
      if (ctx.empty() || whole.size() <= ctx.size() || !std::equal(ctx.begin(), ctx.end(), whole.begin()) ||
          static_cast<int32_t>(whole.size()) > session->n_ctx()) {
        // Context tokens must be a prefix of the whole encoding; otherwise split at the
        // longest common prefix (lm-eval does the same by construction).
        size_t k = 0;
        while (k < ctx.size() && k < whole.size() && ctx[k] == whole[k]) ++k;
        if (k == 0 || k >= whole.size() || static_cast<int32_t>(whole.size()) > session->n_ctx()) {
          ok = false;
          break;
        }
        ctx.resize(k);
      }
      std::vector<int32_t> cont(whole.begin() + static_cast<std::ptrdiff_t>(ctx.size()), whole.end());
      SKIM_TRY(Scored sc, score(*session, ctx, cont, n_vocab, cached, logits));
      const double norm = sc.logprob / static_cast<double>(std::max<size_t>(1, cand.continuation.size()));
      if (sc.logprob > best) {
        best = sc.logprob;
        arg = static_cast<int32_t>(c);
      }
      if (norm > best_norm) {
        best_norm = norm;
        arg_norm = static_cast<int32_t>(c);
      }
      greedy_ok = sc.greedy;
    }
    if (!ok) {
      ++skipped;
      continue;
    }
    if (task == "lambada") {
      correct += greedy_ok;
    } else {
      correct += arg == ex.gold;
      correct_norm += arg_norm == ex.gold;
    }
    const int64_t done = static_cast<int64_t>(i + 1) - skipped;
    bar.update(static_cast<int64_t>(i + 1),
               fmt::format("acc {:.4f}", done > 0 ? static_cast<double>(task == "lambada" || res.metric == "acc"
                                                                          ? correct
                                                                          : correct_norm) /
                                                         static_cast<double>(done)
                                                   : 0.0));
  }
  res.examples = static_cast<int32_t>(examples.size() - static_cast<size_t>(skipped));
  if (res.examples == 0) return make_error(fmt::format("task '{}': every example exceeds the context", task));
  bar.finish();
  res.accuracy = static_cast<double>(correct) / res.examples;
  if (task != "lambada") res.accuracy_norm = static_cast<double>(correct_norm) / res.examples;
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace skim
