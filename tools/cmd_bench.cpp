// cmd_bench.cpp — `skim bench`: llama-bench-style pp/tg throughput (mean ± sd over
// repetitions), optional roofline (weights read per token ÷ measured read bandwidth),
// peak RSS; markdown table or --json.
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "skim/bench.h"

namespace skim::cli {

void add_bench(CLI::App& root, int& exit_code) {
  auto* app = root.add_subcommand("bench", "measure prompt processing (pp) and generation (tg) speed");
  struct Opts {
    ModelOptions m;
    BenchOptions b;
    bool json = false, roofline = false;
  };
  auto o = std::make_shared<Opts>();
  add_model_options(app, o->m);
  app->add_option("-p,--n-prompt", o->b.n_prompt, "prompt tokens (pp test; 0 = skip)")->check(CLI::NonNegativeNumber);
  app->add_option("-n,--n-gen", o->b.n_gen, "generated tokens (tg test; 0 = skip)")->check(CLI::NonNegativeNumber);
  app->add_option("-r,--repetitions", o->b.repetitions, "repetitions")->check(CLI::Range(1, 1000));
  app->add_option("--parallel", o->b.n_parallel,
                  "also decode this many sequences together (continuous batching), aggregate tok/s as tg<N> x<P>")
      ->check(CLI::Range(1, 256));
  app->add_flag("--roofline", o->roofline, "also measure memory read bandwidth and the decode roofline");
  app->add_flag("--json", o->json, "JSON output");
  app->callback([o, &exit_code] {
    ModelOptions mo = o->m;
    if (mo.ctx == 0) mo.ctx = std::max(o->b.n_prompt, o->b.n_gen) + 16;
    auto engine = load_engine(mo);
    if (!engine) {
      exit_code = fail(engine.error().message);
      return;
    }
    auto r = bench(*engine, o->b);
    if (!r) {
      exit_code = fail(r.error().message);
      return;
    }
    const ModelInfo& mi = engine->info();
    // Peak RSS of the inference itself, read before the bandwidth probe's buffer exists.
    const int64_t rss = peak_rss_bytes();
    const double rss_mib = static_cast<double>(rss) / (1 << 20);
    // KV cache: K and V, [n_layer][n_ctx][kv_dim] fp16 each.
    const int64_t kv_bytes = int64_t{2} * mi.n_layer * mi.n_ctx * (mi.n_embd / mi.n_head * mi.n_head_kv) * 2;
    double bw = 0, roof = 0;
    if (o->roofline) {
      bw = measure_read_bandwidth(mi.n_threads);
      roof = bw / static_cast<double>(mi.weight_bytes_per_token);
    }
    if (o->json) {
      nlohmann::json j;
      j["model"] = mi.name;
      j["model_bytes"] = mi.file_bytes;
      j["threads"] = mi.n_threads;
      j["isa"] = mi.isa;
      j["numerics"] = mi.numerics;
      j["packed_weight_bytes"] = mi.packed_bytes;
      j["peak_rss_bytes"] = rss;
      j["kv_cache_bytes"] = kv_bytes;
      j["weight_bytes_per_token"] = mi.weight_bytes_per_token;
      for (const auto& t : *r) {
        j["tests"].push_back({{"test", t.test}, {"avg_ts", t.mean}, {"stddev_ts", t.stddev}, {"samples_ts", t.samples}});
      }
      if (o->roofline) {
        j["read_bandwidth_bytes_per_s"] = bw;
        j["roofline_tg_ts"] = roof;
      }
      fmt::print("{}\n", j.dump(2));
      return;
    }
    fmt::print("| model | size | threads | isa | test | t/s |\n|---|---:|---:|---|---:|---:|\n");
    for (const auto& t : *r) {
      fmt::print("| {} | {:.1f} MiB | {} | {} | {} | {:.2f} ± {:.2f} |\n", mi.name,
                 static_cast<double>(mi.file_bytes) / (1 << 20), mi.n_threads,
                 mi.numerics == "fast" ? mi.isa + " fast" : mi.isa, t.test, t.mean, t.stddev);
    }
    if (o->roofline) {
      fmt::print("\nread bandwidth {:.2f} GB/s; weights per token {:.1f} MiB; decode roofline {:.1f} tok/s\n", bw / 1e9,
                 static_cast<double>(mi.weight_bytes_per_token) / (1 << 20), roof);
      for (const auto& t : *r) {
        if (t.test.rfind("tg", 0) == 0) fmt::print("{}: {:.0f}% of the roofline\n", t.test, 100.0 * t.mean / roof);
      }
    }
    fmt::print(stderr, "peak RSS {:.1f} MiB (model weights {:.1f} MiB + KV cache {:.1f} MiB + {:.1f} MiB other)\n", rss_mib,
               static_cast<double>(mi.file_bytes) / (1 << 20), static_cast<double>(kv_bytes) / (1 << 20),
               rss_mib - static_cast<double>(mi.file_bytes + kv_bytes) / (1 << 20));
  });
}

}  // namespace skim::cli
