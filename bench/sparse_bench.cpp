// sparse_bench.cpp — the sparse kernels against the dense matvec on the default model's
// shapes (SmolLM2-135M, Q4_1 weights), per sparsity, ISA and thread count:
//
//   down    W [576, 1536]  input-channel skipping: Wᵀ [1536][576] as int8 Q4_1 tiles, exact Q4_1 panels, or
//                          rows requantized to Q8_0 / F16 / Q4_1
//   q / o   W [576, 576]   input-channel skipping: Wᵀ [576][576], the same four layouts
//   k / v   W [192, 576]   input-channel skipping: Wᵀ [576][192] as Q4_1 panels / Q8_0 rows
//   gate/up W [1536, 576]  output-row skipping (matmul_rows) on the Q4_1 rows
//
// at sparsity 0, 25, 50, 70, 90% (fraction of inputs / rows skipped; random positions, the
// worst case for locality). "dense" is matmul with T = 1 (activation quantization included)
// on the Q4_1 weights; sparse timings include building the active-index list from x with
// select_active (per matrix: an upper bound, since the engine shares it between q/k/v and
// gate/up) and, for rows, prepare_acts. "hot" reuses one matrix (L2-resident); "cold"
// cycles through copies totalling >= 256 MiB so weights stream from DRAM as in decode.
// Also select_active / count_active alone on 576 and 1536 inputs.
//
// The machine is shared and noisy: run with repetitions and read medians (and minima) of
// both columns, e.g. with bench/sparse_table.py:
//   ./build/sparse_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
//       --benchmark_format=json --benchmark_out=sparse.json && bench/sparse_table.py sparse.json
// (CPU time is the main thread's; with 2 threads it includes its wait for the other).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/sparse.h"

namespace {

using skim::DType;
using skim::kernels::Isa;

struct Shape {
  const char* name;
  int64_t rows, cols;  // the standard layout W [rows = out, cols = in]
};

std::vector<float> gaussian(size_t n, uint32_t seed, float sd) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sd);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// One Q4_1 matrix of the shape.
std::vector<uint8_t> q4_1_matrix(const Shape& s) {
  const size_t rb = skim::row_bytes(DType::kQ4_1, s.cols);
  std::vector<uint8_t> w(rb * static_cast<size_t>(s.rows));
  const std::vector<float> src = gaussian(static_cast<size_t>(s.rows * s.cols), 42, 0.05f);
  for (int64_t r = 0; r < s.rows; ++r) {
    skim::kernels::ref::quantize_row(DType::kQ4_1, src.data() + r * s.cols, w.data() + static_cast<size_t>(r) * rb, s.cols);
  }
  return w;
}

// `one` repeated until >= 256 MiB when cold (distinct memory, same bytes), else once; the
// copies start at *base, 64-byte aligned (as TransposedMatrix payloads).
std::vector<uint8_t> replicate(const uint8_t* one, size_t bytes, bool cold, int* copies, uint8_t** base = nullptr) {
  *copies = cold ? static_cast<int>((size_t{256} << 20) / bytes + 1) : 1;
  std::vector<uint8_t> all(bytes * static_cast<size_t>(*copies) + 64);
  uint8_t* b = all.data() + (64 - reinterpret_cast<uintptr_t>(all.data()) % 64) % 64;
  for (int c = 0; c < *copies; ++c) std::copy_n(one, bytes, b + static_cast<size_t>(c) * bytes);
  if (base != nullptr) *base = b;
  return all;
}

// x: [n] gaussian and the threshold that drops a fraction `sparsity` of it.
float threshold_for(const std::vector<float>& x, double sparsity) {
  if (sparsity <= 0.0) return -1.0f;
  std::vector<float> a(x.size());
  std::transform(x.begin(), x.end(), a.begin(), [](float v) { return std::fabs(v); });
  std::sort(a.begin(), a.end());
  return a[static_cast<size_t>(sparsity * static_cast<double>(a.size())) - 1];
}

void add_counters(benchmark::State& state, double active_fraction, size_t bytes_read) {
  state.counters["active"] = active_fraction;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes_read));
}

