// perplexity.cpp — perplexity exactly as llama-perplexity computes it (see eval.h).
#include <fmt/core.h>

#include <chrono>
#include <cmath>

#include "core/progress.h"
#include "skim/eval.h"

namespace skim {

Result<PerplexityResult> perplexity(const Engine& engine, std::string_view text, const PerplexityOptions& opt) {
  if (opt.n_ctx < 4) return make_error(fmt::format("perplexity context {} is too small", opt.n_ctx));
  if (opt.n_ctx > engine.info().n_ctx) {
    return make_error(fmt::format("perplexity context {} exceeds the engine's context {}", opt.n_ctx, engine.info().n_ctx));
  }
  auto t0 = std::chrono::steady_clock::now();
  PerplexityResult r;
  std::vector<int32_t> tokens = engine.tokenize(text, /*add_special=*/true, /*parse_special=*/false);
  r.tokens = static_cast<int64_t>(tokens.size());
  int64_t n_chunk = r.tokens / opt.n_ctx;
  if (opt.max_chunks >= 0) n_chunk = std::min<int64_t>(n_chunk, opt.max_chunks);
  if (n_chunk < 1) {
    return make_error(fmt::format("text has {} tokens; perplexity needs at least {} (one chunk)", r.tokens, opt.n_ctx));
  }
  r.chunks = static_cast<int32_t>(n_chunk);
  const int32_t n_ctx = opt.n_ctx;
  const int32_t first = n_ctx / 2;
  const int32_t n_out = n_ctx - first;  // logits rows for positions first .. n_ctx-1
  const size_t n_vocab = static_cast<size_t>(engine.info().n_vocab);
  std::vector<float> logits(static_cast<size_t>(n_out) * n_vocab);
  auto session = engine.new_session();

  double nll = 0.0, nll2 = 0.0;
  int64_t count = 0;
  ProgressBar bar("perplexity", n_chunk, opt.progress);
  for (int64_t c = 0; c < n_chunk; ++c) {
    std::vector<int32_t> chunk(tokens.begin() + c * n_ctx, tokens.begin() + (c + 1) * n_ctx);
    if (engine.add_bos() && engine.bos() >= 0) chunk[0] = engine.bos();
    SKIM_RETURN_IF_ERROR(session->eval_logits(chunk, n_out, logits.data()));
    // Row i of `logits` is position first + i and predicts token first + i + 1.
    for (int32_t i = 0; i + 1 < n_out; ++i) {
      const float* row = logits.data() + static_cast<size_t>(i) * n_vocab;
      float mx = row[0];
      for (size_t v = 1; v < n_vocab; ++v) mx = std::max(mx, row[v]);
      double sum = 0.0;
      for (size_t v = 0; v < n_vocab; ++v) sum += std::exp(static_cast<double>(row[v] - mx));
      const int32_t target = tokens[static_cast<size_t>(c * n_ctx + first + i + 1)];
      const double lp = static_cast<double>(row[target] - mx) - std::log(sum);
      nll -= lp;
      nll2 += lp * lp;
      ++count;
    }
    r.running.push_back(std::exp(nll / static_cast<double>(count)));
    bar.update(c + 1, fmt::format("ppl {:.4f}", r.running.back()));
  }
  bar.finish(fmt::format("ppl {:.4f}", r.running.back()));
  const double mean = nll / static_cast<double>(count);
  const double mean2 = nll2 / static_cast<double>(count);
  r.perplexity = std::exp(mean);
  r.uncertainty = count > 1 ? r.perplexity * std::sqrt((mean2 - mean * mean) / static_cast<double>(count - 1)) : 0.0;
  r.scored = count;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace skim
