// greedy_test.cpp — TEAL's greedy allocator on small constructed problems: it reaches the
// parameter-weighted target, prefers cheap sites, breaks ties by index, is optimal for
// convex curves with equal weights (checked by exhaustive search), stops when every site
// is full; the row sampler is seeded; and the error tables of an identity "layer" equal
// the masked share of the input energy; the block-wise greedy (greedy_blocks.h) reaches
// each block's target and its MLP block error is never above uniform's on a small fixed
// layer with heavy-tailed channels (and below it somewhere).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "sparsity/greedy.h"
#include "sparsity/greedy_blocks.h"

namespace skim {
namespace {

GreedySite site(double w, std::vector<double> e) { return GreedySite{w, std::move(e)}; }

TEST(Greedy, ZeroTargetTakesNoStep) {
  std::vector<GreedySite> s = {site(1, {0, 1, 2}), site(1, {0, 1, 2})};
  auto a = greedy_allocate(s, 0.5, 0.0);
  EXPECT_EQ(a.steps, 0);
  EXPECT_EQ(a.level, (std::vector<int32_t>{0, 0}));
  EXPECT_DOUBLE_EQ(a.sparsity, 0.0);
}

TEST(Greedy, PrefersTheCheapSiteAndReachesTheTarget) {
  // Site 0 is expensive, site 1 cheap: 40% of the (equal-weight) parameters come from site 1.
  std::vector<GreedySite> s = {site(1, {0, 1, 2, 3, 4, 5}), site(1, {0, .01, .02, .03, .04, .05})};
  auto a = greedy_allocate(s, 0.2, 0.4);
  EXPECT_EQ(a.level, (std::vector<int32_t>{0, 4}));
  EXPECT_NEAR(a.sparsity, 0.4, 1e-12);
  EXPECT_EQ(a.steps, 4);
}

TEST(Greedy, WeighsErrorPerParameter) {
  // Same error per step, but site 1 has 3x the parameters: each of its steps buys 3x the
  // sparsity for the same error, so it goes first.
  std::vector<GreedySite> s = {site(1, {0, 1, 2, 3}), site(3, {0, 1, 2, 3})};
  auto a = greedy_allocate(s, 0.25, 0.25);
  EXPECT_EQ(a.level[0], 0);
  EXPECT_GE(a.level[1], 1);
  EXPECT_GE(a.sparsity, 0.25 - 1e-12);
}

TEST(Greedy, TiesGoToTheLowestIndex) {
  std::vector<GreedySite> s = {site(1, {0, 1, 2}), site(1, {0, 1, 2}), site(1, {0, 1, 2})};
  auto a = greedy_allocate(s, 0.5, 0.5 / 3);
  EXPECT_EQ(a.level, (std::vector<int32_t>{1, 0, 0}));
}

TEST(Greedy, StopsWhenEverySiteIsFull) {
  std::vector<GreedySite> s = {site(1, {0, 1}), site(2, {0, 1, 3})};
  auto a = greedy_allocate(s, 0.3, 0.99);
  EXPECT_EQ(a.level, (std::vector<int32_t>{1, 2}));
  EXPECT_NEAR(a.sparsity, (1 * 0.3 + 2 * 0.6) / 3, 1e-12);
}

TEST(Greedy, OptimalForConvexCurvesWithEqualWeights) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 50; ++trial) {
    const int n_sites = 3, n_levels = 6;  // levels 0..5
    std::vector<GreedySite> s;
    for (int i = 0; i < n_sites; ++i) {
      // Increasing increments -> convex error curve.
      std::vector<double> inc(n_levels - 1);
      for (auto& x : inc) x = u(rng);
      std::sort(inc.begin(), inc.end());
      std::vector<double> e = {0.0};
      for (double x : inc) e.push_back(e.back() + x);
      s.push_back(site(1.0, e));
    }
    const double step = 0.1;
    const int want_steps = 1 + static_cast<int>(u(rng) * (n_sites * (n_levels - 1) - 1));
    const double target = want_steps * step / n_sites;
    auto a = greedy_allocate(s, step, target);
    ASSERT_EQ(a.steps, want_steps);
    double greedy_err = 0.0;
    for (int i = 0; i < n_sites; ++i) greedy_err += s[static_cast<size_t>(i)].error[static_cast<size_t>(a.level[static_cast<size_t>(i)])];
    // Exhaustive: the least total error over allocations with exactly want_steps steps.
    double best = INFINITY;
    for (int a0 = 0; a0 < n_levels; ++a0)
      for (int a1 = 0; a1 < n_levels; ++a1)
        for (int a2 = 0; a2 < n_levels; ++a2)
          if (a0 + a1 + a2 == want_steps)
            best = std::min(best, s[0].error[static_cast<size_t>(a0)] + s[1].error[static_cast<size_t>(a1)] +
                                      s[2].error[static_cast<size_t>(a2)]);
    EXPECT_NEAR(greedy_err, best, 1e-12) << "trial " << trial;
  }
}

