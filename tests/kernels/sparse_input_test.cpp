// sparse_input_test.cpp — matvec_sparse_input (input-channel skipping on a transposed
// matrix) per ISA and target: rows of F32, F16, Q8_0, Q4_1 (requantized) and the exact Q4_1
// panel layout:
//  - the raw kernel of each ISA (sparse_axpy / sparse_panels) equals the scalar reference on
//    odd sizes, output slices and lists of 0..53 entries in any order (all 4-row group and
//    run remainders), to float summation order;
//  - with every channel active, the result equals the dense kernel (matmul of the same ISA)
//    on the *same* values, the transposed values as an F32 [out, in] matrix, to float
//    summation order; and the dense Q4_1 matmul of the original weights within activation
//    quantization + requantization error (activation quantization only for panels);
//  - with random masks at 0/10/50/90/100% sparsity it equals the scalar table and the dense
//    product of the masked input, and never reads inactive entries of x;
//  - 1, 2 and 3 threads give bit-identical results (each output's sum order is fixed).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <tuple>

#include "kernels/sparse.h"
#include "kernels/test_util.h"

namespace skim {
namespace {

using kernels::Isa;
using kernels::TransposedLayout;

struct Target {
  DType type;
  TransposedLayout layout;
};
const Target kTargets[] = {{DType::kF32, TransposedLayout::kRows},
                           {DType::kF16, TransposedLayout::kRows},
                           {DType::kQ8_0, TransposedLayout::kRows},
                           {DType::kQ4_1, TransposedLayout::kRows},
                           {DType::kQ4_1, TransposedLayout::kPanels}};

using test::random_subset;

std::vector<int32_t> iota(int64_t n) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// Values of a transposed matrix: [in, out] f32.
std::vector<float> dequantized(const kernels::TransposedView& wt) {
  std::vector<float> d(static_cast<size_t>(wt.in * wt.out));
  for (int64_t i = 0; i < wt.in; ++i) kernels::dequantize_transposed_row(wt, i, d.data() + i * wt.out);
  return d;
}

// Per output j: sum over active i of |x_i| * 3 * max |v| over the quant block holding
// element (i, j), where v: [in, out] and the block runs along `out` (block_out elements) or
// along `in` (block_in elements): the scale of float rounding differences. The block
// maximum, not |v[i][j]|, because Q4_1 kernels add x·d·q and x·m separately and d·q + m
// can cancel.
std::vector<double> abs_scale(const std::vector<float>& v, int64_t in, int64_t out, const float* x,
                              const std::vector<int32_t>& active, int64_t block_out, int64_t block_in) {
  std::vector<double> s(static_cast<size_t>(out), 0.0);
  for (int32_t i : active) {
    const int64_t i0 = i / block_in * block_in;
    for (int64_t j0 = 0; j0 < out; j0 += block_out) {
      const int64_t j1 = std::min(out, j0 + block_out);
      for (int64_t j = j0; j < j1; ++j) {
        double m = 0.0;
        for (int64_t ii = i0; ii < std::min(in, i0 + block_in); ++ii) {
          for (int64_t jj = block_out > 1 ? j0 : j; jj < (block_out > 1 ? j1 : j + 1); ++jj) {
            m = std::max(m, std::fabs(static_cast<double>(v[ii * out + jj])));
          }
        }
        s[static_cast<size_t>(j)] += 3.0 * std::fabs(x[i]) * m;
      }
    }
  }
  return s;
}

constexpr double kRel = 1e-5;  // float summation-order tolerance, relative to the scale

class SparseInput : public testing::TestWithParam<std::tuple<Isa, int>> {
 protected:
  void SetUp() override {
    if (!test::cpu_has(isa())) GTEST_SKIP() << "CPU lacks " << kernels::isa_name(isa());
    table_ = kernels::make_kernel_table(isa());
    ref_ = kernels::make_kernel_table(Isa::kScalar);
  }
  Isa isa() const { return std::get<0>(GetParam()); }
  const Target& target() const { return kTargets[std::get<1>(GetParam())]; }
  DType type() const { return target().type; }
  bool panels() const { return target().layout == TransposedLayout::kPanels; }
  bool is_float() const { return dtype_block_size(type()) == 1; }
  int64_t block_out() const { return panels() ? 1 : dtype_block_size(type()); }
  int64_t block_in() const { return panels() ? 32 : 1; }

