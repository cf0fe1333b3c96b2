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

// Fast numerics (q4_1_pairs.cpp): two blocks per register, a float summation order of
// their own (not ggml's); vec_dot_cols and gemm bitwise equal vec_dot_q4_1_pairs.
float vec_dot_q4_1_pairs(int64_t n, const void* w, const void* xq);
void vec_dot_cols_q4_1_pairs(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out);
void gemm_q4_1_pairs(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq, size_t x_stride, int nc,
                     float* y, size_t ldy);

}  // namespace skim::kernels::avx512
