// sparse_tiles_test.cpp — the Q4_1 int8 tile layout (transpose_tiles, q4_1_tiles.h), the
// quantized active list (SparseActs) and the sparse_tiles kernels, per ISA:
//  - the layout holds exactly the source weights (dequantized rows equal, zero repack
//    error) and survives serialization;
//  - each ISA's kernel equals the scalar reference on every tile width, for lists of
//    0..96 channels in any order (all group-of-4 remainders), to float rounding;
//  - with every channel active, matvec_sparse_input equals the dense Q4_1 matmul of the
//    same ISA on the original weights (same Q8_1 activation quantization; float order);
//  - with random masks at 0/10/50/90/100% it equals the dense matmul of the masked input;
//  - 1, 2 and 3 threads give bit-identical results, and matvec_sparse_multi equals one
//    matvec_sparse_input per matrix.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "kernels/q4_1_tiles.h"
#include "kernels/sparse.h"
#include "kernels/test_util.h"

namespace skim {
namespace {

using kernels::Isa;
namespace Tl = kernels::q4_1_tiles;

using test::random_subset;

struct Case {
  test::Matrix w;               // Q4_1 [out, in]
  kernels::TransposedMatrix wt;  // its tiles
  std::vector<float> v;          // dq(w): [out, in]
};

Case make_case(int64_t out, int64_t in, uint32_t seed) {
  Case c{test::make_matrix(DType::kQ4_1, out, in, test::random_vector(out * in, seed, 0.05f)), {}, {}};
  auto r = kernels::transpose_tiles(c.w.view());
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  c.wt = std::move(r).value();
  c.v = c.w.deq;
  return c;
}

// Per output: Σ over active i of |x_i| · max |w| over its block: the scale of rounding.
std::vector<double> scale(const Case& c, const float* x, const std::vector<int32_t>& active) {
  const int64_t out = c.wt.out(), in = c.wt.in();
  std::vector<double> s(static_cast<size_t>(out), 0.0);
  for (int64_t j = 0; j < out; ++j) {
    for (int32_t i : active) {
      double m = 0.0;
      for (int64_t ii = i / 32 * 32; ii < i / 32 * 32 + 32; ++ii) m = std::max(m, std::fabs(double{c.v[j * in + ii]}));
      s[static_cast<size_t>(j)] += 3.0 * std::fabs(x[i]) * m;
    }
  }
  return s;
}

// Tolerance: float rounding (relative) plus one Q8_1 step of x where float ties of
// x·127/amax could round either way between the two quantizers (never seen in practice).
constexpr double kRel = 2e-5;

class SparseTiles : public testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!test::cpu_has(GetParam())) GTEST_SKIP() << "CPU lacks " << kernels::isa_name(GetParam());
    table_ = kernels::make_kernel_table(GetParam());
    ref_ = kernels::make_kernel_table(Isa::kScalar);
  }
  // y = dense matmul of the original weights with x masked to `active` (same ISA).
  std::vector<float> dense_masked(ThreadPool& pool, const Case& c, const std::vector<float>& x,
                                  const std::vector<int32_t>& active) const {
    std::vector<float> xm(x.size(), 0.0f), y(static_cast<size_t>(c.wt.out()));
    for (int32_t i : active) xm[static_cast<size_t>(i)] = x[static_cast<size_t>(i)];
    std::vector<uint8_t> scratch(kernels::matmul_scratch_bytes(DType::kQ4_1, c.wt.in(), 1));
    kernels::matmul(table_, pool, c.w.view(), xm.data(), y.data(), 1, scratch);
    return y;
  }
  kernels::KernelTable table_, ref_;
};

TEST(SparseTilesLayout, HoldsTheSourceWeightsExactly) {
  for (auto [out, in] : std::vector<std::pair<int64_t, int64_t>>{{576, 1536}, {192, 576}, {64, 32}, {320, 64}, {128, 96}}) {
    const Case c = make_case(out, in, static_cast<uint32_t>(out + in));
    EXPECT_EQ(kernels::transpose_repack_error(c.w.view(), c.wt.view()), 0.0) << out << "x" << in;
    EXPECT_EQ(c.wt.bytes().size(), kernels::TransposedMatrix::kHeaderBytes + c.w.bytes.size());
    auto back = kernels::TransposedMatrix::from_bytes(c.wt.bytes());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back.value().layout(), kernels::TransposedLayout::kTiles);
    EXPECT_TRUE(std::equal(back.value().bytes().begin(), back.value().bytes().end(), c.wt.bytes().begin()));
  }
  test::Matrix bad = test::make_matrix(DType::kQ4_1, 96, 64, test::random_vector(96 * 64, 1, 0.05f));
  EXPECT_FALSE(kernels::transpose_tiles(bad.view()).ok());  // out not a multiple of 64
}

