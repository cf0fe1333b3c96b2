// sparse_matvec.cpp — the threaded drivers of the sparse kernels (sparse.h): matmul_rows
// over the table's vec_dot, matvec_sparse_input over the table's sparse_axpy / sparse_panels
// / sparse_tiles. Work below kMinParallelWork multiply-adds runs on the calling thread. No
// allocation, except matvec_sparse_input on the tile layout without a SparseActs scratch
// (the model always passes one).
#include <algorithm>
#include <cstdint>

#include "core/check.h"
#include "kernels/q4_1_tiles.h"
#include "kernels/sparse.h"

namespace skim::kernels {
namespace {

// Below this many weight elements touched, threading costs more than it saves (as matmul).
constexpr int64_t kMinParallelWork = 16 * 1024;
// Output slice granularity of matvec_sparse_input: one Q8_0/Q4_1 block, 128 bytes of y.
constexpr int64_t kOutUnit = 32;
// Skipped rows break the hardware prefetchers' sequential streams, so matmul_rows
// prefetches the rows kFarRows list entries ahead into L2 and kNearRows ahead into L1 (a
// Q4_1 row of 576 is ~40 ns of work). Measured on Zen 4, cold Q4_1 1536x576 at 50%: no
// prefetch 109 us, L1 4 ahead 76 us, L2 16 ahead 72 us, both 38-43 us (dense 55 us).
constexpr int64_t kFarRows = 16;
constexpr int64_t kNearRows = 4;

// Prefetches every cache line of `bytes` bytes at p; Locality 3 = L1 (T0), 2 = L2 (T1).
template <int Locality>
[[gnu::always_inline]] inline void prefetch_bytes(const void* p, size_t bytes) {
  const auto* c = static_cast<const char*>(p);
  const char* line = reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(c) & ~uintptr_t{63});
  for (; line < c + bytes; line += 64) __builtin_prefetch(line, 0, Locality);
}

}  // namespace

void matmul_rows(const KernelTable& k, ThreadPool& pool, const TensorView& w, const PreparedActs& x,
                 std::span<const int32_t> active_rows, float* y) {
  const int64_t rows = w.rows(), cols = w.cols();
  SKIM_CHECK(x.T == 1 && x.cols == cols && x.type == vec_dot_type(w.type));
  const VecDotFn dot = k[w.type].vec_dot;
  SKIM_CHECK(dot != nullptr);
  const int32_t* idx = active_rows.data();
  const auto n = static_cast<int64_t>(active_rows.size());
  const size_t rb = w.row_bytes();
  auto work = [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < std::min(e, b + kFarRows); ++j) prefetch_bytes<2>(w.row(idx[j]), rb);
    for (int64_t j = b; j < std::min(e, b + kNearRows); ++j) prefetch_bytes<3>(w.row(idx[j]), rb);
    for (int64_t j = b; j < e; ++j) {
      if (j + kFarRows < e) prefetch_bytes<2>(w.row(idx[j + kFarRows]), rb);
      if (j + kNearRows < e) prefetch_bytes<3>(w.row(idx[j + kNearRows]), rb);
      const int32_t r = idx[j];
      SKIM_CHECK(r >= 0 && r < rows);
      y[r] = dot(cols, w.row(r), x.data);
    }
  };
  if (pool.size() == 1 || n * cols < kMinParallelWork) {
    work(0, n);
    return;
  }
  pool.parallel_for(n, [&](int64_t b, int64_t e, int) { work(b, e); });
}

