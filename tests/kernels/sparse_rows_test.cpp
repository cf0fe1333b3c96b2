// sparse_rows_test.cpp — matmul_rows (output-row skipping) per ISA and weight dtype:
//  - with every row listed it is bit-identical to the dense matmul (T = 1) of the same ISA
//    (same per-row kernel);
//  - with a random subset (0..100% skipped) the listed rows equal the dense result and
//    equal the scalar table's matmul_rows within the conformance tolerance, and the other
//    rows of y are left untouched;
//  - 1, 2 and 3 threads give identical results; odd row counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <tuple>

#include "kernels/sparse.h"
#include "kernels/test_util.h"

namespace skim {
namespace {

using kernels::Isa;

class SparseRows : public testing::TestWithParam<std::tuple<Isa, DType>> {
 protected:
  void SetUp() override {
    if (!test::cpu_has(isa())) GTEST_SKIP() << "CPU lacks " << kernels::isa_name(isa());
    table_ = kernels::make_kernel_table(isa());
    ref_ = kernels::make_kernel_table(Isa::kScalar);
  }
  Isa isa() const { return std::get<0>(GetParam()); }
  DType type() const { return std::get<1>(GetParam()); }
  int64_t block() const { return dtype_block_size(type()) == 1 ? 32 : dtype_block_size(type()); }
  kernels::KernelTable table_, ref_;
};

using test::random_subset;

TEST_P(SparseRows, AllRowsEqualDenseAndSubsetsEqualReference) {
  const int64_t cols = block() * (block() == 32 ? 18 : 3);
  for (int64_t rows : {1, 7, 67, 192}) {
    const test::Matrix w = test::make_matrix(type(), rows, cols, test::random_vector(rows * cols, 5 + rows));
    const auto x = test::random_vector(cols, 900 + rows, 1.0f, false);
    std::vector<uint8_t> scratch(kernels::matmul_scratch_bytes(type(), cols, 1));
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      const kernels::PreparedActs p = kernels::prepare_acts(table_, pool, type(), x.data(), 1, cols, scratch);
      std::vector<float> dense(rows), y(rows, -1.0f);
      kernels::matmul_prepared(table_, pool, w.view(), p, dense.data());
      std::vector<int32_t> all(static_cast<size_t>(rows));
      std::iota(all.begin(), all.end(), 0);
      kernels::matmul_rows(table_, pool, w.view(), p, all, y.data());
      for (int64_t r = 0; r < rows; ++r) ASSERT_EQ(y[r], dense[r]) << "rows=" << rows << " r=" << r;

      for (double s : {0.0, 0.1, 0.5, 0.9, 1.0}) {
        const auto active = random_subset(rows, s, static_cast<uint32_t>(rows * 10 + threads));
        std::vector<float> ys(rows, 12345.0f), yr(rows, 12345.0f);
        kernels::matmul_rows(table_, pool, w.view(), p, active, ys.data());
        std::vector<uint8_t> rscratch(scratch.size());
        const kernels::PreparedActs pr = kernels::prepare_acts(ref_, pool, type(), x.data(), 1, cols, rscratch);
        kernels::matmul_rows(ref_, pool, w.view(), pr, active, yr.data());
        std::vector<bool> on(static_cast<size_t>(rows), false);
        for (int32_t r : active) on[static_cast<size_t>(r)] = true;
        for (int64_t r = 0; r < rows; ++r) {
          if (!on[static_cast<size_t>(r)]) {
            ASSERT_EQ(ys[r], 12345.0f) << "row " << r << " written but not listed";
            continue;
          }
          ASSERT_EQ(ys[r], dense[r]) << "s=" << s << " r=" << r;
          // Same quantized operands, summation order only: relative to the row's scale.
          double scale = 0.0;
          for (int64_t i = 0; i < cols; ++i) scale += std::fabs(static_cast<double>(w.deq[r * cols + i]) * x[i]);
          EXPECT_NEAR(ys[r], yr[r], 1e-5 * scale + 1e-30) << "s=" << s << " r=" << r;
        }
      }
    }
  }
}

TEST_P(SparseRows, ThreadCountDoesNotChangeResults) {
  const int64_t rows = 1536, cols = block() * (block() == 32 ? 18 : 3);
  const test::Matrix w = test::make_matrix(type(), rows, cols, test::random_vector(rows * cols, 77));
  const auto x = test::random_vector(cols, 78);
  const auto active = random_subset(rows, 0.5, 3);
  std::vector<uint8_t> scratch(kernels::matmul_scratch_bytes(type(), cols, 1));
  std::vector<float> y1(rows, 0.0f);
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    const kernels::PreparedActs p = kernels::prepare_acts(table_, pool, type(), x.data(), 1, cols, scratch);
    std::vector<float> y(rows, 0.0f);
    kernels::matmul_rows(table_, pool, w.view(), p, active, y.data());
    if (threads == 1) y1 = y;
    for (int64_t r = 0; r < rows; ++r) ASSERT_EQ(y[r], y1[r]) << "threads=" << threads << " r=" << r;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllIsasAndTypes, SparseRows,
    testing::Combine(testing::ValuesIn(test::all_isas()), testing::ValuesIn(test::weight_dtypes())),
    [](const testing::TestParamInfo<std::tuple<Isa, DType>>& i) {
      return test::param_name(std::get<0>(i.param), std::get<1>(i.param));
    });

}  // namespace
}  // namespace skim