  // Wᵀ of a random [out, in] matrix (Q4_1, the model's weight type, when in allows it).
  struct Case {
    test::Matrix w;
    kernels::TransposedMatrix wt;
    std::vector<float> v;  // the transposed values: [in, out]
  };
  Case make_case(int64_t out, int64_t in, uint32_t seed) const {
    const DType src = in % 32 == 0 ? DType::kQ4_1 : DType::kF32;
    Case c{test::make_matrix(src, out, in, test::random_vector(out * in, seed, 0.05f)), {}, {}};
    auto r = panels() ? kernels::transpose_exact(c.w.view()) : kernels::transpose_repack(c.w.view(), type());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    c.wt = std::move(r).value();
    c.v = dequantized(c.wt.view());
    return c;
  }
  std::vector<double> scale(const Case& c, const float* x, const std::vector<int32_t>& active) const {
    return abs_scale(c.v, c.wt.in(), c.wt.out(), x, active, block_out(), block_in());
  }
  std::vector<std::pair<int64_t, int64_t>> shapes() const {  // {out, in}
    std::vector<std::pair<int64_t, int64_t>> s = {{576, 1536}, {576, 576}, {192, 576}, {1536, 576}, {160, 96}, {32, 64}};
    if (is_float()) s.push_back({37, 21});
    return s;
  }