void bm_dense(benchmark::State& state, Isa isa, Shape s, int threads, bool cold) {
  const skim::kernels::KernelTable k = skim::kernels::make_kernel_table(isa);
  skim::ThreadPool pool(threads);
  const std::vector<uint8_t> one = q4_1_matrix(s);
  int copies = 0;
  const std::vector<uint8_t> w = replicate(one.data(), one.size(), cold, &copies);
  const std::vector<float> x = gaussian(static_cast<size_t>(s.cols), 7, 1.0f);
  std::vector<float> y(static_cast<size_t>(s.rows));
  std::vector<uint8_t> scratch(skim::kernels::matmul_scratch_bytes(DType::kQ4_1, s.cols, 1));
  int c = 0;
  for (auto _ : state) {
    const auto view = skim::TensorView::matrix(DType::kQ4_1, s.rows, s.cols, w.data() + static_cast<size_t>(c) * one.size());
    skim::kernels::matmul(k, pool, view, x.data(), y.data(), 1, scratch);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    c = c + 1 == copies ? 0 : c + 1;
  }
  add_counters(state, 1.0, one.size());
}

// matvec_sparse_input on Wᵀ (rows repacked as `type`, the exact Q4_1 panels or the int8
// Q4_1 tiles: layout 0, 1, 2), x with `sparsity` of its entries below t.
void bm_sparse_input(benchmark::State& state, Isa isa, Shape s, DType type, int layout, double sparsity, int threads,
                     bool cold) {
  const bool panels = layout == 1;
  const skim::kernels::KernelTable k = skim::kernels::make_kernel_table(isa);
  skim::ThreadPool pool(threads);
  const std::vector<uint8_t> q = q4_1_matrix(s);
  const auto qv = skim::TensorView::matrix(DType::kQ4_1, s.rows, s.cols, q.data());
  auto wt = layout == 2 ? skim::kernels::transpose_tiles(qv)
            : panels    ? skim::kernels::transpose_exact(qv)
                        : skim::kernels::transpose_repack(qv, type);
  if (!wt.ok()) {
    state.SkipWithError(wt.error().message.c_str());
    return;
  }
  const size_t payload = wt->bytes().size() - skim::kernels::TransposedMatrix::kHeaderBytes;
  int copies = 0;
  uint8_t* base = nullptr;
  const std::vector<uint8_t> w = replicate(wt->view().data, payload, cold, &copies, &base);
  const std::vector<float> x = gaussian(static_cast<size_t>(s.cols), 7, 1.0f);
  const float t = threshold_for(x, sparsity);
  std::vector<int32_t> idx(static_cast<size_t>(s.cols));
  std::vector<float> y(static_cast<size_t>(s.rows));
  skim::kernels::SparseActs acts(s.cols);
  int c = 0;
  int32_t n_active = 0;
  for (auto _ : state) {
    n_active = k.select_active(x.data(), s.cols, t, idx.data());
    skim::kernels::TransposedView v = wt->view();
    v.data = base + static_cast<size_t>(c) * payload;
    skim::kernels::matvec_sparse_input(k, pool, v, x.data(), {idx.data(), static_cast<size_t>(n_active)}, y.data(),
                                       &acts);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    c = c + 1 == copies ? 0 : c + 1;
  }
  const double active = n_active / static_cast<double>(s.cols);
  add_counters(state, active, static_cast<size_t>(static_cast<double>(payload) * active));
}

// matmul_rows on the Q4_1 rows, with `sparsity` of the output rows skipped.
void bm_rows(benchmark::State& state, Isa isa, Shape s, double sparsity, int threads, bool cold) {
  const skim::kernels::KernelTable k = skim::kernels::make_kernel_table(isa);
  skim::ThreadPool pool(threads);
  const std::vector<uint8_t> one = q4_1_matrix(s);
  int copies = 0;
  const std::vector<uint8_t> w = replicate(one.data(), one.size(), cold, &copies);
  const std::vector<float> x = gaussian(static_cast<size_t>(s.cols), 7, 1.0f);
  const std::vector<float> g = gaussian(static_cast<size_t>(s.rows), 8, 1.0f);  // "gate" output
  const float t = threshold_for(g, sparsity);
  std::vector<int32_t> idx(static_cast<size_t>(s.rows));
  std::vector<float> y(static_cast<size_t>(s.rows));
  std::vector<uint8_t> scratch(skim::kernels::matmul_scratch_bytes(DType::kQ4_1, s.cols, 1));
  int c = 0;
  int32_t n_active = 0;
  for (auto _ : state) {
    n_active = k.select_active(g.data(), s.rows, t, idx.data());
    const auto p = skim::kernels::prepare_acts(k, pool, DType::kQ4_1, x.data(), 1, s.cols, scratch);
    const auto view = skim::TensorView::matrix(DType::kQ4_1, s.rows, s.cols, w.data() + static_cast<size_t>(c) * one.size());
    skim::kernels::matmul_rows(k, pool, view, p, {idx.data(), static_cast<size_t>(n_active)}, y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    c = c + 1 == copies ? 0 : c + 1;
  }
  add_counters(state, n_active / static_cast<double>(s.rows),
               skim::row_bytes(DType::kQ4_1, s.cols) * static_cast<size_t>(n_active));
}

void bm_select(benchmark::State& state, Isa isa, int64_t n, bool count_only) {
  const skim::kernels::KernelTable k = skim::kernels::make_kernel_table(isa);
  const std::vector<float> x = gaussian(static_cast<size_t>(n), 9, 1.0f);
  const float t = threshold_for(x, 0.5);
  std::vector<int32_t> idx(static_cast<size_t>(n));
  for (auto _ : state) {
    if (count_only) {
      benchmark::DoNotOptimize(k.count_active(x.data(), n, t));
    } else {
      benchmark::DoNotOptimize(k.select_active(x.data(), n, t, idx.data()));
      benchmark::ClobberMemory();
    }
  }
}

std::string pct(double s) { return std::to_string(static_cast<int>(std::lround(s * 100))); }

}  // namespace

