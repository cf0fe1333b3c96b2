// kernels_bench.cpp — matvec throughput of the default model's shapes, per ISA and thread
// count, in weight bytes streamed per second (Google Benchmark's bytes_per_second).
//
//   Q4_1 576 -> 1536   (attn q / ffn gate, up)     rows 1536, cols 576
//   Q4_1 1536 -> 576   (ffn down)                  rows 576,  cols 1536
//   Q8_0 576 -> 49152  (tied output / logits)      rows 49152, cols 576
//
// "hot" reuses one matrix (it stays in L2/L3: an upper bound), "cold" cycles through copies
// totalling >= 256 MiB so the weights stream from DRAM, as in real decode (93 MiB/token).
// Also single-thread matvecs for the Gemma 3 types (Q5_0, Q4_K, Q6_K), and GEMMs
// (gemm/<shape>/T<n>/<isa>/t<threads>/<path>) over the default model's shapes, written
// r<rows>_c<cols> (576x576 attn q/o, 1536x576 gate/up, 576x1536 down, 49152x576 output)
// for T in {1, 8, 64, 512} activation rows, each on two paths of the same binary:
//   tiled  — kernels::matmul (SIMD quantizer + the register-tiled gemm kernel),
//   legacy — the loop before it (scalar quantizer, 4-row tiles of vec_dot_cols calls).
// Q4_1 / Q8_0 matvecs and GEMMs also run a third path, "packed": the same matmul on the
// row-interleaved copy the engine makes at load (kernels/packed.h, TensorView::packed).
// Times are wall-clock: on a shared, loaded machine compare the CPU column too, and quote
// ratios between runs.
// Run: ./build/kernels_bench --benchmark_counters_tabular=true --benchmark_filter=gemm/
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/packed.h"
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

// Row-interleaved copies of every matrix copy in w (empty unless `packed`).
std::vector<uint8_t> pack_copies(const Weights& w, const Shape& s, bool packed) {
  if (!packed) return {};
  const auto view0 = skim::TensorView::matrix(s.type, s.rows, s.cols, w.bytes.data());
  const size_t pb = skim::kernels::packed_bytes(view0);
  std::vector<uint8_t> out(pb * static_cast<size_t>(w.copies));
  for (int c = 0; c < w.copies; ++c) {
    const auto v = skim::TensorView::matrix(s.type, s.rows, s.cols, w.bytes.data() + static_cast<size_t>(c) * w.matrix_bytes);
    skim::kernels::pack_matrix(v, out.data() + static_cast<size_t>(c) * pb);
  }
  return out;
}

