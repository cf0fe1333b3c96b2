// bench.cpp — llama-bench-style pp/tg measurements, memory bandwidth, peak RSS.
#include "skim/bench.h"

#include <fmt/core.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "core/thread_pool.h"

namespace skim {

namespace {

using Clock = std::chrono::steady_clock;

void summarize(BenchResult& r) {
  double s = 0;
  for (double x : r.samples) s += x;
  r.mean = s / static_cast<double>(r.samples.size());
  double v = 0;
  for (double x : r.samples) v += (x - r.mean) * (x - r.mean);
  r.stddev = r.samples.size() > 1 ? std::sqrt(v / static_cast<double>(r.samples.size() - 1)) : 0.0;
}

std::vector<int32_t> random_tokens(std::mt19937_64& rng, int32_t n, int32_t n_vocab) {
  std::uniform_int_distribution<int32_t> d(0, n_vocab - 1);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (auto& x : t) x = d(rng);
  return t;
}

}  // namespace

Result<std::vector<BenchResult>> bench(const Engine& engine, const BenchOptions& opt) {
  if (opt.repetitions < 1) return make_error("bench: repetitions must be >= 1");
  if (opt.n_prompt < 0 || opt.n_gen < 0) return make_error("bench: negative token counts");
  if (opt.n_parallel < 1 || opt.n_parallel > 256) return make_error("bench: --parallel must be in 1..256");
  const int32_t n_ctx = engine.info().n_ctx;
  if (opt.n_prompt > n_ctx || opt.n_gen > n_ctx) {
    return make_error(fmt::format("bench: pp{}/tg{} exceed the context size {}", opt.n_prompt, opt.n_gen, n_ctx));
  }
  std::mt19937_64 rng(opt.seed);
  const int32_t n_vocab = engine.info().n_vocab;
  auto session = engine.new_session();
  std::vector<BenchResult> out;
  if (opt.n_prompt > 0) {
    BenchResult r;
    r.test = fmt::format("pp{}", opt.n_prompt);
    r.n_tokens = opt.n_prompt;
    for (int rep = -1; rep < opt.repetitions; ++rep) {  // rep -1: warm-up
      auto toks = random_tokens(rng, opt.n_prompt, n_vocab);
      session->clear();
      auto t0 = Clock::now();
      SKIM_RETURN_IF_ERROR(session->eval(toks));
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      if (rep >= 0) r.samples.push_back(opt.n_prompt / s);
    }
    summarize(r);
    out.push_back(r);
  }
  if (opt.n_gen > 0) {
    BenchResult r;
    r.test = fmt::format("tg{}", opt.n_gen);
    r.n_tokens = opt.n_gen;
    for (int rep = -1; rep < opt.repetitions; ++rep) {
      const int32_t n = rep < 0 ? 1 : opt.n_gen;  // warm-up: one token, as llama-bench
      auto toks = random_tokens(rng, n, n_vocab);
      session->clear();
      auto t0 = Clock::now();
      for (int32_t i = 0; i < n; ++i) SKIM_RETURN_IF_ERROR(session->eval({&toks[static_cast<size_t>(i)], 1}));
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      if (rep >= 0) r.samples.push_back(n / s);
    }
    summarize(r);
    out.push_back(r);
  }
  if (opt.n_gen > 0 && opt.n_parallel > 1) {
    BenchResult r;
    const int32_t np = opt.n_parallel;
    r.test = fmt::format("tg{} x{}", opt.n_gen, np);
    r.n_tokens = opt.n_gen * np;
    std::vector<std::unique_ptr<Session>> owned;
    std::vector<Session*> seqs;
    for (int32_t i = 0; i < np; ++i) {
      owned.push_back(engine.new_session(std::min(n_ctx, opt.n_gen + 1)));
      seqs.push_back(owned.back().get());
    }
    for (int rep = -1; rep < opt.repetitions; ++rep) {
      const int32_t n = rep < 0 ? 1 : opt.n_gen;
      auto toks = random_tokens(rng, n * np, n_vocab);  // [n][np]
      for (Session* s : seqs) s->clear();
      auto t0 = Clock::now();
      for (int32_t i = 0; i < n; ++i) {
        SKIM_RETURN_IF_ERROR(engine.decode_step(seqs, {&toks[static_cast<size_t>(i) * np], static_cast<size_t>(np)}));
      }
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      if (rep >= 0) r.samples.push_back(static_cast<double>(n) * np / s);
    }
    summarize(r);
    out.push_back(r);
  }
  return out;
}

double measure_read_bandwidth(int32_t n_threads, size_t bytes) {
  const size_t n = bytes / sizeof(uint64_t);
  std::vector<uint64_t> buf(n);
  for (size_t i = 0; i < n; ++i) buf[i] = i;  // touch every page
  ThreadPool pool(n_threads);
  std::vector<uint64_t> sums(static_cast<size_t>(n_threads) * 8);
  double best = 0.0;
  for (int pass = 0; pass < 5; ++pass) {
    auto t0 = Clock::now();
    pool.parallel_for(static_cast<int64_t>(n), [&](int64_t b, int64_t e, int ti) {
      // 4 independent accumulators so the adds do not serialize; the compiler vectorizes.
      uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      int64_t i = b;
      for (; i + 4 <= e; i += 4) {
        a0 += buf[static_cast<size_t>(i)];
        a1 += buf[static_cast<size_t>(i + 1)];
        a2 += buf[static_cast<size_t>(i + 2)];
        a3 += buf[static_cast<size_t>(i + 3)];
      }
      for (; i < e; ++i) a0 += buf[static_cast<size_t>(i)];
      sums[static_cast<size_t>(ti) * 8] = a0 + a1 + a2 + a3;
    });
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, static_cast<double>(bytes) / s);
  }
  volatile uint64_t sink = sums[0];
  (void)sink;
  return best;
}

int64_t weight_bytes_per_token(const Engine& engine) { return engine.info().weight_bytes_per_token; }

int64_t peak_rss_bytes() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<int64_t>(ru.ru_maxrss) * 1024;
}

}  // namespace skim
