// avx512_kernels.h — entry points of the AVX-512 (F/BW/VL/DQ + VNNI) kernels in
// cpu/avx512/*.cpp, the only files compiled with those flags. Declarations only: safe to
// include from baseline code, but callable only where isa_supported(kAvx512) holds.
// Signatures and semantics match ref/ref_kernels.h and kernels.h.
#pragma once

#include <cstddef>
#include <cstdint>

namespace skim::kernels::avx512 {

float vec_dot_q4_1(int64_t n, const void* w, const void* xq);  // x Q8_1
float vec_dot_q8_0(int64_t n, const void* w, const void* xq);  // x Q8_0

void vec_dot_cols_q4_1(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out);
void vec_dot_cols_q8_0(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out);

// Register-tiled GEMM (kernels.h GemmFn), bitwise vec_dot_q4_1 / vec_dot_q8_0 per output.
void gemm_q4_1(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq, size_t x_stride, int nc,
               float* y, size_t ldy);
void gemm_q8_0(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq, size_t x_stride, int nc,
               float* y, size_t ldy);

// Row-interleaved matrices (kernels/packed.h, packed_gemm.cpp): rows [8 g0, 8 g1) of the
// packed matrix times nc <= 4 activation rows; y[c * ldy + r] for absolute row r, bitwise
// vec_dot_q4_1 / vec_dot_q8_0 of the unpacked row.
void packed_gemm_q4_1(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq, size_t x_stride, int nc,
                      float* y, size_t ldy);
void packed_gemm_q8_0(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq, size_t x_stride, int nc,
                      float* y, size_t ldy);

// The same products in the fast numerics (packed_gemm_fast.cpp; any nc >= 1): bitwise
// ref::vec_dot_fast_q4_1 / vec_dot_fast_q8_0 of the unpacked row.
void packed_gemm_fast_q4_1(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq, size_t x_stride,
                           int nc, float* y, size_t ldy);
void packed_gemm_fast_q8_0(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq, size_t x_stride,
                           int nc, float* y, size_t ldy);

}  // namespace skim::kernels::avx512
