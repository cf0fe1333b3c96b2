// ref_kernels.h — the scalar oracle: ggml's scalar dot-product formulas, one function per
// weight type, plus row codecs for every DType. Every SIMD kernel is tested against these.
// All pointers are rows: w_row holds n elements of the weight type, xq one row of its
// vec_dot_type (see tensor/dtype.h); n is a multiple of the block size.
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace skim::kernels::ref {

// Activation quantizers (x: [n] f32 -> one row of the activation type).
void quantize_q8_0(const float* x, void* xq, int64_t n);
void quantize_q8_0_x86(const float* x, void* xq, int64_t n);
void quantize_q8_1_x86(const float* x, void* xq, int64_t n);
void quantize_q8_1(const float* x, void* xq, int64_t n);
void quantize_q8_k(const float* x, void* xq, int64_t n);
void copy_f32(const float* x, void* xq, int64_t n);

// Row dequantizers (w_row -> y: [n] f32).
void dequantize_f32(const void* w, float* y, int64_t n);
void dequantize_f16(const void* w, float* y, int64_t n);
void dequantize_bf16(const void* w, float* y, int64_t n);
void dequantize_q4_0(const void* w, float* y, int64_t n);
void dequantize_q4_1(const void* w, float* y, int64_t n);
void dequantize_q5_0(const void* w, float* y, int64_t n);
void dequantize_q5_1(const void* w, float* y, int64_t n);
void dequantize_q8_0(const void* w, float* y, int64_t n);
void dequantize_q8_1(const void* w, float* y, int64_t n);
void dequantize_q4_k(const void* w, float* y, int64_t n);
void dequantize_q5_k(const void* w, float* y, int64_t n);
void dequantize_q6_k(const void* w, float* y, int64_t n);
void dequantize_q8_k(const void* w, float* y, int64_t n);
// Dispatch on the type (all DTypes).
void dequantize_row(DType t, const void* w, float* y, int64_t n);
// x: [n] f32 -> one row of type t, with the reference quantizer of tensor/quant/ (all
// DTypes; F16/BF16 round to nearest even). For building test data and repacked weights.
void quantize_row(DType t, const float* x, void* row, int64_t n);

// Dot products: weight row . activation row (F32 activations for float weights).
float vec_dot_f32(int64_t n, const void* w, const void* x);
float vec_dot_f16(int64_t n, const void* w, const void* x);
float vec_dot_bf16(int64_t n, const void* w, const void* x);
float vec_dot_q4_0(int64_t n, const void* w, const void* xq);  // x Q8_0
float vec_dot_q4_1(int64_t n, const void* w, const void* xq);  // x Q8_1
float vec_dot_q5_0(int64_t n, const void* w, const void* xq);  // x Q8_0
float vec_dot_q5_1(int64_t n, const void* w, const void* xq);  // x Q8_1
float vec_dot_q8_0(int64_t n, const void* w, const void* xq);  // x Q8_0
float vec_dot_q4_k(int64_t n, const void* w, const void* xq);  // x Q8_K
float vec_dot_q5_k(int64_t n, const void* w, const void* xq);  // x Q8_K
float vec_dot_q6_k(int64_t n, const void* w, const void* xq);  // x Q8_K

// The fast numerics (KernelTable::fast_numerics, vec_dot_fast.cpp): one float accumulator,
// per block b in order acc = fma(float(exact integer dot), d_w * d_x, acc), then for Q4_1
// acc = fma(m_w, s_x, acc). Not ggml's order (which keeps 8 lanes); as accurate.
float vec_dot_fast_q4_1(int64_t n, const void* w, const void* xq);  // x Q8_1
float vec_dot_fast_q8_0(int64_t n, const void* w, const void* xq);  // x Q8_0

float dot_f32(const float* a, const float* b, int64_t n);
void axpy_f32(float a, const float* x, float* y, int64_t n);

}  // namespace skim::kernels::ref
