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

}  // namespace skim::kernels::avx2