TEST_P(SparseTiles, KernelMatchesReference) {
  const int64_t in = 96;
  for (int64_t out : {64, 128, 192, 320, 384}) {
    const Case c = make_case(out, in, 3 + static_cast<uint32_t>(out));
    const kernels::TransposedView v = c.wt.view();
    const auto x = test::random_vector(static_cast<size_t>(in), 44);
    kernels::SparseActs acts(in);
    for (int count : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 31, 33, 50, 95, 96}) {
      std::vector<int32_t> idx = random_subset(in, 1.0 - count / static_cast<double>(in), 7 + count);
      if (count % 2 == 1) std::shuffle(idx.begin(), idx.end(), std::mt19937(count));  // any order
      acts.build(x.data(), in, idx);
      const auto sc = scale(c, x.data(), idx);
      for (int64_t t0 = 0; t0 < Tl::tiles(out); ++t0) {
        for (int64_t t1 = t0 + 1; t1 <= Tl::tiles(out); ++t1) {
          const int64_t j0 = Tl::tile_first(t0), n = Tl::tile_end(out, t1 - 1) - j0;
          std::vector<float> got(static_cast<size_t>(n), 99.0f), want(static_cast<size_t>(n), 99.0f);
          table_[DType::kQ4_1].sparse_tiles(v.data, out, t0, t1, acts.view(), got.data());
          ref_[DType::kQ4_1].sparse_tiles(v.data, out, t0, t1, acts.view(), want.data());
          for (int64_t o = 0; o < n; ++o) {
            ASSERT_NEAR(got[o], want[o], kRel * sc[j0 + o] + 1e-30)
                << "out=" << out << " count=" << count << " tiles " << t0 << ".." << t1 << " j=" << j0 + o;
          }
        }
      }
    }
  }
}

TEST_P(SparseTiles, AllActiveEqualsDenseAndMaskedEqualsDenseOfMaskedInput) {
  ThreadPool pool(2);
  for (auto [out, in] : std::vector<std::pair<int64_t, int64_t>>{{576, 1536}, {576, 576}, {192, 576}, {1536, 576}, {64, 32}}) {
    const Case c = make_case(out, in, static_cast<uint32_t>(out * 3 + in));
    const auto x = test::random_vector(static_cast<size_t>(in), 5, 1.0f, false);
    for (double s : {0.0, 0.1, 0.5, 0.9, 1.0}) {
      const auto active = random_subset(in, s, static_cast<uint32_t>(100 * s) + 1);
      std::vector<float> y(static_cast<size_t>(out), 7.0f);
      kernels::matvec_sparse_input(table_, pool, c.wt, x.data(), active, y.data());
      const auto want = dense_masked(pool, c, x, active);
      const auto sc = scale(c, x.data(), active);
      for (int64_t j = 0; j < out; ++j) {
        ASSERT_NEAR(y[j], want[j], kRel * sc[j] + 1e-30) << out << "x" << in << " s=" << s << " j=" << j;
      }
    }
  }
}

TEST_P(SparseTiles, ThreadsAndMultiGiveIdenticalResults) {
  const int64_t in = 576;
  const Case q = make_case(576, in, 1), k = make_case(192, in, 2), v = make_case(192, in, 3);
  const auto x = test::random_vector(static_cast<size_t>(in), 10);
  kernels::SparseActs acts(in);
  for (double s : {0.0, 0.5, 0.9}) {
    const auto active = random_subset(in, s, 11);
    std::vector<float> y1[3];
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      std::vector<float> y[3] = {std::vector<float>(576, -3.0f), std::vector<float>(192, -3.0f),
                                 std::vector<float>(192, -3.0f)};
      acts.build(x.data(), in, active);
      const kernels::TransposedView views[3] = {q.wt.view(), k.wt.view(), v.wt.view()};
      float* const ys[3] = {y[0].data(), y[1].data(), y[2].data()};
      kernels::matvec_sparse_multi(table_, pool, views, acts, ys);
      for (int m = 0; m < 3; ++m) {
        std::vector<float> single(y[m].size(), 5.0f);
        const Case& c = m == 0 ? q : m == 1 ? k : v;
        kernels::matvec_sparse_input(table_, pool, c.wt, x.data(), active, single.data());
        if (threads == 1) y1[m] = y[m];
        for (size_t j = 0; j < y[m].size(); ++j) {
          ASSERT_EQ(y[m][j], y1[m][j]) << "threads=" << threads << " m=" << m << " j=" << j;
          ASSERT_EQ(y[m][j], single[j]) << "threads=" << threads << " m=" << m << " j=" << j;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, SparseTiles, testing::ValuesIn(test::all_isas()),
                         [](const testing::TestParamInfo<Isa>& i) { return std::string(kernels::isa_name(i.param)); });

}  // namespace
}  // namespace skim
