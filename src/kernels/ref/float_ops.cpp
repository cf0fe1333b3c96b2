// float_ops.cpp — scalar reference for float weights (F32/F16/BF16 rows against F32
// activations) and the f32 vector helpers. Plain sequential float sums.
#include "core/fp16.h"
#include "kernels/ref/ref_kernels.h"

namespace skim::kernels::ref {

float dot_f32(const float* a, const float* b, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy_f32(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

float vec_dot_f32(int64_t n, const void* w, const void* x) {
  return dot_f32(static_cast<const float*>(w), static_cast<const float*>(x), n);
}

float vec_dot_f16(int64_t n, const void* w, const void* x) {
  const auto* h = static_cast<const uint16_t*>(w);
  const auto* f = static_cast<const float*>(x);
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += fp16_to_fp32(h[i]) * f[i];
  return s;
}

float vec_dot_bf16(int64_t n, const void* w, const void* x) {
  const auto* h = static_cast<const uint16_t*>(w);
  const auto* f = static_cast<const float*>(x);
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += bf16_to_fp32(h[i]) * f[i];
  return s;
}

}  // namespace skim::kernels::ref
