// sparse_select_test.cpp — select_active / count_active of every ISA against the scalar
// reference: exact index lists and counts for sizes around the SIMD widths (tails), at
// thresholds giving 0..100% sparsity, a negative threshold (all kept), values equal to the
// threshold (strictly greater is kept), signed zeros and NaN (never kept).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/sparse.h"
#include "kernels/test_util.h"

namespace skim {
namespace {

using kernels::Isa;

class SparseSelect : public testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!test::cpu_has(GetParam())) GTEST_SKIP() << "CPU lacks " << kernels::isa_name(GetParam());
    table_ = kernels::make_kernel_table(GetParam());
    ref_ = kernels::make_kernel_table(Isa::kScalar);
  }
  // Checks select/count of table_ against ref_ on x for threshold t.
  void check(const std::vector<float>& x, float t) const {
    const auto n = static_cast<int64_t>(x.size());
    std::vector<int32_t> got(x.size() + 1, -7), want(x.size() + 1, -7);
    const int32_t cg = table_.select_active(x.data(), n, t, got.data());
    const int32_t cw = ref_.select_active(x.data(), n, t, want.data());
    ASSERT_EQ(cg, cw) << "n=" << n << " t=" << t;
    for (int32_t i = 0; i < cw; ++i) ASSERT_EQ(got[i], want[i]) << "n=" << n << " t=" << t << " i=" << i;
    EXPECT_EQ(got[x.size()], -7) << "wrote past idx[n)";
    EXPECT_EQ(table_.count_active(x.data(), n, t), cw);
    EXPECT_EQ(ref_.count_active(x.data(), n, t), cw);
  }
  kernels::KernelTable table_, ref_;
};

// The threshold that drops a fraction `s` of |x| (the s-quantile of |x|).
float threshold_for(const std::vector<float>& x, double s) {
  if (x.empty()) return 0.0f;
  std::vector<float> a(x.size());
  std::transform(x.begin(), x.end(), a.begin(), [](float v) { return std::fabs(v); });
  std::sort(a.begin(), a.end());
  if (s >= 1.0) return a.back();
  if (s <= 0.0) return -1.0f;
  return a[static_cast<size_t>(s * static_cast<double>(a.size() - 1))];
}

TEST_P(SparseSelect, MatchesReferenceAtSparsities) {
  for (int64_t n : {0, 1, 5, 7, 8, 9, 15, 16, 17, 31, 33, 192, 576, 1536, 1537}) {
    const auto x = test::random_vector(static_cast<size_t>(n), 11 + static_cast<uint32_t>(n));
    for (double s : {0.0, 0.1, 0.25, 0.5, 0.7, 0.9, 1.0}) check(x, threshold_for(x, s));
    check(x, 0.0f);
    check(x, -std::numeric_limits<float>::infinity());
    check(x, std::numeric_limits<float>::infinity());
  }
}

TEST_P(SparseSelect, NegativeThresholdKeepsEverything) {
  std::vector<float> x(37, 0.0f);
  x[3] = -0.0f;
  std::vector<int32_t> idx(x.size());
  ASSERT_EQ(table_.select_active(x.data(), 37, -1.0f, idx.data()), 37);
  for (int32_t i = 0; i < 37; ++i) EXPECT_EQ(idx[i], i);
}

TEST_P(SparseSelect, EdgeValues) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x = {0.5f, -0.5f, 0.5000001f, -0.5000001f, 0.0f, -0.0f, nan, -nan,
                          std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                          1e-30f, -2.0f, 0.49999997f, 3.0f, -0.5f, 0.5f, 0.75f, nan, -1.0f};
  check(x, 0.5f);
  check(x, 0.0f);
  std::vector<int32_t> idx(x.size());
  const int32_t c = table_.select_active(x.data(), static_cast<int64_t>(x.size()), 0.5f, idx.data());
  const std::vector<int32_t> want = {2, 3, 8, 9, 11, 13, 16, 18};
  ASSERT_EQ(c, static_cast<int32_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(idx[i], want[i]);
}

INSTANTIATE_TEST_SUITE_P(AllIsas, SparseSelect, testing::ValuesIn(test::all_isas()),
                         [](const testing::TestParamInfo<Isa>& i) { return std::string(kernels::isa_name(i.param)); });

}  // namespace
}  // namespace skim
