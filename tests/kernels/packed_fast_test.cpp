// packed_fast_test.cpp — the fast numerics (kernels.h use_fast_numerics):
//  - which tables have fast kernels (AVX-512), and switching a table;
//  - matmul on a packed matrix with fast kernels is bitwise the scalar oracle
//    ref::vec_dot_fast_* per (row, activation row), for Q4_1 and Q8_0, T = 1 .. 70, one and
//    three threads, block counts across the 64-block chunk boundary;
//  - batch invariance: an output does not depend on T (the other rows sharing the product);
//  - extreme bytes keep the integer dots exact;
//  - the fast products stay close to ggml's order (relative error at float rounding level).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "kernels/packed.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/test_util.h"

namespace skim {
namespace {

using kernels::Isa;
using kernels::KernelTable;

using test::same_bits;

TEST(PackedFast, OnlyAvx512HasFastKernels) {
  for (Isa isa : test::all_isas()) {
    KernelTable t = kernels::make_kernel_table(isa);
    const bool want = isa == Isa::kAvx512;
    EXPECT_EQ(t[DType::kQ4_1].packed_gemm_fast != nullptr, want) << kernels::isa_name(isa);
    EXPECT_EQ(t[DType::kQ8_0].packed_gemm_fast != nullptr, want) << kernels::isa_name(isa);
    EXPECT_FALSE(t.fast_numerics);
    EXPECT_EQ(kernels::use_fast_numerics(t), want);
    EXPECT_EQ(t.fast_numerics, want);
    if (want) EXPECT_EQ(t[DType::kQ4_1].packed_gemm, t[DType::kQ4_1].packed_gemm_fast);
  }
}

class PackedFast : public testing::TestWithParam<DType> {
 protected:
  void SetUp() override {
    if (!test::cpu_has(Isa::kAvx512)) GTEST_SKIP() << "CPU lacks avx512";
    table_ = kernels::make_kernel_table(Isa::kAvx512);
    exact_ = table_;
    ASSERT_TRUE(kernels::use_fast_numerics(table_));
  }
  DType type() const { return GetParam(); }

  // y: [T, rows] through the packed copy with the fast kernels, on `threads` threads.
  std::vector<float> fast_product(const test::Matrix& m, const std::vector<float>& x, int64_t T, int threads) {
    packed_.assign(kernels::packed_bytes(m.view()) + 64, 0);
    TensorView pv = m.view();
    pv.packed = packed_.data();
    kernels::pack_matrix(m.view(), packed_.data());
    std::vector<uint8_t> scratch(kernels::matmul_scratch_bytes(m.type, m.cols, T));
    std::vector<float> y(static_cast<size_t>(T * m.rows), -7.0f);
    ThreadPool pool(threads);
    kernels::matmul(table_, pool, pv, x.data(), y.data(), T, scratch);
    return y;
  }

  // The oracle: ref::vec_dot_fast_* of each mapped row with each quantized activation row.
  std::vector<float> oracle(const test::Matrix& m, const std::vector<float>& x, int64_t T) {
    const DType at = vec_dot_type(m.type);
    const size_t rb = row_bytes(at, m.cols);
    std::vector<uint8_t> xq(rb * static_cast<size_t>(T));
    const auto quantize = exact_[m.type].quantize_act;
    for (int64_t t = 0; t < T; ++t) quantize(x.data() + t * m.cols, xq.data() + t * rb, m.cols);
    const auto dot = m.type == DType::kQ4_1 ? kernels::ref::vec_dot_fast_q4_1 : kernels::ref::vec_dot_fast_q8_0;
    std::vector<float> y(static_cast<size_t>(T * m.rows));
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t r = 0; r < m.rows; ++r) y[t * m.rows + r] = dot(m.cols, m.view().row(r), xq.data() + t * rb);
    }
    return y;
  }

  KernelTable table_, exact_;
  std::vector<uint8_t> packed_;
};