  kernels::KernelTable table_, ref_;
};

TEST_P(SparseInput, KernelMatchesReference) {
  const int64_t in = panels() ? 96 : 53;
  std::vector<int64_t> sizes = {32, 64, 96, 160, 224, 576};
  if (is_float()) sizes = {1, 7, 8, 9, 15, 16, 17, 31, 33, 45, 63, 65, 100, 577};
  for (int64_t n : sizes) {
    // A matrix with `n` outputs; for panels the slice [32, n) of a matrix with n + 32.
    const int64_t out = panels() ? n + 32 : n, c0 = panels() ? 32 : 0;
    const Case c = make_case(out, in, 3 + static_cast<uint32_t>(n));
    const kernels::TransposedView v = c.wt.view();
    const auto x = test::random_vector(static_cast<size_t>(in), 44);
    for (int count : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 33, 50, 53}) {
      std::vector<int32_t> idx = random_subset(in, 1.0 - count / static_cast<double>(in), 7 + count);
      ASSERT_EQ(static_cast<int>(idx.size()), count);
      if (count % 2 == 1) std::shuffle(idx.begin(), idx.end(), std::mt19937(count));  // any order is allowed
      std::vector<float> got(static_cast<size_t>(n), 99.0f), want(static_cast<size_t>(n), 99.0f);
      if (panels()) {
        table_[type()].sparse_panels(v.data, out, c0, n, x.data(), idx.data(), count, got.data());
        ref_[type()].sparse_panels(v.data, out, c0, n, x.data(), idx.data(), count, want.data());
      } else {
        table_[type()].sparse_axpy(v.data, v.row_stride, n, x.data(), idx.data(), count, got.data());
        ref_[type()].sparse_axpy(v.data, v.row_stride, n, x.data(), idx.data(), count, want.data());
      }
      const auto sc = scale(c, x.data(), idx);
      for (int64_t j = 0; j < n; ++j) {
        ASSERT_NEAR(got[j], want[j], kRel * sc[c0 + j] + 1e-30) << "n=" << n << " count=" << count << " j=" << j;
      }
    }
  }
}

TEST_P(SparseInput, AllActiveEqualsDense) {
  ThreadPool pool(2);
  for (auto [out, in] : shapes()) {
    const Case c = make_case(out, in, static_cast<uint32_t>(out + in));
    const auto x = test::random_vector(static_cast<size_t>(in), 5, 1.0f, false);
    std::vector<float> y(static_cast<size_t>(out)), dense(static_cast<size_t>(out));
    kernels::matvec_sparse_input(table_, pool, c.wt, x.data(), iota(in), y.data());

    // The dense kernel on the same values: the transposed values as an F32 [out, in] matrix.
    std::vector<float> wd(static_cast<size_t>(out * in));
    for (int64_t i = 0; i < in; ++i) {
      for (int64_t j = 0; j < out; ++j) wd[j * in + i] = c.v[i * out + j];
    }
    kernels::matmul(table_, pool, TensorView::matrix(DType::kF32, out, in, wd.data()), x.data(), dense.data(), 1, {});
    const auto sc = scale(c, x.data(), iota(in));
    for (int64_t j = 0; j < out; ++j) {
      ASSERT_NEAR(y[j], dense[j], kRel * sc[j] + 1e-30) << out << "x" << in << " j=" << j;
    }

    // Against the dense matmul of the original Q4_1 weights: activation quantization (dense
    // side) plus the requantization error of the repack (none for panels).
    if (c.w.type == DType::kQ4_1) {
      std::vector<uint8_t> scratch(kernels::matmul_scratch_bytes(DType::kQ4_1, in, 1));
      std::vector<float> orig(static_cast<size_t>(out));
      kernels::matmul(table_, pool, c.w.view(), x.data(), orig.data(), 1, scratch);
      const double e = kernels::transpose_repack_error(c.w.view(), c.wt.view());
      if (panels()) EXPECT_EQ(e, 0.0);
      EXPECT_LT(test::nmse(y.data(), orig.data(), y.size()), 3.0 * e * e + 5e-4) << out << "x" << in << " e=" << e;
    }
  }
}

TEST_P(SparseInput, MaskedEqualsReferenceAndDenseOfMaskedInput) {
  ThreadPool pool(2);
  std::vector<std::pair<int64_t, int64_t>> shapes = {{576, 1536}, {192, 576}, {160, 64}};
  if (!panels()) shapes.push_back({160, 45});
  for (auto [out, in] : shapes) {
    const Case c = make_case(out, in, static_cast<uint32_t>(3 * out + in));
    const auto x = test::random_vector(static_cast<size_t>(in), 17, 1.0f, false);
    for (double s : {0.0, 0.1, 0.5, 0.9, 1.0}) {
      const auto active = random_subset(in, s, static_cast<uint32_t>(100 * s) + 1);
      std::vector<float> xm(static_cast<size_t>(in), 0.0f);
      for (int32_t i : active) xm[static_cast<size_t>(i)] = x[static_cast<size_t>(i)];
      std::vector<float> y(static_cast<size_t>(out), 7.0f), yr(static_cast<size_t>(out), 7.0f);
      std::vector<double> dense(static_cast<size_t>(out), 0.0);
      kernels::matvec_sparse_input(table_, pool, c.wt, x.data(), active, y.data());  // unmasked x
      kernels::matvec_sparse_input(ref_, pool, c.wt, x.data(), active, yr.data());
      for (int64_t i = 0; i < in; ++i) {
        for (int64_t j = 0; j < out; ++j) dense[j] += static_cast<double>(xm[i]) * c.v[i * out + j];
      }
      const auto sc = scale(c, x.data(), active);
      for (int64_t j = 0; j < out; ++j) {
        ASSERT_NEAR(y[j], yr[j], kRel * sc[j] + 1e-30) << out << "x" << in << " s=" << s << " j=" << j;
        ASSERT_NEAR(y[j], dense[j], kRel * sc[j] + 1e-30) << out << "x" << in << " s=" << s << " j=" << j;
      }
      if (active.empty()) {
        for (float v : y) ASSERT_EQ(v, 0.0f);
      }
    }
  }
}

TEST_P(SparseInput, ThreadCountDoesNotChangeResults) {
  for (auto [out, in] : std::vector<std::pair<int64_t, int64_t>>{{576, 1536}, {160, 1536}, {192, 576}}) {
    const Case c = make_case(out, in, 9);
    const auto x = test::random_vector(static_cast<size_t>(in), 10);
    for (double s : {0.0, 0.5, 0.9}) {
      const auto active = random_subset(in, s, 11);
      std::vector<float> y1;
      for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        std::vector<float> y(static_cast<size_t>(out), -3.0f);
        kernels::matvec_sparse_input(table_, pool, c.wt, x.data(), active, y.data());
        if (threads == 1) y1 = y;
        for (int64_t j = 0; j < out; ++j) ASSERT_EQ(y[j], y1[j]) << "threads=" << threads << " j=" << j;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllIsasAndTargets, SparseInput,
    testing::Combine(testing::ValuesIn(test::all_isas()), testing::Range(0, static_cast<int>(std::size(kTargets)))),
    [](const testing::TestParamInfo<std::tuple<Isa, int>>& i) {
      const Target& t = kTargets[std::get<1>(i.param)];
      return test::param_name(std::get<0>(i.param), t.type) +
             (t.layout == TransposedLayout::kPanels ? "_panels" : "_rows");
    });

}  // namespace
}  // namespace skim