int main(int argc, char** argv) {
  const skim::CpuFeatures f = skim::CpuFeatures::detect();
  const Shape down{"down_1536x576", 576, 1536}, qo{"qo_576x576", 576, 576}, kv{"kv_576x192", 192, 576},
      gate_up{"gateup_576x1536", 1536, 576};
  const double sparsities[] = {0.0, 0.25, 0.5, 0.7, 0.9};
  const int max_threads = f.physical_cores > 1 ? 2 : 1;
  // "min" over repetitions too: on a loaded machine the fastest repetition is the most
  // repeatable estimate of a compute-bound kernel's own cost.
  auto reg = [](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime()
        ->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
  };
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (!skim::kernels::isa_supported(isa, f)) continue;
    const std::string in = std::string(skim::kernels::isa_name(isa));
    for (int64_t n : {int64_t{576}, int64_t{1536}}) {
      for (bool count_only : {false, true}) {
        reg(std::string(count_only ? "count_active/" : "select_active/") + std::to_string(n) + "/" + in,
            [=](benchmark::State& st) { bm_select(st, isa, n, count_only); });
      }
    }
    for (bool cold : {false, true}) {
      const std::string temp = cold ? "cold" : "hot";
      for (int threads = 1; threads <= max_threads; ++threads) {
        const std::string tail = "/" + in + "/t" + std::to_string(threads) + "/" + temp;
        struct Target {
          DType type;
          int layout;  // 0 rows, 1 panels, 2 tiles
        };
        struct Input {
          Shape s;
          std::vector<Target> targets;
        };
        const Target all[] = {{DType::kQ4_1, 2}, {DType::kQ4_1, 1}, {DType::kQ8_0, 0}, {DType::kF16, 0}, {DType::kQ4_1, 0}};
        const Input inputs[] = {{down, {all, all + 5}}, {qo, {all, all + 5}}, {kv, {all, all + 3}}};
        for (const Input& ip : inputs) {
          const Shape s = ip.s;
          reg(std::string(s.name) + "/dense_q4_1" + tail, [=](benchmark::State& st) { bm_dense(st, isa, s, threads, cold); });
          for (const Target& t : ip.targets) {
            const std::string tn = t.layout == 2 ? "q4_1_tiles"
                                   : t.layout == 1 ? "q4_1_panels"
                                                   : std::string(skim::dtype_name(t.type)) + "_rows";
            for (double sp : sparsities) {
              reg(std::string(s.name) + "/input_" + tn + "/s" + pct(sp) + tail,
                  [=](benchmark::State& st) { bm_sparse_input(st, isa, s, t.type, t.layout, sp, threads, cold); });
            }
          }
        }
        reg(std::string(gate_up.name) + "/dense_q4_1" + tail,
            [=](benchmark::State& st) { bm_dense(st, isa, gate_up, threads, cold); });
        for (double sp : sparsities) {
          reg(std::string(gate_up.name) + "/rows_q4_1/s" + pct(sp) + tail,
              [=](benchmark::State& st) { bm_rows(st, isa, gate_up, sp, threads, cold); });
        }
      }
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