void matvec_sparse_input(const KernelTable& k, ThreadPool& pool, const TransposedView& wt, const float* x,
                         std::span<const int32_t> active, float* y, SparseActs* scratch) {
  if (wt.layout == TransposedLayout::kTiles) {
    SparseActs local;
    if (scratch == nullptr) {
      local = SparseActs(wt.in);
      scratch = &local;
    }
    scratch->build(x, wt.in, active);
    float* const ys[1] = {y};
    matvec_sparse_multi(k, pool, std::span<const TransposedView>(&wt, 1), *scratch, ys);
    return;
  }
  const bool panels = wt.layout == TransposedLayout::kPanels;
  const SparseAxpyFn axpy = k[wt.type].sparse_axpy;
  const SparsePanelFn panel_fn = k[wt.type].sparse_panels;
  SKIM_CHECK(panels ? panel_fn != nullptr && wt.out % kOutUnit == 0 && wt.in % kOutUnit == 0
                    : axpy != nullptr && wt.row_stride == row_bytes(wt.type, wt.out));
  SKIM_CHECK(static_cast<int64_t>(active.size()) <= wt.in);
  for (const int32_t i : active) SKIM_CHECK(i >= 0 && i < wt.in);
  const auto count = static_cast<int32_t>(active.size());
  const int64_t out = wt.out;
  // Output slice [c0, c1): c0 is a multiple of kOutUnit, hence of the block size.
  auto work = [&](int64_t c0, int64_t c1) {
    if (panels) {
      panel_fn(wt.data, out, c0, c1 - c0, x, active.data(), count, y + c0);
    } else {
      axpy(wt.data + row_bytes(wt.type, c0), wt.row_stride, c1 - c0, x, active.data(), count, y + c0);
    }
  };
  if (pool.size() == 1 || count * out < kMinParallelWork) {
    work(0, out);
    return;
  }
  pool.run([&](int ti, int nt) {
    const int64_t units = (out + kOutUnit - 1) / kOutUnit;
    const int64_t per = (units + nt - 1) / nt;
    const int64_t c0 = std::min(out, ti * per * kOutUnit);
    const int64_t c1 = std::min(out, (ti + 1) * per * kOutUnit);
    if (c0 < c1) work(c0, c1);
  });
}

void matvec_sparse_multi(const KernelTable& k, ThreadPool& pool, std::span<const TransposedView> wts,
                         const SparseActs& acts, std::span<float* const> ys) {
  namespace Tl = q4_1_tiles;
  SKIM_CHECK(wts.size() == ys.size());
  // Work items: the tiles of every kTiles matrix, in order, weighed in 64-output units.
  int64_t units = 0;
  for (size_t m = 0; m < wts.size(); ++m) {
    const TransposedView& wt = wts[m];
    SKIM_CHECK(wt.in == acts.n());
    if (wt.layout != TransposedLayout::kTiles) {
      matvec_sparse_input(k, pool, wt, acts.x(), acts.active(), ys[m]);
      continue;
    }
    SKIM_CHECK(k[wt.type].sparse_tiles != nullptr && wt.out % Tl::kUnit == 0 && wt.in % Tl::kChannels == 0);
    units += wt.out / Tl::kUnit;
  }
  if (units == 0) return;
  const SparseActsView av = acts.view();
  // Runs, per matrix, the run of tiles whose midpoints (in units, x2 to stay integral) lie
  // in [lo2, hi2).
  auto work = [&](int64_t lo2, int64_t hi2) {
    int64_t u = 0;
    for (size_t m = 0; m < wts.size(); ++m) {
      const TransposedView& wt = wts[m];
      if (wt.layout != TransposedLayout::kTiles) continue;
      int64_t t0 = -1, t1 = -1;
      for (int64_t t = 0; t < Tl::tiles(wt.out); ++t) {
        const int64_t size = Tl::tile_width(wt.out, t) / Tl::kUnit, mid2 = 2 * u + size;
        u += size;
        if (mid2 < lo2 || mid2 >= hi2) continue;
        if (t0 < 0) t0 = t;
        t1 = t + 1;
      }
      if (t0 >= 0) k[wt.type].sparse_tiles(wt.data, wt.out, t0, t1, av, ys[m] + Tl::tile_first(t0));
    }
  };
  const int64_t macs = static_cast<int64_t>(acts.active().size()) * units * Tl::kUnit;
  if (pool.size() == 1 || macs < kMinParallelWork) {
    work(0, 2 * units + 1);
    return;
  }
  pool.run([&](int ti, int nt) { work(2 * units * ti / nt, ti + 1 == nt ? 2 * units + 1 : 2 * units * (ti + 1) / nt); });
}

}  // namespace skim::kernels
