// gemm_test.cpp — the register-tiled GEMM kernels (KernelTable gemm entries) and the SIMD
// activation quantizers, per ISA:
//  - gemm output (r, c) is bitwise the same table's vec_dot of weight row r and activation
//    row c, for Q4_1 and Q8_0 (the tiled kernels), for every tile remainder (nr, nc), with
//    padded row strides, ldy > nr, and rows longer than the tile's scale buffer;
//  - matmul (single- and multi-threaded, T = 1 .. 70) is bitwise vec_dot per output, so the
//    dense path keeps reproducing llama.cpp's logits;
//  - quantize_act of every ISA writes the reference bytes on edge cases (zero blocks, exact
//    .5 ties, huge and tiny magnitudes, fp16-subnormal scales).
// ISAs the CPU lacks are skipped.
#include <gtest/gtest.h>

#include <cstring>
#include <tuple>

#include "kernels/test_util.h"

namespace skim {
namespace {

using kernels::Isa;
using kernels::KernelTable;

using test::same_bits;

class Gemm : public testing::TestWithParam<std::tuple<Isa, DType>> {
 protected:
  void SetUp() override {
    if (!test::cpu_has(isa())) GTEST_SKIP() << "CPU lacks " << kernels::isa_name(isa());
    table_ = kernels::make_kernel_table(isa());
  }
  Isa isa() const { return std::get<0>(GetParam()); }
  DType type() const { return std::get<1>(GetParam()); }

  // nr weight rows with row stride rb + pad, nc activation rows with stride xb + pad.
  void check_tile(int64_t nblocks, int64_t nr, int nc, size_t pad) {
    const int64_t n = nblocks * 32;
    const DType act = vec_dot_type(type());
    const size_t rb = row_bytes(type(), n), ws = rb + pad;
    const size_t xr = row_bytes(act, n), xs = xr + pad;
    std::vector<uint8_t> w(ws * static_cast<size_t>(nr)), xq(xs * static_cast<size_t>(nc));
    for (int64_t r = 0; r < nr; ++r) {
      const auto v = test::random_vector(static_cast<size_t>(n), 11 + static_cast<uint32_t>(r + 31 * nblocks));
      kernels::ref::quantize_row(type(), v.data(), w.data() + r * ws, n);
    }
    for (int c = 0; c < nc; ++c) {
      const auto v = test::random_vector(static_cast<size_t>(n), 500 + c, 0.5f + c);
      table_[type()].quantize_act(v.data(), xq.data() + c * xs, n);
    }
    const size_t ldy = static_cast<size_t>(nr) + 3;
    std::vector<float> y(ldy * kernels::kGemmCols, -7.0f);
    table_[type()].gemm(n, w.data(), ws, nr, xq.data(), xs, nc, y.data(), ldy);
    for (int c = 0; c < kernels::kGemmCols; ++c) {
      for (size_t r = 0; r < ldy; ++r) {
        const float got = y[c * ldy + r];
        if (c >= nc || r >= static_cast<size_t>(nr)) {
          ASSERT_EQ(got, -7.0f) << "wrote outside the tile: r=" << r << " c=" << c;
          continue;
        }
        const float want = table_[type()].vec_dot(n, w.data() + r * ws, xq.data() + c * xs);
        ASSERT_TRUE(same_bits(got, want)) << "n=" << n << " nr=" << nr << " nc=" << nc << " r=" << r << " c=" << c
                                          << " got " << got << " want " << want;
      }
    }
  }

