// dejavu_bench.cpp — the Deja Vu predictor's share of decode time: per token, over all
// layers of the real model (default SmolLM2-135M-Instruct Q4_1; SKIM_MODEL=path overrides):
//
//   dense_mlp           gate+up (matmul T = 1, activations quantized once) + SiLU·up + down
//   predictor/r         select_neurons with an fp32 rank-r predictor [r,576] + [r,1536]
//                       (random weights: cost does not depend on values), top-k at keep 0.5
//   sparse_mlp/keep     what the forward will run after the predictor: gate and up by
//                       matmul_rows over the kept neurons, down by matvec_sparse_input over
//                       them on Wᵀ(down) (exact Q4_1 panels), as the CATS path
//   head_predictor      select_heads, rank 9 -> 9 heads
//
// Each iteration runs all 30 layers (weights ~50 MB for the MLPs: they stream from L3/DRAM
// as in decode, not from L2). One thread (the engine's decode on this 2-core box uses 2;
// the share is what matters). Predictor share = predictor / dense_mlp; the saving is
// dense_mlp - (predictor + sparse_mlp).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "format/gguf/gguf_file.h"
#include "kernels/kernels.h"
#include "kernels/sparse.h"
#include "kernels/transposed.h"
#include "sparsity/dejavu/predictor.h"
#include "tensor/dtype.h"

