// avx2_sparse.h — entry points of the AVX2+FMA+F16C sparsity kernels (cpu/avx2/sparse.cpp):
// sparse-input row accumulation per transposed-weight type and active-index selection.
// Declarations only: safe to include from baseline code, callable only where
// isa_supported(kAvx2) holds. Semantics match ref/sparse_ref.h (kernels.h types).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/sparse_acts.h"

namespace skim::kernels::avx2 {

void sparse_axpy_f32(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                     const int32_t* idx, int32_t count, float* y);
void sparse_axpy_f16(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                     const int32_t* idx, int32_t count, float* y);
void sparse_axpy_q8_0(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                      const int32_t* idx, int32_t count, float* y);
void sparse_axpy_q4_1(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                      const int32_t* idx, int32_t count, float* y);

// Q4_1 int8 tile layout (kernels/q4_1_tiles.h), SparseTilesFn.
void sparse_tiles_q4_1(const uint8_t* panels, int64_t out, int64_t t0, int64_t t1, const SparseActsView& acts,
                       float* y);

// Exact Q4_1 panel layout (kernels/q4_1_panels.h), SparsePanelFn.
void sparse_panels_q4_1(const uint8_t* panels, int64_t out, int64_t c0, int64_t n, const float* x,
                        const int32_t* idx, int32_t count, float* y);

int32_t select_active(const float* x, int64_t n, float threshold, int32_t* idx);
int64_t count_active(const float* x, int64_t n, float threshold);

}  // namespace skim::kernels::avx2
