// sparse.h — kernels that skip work for contextual sparsity (TEAL, CATS, Deja Vu), for
// single-token decode (T = 1). Prefill stays dense.
//
//  - Output-row skipping on the standard [rows = out, cols = in] layout: matmul_rows
//    computes only the listed output rows (CATS up rows of active neurons; Deja Vu q rows
//    of active heads). Same per-row kernel as the dense matmul (vec_dot), so with every row
//    listed it is bit-identical to matmul_prepared with T = 1.
//  - Input-channel skipping on a transposed matrix (transposed.h): matvec_sparse_input
//    computes y = Σ_{i active} x_i · Wᵀ[i] in f32 (TEAL on any projection; CATS down
//    projection over active neurons), on requantized rows (F32/F16/Q8_0/Q4_1) or on the
//    exact Q4_1 panels. x is used unquantized, so with every channel listed it equals the
//    f32 product with the transposed values up to float summation order (for panels: with
//    the original weights). On the int8 tile layout (kTiles, the fast one), x is quantized
//    per 32-channel panel as the dense path quantizes activations (SparseActs): the result
//    is the dense Q4_1·Q8_1 product of x masked to the active channels, up to float order.
//  - matvec_sparse_multi: several matrices reading one prepared input (q/k/v, gate/up) in
//    one thread dispatch, the quantized active list built once.
//  - Active-index lists, built once per input and shared by the matrices reading it (q/k/v,
//    gate/up): KernelTable::select_active(x, n, threshold, idx) writes the i with
//    |x_i| > threshold in increasing order and returns the count; count_active returns the
//    count only (to measure sparsity). A negative threshold keeps every channel.
//
// Threading: matmul_rows splits the active list, matvec_sparse_input splits the output
// (32-element units, tiles for kTiles; each thread owns a slice of y: no reduction, no
// atomics). Results do not depend on the thread count. No allocation (except
// matvec_sparse_input on kTiles without a scratch SparseActs).
#pragma once

#include <cstdint>
#include <span>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/sparse_acts.h"
#include "kernels/transposed.h"
#include "tensor/tensor_view.h"

namespace skim::kernels {

// y[r] = row r of w · x for each r in active_rows (any order, no duplicates needed but
// allowed); other entries of y are not written. w: [rows, cols]; x: prepared for w.type
// with T = 1 (prepare_acts); y: [rows]. Indices must lie in [0, rows).
void matmul_rows(const KernelTable& k, ThreadPool& pool, const TensorView& w, const PreparedActs& x,
                 std::span<const int32_t> active_rows, float* y);

// y: [wt.out] = Σ_{i in active} x[i] · Wᵀ[i], i.e. W · (x masked to `active`).
// x: [wt.in] f32 (only the listed entries are read); active: distinct indices in [0, wt.in),
// increasing order recommended (memory locality; panels also batch consecutive entries of
// one 32-channel panel), as select_active produces. Every entry of y is written (zeros for
// an empty list). Rows of wt.type need its sparse_axpy kernel, panels its sparse_panels.
// kTiles matrices quantize x into `scratch` (capacity >= wt.in; allocated here when null).
void matvec_sparse_input(const KernelTable& k, ThreadPool& pool, const TransposedView& wt, const float* x,
                         std::span<const int32_t> active, float* y, SparseActs* scratch = nullptr);
inline void matvec_sparse_input(const KernelTable& k, ThreadPool& pool, const TransposedMatrix& wt,
                                const float* x, std::span<const int32_t> active, float* y,
                                SparseActs* scratch = nullptr) {
  matvec_sparse_input(k, pool, wt.view(), x, active, y, scratch);
}

// ys[i]: [wts[i].out] = Wᵢ · (acts.x() masked to acts.active()) for every i (wts[i].in ==
// acts.n()). kTiles matrices read the quantized acts, split over the threads by tiles of
// all matrices at once (one dispatch); others run matvec_sparse_input one by one.
void matvec_sparse_multi(const KernelTable& k, ThreadPool& pool, std::span<const TransposedView> wts,
                         const SparseActs& acts, std::span<float* const> ys);

}  // namespace skim::kernels
