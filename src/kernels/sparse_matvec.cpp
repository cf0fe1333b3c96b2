// sparse_matvec.cpp — the threaded drivers of the sparse kernels (sparse.h): matmul_rows
// over the table's vec_dot, matvec_sparse_input over the table's sparse_axpy. Work below
// kMinParallelWork multiply-adds runs on the calling thread. No allocation.
#include <algorithm>

#include "core/check.h"
#include "kernels/sparse.h"

namespace skim::kernels {
namespace {

// Below this many weight elements touched, threading costs more than it saves (as matmul).
constexpr int64_t kMinParallelWork = 16 * 1024;
// Output slice granularity of matvec_sparse_input: one Q8_0/Q4_1 block, 128 bytes of y.
constexpr int64_t kOutUnit = 32;

}  // namespace

void matmul_rows(const KernelTable& k, ThreadPool& pool, const TensorView& w, const PreparedActs& x,
                 std::span<const int32_t> active_rows, float* y) {
  const int64_t rows = w.rows(), cols = w.cols();
  SKIM_CHECK(x.T == 1 && x.cols == cols && x.type == vec_dot_type(w.type));
  const VecDotFn dot = k[w.type].vec_dot;
  SKIM_CHECK(dot != nullptr);
  const int32_t* idx = active_rows.data();
  const auto n = static_cast<int64_t>(active_rows.size());
  auto work = [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
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
                         std::span<const int32_t> active, float* y) {
  const SparseAxpyFn axpy = k[wt.type].sparse_axpy;
  SKIM_CHECK(axpy != nullptr && wt.row_stride == row_bytes(wt.type, wt.out));
  SKIM_CHECK(static_cast<int64_t>(active.size()) <= wt.in);
  for (const int32_t i : active) SKIM_CHECK(i >= 0 && i < wt.in);
  const auto count = static_cast<int32_t>(active.size());
  const int64_t out = wt.out;
  // Output slice [c0, c1): c0 is a multiple of kOutUnit, hence of the block size.
  auto work = [&](int64_t c0, int64_t c1) {
    axpy(wt.data + row_bytes(wt.type, c0), wt.row_stride, c1 - c0, x, active.data(), count, y + c0);
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

}  // namespace skim::kernels