  KernelTable table_;
};

TEST_P(Gemm, TileIsBitwiseVecDot) {
  for (int64_t nblocks : {1, 3, 18, 48}) {
    for (int64_t nr : {1, 2, 3, 4, 5, 7, 9, 16}) {
      for (int nc = 1; nc <= kernels::kGemmCols; ++nc) check_tile(nblocks, nr, nc, nr % 2 == 0 ? 0 : 8);
    }
  }
}

TEST_P(Gemm, LongRowsAreBitwiseVecDot) {  // beyond the kernels' scale buffer (512 blocks)
  check_tile(600, 3, 4, 0);
  check_tile(512, 5, 2, 4);
}

TEST_P(Gemm, MatmulIsBitwiseVecDot) {
  const int64_t rows = 37, cols = 32 * 18;
  const test::Matrix w = test::make_matrix(type(), rows, cols, test::random_vector(rows * cols, 90));
  const DType act = vec_dot_type(type());
  const size_t xr = row_bytes(act, cols);
  ThreadPool one(1), two(2);
  for (int64_t T : {1, 2, 5, 8, 70}) {
    const auto x = test::random_vector(static_cast<size_t>(T * cols), 91 + static_cast<uint32_t>(T));
    std::vector<uint8_t> scratch(kernels::matmul_scratch_bytes(type(), cols, T));
    std::vector<float> y1(T * rows), y2(T * rows);
    kernels::matmul(table_, one, w.view(), x.data(), y1.data(), T, scratch);
    kernels::matmul(table_, two, w.view(), x.data(), y2.data(), T, scratch);
    for (int64_t t = 0; t < T; ++t) {
      std::vector<uint8_t> xq(xr);
      table_[type()].quantize_act(x.data() + t * cols, xq.data(), cols);
      for (int64_t r = 0; r < rows; ++r) {
        const float want = table_[type()].vec_dot(cols, w.bytes.data() + r * w.view().row_stride_bytes, xq.data());
        ASSERT_TRUE(same_bits(y1[t * rows + r], want)) << "T=" << T << " t=" << t << " r=" << r;
        ASSERT_TRUE(same_bits(y2[t * rows + r], want)) << "2 threads, T=" << T << " t=" << t << " r=" << r;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(TiledTypes, Gemm,
                         testing::Combine(testing::ValuesIn(test::all_isas()), testing::Values(DType::kQ4_1, DType::kQ8_0)),
                         [](const testing::TestParamInfo<std::tuple<Isa, DType>>& i) {
                           return test::param_name(std::get<0>(i.param), std::get<1>(i.param));
                         });

// ---- activation quantizers -----------------------------------------------------------------

class QuantizeAct : public testing::TestWithParam<Isa> {};

// Blocks that stress the rounding and scale paths: all zeros, exact .5 ties (amax 127 gives
// id = 1), negative ties, one huge value, values whose scale is an fp16 subnormal.
std::vector<float> edge_blocks() {
  std::vector<float> x;
  for (int j = 0; j < 32; ++j) x.push_back(0.0f);
  for (int j = 0; j < 32; ++j) x.push_back(j == 0 ? 127.0f : static_cast<float>(j) + 0.5f - 16.0f);
  for (int j = 0; j < 32; ++j) x.push_back(j == 5 ? -127.0f : -(static_cast<float>(j) * 2.5f));
  for (int j = 0; j < 32; ++j) x.push_back(j == 31 ? 3.0e4f : 1.0f / static_cast<float>(j + 1));
  for (int j = 0; j < 32; ++j) x.push_back(static_cast<float>(j - 16) * 1e-7f);
  for (int j = 0; j < 32; ++j) x.push_back(j % 2 ? -0.0f : 0.0f);
  const auto r = test::random_vector(32 * 12, 5);
  x.insert(x.end(), r.begin(), r.end());
  return x;
}

TEST_P(QuantizeAct, BitwiseReferenceOnEdgeCases) {
  if (!test::cpu_has(GetParam())) GTEST_SKIP() << "CPU lacks " << kernels::isa_name(GetParam());
  const KernelTable t = kernels::make_kernel_table(GetParam());
  const auto x = edge_blocks();
  const auto n = static_cast<int64_t>(x.size());
  for (DType w : {DType::kQ4_1, DType::kQ8_0}) {
    const DType act = vec_dot_type(w);
    std::vector<uint8_t> got(row_bytes(act, n)), want(row_bytes(act, n));
    t[w].quantize_act(x.data(), got.data(), n);
    if (act == DType::kQ8_1) {
      kernels::ref::quantize_q8_1_x86(x.data(), want.data(), n);
    } else {
      kernels::ref::quantize_q8_0_x86(x.data(), want.data(), n);
    }
    EXPECT_EQ(got, want) << dtype_name(act);
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, QuantizeAct, testing::ValuesIn(test::all_isas()),
                         [](const testing::TestParamInfo<Isa>& i) { return std::string(kernels::isa_name(i.param)); });

}  // namespace
}  // namespace skim
