// sparse_ref.h — scalar oracle for the sparsity kernels (see kernels/sparse.h): the
// sparse-input row accumulation per transposed-weight type and the active-index selection.
// Plain sequential float arithmetic; every SIMD variant is tested against these.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/sparse_acts.h"

namespace skim::kernels::ref {

// y: [n] = sum_k x[idx[k]] * row_{idx[k]}[0, n) (SparseAxpyFn in kernels.h), rows of the
// named type starting at base + idx[k] * row_stride.
void sparse_axpy_f32(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                     const int32_t* idx, int32_t count, float* y);
void sparse_axpy_f16(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                     const int32_t* idx, int32_t count, float* y);
void sparse_axpy_q8_0(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                      const int32_t* idx, int32_t count, float* y);
void sparse_axpy_q4_1(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                      const int32_t* idx, int32_t count, float* y);

// The same over the exact Q4_1 panel layout (SparsePanelFn, kernels/q4_1_panels.h):
// y[j] = sum_k x_i * (d * q + m) for i = idx[k], in list order.
void sparse_panels_q4_1(const uint8_t* panels, int64_t out, int64_t c0, int64_t n, const float* x,
                        const int32_t* idx, int32_t count, float* y);

// One tile of the Q4_1 int8 tile layout (SparseTilesFn, kernels/q4_1_tiles.h): per panel,
// y[o] += m·s + (d·d_x)·Σ q·xq with the integer sum exact.
void sparse_tiles_q4_1(const uint8_t* panels, int64_t out, int64_t t0, int64_t t1, const SparseActsView& acts,
                       float* y);

// idx <- the i with |x[i]| > threshold (SelectActiveFn); returns the count.
int32_t select_active(const float* x, int64_t n, float threshold, int32_t* idx);
// The count of |x[i]| > threshold (CountActiveFn).
int64_t count_active(const float* x, int64_t n, float threshold);

}  // namespace skim::kernels::ref
