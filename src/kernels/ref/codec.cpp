// codec.cpp — row quantizers/dequantizers of the scalar reference, as type-erased
// functions for the kernel table (the typed versions live in tensor/quant/).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/check.h"
#include "core/fp16.h"
#include "kernels/ref/ref_kernels.h"
#include "tensor/quant/q4_0.h"
#include "tensor/quant/q4_1.h"
#include "tensor/quant/q4_k.h"
#include "tensor/quant/q5_0.h"
#include "tensor/quant/q5_1.h"
#include "tensor/quant/q5_k.h"
#include "tensor/quant/q6_k.h"
#include "tensor/quant/q8_0.h"
#include "tensor/quant/q8_1.h"
#include "tensor/quant/q8_k.h"

namespace skim::kernels::ref {

void quantize_q8_0(const float* x, void* xq, int64_t n) {
  quantize_row_ref(x, static_cast<BlockQ8_0*>(xq), n);
}
void quantize_q8_1(const float* x, void* xq, int64_t n) {
  quantize_row_ref(x, static_cast<BlockQ8_1*>(xq), n);
}
void quantize_q8_k(const float* x, void* xq, int64_t n) {
  quantize_row_ref(x, static_cast<BlockQ8_K*>(xq), n);
}
// llama.cpp's x86 activation quantizers (ggml-cpu/arch/x86/quants.c semantics).
void quantize_q8_0_x86(const float* x, void* xq, int64_t n) {
  auto* y = static_cast<BlockQ8_0*>(xq);
  for (int64_t i = 0; i < n / 32; ++i, x += 32) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.f;
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < 32; ++j) y[i].qs[j] = static_cast<int8_t>(std::nearbyint(x[j] * id));
  }
}
void quantize_q8_1_x86(const float* x, void* xq, int64_t n) {
  auto* y = static_cast<BlockQ8_1*>(xq);
  for (int64_t i = 0; i < n / 32; ++i, x += 32) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.f;
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    y[i].d = fp32_to_fp16(d);
    int sum = 0;
    for (int j = 0; j < 32; ++j) {
      y[i].qs[j] = static_cast<int8_t>(std::nearbyint(x[j] * id));
      sum += y[i].qs[j];
    }
    y[i].s = fp32_to_fp16(d * static_cast<float>(sum));
  }
}
void copy_f32(const float* x, void* xq, int64_t n) {
  std::memcpy(xq, x, static_cast<size_t>(n) * sizeof(float));
}

void dequantize_f32(const void* w, float* y, int64_t n) {
  std::memcpy(y, w, static_cast<size_t>(n) * sizeof(float));
}
void dequantize_f16(const void* w, float* y, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(w);
  for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_fp32(h[i]);
}
void dequantize_bf16(const void* w, float* y, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(w);
  for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_fp32(h[i]);
}

namespace {
template <class Block>
void dequantize_blocks(const void* w, float* y, int64_t n) {
  dequantize_row_ref(static_cast<const Block*>(w), y, n);
}
}  // namespace

void dequantize_q4_0(const void* w, float* y, int64_t n) { dequantize_blocks<BlockQ4_0>(w, y, n); }
void dequantize_q4_1(const void* w, float* y, int64_t n) { dequantize_blocks<BlockQ4_1>(w, y, n); }
void dequantize_q5_0(const void* w, float* y, int64_t n) { dequantize_blocks<BlockQ5_0>(w, y, n); }
void dequantize_q5_1(const void* w, float* y, int64_t n) { dequantize_blocks<BlockQ5_1>(w, y, n); }
void dequantize_q8_0(const void* w, float* y, int64_t n) { dequantize_blocks<BlockQ8_0>(w, y, n); }
void dequantize_q8_1(const void* w, float* y, int64_t n) { dequantize_blocks<BlockQ8_1>(w, y, n); }
void dequantize_q4_k(const void* w, float* y, int64_t n) { dequantize_blocks<BlockQ4_K>(w, y, n); }
void dequantize_q5_k(const void* w, float* y, int64_t n) { dequantize_blocks<BlockQ5_K>(w, y, n); }
void dequantize_q6_k(const void* w, float* y, int64_t n) { dequantize_blocks<BlockQ6_K>(w, y, n); }
void dequantize_q8_k(const void* w, float* y, int64_t n) { dequantize_blocks<BlockQ8_K>(w, y, n); }

void dequantize_row(DType t, const void* w, float* y, int64_t n) {
  switch (t) {
    case DType::kF32: return dequantize_f32(w, y, n);
    case DType::kF16: return dequantize_f16(w, y, n);
    case DType::kBF16: return dequantize_bf16(w, y, n);
    case DType::kQ4_0: return dequantize_q4_0(w, y, n);
    case DType::kQ4_1: return dequantize_q4_1(w, y, n);
    case DType::kQ5_0: return dequantize_q5_0(w, y, n);
    case DType::kQ5_1: return dequantize_q5_1(w, y, n);
    case DType::kQ8_0: return dequantize_q8_0(w, y, n);
    case DType::kQ8_1: return dequantize_q8_1(w, y, n);
    case DType::kQ4_K: return dequantize_q4_k(w, y, n);
    case DType::kQ5_K: return dequantize_q5_k(w, y, n);
    case DType::kQ6_K: return dequantize_q6_k(w, y, n);
    case DType::kQ8_K: return dequantize_q8_k(w, y, n);
  }
  SKIM_CHECK(false && "unknown dtype");
}

void quantize_row(DType t, const float* x, void* row, int64_t n) {
  switch (t) {
    case DType::kF32: return copy_f32(x, row, n);
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(row)[i] = fp32_to_fp16(x[i]);
      return;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(row)[i] = fp32_to_bf16(x[i]);
      return;
    case DType::kQ4_0: return quantize_row_ref(x, static_cast<BlockQ4_0*>(row), n);
    case DType::kQ4_1: return quantize_row_ref(x, static_cast<BlockQ4_1*>(row), n);
    case DType::kQ5_0: return quantize_row_ref(x, static_cast<BlockQ5_0*>(row), n);
    case DType::kQ5_1: return quantize_row_ref(x, static_cast<BlockQ5_1*>(row), n);
    case DType::kQ8_0: return quantize_row_ref(x, static_cast<BlockQ8_0*>(row), n);
    case DType::kQ8_1: return quantize_row_ref(x, static_cast<BlockQ8_1*>(row), n);
    case DType::kQ4_K: return quantize_row_ref(x, static_cast<BlockQ4_K*>(row), n);
    case DType::kQ5_K: return quantize_row_ref(x, static_cast<BlockQ5_K*>(row), n);
    case DType::kQ6_K: return quantize_row_ref(x, static_cast<BlockQ6_K*>(row), n);
    case DType::kQ8_K: return quantize_row_ref(x, static_cast<BlockQ8_K*>(row), n);
  }
  SKIM_CHECK(false && "unknown dtype");
}

}  // namespace skim::kernels::ref