namespace {

using namespace skim;

std::string model_path() {
  if (const char* p = std::getenv("SKIM_MODEL")) return p;
  const char* home = std::getenv("SKIM_HOME");
  const std::string base = home ? std::string(home) : std::string(std::getenv("HOME") ? std::getenv("HOME") : "") + "/.cache/skim";
  return base + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
}

struct Layer {
  TensorView gate, up, down;       // [ff, d], [ff, d], [d, ff]
  kernels::TransposedMatrix down_t;  // Wᵀ(down) [ff][d] for sparse input
};

// The model's MLP matrices, loaded once (null on failure).
struct Model {
  gguf::File file;
  std::vector<Layer> layers;
  int64_t d = 0, ff = 0;
};

const Model* model() {
  static std::unique_ptr<Model> m = [] {
    auto f = gguf::File::open(model_path());
    if (!f) return std::unique_ptr<Model>();
    auto mm = std::make_unique<Model>(Model{std::move(*f), {}, 0, 0});
    auto view = [&](const std::string& name) -> std::optional<TensorView> {
      const gguf::TensorInfo* t = mm->file.find_tensor(name);
      if (!t || t->shape.size() != 2) return std::nullopt;
      auto dt = dtype_from_ggml(t->type);
      if (!dt) return std::nullopt;
      return TensorView::matrix(*dt, t->shape[0], t->shape[1], t->data);
    };
    for (int l = 0;; ++l) {
      auto g = view("blk." + std::to_string(l) + ".ffn_gate.weight");
      auto u = view("blk." + std::to_string(l) + ".ffn_up.weight");
      auto dn = view("blk." + std::to_string(l) + ".ffn_down.weight");
      if (!g || !u || !dn) break;
      auto dt = dn->type == DType::kQ4_1 ? kernels::transpose_exact(*dn) : kernels::transpose_repack(*dn, DType::kQ8_0);
      if (!dt) return std::unique_ptr<Model>();
      mm->layers.push_back({*g, *u, *dn, std::move(*dt)});
    }
    if (mm->layers.empty()) return std::unique_ptr<Model>();
    mm->ff = mm->layers[0].gate.rows();
    mm->d = mm->layers[0].gate.cols();
    return mm;
  }();
  return m.get();
}

const kernels::KernelTable& kt() {
  static const kernels::KernelTable t = kernels::kernels_for(CpuFeatures::detect());
  return t;
}

std::vector<float> gaussian(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = g(rng);
  return v;
}

LowRankPredictor random_predictor(int64_t n_in, int32_t rank, int64_t n_out, uint32_t seed) {
  LowRankPredictor p;
  p.n_in = static_cast<int32_t>(n_in);
  p.rank = rank;
  p.n_out = static_cast<int32_t>(n_out);
  p.a = gaussian(static_cast<size_t>(rank * n_in), seed);
  p.bt = gaussian(static_cast<size_t>(rank * n_out), seed + 1);
  p.bias = gaussian(static_cast<size_t>(n_out), seed + 2);
  return p;
}

void BM_DenseMlp(benchmark::State& st) {
  const Model* m = model();
  if (!m) return st.SkipWithError(("model not found: " + model_path()).c_str());
  ThreadPool pool(1);
  std::vector<float> x = gaussian(static_cast<size_t>(m->d), 1), g(static_cast<size_t>(m->ff)), u(g.size()),
                     y(static_cast<size_t>(m->d));  // [d], [ff], [ff], [d]
  std::vector<uint8_t> scratch(kernels::matmul_scratch_bytes(m->layers[0].down.type, m->ff, 1) +
                               kernels::matmul_scratch_bytes(m->layers[0].gate.type, m->d, 1) + 4096);
  for (auto _ : st) {
    for (const Layer& L : m->layers) {
      const kernels::PreparedActs xq = kernels::prepare_acts(kt(), pool, L.gate.type, x.data(), 1, m->d, scratch);
      kernels::matmul_prepared(kt(), pool, L.gate, xq, g.data());
      kernels::matmul_prepared(kt(), pool, L.up, xq, u.data());
      for (size_t i = 0; i < g.size(); ++i) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
      kernels::matmul(kt(), pool, L.down, g.data(), y.data(), 1, scratch);
    }
    benchmark::DoNotOptimize(y.data());
  }
  st.counters["layers"] = static_cast<double>(m->layers.size());
}
BENCHMARK(BM_DenseMlp)->Unit(benchmark::kMicrosecond);

void BM_Predictor(benchmark::State& st) {
  const Model* m = model();
  if (!m) return st.SkipWithError(("model not found: " + model_path()).c_str());
  const auto rank = static_cast<int32_t>(st.range(0));
  std::vector<LowRankPredictor> preds;
  for (size_t l = 0; l < m->layers.size(); ++l) preds.push_back(random_predictor(m->d, rank, m->ff, static_cast<uint32_t>(l)));
  std::vector<float> x = gaussian(static_cast<size_t>(m->d), 1), scratch(dejavu::scratch_floats(preds[0]));  // [d], [r + ff]
  std::vector<int32_t> idx(static_cast<size_t>(m->ff));  // [ff]
  const int32_t k = dejavu::keep_count(0.5f, static_cast<int32_t>(m->ff));
  for (auto _ : st) {
    for (const auto& p : preds) dejavu::select_neurons(kt(), p, x.data(), k, scratch, idx.data());
    benchmark::DoNotOptimize(idx.data());
  }
  st.counters["fp32_bytes_per_layer"] = static_cast<double>(dejavu::predictor_bytes(static_cast<int32_t>(m->d), rank, static_cast<int32_t>(m->ff)));
}
BENCHMARK(BM_Predictor)->Arg(16)->Arg(32)->Arg(64)->Arg(128)->Unit(benchmark::kMicrosecond);

void BM_SparseMlp(benchmark::State& st) {
  const Model* m = model();
  if (!m) return st.SkipWithError(("model not found: " + model_path()).c_str());
  ThreadPool pool(1);
  const float keep = static_cast<float>(st.range(0)) / 100.0f;
  const int32_t k = dejavu::keep_count(keep, static_cast<int32_t>(m->ff));
  // Kept neurons: a random sorted subset (as select_neurons returns).
  std::vector<int32_t> all(static_cast<size_t>(m->ff));  // [ff]
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int32_t>(i);
  std::shuffle(all.begin(), all.end(), std::mt19937(7));
  std::vector<int32_t> idx(all.begin(), all.begin() + k);  // [k]
  std::sort(idx.begin(), idx.end());
  std::vector<float> x = gaussian(static_cast<size_t>(m->d), 1), g(static_cast<size_t>(m->ff)), u(g.size()),
                     y(static_cast<size_t>(m->d));  // [d], [ff], [ff], [d]
  std::vector<uint8_t> scratch(kernels::matmul_scratch_bytes(m->layers[0].gate.type, m->d, 1) + 4096);
  for (auto _ : st) {
    for (const Layer& L : m->layers) {
      const kernels::PreparedActs xq = kernels::prepare_acts(kt(), pool, L.gate.type, x.data(), 1, m->d, scratch);
      kernels::matmul_rows(kt(), pool, L.gate, xq, idx, g.data());
      kernels::matmul_rows(kt(), pool, L.up, xq, idx, u.data());
      for (int32_t i : idx) {
        const auto j = static_cast<size_t>(i);
        g[j] = g[j] / (1.0f + std::exp(-g[j])) * u[j];
      }
      kernels::matvec_sparse_input(kt(), pool, L.down_t, g.data(), idx, y.data());
    }
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_SparseMlp)->Arg(30)->Arg(50)->Arg(100)->Unit(benchmark::kMicrosecond);

void BM_HeadPredictor(benchmark::State& st) {
  const Model* m = model();
  if (!m) return st.SkipWithError(("model not found: " + model_path()).c_str());
  const int32_t n_head = 9;
  std::vector<LowRankPredictor> preds;
  for (size_t l = 0; l < m->layers.size(); ++l) preds.push_back(random_predictor(m->d, n_head, n_head, static_cast<uint32_t>(l)));
  std::vector<float> x = gaussian(static_cast<size_t>(m->d), 1), scratch(dejavu::scratch_floats(preds[0]));
  int32_t heads[9];
  for (auto _ : st) {
    for (const auto& p : preds) dejavu::select_heads(kt(), p, x.data(), 5, scratch, heads);
    benchmark::DoNotOptimize(heads);
  }
}
BENCHMARK(BM_HeadPredictor)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
