// packed_test.cpp — row-interleaved matrices (kernels/packed.h) and the packed kernels:
//  - which matrices are packable, and the packed size equals the source's;
//  - get_row on a packed view (embedding lookups) equals the mapped row;
//  - matmul on a packed view is bitwise matmul on the mapped layout (hence bitwise the
//    table's vec_dot, hence llama.cpp's order), for Q4_1 and Q8_0, T = 1 .. 70 activation
//    rows, one and three threads, odd block counts and rows longer than a cache line's worth;
//  - activations with extreme bytes (-127 / 127 everywhere, so x + 128 spans 1..255) and
//    weights at the Q8_0 extremes keep the integer dots exact.
// AVX2 and AVX-512 have packed kernels (each bitwise its own vec_dot); scalar has none.
#include <gtest/gtest.h>

#include <cstring>
#include <tuple>

#include "kernels/packed.h"
#include "kernels/test_util.h"

namespace skim {
namespace {

using kernels::Isa;
using kernels::KernelTable;

using test::same_bits;

TEST(Packed, PackableMatricesAndSizes) {
  const std::vector<float> v(16 * 64, 0.5f);
  const auto q41 = test::make_matrix(DType::kQ4_1, 16, 64, v);
  const auto q80 = test::make_matrix(DType::kQ8_0, 16, 64, v);
  EXPECT_TRUE(kernels::packable(q41.view()));
  EXPECT_TRUE(kernels::packable(q80.view()));
  EXPECT_EQ(kernels::packed_bytes(q41.view()), q41.bytes.size());
  EXPECT_EQ(kernels::packed_bytes(q80.view()), q80.bytes.size());
  const auto odd = test::make_matrix(DType::kQ4_1, 12, 64, std::vector<float>(12 * 64, 0.5f));
  EXPECT_FALSE(kernels::packable(odd.view())) << "rows must be a multiple of 8";
  const auto f32 = test::make_matrix(DType::kF32, 16, 64, v);
  EXPECT_FALSE(kernels::packable(f32.view()));
}

TEST(Packed, SimdIsasHavePackedKernels) {
  for (Isa isa : test::all_isas()) {
    const KernelTable t = kernels::make_kernel_table(isa);
    const bool want = isa != Isa::kScalar;
    EXPECT_EQ(t[DType::kQ4_1].packed_gemm != nullptr, want) << kernels::isa_name(isa);
    EXPECT_EQ(t[DType::kQ8_0].packed_gemm != nullptr, want) << kernels::isa_name(isa);
    EXPECT_EQ(t[DType::kQ4_K].packed_gemm, nullptr);
  }
}

class PackedMatmul : public testing::TestWithParam<std::tuple<Isa, DType>> {
 protected:
  void SetUp() override {
    if (!test::cpu_has(isa())) GTEST_SKIP() << "CPU lacks " << kernels::isa_name(isa());
    table_ = kernels::make_kernel_table(isa());
  }
  Isa isa() const { return std::get<0>(GetParam()); }
  DType type() const { return std::get<1>(GetParam()); }

  // matmul through the packed copy equals matmul on the mapped rows, bitwise.
  void check(const test::Matrix& m, const std::vector<float>& x, int64_t T) {
    ASSERT_TRUE(kernels::packable(m.view()));
    std::vector<uint8_t> packed(kernels::packed_bytes(m.view()) + 64);
    TensorView pv = m.view();
    pv.packed = packed.data();
    kernels::pack_matrix(m.view(), packed.data());
    std::vector<uint8_t> scratch(kernels::matmul_scratch_bytes(m.type, m.cols, T));
    const size_t n = static_cast<size_t>(T * m.rows);
    std::vector<float> want(n), got1(n, -7.0f), got3(n, -7.0f);
    ThreadPool one(1), three(3);
    kernels::matmul(table_, one, m.view(), x.data(), want.data(), T, scratch);
    kernels::matmul(table_, one, pv, x.data(), got1.data(), T, scratch);
    kernels::matmul(table_, three, pv, x.data(), got3.data(), T, scratch);
    std::vector<float> row_p(static_cast<size_t>(m.cols)), row_m(static_cast<size_t>(m.cols));
    for (int64_t r : {int64_t{0}, m.rows / 2, m.rows - 1}) {  // lookups read the packed copy
      kernels::get_row(m.view(), r, row_m.data());
      kernels::get_row(pv, r, row_p.data());
      ASSERT_EQ(row_p, row_m) << "row " << r;
    }
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(same_bits(got1[i], want[i])) << "T=" << T << " i=" << i << " " << got1[i] << " vs " << want[i];
      ASSERT_TRUE(same_bits(got3[i], want[i])) << "3 threads, T=" << T << " i=" << i;
    }
  }

  KernelTable table_;
};

TEST_P(PackedMatmul, BitwiseEqualsMappedLayout) {
  for (int64_t nblocks : {1, 3, 18, 48, 100}) {  // 100 > 64: get_row unpacks in chunks
    for (int64_t rows : {8, 24, 200}) {
      const int64_t cols = nblocks * 32;
      const auto m = test::make_matrix(type(), rows, cols,
                                       test::random_vector(static_cast<size_t>(rows * cols), 7 + static_cast<uint32_t>(rows)));
      for (int64_t T : {1, 2, 3, 5, 70}) {
        check(m, test::random_vector(static_cast<size_t>(T * cols), 99 + static_cast<uint32_t>(T), 2.0f), T);
      }
    }
  }
}

TEST_P(PackedMatmul, ExtremeValuesStayExact) {
  const int64_t rows = 16, cols = 64;
  const auto m = test::make_matrix(type(), rows, cols, test::extreme_weights(rows, cols));
  const auto x = test::extreme_acts(2, cols);
  check(m, x, 1);
  check(m, x, 2);
}

INSTANTIATE_TEST_SUITE_P(SimdIsas, PackedMatmul,
                         testing::Combine(testing::Values(Isa::kAvx2, Isa::kAvx512),
                                          testing::Values(DType::kQ4_1, DType::kQ8_0)),
                         [](const testing::TestParamInfo<std::tuple<Isa, DType>>& i) {
                           return test::param_name(std::get<0>(i.param), std::get<1>(i.param));
                         });

}  // namespace
}  // namespace skim