// Feeds [T, n] rows whose value encodes (call, row) so samples can be told apart.
void feed(ActivationObserver& o, int call, int32_t T, int32_t n) {
  std::vector<float> x(static_cast<size_t>(T * n));
  for (int32_t t = 0; t < T; ++t)
    for (int32_t i = 0; i < n; ++i) x[static_cast<size_t>(t * n + i)] = static_cast<float>(call * 1000 + t) + 0.001f * i;
  o.observe(0, ActivationSite::kAttnIn, x.data(), T, n);
}

TEST(GreedyRowSampler, SeededAndSkipsTheFirstRows) {
  GreedyRowSampler a(1, 8, 7, nullptr, 4), b(1, 8, 7, nullptr, 4), c(1, 8, 8, nullptr, 4);
  for (int call = 0; call < 5; ++call) {
    feed(a, call, 20, 3);
    feed(b, call, 20, 3);
    feed(c, call, 20, 3);
  }
  EXPECT_EQ(a.count(0, SparsitySite::kQkvIn), 8);
  EXPECT_EQ(a.width(0, SparsitySite::kQkvIn), 3);
  EXPECT_EQ(a.sample(0, SparsitySite::kQkvIn), b.sample(0, SparsitySite::kQkvIn));
  EXPECT_NE(a.sample(0, SparsitySite::kQkvIn), c.sample(0, SparsitySite::kQkvIn));
  const auto& rows = a.sample(0, SparsitySite::kQkvIn);
  for (size_t r = 0; r < 8; ++r) EXPECT_GE(static_cast<int>(rows[r * 3]) % 1000, 4) << "row " << r;
  EXPECT_EQ(a.count(0, SparsitySite::kOIn), 0);
}

TEST(GreedyErrorTables, IdentityLayerErrorIsTheMaskedEnergy) {
  // A one-layer "model" with d = ff = 32 and identity q/k/v/o/down, F32: the q/k/v and o
  // site errors are exactly Σ masked x² / Σ x² of the sampled rows.
  const int32_t d = 32, R = 16;
  std::vector<float> eye(static_cast<size_t>(d * d), 0.0f);
  for (int32_t i = 0; i < d; ++i) eye[static_cast<size_t>(i * d + i)] = 1.0f;
  const TensorView I = TensorView::matrix(DType::kF32, d, d, eye.data());
  std::vector<LayerMatrices> layers = {LayerMatrices{I, I, I, I, I, I, I}};

  ThresholdCalibrator hist(1);
  GreedyRowSampler rows(1, R, 3, &hist, 0);
  std::mt19937_64 rng(5);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(R * d));
  for (auto& v : x) v = nd(rng);
  for (ActivationSite s : {ActivationSite::kAttnIn, ActivationSite::kOIn, ActivationSite::kMlpIn,
                           ActivationSite::kGate, ActivationSite::kDownIn}) {
    rows.observe(0, s, x.data(), R, d);
  }
  const kernels::KernelTable kt = kernels::kernels_for(CpuFeatures::detect());
  ThreadPool pool(2);
  GreedyTableOptions opt;
  opt.step = 0.25;
  opt.max_level = 3;
  auto tables = greedy_error_tables(kt, pool, layers, rows, hist, opt);
  ASSERT_TRUE(tables.ok()) << tables.error().message;
  ASSERT_EQ(tables->size(), 4u);
  for (int s : {0, 1, 3}) {
    const GreedySite& g = (*tables)[static_cast<size_t>(s)];
    ASSERT_EQ(g.error.size(), 4u);
    EXPECT_EQ(g.error[0], 0.0);
    EXPECT_DOUBLE_EQ(g.weight, s == 0 ? 3.0 * d * d : 1.0 * d * d);
    for (int k = 1; k <= 3; ++k) {
      const float t = hist.histogram(0, ActivationSite::kAttnIn).quantile(0.25 * k);
      double num = 0, den = 0;
      for (float v : x) {
        den += static_cast<double>(v) * v;
        if (std::fabs(v) <= t) num += static_cast<double>(v) * v;
      }
      EXPECT_NEAR(g.error[static_cast<size_t>(k)], num / den, 1e-6) << "site " << s << " level " << k;
      EXPECT_GT(g.error[static_cast<size_t>(k)], g.error[static_cast<size_t>(k - 1)]);
    }
  }
  // The MLP site goes through silu(gate)·up then down: still 0 at level 0 and growing.
  const GreedySite& mlp = (*tables)[2];
  EXPECT_EQ(mlp.error[0], 0.0);
  EXPECT_GT(mlp.error[3], mlp.error[1]);
  EXPECT_DOUBLE_EQ(mlp.weight, 2.0 * d * d);
}