TEST_P(PackedFast, BitwiseEqualsScalarOracle) {
  for (int64_t nblocks : {1, 3, 18, 64, 65, 130}) {  // 64-block chunks: the boundary and past it
    for (int64_t rows : {8, 24, 200}) {
      const int64_t cols = nblocks * 32;
      const auto w = test::random_vector(static_cast<size_t>(rows * cols), 5 + static_cast<uint32_t>(rows));
      const auto m = test::make_matrix(type(), rows, cols, w);
      for (int64_t T : {1, 2, 3, 7, 8, 9, 17, 70}) {
        const auto x = test::random_vector(static_cast<size_t>(T * cols), 41 + static_cast<uint32_t>(T), 2.0f);
        const auto want = oracle(m, x, T);
        for (int threads : {1, 3}) {
          const auto got = fast_product(m, x, T, threads);
          for (size_t i = 0; i < want.size(); ++i) {
            ASSERT_TRUE(same_bits(got[i], want[i])) << "blocks=" << nblocks << " rows=" << rows << " T=" << T
                                                    << " threads=" << threads << " i=" << i << ": " << got[i]
                                                    << " vs " << want[i];
          }
        }
      }
    }
  }
}

TEST_P(PackedFast, OutputsDoNotDependOnTheBatch) {
  const int64_t rows = 64, cols = 576;
  const auto m = test::make_matrix(type(), rows, cols, test::random_vector(static_cast<size_t>(rows * cols), 3));
  const int64_t T = 11;
  const auto x = test::random_vector(static_cast<size_t>(T * cols), 8, 2.0f);
  const auto all = fast_product(m, x, T, 2);
  for (int64_t t = 0; t < T; ++t) {
    const std::vector<float> one(x.begin() + t * cols, x.begin() + (t + 1) * cols);
    const auto y = fast_product(m, one, 1, 2);
    for (int64_t r = 0; r < rows; ++r) ASSERT_TRUE(same_bits(y[r], all[t * rows + r])) << "t=" << t << " r=" << r;
  }
}

TEST_P(PackedFast, ExtremeValuesStayExact) {
  const int64_t rows = 16, cols = 64;
  const auto m = test::make_matrix(type(), rows, cols, test::extreme_weights(rows, cols));
  const auto x = test::extreme_acts(2, cols);
  const auto want = oracle(m, x, 2);
  const auto got = fast_product(m, x, 2, 1);
  for (size_t i = 0; i < want.size(); ++i) ASSERT_TRUE(same_bits(got[i], want[i])) << i;
}

TEST_P(PackedFast, CloseToGgmlOrder) {
  const int64_t rows = 96, cols = 1536, T = 4;
  const auto m = test::make_matrix(type(), rows, cols, test::random_vector(static_cast<size_t>(rows * cols), 21));
  const auto x = test::random_vector(static_cast<size_t>(T * cols), 22, 2.0f);
  const auto got = fast_product(m, x, T, 1);
  std::vector<float> want(got.size());
  std::vector<uint8_t> scratch(kernels::matmul_scratch_bytes(m.type, m.cols, T));
  ThreadPool pool(1);
  kernels::matmul(exact_, pool, m.view(), x.data(), want.data(), T, scratch);
  // Error relative to the magnitude of the terms, sum_j |w_rj x_tj| (cancellation between
  // Q4_1's scale and offset terms makes |y| itself a poor yardstick).
  double worst = 0.0;
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t r = 0; r < rows; ++r) {
      double mag = 0.0;
      for (int64_t j = 0; j < cols; ++j) mag += std::fabs(static_cast<double>(m.deq[r * cols + j]) * x[t * cols + j]);
      const size_t i = static_cast<size_t>(t * rows + r);
      worst = std::max(worst, std::fabs(static_cast<double>(got[i]) - want[i]) / mag);
    }
  }
  EXPECT_LT(worst, 1e-6) << "the two orders differ only by float rounding";
  EXPECT_GT(worst, 0.0) << "the orders are different, so some output should differ in its last bits";
}

INSTANTIATE_TEST_SUITE_P(Avx512, PackedFast, testing::Values(DType::kQ4_1, DType::kQ8_0),
                         [](const testing::TestParamInfo<DType>& i) { return std::string(dtype_name(i.param)); });

}  // namespace
}  // namespace skim
