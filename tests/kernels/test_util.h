// test_util.h — helpers for the kernel tests: random data, quantized matrices built with the
// reference quantizers, error metrics, and the lists of ISAs and dtypes to sweep.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/kernels.h"
#include "kernels/ref/ref_kernels.h"
#include "tensor/dtype.h"
#include "tensor/tensor_view.h"

namespace skim::test {

inline const std::vector<kernels::Isa>& all_isas() {
  static const std::vector<kernels::Isa> v = {kernels::Isa::kScalar, kernels::Isa::kAvx2, kernels::Isa::kAvx512};
  return v;
}

// Weight types a matmul accepts.
inline const std::vector<DType>& weight_dtypes() {
  static const std::vector<DType> v = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0,
                                       DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ8_0,
                                       DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};
  return v;
}

inline bool cpu_has(kernels::Isa isa) { return kernels::isa_supported(isa, CpuFeatures::detect()); }

// n gaussian values (mean 0, sd `sd`); with `outliers`, every 97th value is 4x larger,
// like real weights (this roughly doubles the 8-bit quantization error).
inline std::vector<float> random_vector(size_t n, uint32_t seed, float sd = 1.0f, bool outliers = true) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sd);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  if (outliers) {
    for (size_t i = seed % 97; i < n; i += 97) v[i] *= 4.0f;
  }
  return v;
}

// A [rows, cols] matrix of type t quantized from f32 data, owning its bytes.
struct Matrix {
  DType type;
  int64_t rows, cols;
  std::vector<uint8_t> bytes;
  std::vector<float> deq;  // the dequantized values, [rows, cols]
  TensorView view() const { return TensorView::matrix(type, rows, cols, bytes.data()); }
};

inline Matrix make_matrix(DType t, int64_t rows, int64_t cols, const std::vector<float>& src) {
  Matrix m{t, rows, cols, std::vector<uint8_t>(row_bytes(t, cols) * static_cast<size_t>(rows)),
           std::vector<float>(static_cast<size_t>(rows * cols))};
  const size_t rb = row_bytes(t, cols);
  for (int64_t r = 0; r < rows; ++r) {
    kernels::ref::quantize_row(t, src.data() + r * cols, m.bytes.data() + r * rb, cols);
    kernels::ref::dequantize_row(t, m.bytes.data() + r * rb, m.deq.data() + r * cols, cols);
  }
  return m;
}

// Whether two floats have the same bits (bitwise-equality checks of the kernels).
inline bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0; }

// A random subset of [0, n) keeping round((1 - s) * n) indices, in increasing order.
inline std::vector<int32_t> random_subset(int64_t n, double s, uint32_t seed) {
  std::vector<int32_t> all(static_cast<size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  std::mt19937 rng(seed);
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(static_cast<size_t>(std::llround((1.0 - s) * static_cast<double>(n))));
  std::sort(all.begin(), all.end());
  return all;
}

// Extreme inputs for the packed kernels' integer dots: weights at the quantizers' limits
// (rows x cols) and activations that quantize to -127 / 127 everywhere (T x cols), so
// x + 128 spans 1..255.
inline std::vector<float> extreme_weights(int64_t rows, int64_t cols) {
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < w.size(); ++i) w[i] = (i % 3 == 0) ? -1.0f : (i % 3 == 1 ? 1.0f : -0.999f);
  return w;
}
inline std::vector<float> extreme_acts(int64_t T, int64_t cols) {
  std::vector<float> x(static_cast<size_t>(T * cols));
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 2 == 0) ? 5.0f : -5.0f;
  return x;
}

// Normalized mean squared error sum (a-b)^2 / sum b^2 (b is the reference).
inline double nmse(const float* a, const float* b, size_t n) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    num += d * d;
    den += static_cast<double>(b[i]) * b[i];
  }
  return den > 0.0 ? num / den : num;
}

inline std::string param_name(kernels::Isa isa, DType t) {
  return std::string(kernels::isa_name(isa)) + "_" + std::string(dtype_name(t));
}

}  // namespace skim::test
