// matmul.cpp — y = x · wᵀ on the kernel table: activations are converted once per call
// (prepare_acts), then output rows are split across threads in multiples of a 4-row tile.
// Each thread hands its rows to the table's gemm kernel (kernels.h GemmFn), which walks
// them in register tiles of several weight rows x up to kGemmCols activation rows. For
// T > 1 the work is blocked so that both operands are re-read from cache: a pass over
// kColChunk activation rows (kept in L2) walks the weight rows in chunks of kRowChunk
// (kept in L1), so each weight row is streamed from memory once per pass.
// For T == 1 (decode) each thread makes one gemm call over all its rows with one
// activation row (the ISA's tile of several weight rows x 1 column).
// A matrix with a row-interleaved copy (TensorView::packed, kernels/packed.h) runs on the
// table's packed_gemm instead, split across threads in 8-row groups.
// Every output is bitwise the table's vec_dot of its weight row and activation row (with
// fast numerics, packed products are ref::vec_dot_fast_* instead; kernels.h).
// No allocation; the caller provides scratch.
#include <algorithm>

#include "core/check.h"
#include "kernels/kernels.h"
#include "kernels/packed.h"
#include "kernels/ref/ref_kernels.h"

namespace skim::kernels {

namespace {

constexpr int64_t kRowTile = 4;   // rows per thread: a multiple of this
constexpr int64_t kRowChunk = 16;  // weight rows per gemm call when T > 1
constexpr int64_t kColChunk = 64;  // activation rows per pass over the weight rows
// Below this many weight elements x activation rows, threading costs more than it saves.
constexpr int64_t kMinParallelWork = 16 * 1024;

// The same product on a row-interleaved copy (packed.h): threads take runs of 8-row
// groups. The exact kernels keep 2 activation rows in registers: T > 1 is blocked as in
// matmul_prepared (kColChunk activation rows per pass over chunks of kRowChunk rows), so
// each group is read from memory once per pass. The fast kernels keep kFastCols rows:
// T <= kFastCols is one call per thread (the weights stream once), larger T walks chunks
// of kFastGroupChunk groups (kept in L1/L2) with kFastCols rows per call.
constexpr int64_t kFastCols = 8;
constexpr int64_t kFastGroupChunk = 8;

// Groups [g0, g1) of a packed product, all T activation rows, on one thread.
void packed_range(PackedGemmFn gemm, bool fast, const TensorView& w, const PreparedActs& x, float* y, int64_t g0,
                  int64_t g1) {
  const int64_t rows = w.rows(), cols = w.cols(), T = x.T;
  const size_t xs = x.row_bytes, ldy = static_cast<size_t>(rows);
  const int64_t group_chunk = fast ? kFastGroupChunk : kRowChunk / kPackRows;
  const int64_t per_call = fast ? kFastCols : kGemmCols;
  if (T == 1 || (fast && T <= kFastCols)) {
    gemm(cols, w.packed, g0, g1, x.data, xs, static_cast<int>(T), y, ldy);
    return;
  }
  for (int64_t tc = 0; tc < T; tc += kColChunk) {
    const int64_t te = std::min(T, tc + kColChunk);
    for (int64_t gc = g0; gc < g1; gc += group_chunk) {
      const int64_t ge = std::min(g1, gc + group_chunk);
      for (int64_t t = tc; t < te; t += per_call) {
        const int nc = static_cast<int>(std::min(per_call, te - t));
        gemm(cols, w.packed, gc, ge, x.data + static_cast<size_t>(t) * xs, xs, nc, y + t * rows, ldy);
      }
    }
  }
}

// Slots (ThreadPool::run_many) for a packed product of `groups` 8-row groups: runs of at
// least kMinSlotGroups groups, at most kMaxSlotsPerThread per thread. Several slots per
// thread let the pool rebalance when a thread is descheduled (a server shares its cores
// with its connections); outputs do not depend on the split.
constexpr int64_t kMinSlotGroups = 16;
constexpr int64_t kMaxSlotsPerThread = 8;
int packed_slots(int64_t groups, int n_threads) {
  return static_cast<int>(std::clamp<int64_t>(groups / kMinSlotGroups, 1, kMaxSlotsPerThread * n_threads));
}

// Products on packed copies that read the same activations, in one parallel region: product
// i owns slots [first[i], first[i + 1]) (packed_slots each); small work runs on the caller.
void packed_products(const KernelTable& k, ThreadPool& pool, std::span<const MatmulOut> outs, const PreparedActs& x) {
  constexpr size_t kMaxOuts = 8;
  SKIM_CHECK(outs.size() <= kMaxOuts);
  auto range = [&](const MatmulOut& o, int64_t g0, int64_t g1) {
    packed_range(k[o.w->type].packed_gemm, k.fast_numerics, *o.w, x, o.y, g0, g1);
  };
  int64_t work = 0;
  for (const MatmulOut& o : outs) work += o.w->rows() * o.w->cols() * x.T;
  if (pool.size() == 1 || work < kMinParallelWork) {
    for (const MatmulOut& o : outs) range(o, 0, o.w->rows() / kPackRows);
    return;
  }
  int first[kMaxOuts + 1] = {0};
  for (size_t i = 0; i < outs.size(); ++i) {
    first[i + 1] = first[i] + packed_slots(outs[i].w->rows() / kPackRows, pool.size());
  }
  pool.run_many(first[outs.size()], [&](int slot, int, int) {
    size_t i = 0;
    while (slot >= first[i + 1]) ++i;
    const int64_t groups = outs[i].w->rows() / kPackRows, n = first[i + 1] - first[i], s = slot - first[i];
    const int64_t g0 = groups * s / n, g1 = groups * (s + 1) / n;
    if (g0 < g1) range(outs[i], g0, g1);
  });
}

}  // namespace

size_t matmul_scratch_bytes(DType w_type, int64_t cols, int64_t T) {
  const DType act = vec_dot_type(w_type);
  if (act == DType::kF32) return 0;
  return row_bytes(act, cols) * static_cast<size_t>(T);
}

PreparedActs prepare_acts(const KernelTable& k, ThreadPool& pool, DType w_type, const float* x,
                          int64_t T, int64_t cols, std::span<uint8_t> scratch) {
  PreparedActs p;
  p.type = vec_dot_type(w_type);
  p.T = T;
  p.cols = cols;
  SKIM_CHECK(cols % dtype_block_size(w_type) == 0 && cols % dtype_block_size(p.type) == 0);
  if (p.type == DType::kF32) {  // float weights read the activations in place
    p.data = reinterpret_cast<const uint8_t*>(x);
    p.row_bytes = static_cast<size_t>(cols) * sizeof(float);
    return p;
  }
  p.row_bytes = row_bytes(p.type, cols);
  SKIM_CHECK(scratch.size() >= p.row_bytes * static_cast<size_t>(T));
  SKIM_CHECK(reinterpret_cast<uintptr_t>(scratch.data()) % alignof(float) == 0);
  const QuantizeActFn quantize = k[w_type].quantize_act;
  SKIM_CHECK(quantize != nullptr);
  uint8_t* out = scratch.data();
  const size_t rb = p.row_bytes;
  if (T == 1 || pool.size() == 1 || T * cols < kMinParallelWork) {
    for (int64_t t = 0; t < T; ++t) quantize(x + t * cols, out + static_cast<size_t>(t) * rb, cols);
  } else {
    pool.parallel_for(T, [&](int64_t b, int64_t e, int) {
      for (int64_t t = b; t < e; ++t) quantize(x + t * cols, out + static_cast<size_t>(t) * rb, cols);
    });
  }
  p.data = out;
  return p;
}

void matmul_prepared(const KernelTable& k, ThreadPool& pool, const TensorView& w,
                     const PreparedActs& x, float* y) {
  const int64_t rows = w.rows(), cols = w.cols(), T = x.T;
  SKIM_CHECK(x.cols == cols && x.type == vec_dot_type(w.type));
  SKIM_CHECK(w.row_stride_bytes >= w.row_bytes());
  const DTypeKernels& kt = k[w.type];
  SKIM_CHECK(kt.gemm != nullptr);
  if (rows == 0 || T == 0) return;

  const size_t ws = w.row_stride_bytes, xs = x.row_bytes;
  // Output rows [r0, r1) for all T activation rows.
  auto work = [&](int64_t r0, int64_t r1) {
    if (T == 1) {  // decode: one call, so per-call activation preparation is paid once
      kt.gemm(cols, w.row(r0), ws, r1 - r0, x.data, xs, 1, y + r0, static_cast<size_t>(rows));
      return;
    }
    for (int64_t tc = 0; tc < T; tc += kColChunk) {
      const int64_t te = std::min(T, tc + kColChunk);
      for (int64_t rc = r0; rc < r1; rc += kRowChunk) {
        const int64_t nr = std::min(kRowChunk, r1 - rc);
        for (int64_t t = tc; t < te; t += kGemmCols) {
          const int nc = static_cast<int>(std::min<int64_t>(kGemmCols, te - t));
          kt.gemm(cols, w.row(rc), ws, nr, x.data + static_cast<size_t>(t) * xs, xs, nc, y + t * rows + rc,
                  static_cast<size_t>(rows));
        }
      }
    }
  };

  if (w.packed != nullptr && kt.packed_gemm != nullptr) {
    const MatmulOut one{&w, y};
    packed_products(k, pool, std::span<const MatmulOut>(&one, 1), x);
    return;
  }
  const int nt = pool.size();
  if (nt == 1 || rows * cols * T < kMinParallelWork) {
    work(0, rows);
    return;
  }
  pool.run([&](int ti, int n) {
    const int64_t tiles = (rows + kRowTile - 1) / kRowTile;
    const int64_t per = (tiles + n - 1) / n;
    const int64_t r0 = std::min(rows, ti * per * kRowTile);
    const int64_t r1 = std::min(rows, (ti + 1) * per * kRowTile);
    if (r0 < r1) work(r0, r1);
  });
}

void matmul_prepared_many(const KernelTable& k, ThreadPool& pool, std::span<const MatmulOut> outs,
                          const PreparedActs& x) {
  bool all_packed = outs.size() <= 8;
  for (const MatmulOut& o : outs) {
    SKIM_CHECK(o.w->cols() == x.cols && x.type == vec_dot_type(o.w->type));
    all_packed = all_packed && o.w->packed != nullptr && k[o.w->type].packed_gemm != nullptr;
  }
  if (!all_packed) {
    for (const MatmulOut& o : outs) matmul_prepared(k, pool, *o.w, x, o.y);
    return;
  }
  packed_products(k, pool, outs, x);
}

void matmul(const KernelTable& k, ThreadPool& pool, const TensorView& w, const float* x, float* y,
            int64_t T, std::span<uint8_t> scratch) {
  const PreparedActs p = prepare_acts(k, pool, w.type, x, T, w.cols(), scratch);
  matmul_prepared(k, pool, w, p, y);
}

void get_row(const TensorView& w, int64_t row, float* out) {
  SKIM_CHECK(row >= 0 && row < w.rows());
  if (w.packed != nullptr) {  // read the packed copy (the mapped pages were released)
    constexpr int64_t kChunk = 64;  // blocks per step
    alignas(16) uint8_t buf[kChunk * 36];
    const int64_t nb = w.cols() / 32;
    for (int64_t b = 0; b < nb; b += kChunk) {
      const int64_t e = std::min(nb, b + kChunk);
      unpack_blocks(w, row, b, e, buf);
      ref::dequantize_row(w.type, buf, out + b * 32, (e - b) * 32);
    }
    return;
  }
  ref::dequantize_row(w.type, w.row(row), out, w.cols());
}

}  // namespace skim::kernels