void run_matmul(benchmark::State& state, Isa isa, Shape s, int threads, bool cold, int64_t T, bool packed) {
  const skim::kernels::KernelTable k = skim::kernels::make_kernel_table(isa);
  skim::ThreadPool pool(threads);
  const size_t one = skim::row_bytes(s.type, s.cols) * static_cast<size_t>(s.rows);
  const int copies = cold ? static_cast<int>((size_t{256} << 20) / one + 1) : 1;
  const Weights w = make_weights(s, copies);
  const std::vector<uint8_t> pk = pack_copies(w, s, packed);
  std::vector<float> x(static_cast<size_t>(T * s.cols)), y(static_cast<size_t>(T * s.rows));
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (float& v : x) v = dist(rng);
  std::vector<uint8_t> scratch(skim::kernels::matmul_scratch_bytes(s.type, s.cols, T) + 64);
  int c = 0;
  for (auto _ : state) {
    auto view = skim::TensorView::matrix(s.type, s.rows, s.cols, w.bytes.data() + static_cast<size_t>(c) * one);
    if (packed) view.packed = pk.data() + static_cast<size_t>(c) * one;  // packed size == mapped size
    skim::kernels::matmul(k, pool, view, x.data(), y.data(), T, scratch);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    c = c + 1 == w.copies ? 0 : c + 1;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(one));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(s.rows * s.cols * T) * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

// The matmul before the tiled gemm kernel, kept callable to measure against: activations
// quantized by the scalar reference (x86 semantics), then output rows split across threads
// in 4-row tiles, each tile walking the activation rows 4 at a time with one vec_dot_cols
// call per weight row (vec_dot per row for T == 1). scratch: matmul_scratch_bytes.
void legacy_matmul(const skim::kernels::KernelTable& k, skim::ThreadPool& pool, const skim::TensorView& w,
                   const float* x, float* y, int64_t T, uint8_t* scratch) {
  const int64_t rows = w.rows(), cols = w.cols();
  const DType act = skim::vec_dot_type(w.type);
  const size_t rb = skim::row_bytes(act, cols);
  const auto quantize = act == DType::kQ8_1 ? skim::kernels::ref::quantize_q8_1_x86 : skim::kernels::ref::quantize_q8_0_x86;
  if (T == 1 || pool.size() == 1 || T * cols < 16 * 1024) {
    for (int64_t t = 0; t < T; ++t) quantize(x + t * cols, scratch + t * rb, cols);
  } else {
    pool.parallel_for(T, [&](int64_t b, int64_t e, int) {
      for (int64_t t = b; t < e; ++t) quantize(x + t * cols, scratch + t * rb, cols);
    });
  }
  const skim::kernels::DTypeKernels& kt = k[w.type];
  auto work = [&](int64_t r0, int64_t r1) {
    if (T == 1) {
      for (int64_t r = r0; r < r1; ++r) y[r] = kt.vec_dot(cols, w.row(r), scratch);
      return;
    }
    float out[skim::kernels::kMaxDotCols];
    for (int64_t rt = r0; rt < r1; rt += 4) {
      const int64_t re = std::min(rt + 4, r1);
      for (int64_t t0 = 0; t0 < T; t0 += skim::kernels::kMaxDotCols) {
        const int nc = static_cast<int>(std::min<int64_t>(skim::kernels::kMaxDotCols, T - t0));
        for (int64_t r = rt; r < re; ++r) {
          kt.vec_dot_cols(cols, w.row(r), scratch + t0 * rb, rb, nc, out);
          for (int c = 0; c < nc; ++c) y[(t0 + c) * rows + r] = out[c];
        }
      }
    }
  };
  if (pool.size() == 1) {
    work(0, rows);
    return;
  }
  pool.run([&](int ti, int n) {
    const int64_t tiles = (rows + 3) / 4;
    const int64_t per = (tiles + n - 1) / n;
    const int64_t r0 = std::min(rows, ti * per * 4), r1 = std::min(rows, (ti + 1) * per * 4);
    if (r0 < r1) work(r0, r1);
  });
}

enum class GemmPath { kLegacy, kTiled, kPacked };

void run_gemm(benchmark::State& state, Isa isa, Shape s, int threads, int64_t T, GemmPath path) {
  const bool legacy = path == GemmPath::kLegacy;
  const skim::kernels::KernelTable k = skim::kernels::make_kernel_table(isa);
  skim::ThreadPool pool(threads);
  const Weights w = make_weights(s, 1);
  std::vector<float> x(static_cast<size_t>(T * s.cols)), y(static_cast<size_t>(T * s.rows));
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (float& v : x) v = dist(rng);
  std::vector<uint8_t> scratch(skim::kernels::matmul_scratch_bytes(s.type, s.cols, T) + 64);
  const std::vector<uint8_t> pk = pack_copies(w, s, path == GemmPath::kPacked);
  auto view = skim::TensorView::matrix(s.type, s.rows, s.cols, w.bytes.data());
  if (path == GemmPath::kPacked) view.packed = pk.data();
  for (auto _ : state) {
    if (legacy) {
      legacy_matmul(k, pool, view, x.data(), y.data(), T, scratch.data());
    } else {
      skim::kernels::matmul(k, pool, view, x.data(), y.data(), T, scratch);
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(s.rows * s.cols * T) * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

// The matmul shapes of one SmolLM2-135M token, rows x cols (out x in).
void register_gemms(Isa isa, int max_threads) {
  const Shape shapes[] = {
      {"q4_1_r576_c576", DType::kQ4_1, 576, 576},
      {"q4_1_r1536_c576", DType::kQ4_1, 1536, 576},
      {"q4_1_r576_c1536", DType::kQ4_1, 576, 1536},
      {"q8_0_r49152_c576", DType::kQ8_0, 49152, 576},
  };
  const std::string in(skim::kernels::isa_name(isa));
  for (const Shape& s : shapes) {
    for (int64_t T : {1, 8, 64, 512}) {
      for (int threads = 1; threads <= max_threads; ++threads) {
        if (threads > 1 && T != 1 && T != 512) continue;
        for (GemmPath path : {GemmPath::kLegacy, GemmPath::kTiled, GemmPath::kPacked}) {
          const char* pn = path == GemmPath::kLegacy ? "/legacy" : path == GemmPath::kTiled ? "/tiled" : "/packed";
          const std::string name = std::string("gemm/") + s.name + "/T" + std::to_string(T) + "/" + in + "/t" +
                                   std::to_string(threads) + pn;
          benchmark::RegisterBenchmark(name.c_str(), run_gemm, isa, s, threads, T, path)
              ->Unit(benchmark::kMicrosecond)
              ->UseRealTime();
        }
      }
    }
  }
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
          for (bool packed : {false, true}) {
            if (packed && isa == Isa::kScalar) continue;  // no packed kernels: same as mapped
            const std::string name = std::string("matvec/") + s.name + "/" + in + "/t" + std::to_string(threads) +
                                     (cold ? "/cold" : "/hot") + (packed ? "/packed" : "");
            benchmark::RegisterBenchmark(name.c_str(), run_matmul, isa, s, threads, cold, int64_t{1}, packed)
                ->Unit(benchmark::kMicrosecond)
                ->UseRealTime();
          }
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
      benchmark::RegisterBenchmark(gname.c_str(), run_matmul, isa, s, 1, false, int64_t{1}, false)
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
    }
    if (isa != Isa::kScalar) register_gemms(isa, max_threads);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
