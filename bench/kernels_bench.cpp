// kernels_bench.cpp — matvec throughput of the default model's shapes, per ISA and thread
// count, in weight bytes streamed per second (Google Benchmark's bytes_per_second).
//
//   Q4_1 576 -> 1536   (attn q / ffn gate, up)     rows 1536, cols 576
//   Q4_1 1536 -> 576   (ffn down)                  rows 576,  cols 1536
//   Q8_0 576 -> 49152  (tied output / logits)      rows 49152, cols 576
//
// "hot" reuses one matrix (it stays in L2/L3: an upper bound), "cold" cycles through copies
// totalling >= 256 MiB so the weights stream from DRAM, as in real decode (93 MiB/token).
// Also one T=64 matmul (prefill-like) to watch the multi-column path, and single-thread
// matvecs for the Gemma 3 types (Q5_0, Q4_K, Q6_K). Times are wall-clock: on a shared,
// loaded machine compare the CPU column too, and quote ratios between runs.
// Run: ./build/kernels_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/ref/ref_kernels.h"

namespace {

using skim::DType;
using skim::kernels::Isa;

struct Shape {
  const char* name;
  DType type;
  int64_t rows, cols;
};

// `copies` quantized [rows, cols] matrices, distinct bytes (so they occupy distinct memory).
struct Weights {
  std::vector<uint8_t> bytes;
  size_t matrix_bytes = 0;
  int copies = 0;
};

Weights make_weights(const Shape& s, int copies) {
  Weights w;
  w.matrix_bytes = skim::row_bytes(s.type, s.cols) * static_cast<size_t>(s.rows);
  w.copies = copies;
  w.bytes.resize(w.matrix_bytes * static_cast<size_t>(copies));
  std::mt19937 rng(42);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  std::vector<float> row(static_cast<size_t>(s.cols));
  const size_t rb = skim::row_bytes(s.type, s.cols);
  // Quantize one matrix, then copy it (quantizing 256 MiB would dominate start-up).
  for (int64_t r = 0; r < s.rows; ++r) {
    for (float& v : row) v = dist(rng);
    skim::kernels::ref::quantize_row(s.type, row.data(), w.bytes.data() + static_cast<size_t>(r) * rb, s.cols);
  }
  for (int c = 1; c < copies; ++c) {
    std::copy_n(w.bytes.data(), w.matrix_bytes, w.bytes.data() + static_cast<size_t>(c) * w.matrix_bytes);
  }
  return w;
}

void run_matmul(benchmark::State& state, Isa isa, Shape s, int threads, bool cold, int64_t T) {
  const skim::kernels::KernelTable k = skim::kernels::make_kernel_table(isa);
  skim::ThreadPool pool(threads);
  const size_t one = skim::row_bytes(s.type, s.cols) * static_cast<size_t>(s.rows);
  const int copies = cold ? static_cast<int>((size_t{256} << 20) / one + 1) : 1;
  const Weights w = make_weights(s, copies);
  std::vector<float> x(static_cast<size_t>(T * s.cols)), y(static_cast<size_t>(T * s.rows));
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (float& v : x) v = dist(rng);
  std::vector<uint8_t> scratch(skim::kernels::matmul_scratch_bytes(s.type, s.cols, T) + 64);
  int c = 0;
  for (auto _ : state) {
    const auto view = skim::TensorView::matrix(s.type, s.rows, s.cols, w.bytes.data() + static_cast<size_t>(c) * one);
    skim::kernels::matmul(k, pool, view, x.data(), y.data(), T, scratch);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    c = c + 1 == w.copies ? 0 : c + 1;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(one));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(s.rows * s.cols * T) * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

}  // namespace

int main(int argc, char** argv) {
  const skim::CpuFeatures f = skim::CpuFeatures::detect();
  const Shape shapes[] = {
      {"q4_1_576x1536", DType::kQ4_1, 1536, 576},
      {"q4_1_1536x576", DType::kQ4_1, 576, 1536},
      {"q8_0_576x49152", DType::kQ8_0, 49152, 576},
  };
  const int max_threads = f.physical_cores > 1 ? 2 : 1;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (!skim::kernels::isa_supported(isa, f)) continue;
    const std::string in = std::string(skim::kernels::isa_name(isa));
    for (const Shape& s : shapes) {
      for (int threads = 1; threads <= max_threads; ++threads) {
        for (bool cold : {false, true}) {
          const std::string name = std::string("matvec/") + s.name + "/" + in + "/t" + std::to_string(threads) +
                                   (cold ? "/cold" : "/hot");
          benchmark::RegisterBenchmark(name.c_str(), run_matmul, isa, s, threads, cold, int64_t{1})
              ->Unit(benchmark::kMicrosecond)
              ->UseRealTime();
        }
      }
    }
    // Gemma 3 270M types (hot, one thread): q/k/gate/up Q5_0 640->2048 equivalents,
    // attn_output Q4_K 1024->640, ffn_down Q6_K 2048->640 (in Q8_0 too where Q6_K falls back).
    const Shape gemma[] = {
        {"q5_0_640x2048", DType::kQ5_0, 2048, 640},
        {"q4_K_1024x640", DType::kQ4_K, 640, 1024},
        {"q6_K_2048x640", DType::kQ6_K, 640, 2048},
    };
    for (const Shape& s : gemma) {
      const std::string gname = std::string("matvec/") + s.name + "/" + in + "/t1/hot";
      benchmark::RegisterBenchmark(gname.c_str(), run_matmul, isa, s, 1, false, int64_t{1})
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
    }
    const std::string name = std::string("matmul_T64/q4_1_576x1536/") + in + "/t1";
    benchmark::RegisterBenchmark(name.c_str(), run_matmul, isa, shapes[0], 1, false, int64_t{64})
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
