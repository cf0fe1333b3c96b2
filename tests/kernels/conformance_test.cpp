// conformance_test.cpp — every ISA's kernels against the scalar reference (ref/), per weight
// dtype, in the spirit of llama.cpp's test-backend-ops:
//  - vec_dot / vec_dot_cols of an ISA agree with ref's vec_dot on the same quantized
//    inputs to ~1e-6 of the sum of |terms| (only float summation order differs);
//  - gemm of an ISA agrees with ref's vec_dot the same way, and bitwise with the ISA's own
//    vec_dot (one activation row) / vec_dot_cols (several); tests/kernels/gemm_test.cpp
//    covers the tiled kernels' remainders, strides and matmul bitwise;
//  - matmul agrees with the f32 product of the dequantized weights and the original
//    activations within a per-dtype normalized MSE (5e-4 class for 8-bit activations);
//  - matmul of an ISA agrees with the scalar table's matmul to ~1e-10 NMSE;
//  - quantize_act of every ISA produces the reference bytes.
// ISAs the CPU lacks are skipped.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <tuple>

#include "kernels/test_util.h"

namespace skim {
namespace {

using kernels::Isa;
using kernels::KernelTable;

class Conformance : public testing::TestWithParam<std::tuple<Isa, DType>> {
 protected:
  void SetUp() override {
    if (!test::cpu_has(isa())) GTEST_SKIP() << "CPU lacks " << kernels::isa_name(isa());
    table_ = kernels::make_kernel_table(isa());
    ref_ = kernels::make_kernel_table(Isa::kScalar);
  }
  Isa isa() const { return std::get<0>(GetParam()); }
  DType type() const { return std::get<1>(GetParam()); }
  int64_t block() const { return dtype_block_size(type()) == 1 ? 32 : dtype_block_size(type()); }

  // Activation row for weight type `type()`, quantized by `t`.
  std::vector<uint8_t> prepare(const KernelTable& t, const std::vector<float>& x) const {
    const DType act = vec_dot_type(type());
    std::vector<uint8_t> xq(row_bytes(act, static_cast<int64_t>(x.size())));
    t[type()].quantize_act(x.data(), xq.data(), static_cast<int64_t>(x.size()));
    return xq;
  }

