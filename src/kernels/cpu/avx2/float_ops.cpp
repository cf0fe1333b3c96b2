// float_ops.cpp — AVX2/FMA kernels for float weights (F32/F16/BF16 rows against F32
// activations) and the f32 helpers dot_f32 / axpy_f32. Four 8-wide accumulators, scalar
// tails; results match ref/ up to float summation order.
#include <immintrin.h>

#include "kernels/cpu/avx2/avx2_kernels.h"
#include "kernels/cpu/avx2/simd_util.h"
#include "kernels/vec_dot_cols.h"

namespace skim::kernels::avx2 {
namespace {

inline __m256 load_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
inline __m256 load_bf16(const uint16_t* p) {
  const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}
inline float bf16_scalar(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// sum load(w + i) * x[i] with a lane loader for the weight type.
template <class Load, class Scalar, class W>
float dot_with(const W* w, const float* x, int64_t n, Load load, Scalar scalar) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_fmadd_ps(load(w + i), _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(load(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    a2 = _mm256_fmadd_ps(load(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);
    a3 = _mm256_fmadd_ps(load(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);
  }
  for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(load(w + i), _mm256_loadu_ps(x + i), a0);
  float s = hsum_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  for (; i < n; ++i) s += scalar(w[i]) * x[i];
  return s;
}

}  // namespace

float dot_f32(const float* a, const float* b, int64_t n) {
  return dot_with(a, b, n, [](const float* p) { return _mm256_loadu_ps(p); }, [](float v) { return v; });
}

void axpy_f32(float a, const float* x, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    _mm256_storeu_ps(y + i + 8, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8)));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

float vec_dot_f32(int64_t n, const void* w, const void* x) {
  return dot_f32(static_cast<const float*>(w), static_cast<const float*>(x), n);
}

float vec_dot_f16(int64_t n, const void* w, const void* x) {
  return dot_with(static_cast<const uint16_t*>(w), static_cast<const float*>(x), n, load_f16,
                  [](uint16_t h) { return fp16(h); });
}

float vec_dot_bf16(int64_t n, const void* w, const void* x) {
  return dot_with(static_cast<const uint16_t*>(w), static_cast<const float*>(x), n, load_bf16, bf16_scalar);
}

void vec_dot_cols_f32(int64_t n, const void* w, const void* x, size_t stride, int nc, float* out) {
  vec_dot_cols_generic<vec_dot_f32>(n, w, x, stride, nc, out);
}
void vec_dot_cols_f16(int64_t n, const void* w, const void* x, size_t stride, int nc, float* out) {
  vec_dot_cols_generic<vec_dot_f16>(n, w, x, stride, nc, out);
}
void vec_dot_cols_bf16(int64_t n, const void* w, const void* x, size_t stride, int nc, float* out) {
  vec_dot_cols_generic<vec_dot_bf16>(n, w, x, stride, nc, out);
}

}  // namespace skim::kernels::avx2
