// avx2_kernels.h — entry points of the AVX2+FMA+F16C kernels (cpu/avx2/*.cpp, the only
// files compiled with those flags). Declarations only: this header is safe to include from
// baseline code (dispatch.cpp), but the functions may only be called on a CPU that has the
// instructions. Signatures and semantics match ref/ref_kernels.h and kernels.h.
#pragma once

#include <cstddef>
#include <cstdint>

namespace skim::kernels::avx2 {

float vec_dot_q4_0(int64_t n, const void* w, const void* xq);
float vec_dot_q4_1(int64_t n, const void* w, const void* xq);
float vec_dot_q5_0(int64_t n, const void* w, const void* xq);
float vec_dot_q8_0(int64_t n, const void* w, const void* xq);
float vec_dot_q4_k(int64_t n, const void* w, const void* xq);
float vec_dot_q6_k(int64_t n, const void* w, const void* xq);
float vec_dot_f32(int64_t n, const void* w, const void* x);
float vec_dot_f16(int64_t n, const void* w, const void* x);
float vec_dot_bf16(int64_t n, const void* w, const void* x);

void vec_dot_cols_q4_0(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out);
void vec_dot_cols_q4_1(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out);
void vec_dot_cols_q5_0(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out);
void vec_dot_cols_q8_0(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out);
void vec_dot_cols_q4_k(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out);
void vec_dot_cols_q6_k(int64_t n, const void* w, const void* xq, size_t stride, int nc, float* out);
void vec_dot_cols_f32(int64_t n, const void* w, const void* x, size_t stride, int nc, float* out);
void vec_dot_cols_f16(int64_t n, const void* w, const void* x, size_t stride, int nc, float* out);
void vec_dot_cols_bf16(int64_t n, const void* w, const void* x, size_t stride, int nc, float* out);

float dot_f32(const float* a, const float* b, int64_t n);
void axpy_f32(float a, const float* x, float* y, int64_t n);

// Activation quantizers, bitwise ref::quantize_q8_0_x86 / quantize_q8_1_x86 (kernels/cpu/avx2/quantize_act.cpp).
void quantize_q8_0(const float* x, void* xq, int64_t n);
void quantize_q8_1(const float* x, void* xq, int64_t n);
// Register-tiled GEMM (kernels.h GemmFn), bitwise vec_dot_q4_1 / vec_dot_q8_0 per output.
void gemm_q4_1(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq, size_t x_stride, int nc,
               float* y, size_t ldy);
void gemm_q8_0(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq, size_t x_stride, int nc,
               float* y, size_t ldy);

// Row-interleaved matrices (kernels/packed.h, packed_gemm.cpp): rows [8 g0, 8 g1) times
// nc activation rows, bitwise vec_dot_q4_1 / vec_dot_q8_0 of the unpacked rows.
void packed_gemm_q4_1(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq, size_t x_stride, int nc,
                      float* y, size_t ldy);
void packed_gemm_q8_0(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq, size_t x_stride, int nc,
                      float* y, size_t ldy);

}  // namespace skim::kernels::avx2