  KernelTable table_, ref_;
};

// Sum of |w_i * x_i| over dequantized operands: the scale for rounding-order tolerances.
double abs_dot(const float* w, const float* x, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(w[i]) * x[i]);
  return s;
}

TEST_P(Conformance, QuantizeActMatchesReference) {
  for (int64_t n : {block(), 3 * block(), 1536 / block() * block()}) {
    const auto x = test::random_vector(static_cast<size_t>(n), 99 + static_cast<uint32_t>(n));
    EXPECT_EQ(prepare(table_, x), prepare(ref_, x)) << "n=" << n;
  }
}

TEST_P(Conformance, VecDotMatchesReference) {
  const DType act = vec_dot_type(type());
  for (int64_t nblocks : {1, 2, 3, 4, 5, 7, 18, 48}) {
    const int64_t n = nblocks * block();
    const test::Matrix w = test::make_matrix(type(), 1, n, test::random_vector(n, 17 + nblocks));
    const auto x = test::random_vector(n, 41 + nblocks);
    const auto xq = prepare(ref_, x);
    std::vector<float> xd(n);
    kernels::ref::dequantize_row(act, xq.data(), xd.data(), n);
    const double tol = 1e-6 * abs_dot(w.deq.data(), xd.data(), n) + 1e-30;
    const float want = ref_[type()].vec_dot(n, w.bytes.data(), xq.data());
    const float got = table_[type()].vec_dot(n, w.bytes.data(), xq.data());
    EXPECT_NEAR(got, want, tol) << "n=" << n;
  }
}

TEST_P(Conformance, VecDotColsMatchesVecDot) {
  for (int64_t nblocks : {5, 6}) {  // odd block counts exercise the SIMD tails
    const int64_t n = nblocks * block();
    const test::Matrix w = test::make_matrix(type(), 1, n, test::random_vector(n, 5));
    const DType act = vec_dot_type(type());
    const size_t rb = row_bytes(act, n);
    std::vector<uint8_t> xq(rb * kernels::kMaxDotCols);
    for (int c = 0; c < kernels::kMaxDotCols; ++c) {
      const auto x = test::random_vector(n, 300 + c, 0.5f + c);
      ref_[type()].quantize_act(x.data(), xq.data() + c * rb, n);
    }
    for (int nc = 1; nc <= kernels::kMaxDotCols; ++nc) {
      float out[kernels::kMaxDotCols];
      table_[type()].vec_dot_cols(n, w.bytes.data(), xq.data(), rb, nc, out);
      for (int c = 0; c < nc; ++c) {
        std::vector<float> xd(n);
        kernels::ref::dequantize_row(act, xq.data() + c * rb, xd.data(), n);
        const float want = ref_[type()].vec_dot(n, w.bytes.data(), xq.data() + c * rb);
        EXPECT_NEAR(out[c], want, 1e-6 * abs_dot(w.deq.data(), xd.data(), n))
            << "n=" << n << " nc=" << nc << " c=" << c;
      }
    }
  }
}

TEST_P(Conformance, GemmMatchesReferenceAndVecDot) {
  constexpr int kCols = kernels::kGemmCols;
  const DType act = vec_dot_type(type());
  for (int64_t nblocks : {1, 5, 6}) {
    const int64_t n = nblocks * block();
    const size_t rb = row_bytes(act, n);
    for (int64_t nr : {1, 3, 4, 6}) {
      const test::Matrix w = test::make_matrix(type(), nr, n, test::random_vector(nr * n, 7 + nblocks));
      const size_t ws = row_bytes(type(), n);
      std::vector<uint8_t> xq(rb * kCols);
      std::vector<std::vector<float>> xd(kCols, std::vector<float>(n));
      for (int c = 0; c < kCols; ++c) {
        const auto x = test::random_vector(n, 600 + c, 0.5f + c);
        table_[type()].quantize_act(x.data(), xq.data() + c * rb, n);
        kernels::ref::dequantize_row(act, xq.data() + c * rb, xd[c].data(), n);
      }
      for (int nc = 1; nc <= kCols; ++nc) {
        std::vector<float> y(static_cast<size_t>(nr) * nc);
        table_[type()].gemm(n, w.bytes.data(), ws, nr, xq.data(), rb, nc, y.data(), nr);
        for (int64_t r = 0; r < nr; ++r) {
          const uint8_t* wr = w.bytes.data() + r * ws;
          float own[kCols];
          if (nc == 1) {
            own[0] = table_[type()].vec_dot(n, wr, xq.data());
          } else {
            table_[type()].vec_dot_cols(n, wr, xq.data(), rb, nc, own);
          }
          for (int c = 0; c < nc; ++c) {
            const float got = y[c * nr + r];
            const float want = ref_[type()].vec_dot(n, wr, xq.data() + c * rb);
            EXPECT_NEAR(got, want, 1e-6 * abs_dot(w.deq.data() + r * n, xd[c].data(), n))
                << "n=" << n << " nr=" << nr << " nc=" << nc << " r=" << r << " c=" << c;
            EXPECT_EQ(std::memcmp(&got, &own[c], sizeof(float)), 0)
                << "not bitwise the ISA's vec_dot: n=" << n << " nr=" << nr << " nc=" << nc << " r=" << r << " c=" << c;
          }
        }
      }
    }
  }
}

// Largest NMSE of matmul vs the f32 product of dequantized weights and unquantized x.
double max_nmse_vs_f32(DType t) {
  switch (t) {
    case DType::kF32: case DType::kF16: case DType::kBF16: return 1e-10;
    default: return 5e-4;
  }
}

TEST_P(Conformance, MatmulMatchesF32AndReference) {
  ThreadPool pool(2);
  const int64_t cols = block() * (block() == 32 ? 18 : 3);  // 576 or 768
  for (int64_t rows : {1, 5, 13, 67}) {
    for (int64_t T : {1, 2, 3, 7, 16}) {
      const test::Matrix w = test::make_matrix(type(), rows, cols, test::random_vector(rows * cols, 3 + rows));
      // Plain gaussian activations (test-backend-ops uses uniform ones); the weights keep
      // their outliers, which do not matter here: the f32 product uses the dequantized weights.
      const auto x = test::random_vector(T * cols, 1000 + T, 1.0f, /*outliers=*/false);
      std::vector<uint8_t> scratch(kernels::matmul_scratch_bytes(type(), cols, T));
      std::vector<float> y(T * rows), y_ref(T * rows), y_f32(T * rows);
      kernels::matmul(table_, pool, w.view(), x.data(), y.data(), T, scratch);
      kernels::matmul(ref_, pool, w.view(), x.data(), y_ref.data(), T, scratch);
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t r = 0; r < rows; ++r) {
          double s = 0.0;
          for (int64_t i = 0; i < cols; ++i) s += static_cast<double>(w.deq[r * cols + i]) * x[t * cols + i];
          y_f32[t * rows + r] = static_cast<float>(s);
        }
      }
      const size_t n = y.size();
      EXPECT_LT(test::nmse(y.data(), y_f32.data(), n), max_nmse_vs_f32(type())) << "rows=" << rows << " T=" << T;
      EXPECT_LT(test::nmse(y.data(), y_ref.data(), n), 1e-10) << "rows=" << rows << " T=" << T;
    }
  }
}

TEST_P(Conformance, MultithreadedMatmulEqualsSingleThreaded) {
  const int64_t rows = 70, cols = block() * 4;
  const test::Matrix w = test::make_matrix(type(), rows, cols, test::random_vector(rows * cols, 77));
  for (int64_t T : {1, 5}) {
    const auto x = test::random_vector(T * cols, 78);
    std::vector<uint8_t> scratch(kernels::matmul_scratch_bytes(type(), cols, T));
    std::vector<float> y1(T * rows), y3(T * rows);
    ThreadPool one(1), three(3);
    kernels::matmul(table_, one, w.view(), x.data(), y1.data(), T, scratch);
    kernels::matmul(table_, three, w.view(), x.data(), y3.data(), T, scratch);
    for (size_t i = 0; i < y1.size(); ++i) ASSERT_EQ(y1[i], y3[i]) << "T=" << T << " i=" << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllIsasAndTypes, Conformance,
    testing::Combine(testing::ValuesIn(test::all_isas()), testing::ValuesIn(test::weight_dtypes())),
    [](const testing::TestParamInfo<std::tuple<Isa, DType>>& i) {
      return test::param_name(std::get<0>(i.param), std::get<1>(i.param));
    });

}  // namespace
}  // namespace skim
