// float_ops_test.cpp — dot_f32 / axpy_f32 of every ISA against the reference, odd lengths
// included; get_row for float and quantized views; strided views in matmul.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "kernels/test_util.h"

namespace skim {
namespace {

using kernels::Isa;

class FloatOps : public testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!test::cpu_has(GetParam())) GTEST_SKIP();
    table_ = kernels::make_kernel_table(GetParam());
  }
  kernels::KernelTable table_;
};

TEST_P(FloatOps, DotAndAxpy) {
  for (int64_t n : {0, 1, 7, 8, 31, 33, 100, 1001}) {
    const auto a = test::random_vector(static_cast<size_t>(n), 1);
    const auto b = test::random_vector(static_cast<size_t>(n), 2);
    double want = 0.0, scale = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      want += static_cast<double>(a[i]) * b[i];
      scale += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    EXPECT_NEAR(table_.dot_f32(a.data(), b.data(), n), want, 1e-6 * scale + 1e-30) << n;
    std::vector<float> y = b, y_ref = b;
    table_.axpy_f32(0.75f, a.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) y_ref[i] += 0.75f * a[i];
    for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], y_ref[i], 1e-6f * (std::fabs(y_ref[i]) + 1.0f)) << n;
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, FloatOps, testing::ValuesIn(test::all_isas()),
                         [](const testing::TestParamInfo<Isa>& i) { return std::string(kernels::isa_name(i.param)); });

TEST(GetRow, DequantizesOneRow) {
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_1, DType::kQ6_K}) {
    const int64_t rows = 5, cols = 512;
    const test::Matrix m = test::make_matrix(t, rows, cols, test::random_vector(rows * cols, 9));
    std::vector<float> out(cols);
    kernels::get_row(m.view(), 3, out.data());
    for (int64_t i = 0; i < cols; ++i) ASSERT_EQ(out[i], m.deq[3 * cols + i]) << dtype_name(t);
  }
}

TEST(Matmul, StridedRowsAndPreparedReuse) {
  // Rows padded to a larger stride; the same prepared activations reused for two matrices.
  const kernels::KernelTable k = kernels::kernels_for(CpuFeatures::detect());
  const int64_t rows = 9, cols = 96, T = 3;
  const test::Matrix a = test::make_matrix(DType::kQ4_1, rows, cols, test::random_vector(rows * cols, 1));
  const test::Matrix b = test::make_matrix(DType::kQ4_1, rows, cols, test::random_vector(rows * cols, 2));
  const size_t rb = row_bytes(DType::kQ4_1, cols), stride = rb + 24;
  std::vector<uint8_t> padded(stride * rows, 0xEE);
  for (int64_t r = 0; r < rows; ++r) std::memcpy(padded.data() + r * stride, a.bytes.data() + r * rb, rb);
  TensorView strided = TensorView::matrix(DType::kQ4_1, rows, cols, padded.data());
  strided.row_stride_bytes = stride;

  ThreadPool pool(2);
  const auto x = test::random_vector(T * cols, 3);
  std::vector<uint8_t> scratch(kernels::matmul_scratch_bytes(DType::kQ4_1, cols, T));
  const kernels::PreparedActs p = kernels::prepare_acts(k, pool, DType::kQ4_1, x.data(), T, cols, scratch);
  std::vector<float> ya(T * rows), yb(T * rows), ya2(T * rows), yb2(T * rows);
  kernels::matmul_prepared(k, pool, strided, p, ya.data());
  kernels::matmul_prepared(k, pool, b.view(), p, yb.data());
  kernels::matmul(k, pool, a.view(), x.data(), ya2.data(), T, scratch);
  kernels::matmul(k, pool, b.view(), x.data(), yb2.data(), T, scratch);
  EXPECT_EQ(ya, ya2);
  EXPECT_EQ(yb, yb2);
}

TEST(Dispatch, BestIsaIsSupportedAndNamed) {
  const CpuFeatures f = CpuFeatures::detect();
  const Isa best = kernels::best_isa(f);
  EXPECT_TRUE(kernels::isa_supported(best, f));
  const kernels::KernelTable k = kernels::kernels_for(f);
  EXPECT_EQ(k.isa, best);
  EXPECT_TRUE(k.supports_matmul(DType::kQ4_1));
  EXPECT_FALSE(k.supports_matmul(DType::kQ8_K));
  EXPECT_EQ(kernels::isa_name(Isa::kAvx512), "avx512");
  EXPECT_EQ(kernels::matmul_scratch_bytes(DType::kF16, 64, 4), 0u);
  EXPECT_EQ(kernels::matmul_scratch_bytes(DType::kQ4_1, 64, 4), 4u * 2u * 36u);
}

}  // namespace
}  // namespace skim