TEST(GreedyBlocks, BlockErrorNeverAboveUniform) {
  const int64_t d = 64, ff = 128;
  const int32_t R = 48;
  std::mt19937 rng(5);
  std::normal_distribution<float> n01(0.0f, 1.0f);
  auto matrix = [&](int64_t rows, int64_t cols, float sd) {
    std::vector<float> m(static_cast<size_t>(rows * cols));
    for (float& v : m) v = sd * n01(rng);
    return m;
  };
  const std::vector<float> gate = matrix(ff, d, 0.2f), up = matrix(ff, d, 0.2f), down = matrix(d, ff, 0.1f);
  // Rows with heavy-tailed channel scales (a few channels carry most of the energy).
  std::vector<float> scale(static_cast<size_t>(d)), x(static_cast<size_t>(R * d));
  for (float& s : scale) s = std::exp(1.2f * n01(rng));
  for (int32_t r = 0; r < R; ++r) {
    for (int64_t c = 0; c < d; ++c) x[static_cast<size_t>(r * d + c)] = scale[static_cast<size_t>(c)] * n01(rng);
  }
  std::vector<float> h(static_cast<size_t>(R * ff));
  for (int32_t r = 0; r < R; ++r) {
    for (int64_t j = 0; j < ff; ++j) {
      double g = 0.0, u = 0.0;
      for (int64_t c = 0; c < d; ++c) {
        g += double{gate[static_cast<size_t>(j * d + c)]} * x[static_cast<size_t>(r * d + c)];
        u += double{up[static_cast<size_t>(j * d + c)]} * x[static_cast<size_t>(r * d + c)];
      }
      h[static_cast<size_t>(r * ff + j)] = static_cast<float>(g / (1.0 + std::exp(-g)) * u);
    }
  }
  ThresholdCalibrator cal(1);
  GreedyRowSampler rows(1, R, 7, &cal, 0);
  rows.observe(0, ActivationSite::kMlpIn, x.data(), R, static_cast<int32_t>(d));
  rows.observe(0, ActivationSite::kDownIn, h.data(), R, static_cast<int32_t>(ff));
  const TensorView wg = TensorView::matrix(DType::kF32, ff, d, gate.data());
  const TensorView wu = TensorView::matrix(DType::kF32, ff, d, up.data());
  const TensorView wd = TensorView::matrix(DType::kF32, d, ff, down.data());
  const std::vector<LayerMatrices> layers = {{wg, wg, wg, wd, wg, wu, wd}};
  // Attention sites: synthetic error curves (the plan adds them); MLP weights from shapes.
  GreedyTableOptions opt;
  std::vector<GreedySite> tables(kNumSparsitySites);
  for (int k = 0; k <= opt.max_level; ++k) {
    tables[0].error.push_back(0.01 * k * k);
    tables[1].error.push_back(0.02 * k);
    tables[2].error.push_back(0.0);
    tables[3].error.push_back(0.0);
  }
  tables[0].weight = 3.0;
  tables[1].weight = 1.0;
  tables[2].weight = 2.0 * ff * d;
  tables[3].weight = 1.0 * ff * d;
  const kernels::KernelTable kt = kernels::kernels_for(CpuFeatures::detect());
  ThreadPool pool(1);
  auto plan = greedy_block_plan(kt, pool, layers, rows, cal, tables, opt);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const MagnitudeHistogram& hg = cal.histogram(0, ActivationSite::kMlpIn);
  const MagnitudeHistogram& hd = cal.histogram(0, ActivationSite::kDownIn);
  auto t = [](const MagnitudeHistogram& H, double s) { return s > 0.0 ? H.quantile(s) : -1.0f; };
  bool better_somewhere = false;
  for (double target : {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}) {
    const GreedyBlockAllocation a = greedy_block_allocate(*plan, target);
    const auto& sp = a.sparsity[0];
    // Each block reaches the target's parameter-weighted sparsity.
    EXPECT_NEAR((3.0 * sp[0] + 1.0 * sp[1]) / 4.0, target, 1e-9) << target;
    EXPECT_NEAR((2.0 * sp[2] + 1.0 * sp[3]) / 3.0, target, 1e-9) << target;
    EXPECT_LE(a.error[0][1], a.uniform_error[0][1] + 1e-15) << target;
    EXPECT_LE(a.error[0][0], a.uniform_error[0][0] + 1e-15) << target;
    // Measured again, exactly: the chosen MLP allocation against uniform at the target.
    const double eg = mlp_block_error(kt, pool, layers[0], x.data(), R, t(hg, sp[2]), t(hd, sp[3]));
    const double eu = mlp_block_error(kt, pool, layers[0], x.data(), R, t(hg, target), t(hd, target));
    EXPECT_LE(eg, eu * 1.02 + 1e-12) << "target " << target << " greedy " << sp[2] << "/" << sp[3];
    if (eg < 0.95 * eu) better_somewhere = true;
  }
  EXPECT_TRUE(better_somewhere);
}

}  // namespace
}  // namespace skim
