// dejavu_test.cpp — Deja Vu pieces: training lowers the loss on a fixed tiny problem and is
// deterministic; top-k of a hand-built predictor is the expected set (ties to the lower
// index); the collector keeps the right rows and targets; Deja Vu sidecars round-trip and
// bad ones (wrong shapes, inconsistent tensors, another model's sizes, MLP modes that
// disagree with the predictors and thresholds they carry) are refused.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "core/cpu_features.h"
#include "format/gguf/gguf_writer.h"
#include "kernels/kernels.h"
#include "sparsity/dejavu/collect.h"
#include "sparsity/dejavu/predictor.h"
#include "sparsity/dejavu/train.h"
#include "sparsity/policy.h"
#include "sparsity/sidecar.h"

namespace skim {
namespace {

namespace fs = std::filesystem;

const kernels::KernelTable& kt() {
  static const kernels::KernelTable t = kernels::kernels_for(CpuFeatures::detect());
  return t;
}

std::string tmp(const std::string& name) {
  return (fs::temp_directory_path() / (std::to_string(::getpid()) + "_dv_" + name)).string();
}

// A planted problem: importance = exp(M·x) with M [n_out, n_in] of rank 3, so the true
// top-k is the top-k of a rank-3 linear score.
struct Tiny {
  int32_t N = 800, n_in = 16, n_out = 32;
  std::vector<float> x, imp;  // [N, n_in], [N, n_out]
  Tiny() {
    std::mt19937 rng(3);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> u(static_cast<size_t>(n_out * 3)), v(static_cast<size_t>(3 * n_in));
    for (float& e : u) e = g(rng);
    for (float& e : v) e = g(rng);
    x.resize(static_cast<size_t>(N * n_in));
    for (float& e : x) e = g(rng);
    imp.resize(static_cast<size_t>(N * n_out));
    for (int32_t r = 0; r < N; ++r) {
      float h[3];
      for (int j = 0; j < 3; ++j) {
        h[j] = 0;
        for (int32_t c = 0; c < n_in; ++c) h[j] += v[static_cast<size_t>(j * n_in + c)] * x[static_cast<size_t>(r * n_in + c)];
      }
      for (int32_t i = 0; i < n_out; ++i) {
        float s = 0;
        for (int j = 0; j < 3; ++j) s += u[static_cast<size_t>(i * 3 + j)] * h[j];
        imp[static_cast<size_t>(r * n_out + i)] = std::exp(0.2f * s);
      }
    }
  }
};

TEST(DejaVuTrain, LossDecreasesAndRecallBeatsStatic) {
  Tiny t;
  dejavu::TrainOptions o;
  o.rank = 4;
  o.keep = 0.25f;
  o.epochs = 30;
  o.patience = 30;
  o.batch = 32;
  o.lr = 1e-2f;
  o.seed = 5;
  dejavu::TrainReport rep;
  auto p = dejavu::train_predictor(kt(), t.x.data(), t.imp.data(), t.N, t.n_in, t.n_out, o, &rep);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_GE(rep.train_loss.size(), 2u);
  EXPECT_LT(rep.train_loss.back(), 0.5 * rep.train_loss.front());
  EXPECT_LT(rep.best.loss, rep.first.loss);
  EXPECT_GT(rep.best.recall, 0.85);
  EXPECT_GT(rep.best.recall, rep.first.base_recall + 0.3);
  EXPECT_EQ(rep.n_val, 80);
  // The kept predictor reproduces the reported validation recall.
  const size_t off = static_cast<size_t>(rep.n_train);
  auto ev = dejavu::evaluate_predictor(kt(), *p, t.x.data() + off * 16, t.imp.data() + off * 32, rep.n_val, 0.25f,
                                       2.0f * 0.75f / 0.25f);
  EXPECT_NEAR(ev.recall, rep.best.recall, 1e-9);
}

TEST(DejaVuTrain, DeterministicWithSeed) {
  Tiny t;
  dejavu::TrainOptions o;
  o.rank = 3;
  o.keep = 0.5f;
  o.epochs = 3;
  o.seed = 11;
  auto a = dejavu::train_predictor(kt(), t.x.data(), t.imp.data(), t.N, t.n_in, t.n_out, o, nullptr);
  auto b = dejavu::train_predictor(kt(), t.x.data(), t.imp.data(), t.N, t.n_in, t.n_out, o, nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->a, b->a);
  EXPECT_EQ(a->bt, b->bt);
  EXPECT_EQ(a->bias, b->bias);
  o.seed = 12;
  auto c = dejavu::train_predictor(kt(), t.x.data(), t.imp.data(), t.N, t.n_in, t.n_out, o, nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->a, c->a);
}

TEST(DejaVuTrain, RejectsBadOptions) {
  Tiny t;
  dejavu::TrainOptions o;
  o.keep = 0.0f;
  EXPECT_FALSE(dejavu::train_predictor(kt(), t.x.data(), t.imp.data(), t.N, t.n_in, t.n_out, o, nullptr).ok());
  o.keep = 0.5f;
  EXPECT_FALSE(dejavu::train_predictor(kt(), t.x.data(), t.imp.data(), 1, t.n_in, t.n_out, o, nullptr).ok());
}

// a [2, 4] picks x0 and x1; bt [2, 6] maps them to outputs; bias breaks the rest.
LowRankPredictor hand_built() {
  LowRankPredictor p;
  p.n_in = 4;
  p.rank = 2;
  p.n_out = 6;
  p.a = {1, 0, 0, 0,   //
         0, 1, 0, 0};
  p.bt = {1, -1, 0, 2, 0, 0,  //
          0, 0, 3, 0, -1, 0};
  p.bias = {0, 0, 0, 0, 0, 0.5f};
  return p;
}

TEST(DejaVuPredictor, TopKOfConstructedInput) {
  const LowRankPredictor p = hand_built();
  const float x[4] = {1.0f, 1.0f, 9.0f, 9.0f};  // x2, x3 are ignored by a
  // scores = {1, -1, 3, 2, -1, 0.5}
  std::vector<float> scratch(dejavu::scratch_floats(p));
  int32_t idx[6];
  ASSERT_EQ(dejavu::select_neurons(kt(), p, x, 3, scratch, idx), 3);
  EXPECT_EQ(std::vector<int32_t>(idx, idx + 3), (std::vector<int32_t>{0, 2, 3}));
  ASSERT_EQ(dejavu::select_neurons(kt(), p, x, 4, scratch, idx), 4);
  EXPECT_EQ(std::vector<int32_t>(idx, idx + 4), (std::vector<int32_t>{0, 2, 3, 5}));
  // k is clamped to [1, n_out].
  EXPECT_EQ(dejavu::select_neurons(kt(), p, x, 0, scratch, idx), 1);
  EXPECT_EQ(idx[0], 2);
  EXPECT_EQ(dejavu::select_neurons(kt(), p, x, 99, scratch, idx), 6);
  // Ties go to the lower index: scores {-1, -1} at 1 and 4 with k = 5 keep index 1.
  ASSERT_EQ(dejavu::select_neurons(kt(), p, x, 5, scratch, idx), 5);
  EXPECT_EQ(std::vector<int32_t>(idx, idx + 5), (std::vector<int32_t>{0, 1, 2, 3, 5}));
}

// top_k against a full sort (ties to the lower index) on random scores with many ties,
// both signs and signed zeros.
TEST(DejaVuPredictor, TopKMatchesSortedReference) {
  std::mt19937 rng(8);
  for (int trial = 0; trial < 200; ++trial) {
    const int32_t n = 1 + static_cast<int32_t>(rng() % 1600);
    std::vector<float> s(static_cast<size_t>(n));
    const int mode = trial % 3;
    for (float& x : s) {
      const int r = static_cast<int>(rng() % 2001) - 1000;
      x = mode == 0 ? static_cast<float>(r) * 1e-3f : mode == 1 ? static_cast<float>(r % 7) : (r % 2 ? -0.0f : 0.0f);
      if (mode == 0 && r % 5 == 0) x = std::ldexp(x, static_cast<int>(rng() % 40) - 20);
    }
    const int32_t k = 1 + static_cast<int32_t>(rng() % static_cast<uint32_t>(n));
    std::vector<int32_t> order(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return s[static_cast<size_t>(a)] > s[static_cast<size_t>(b)]; });
    std::vector<int32_t> want(order.begin(), order.begin() + k);
    std::sort(want.begin(), want.end());
    std::vector<float> scratch(static_cast<size_t>(n));
    std::vector<int32_t> got(static_cast<size_t>(n));
    ASSERT_EQ(dejavu::top_k(s.data(), n, k, scratch.data(), got.data()), k);
    got.resize(static_cast<size_t>(k));
    ASSERT_EQ(got, want) << "trial " << trial << " n " << n << " k " << k;
  }
}

TEST(DejaVuPredictor, HeadsAndTheirChannels) {
  const LowRankPredictor p = hand_built();  // six "heads"
  const float x[4] = {0.0f, -1.0f, 0.0f, 0.0f};  // scores = {0, 0, -3, 0, 1, 0.5}
  std::vector<float> scratch(dejavu::scratch_floats(p));
  int32_t heads[6];
  ASSERT_EQ(dejavu::select_heads(kt(), p, x, 2, scratch, heads), 2);
  EXPECT_EQ(std::vector<int32_t>(heads, heads + 2), (std::vector<int32_t>{4, 5}));
  int32_t ch[8];
  ASSERT_EQ(dejavu::head_channels(std::span<const int32_t>(heads, 2), 4, ch), 8);
  EXPECT_EQ(std::vector<int32_t>(ch, ch + 8), (std::vector<int32_t>{16, 17, 18, 19, 20, 21, 22, 23}));
  EXPECT_EQ(dejavu::keep_count(0.5f, 9), 5);
  EXPECT_EQ(dejavu::keep_count(0.3f, 1536), 461);
  EXPECT_EQ(dejavu::keep_count(0.01f, 9), 1);
}

TEST(DejaVuCollect, KeepsSampledRowsAndTargets) {
  const dejavu::CollectDims d{2, 4, 6, 2, 2};
  dejavu::Collector col(d, 5, 3, 1);
  const int32_t T = 4;
  std::vector<float> attn(T * 4), mlp(T * 4), down(T * 6), o(T * 4);
  for (int32_t t = 0; t < T; ++t) {
    for (int c = 0; c < 4; ++c) {
      attn[static_cast<size_t>(t * 4 + c)] = static_cast<float>(t);
      mlp[static_cast<size_t>(t * 4 + c)] = static_cast<float>(10 + t);
      o[static_cast<size_t>(t * 4 + c)] = c < 2 ? 3.0f * static_cast<float>(t) : 4.0f * static_cast<float>(t);
    }
    for (int c = 0; c < 6; ++c) down[static_cast<size_t>(t * 6 + c)] = -static_cast<float>(t + c);
  }
  for (int chunk = 0; chunk < 2; ++chunk) {
    col.begin_chunk(T);
    for (int32_t l = 0; l < 2; ++l) {
      col.observe(l, ActivationSite::kAttnIn, attn.data(), T, 4);
      col.observe(l, ActivationSite::kOIn, o.data(), T, 4);
      col.observe(l, ActivationSite::kMlpIn, mlp.data(), T, 4);
      col.observe(l, ActivationSite::kGate, down.data(), T, 6);
      col.observe(l, ActivationSite::kDownIn, down.data(), T, 6);
    }
    col.end_chunk();
  }
  EXPECT_TRUE(col.error().empty()) << col.error();
  ASSERT_EQ(col.rows(), 5);  // 3 from the first chunk, 2 (the budget left) from the second
  EXPECT_TRUE(col.full());
  std::vector<float> a, m, n, h;
  col.layer_f32(1, dejavu::CollectedSite::kAttnIn, a);
  col.layer_f32(1, dejavu::CollectedSite::kMlpIn, m);
  col.layer_f32(1, dejavu::CollectedSite::kNeuron, n);
  col.layer_f32(1, dejavu::CollectedSite::kHeadNorm, h);
  ASSERT_EQ(a.size(), 20u);
  ASSERT_EQ(n.size(), 30u);
  ASSERT_EQ(h.size(), 10u);
  for (int r = 0; r < 5; ++r) {
    const float t = a[static_cast<size_t>(r * 4)];  // the row's position
    EXPECT_EQ(m[static_cast<size_t>(r * 4)], 10 + t);
    for (int c = 0; c < 6; ++c) EXPECT_EQ(n[static_cast<size_t>(r * 6 + c)], t + c);
    EXPECT_NEAR(h[static_cast<size_t>(r * 2)], 3.0f * t * std::sqrt(2.0f), 1e-2);
    EXPECT_NEAR(h[static_cast<size_t>(r * 2 + 1)], 4.0f * t * std::sqrt(2.0f), 1e-2);
  }
  // A width that does not match is reported, not stored.
  col.begin_chunk(T);
  col.observe(0, ActivationSite::kMlpIn, mlp.data(), T, 3);
  col.end_chunk();
  EXPECT_TRUE(col.error().empty());  // the budget was full: nothing observed
  dejavu::Collector col2(d, 8, 4, 1);
  col2.begin_chunk(T);
  col2.observe(0, ActivationSite::kMlpIn, mlp.data(), T, 3);
  EXPECT_FALSE(col2.error().empty());
}

LowRankPredictor random_predictor(int32_t n_in, int32_t rank, int32_t n_out, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  LowRankPredictor p;
  p.n_in = n_in;
  p.rank = rank;
  p.n_out = n_out;
  p.a.resize(static_cast<size_t>(rank * n_in));
  p.bt.resize(static_cast<size_t>(rank * n_out));
  p.bias.resize(static_cast<size_t>(n_out));
  for (auto* v : {&p.a, &p.bt, &p.bias}) {
    for (float& e : *v) e = u(rng);
  }
  return p;
}

const SidecarModelDims kDims{3, 8, 12, 3};

SparsityConfig dejavu_sample(bool heads) {
  SparsityConfig c;
  c.method = SparsityMethod::kDejaVu;
  c.target = 0.5f;
  c.model_sha256 = std::string(64, 'c');
  c.calibration_files = {"a.txt"};
  c.calibration_tokens = 4096;
  c.seed = 9;
  c.thresholds.assign(3, {0, 0, 0, 0});
  c.dejavu.rank = 4;
  c.dejavu.keep = 0.5f;
  c.dejavu.lookahead = true;
  for (int l = 0; l < 3; ++l) {
    c.dejavu.mlp.push_back(random_predictor(8, 4, 12, static_cast<uint32_t>(l)));
    c.dejavu.mlp_recall.push_back(0.8f + 0.01f * static_cast<float>(l));
    if (heads) c.dejavu.heads.push_back(random_predictor(8, 3, 3, static_cast<uint32_t>(100 + l)));
  }
  if (heads) {
    c.dejavu.head_rank = 3;
    c.dejavu.head_keep = 0.67f;
    c.dejavu.head_recall = {0.9f, 0.9f, 0.9f};
  }
  return c;
}

TEST(DejaVuSidecar, RoundTrip) {
  for (bool heads : {true, false}) {
    const std::string p = tmp("rt.skim");
    const SparsityConfig c = dejavu_sample(heads);
    ASSERT_TRUE(save_sidecar(c, p).ok());
    auto r = load_sidecar(p, std::string(64, 'c'), kDims);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->method, SparsityMethod::kDejaVu);
    EXPECT_EQ(r->calibration_tokens, 4096);
    const DejaVuConfig& d = r->dejavu;
    EXPECT_EQ(d.rank, 4);
    EXPECT_FLOAT_EQ(d.keep, 0.5f);
    EXPECT_TRUE(d.lookahead);
    EXPECT_EQ(d.mlp_recall, c.dejavu.mlp_recall);
    ASSERT_EQ(d.mlp.size(), 3u);
    for (size_t l = 0; l < 3; ++l) {
      EXPECT_EQ(d.mlp[l].a, c.dejavu.mlp[l].a);
      EXPECT_EQ(d.mlp[l].bt, c.dejavu.mlp[l].bt);
      EXPECT_EQ(d.mlp[l].bias, c.dejavu.mlp[l].bias);
    }
    if (heads) {
      ASSERT_EQ(d.heads.size(), 3u);
      EXPECT_EQ(d.head_rank, 3);
      EXPECT_FLOAT_EQ(d.head_keep, 0.67f);
      EXPECT_EQ(d.heads[2].bt, c.dejavu.heads[2].bt);
    } else {
      EXPECT_TRUE(d.heads.empty());
      EXPECT_EQ(d.head_rank, 0);
    }
    fs::remove(p);
  }
}

TEST(DejaVuSidecar, RefusesWrongShapes) {
  const std::string p = tmp("shape.skim");
  ASSERT_TRUE(save_sidecar(dejavu_sample(true), p).ok());
  // Another model's sizes: wider MLP, more heads, more layers.
  auto a = load_sidecar(p, "", SidecarModelDims{3, 8, 16, 3});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("layer 0 MLP predictor"), std::string::npos) << a.error().message;
  auto b = load_sidecar(p, "", SidecarModelDims{3, 8, 12, 4});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("head predictor"), std::string::npos) << b.error().message;
  EXPECT_FALSE(load_sidecar(p, "", SidecarModelDims{4, 8, 12, 3}).ok());
  EXPECT_FALSE(load_sidecar(p, std::string(64, 'd'), kDims).ok());

  // A rank that disagrees with the file's key, and a layer whose tensors disagree.
  SparsityConfig c = dejavu_sample(false);
  c.dejavu.mlp[1] = random_predictor(8, 5, 12, 7);
  ASSERT_TRUE(save_sidecar(c, p).ok());
  auto d = load_sidecar(p, "", kDims);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("rank 5"), std::string::npos) << d.error().message;

  c = dejavu_sample(false);
  c.dejavu.mlp[0].a[3] = std::nanf("");
  ASSERT_TRUE(save_sidecar(c, p).ok());
  auto f = load_sidecar(p, "", kDims);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("non-finite"), std::string::npos) << f.error().message;

  // Hand-written files: missing predictor tensors, then tensors that disagree.
  auto header = [](gguf::Writer& w) {
    w.add_string("general.architecture", "skim-sparsity");
    w.add_string("skim.sparsity.method", "dejavu");
    w.add_f32("skim.sparsity.target", 0.5f);
    w.add_string("skim.sparsity.allocation", "uniform");
    w.add_string("skim.sparsity.model_sha256", "");
    w.add_string_array("skim.sparsity.calibration_files", std::vector<std::string>{});
    w.add_u64("skim.sparsity.calibration_tokens", 0);
    static const std::vector<float> th(12, 0.0f);
    w.add_tensor("skim.sparsity.thresholds", gguf::GgmlType::kF32, {3, 4},
                 {reinterpret_cast<const uint8_t*>(th.data()), th.size() * 4});
    w.add_u32("skim.sparsity.dejavu.rank", 4);
    w.add_f32("skim.sparsity.dejavu.keep", 0.5f);
  };
  gguf::Writer w0;
  header(w0);
  w0.add_string("skim.sparsity.dejavu.mlp", "sideways");
  ASSERT_TRUE(w0.write(p).ok());
  auto m = load_sidecar(p, "", kDims);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("unknown dejavu MLP mode 'sideways'"), std::string::npos) << m.error().message;

  gguf::Writer w;
  header(w);
  ASSERT_TRUE(w.write(p).ok());
  auto g = load_sidecar(p, "", kDims);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find("missing tensor dejavu.mlp.0."), std::string::npos) << g.error().message;

  gguf::Writer w2;
  header(w2);
  std::vector<float> buf(5 * 12, 0.0f);
  auto bytes = [&](size_t n) { return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf.data()), n * 4); };
  w2.add_tensor("dejavu.mlp.0.a", gguf::GgmlType::kF32, {4, 8}, bytes(32));
  w2.add_tensor("dejavu.mlp.0.bt", gguf::GgmlType::kF32, {5, 12}, bytes(60));  // rank 5 != 4
  w2.add_tensor("dejavu.mlp.0.bias", gguf::GgmlType::kF32, {12}, bytes(12));
  ASSERT_TRUE(w2.write(p).ok());
  auto e = load_sidecar(p, "", kDims);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("inconsistent predictor shapes"), std::string::npos) << e.error().message;
  fs::remove(p);
}

// MLP modes: heads only, heads + CATS thresholds, hybrid (predictor + CATS thresholds).
TEST(DejaVuSidecar, MlpModesRoundTrip) {
  const std::string p = tmp("modes.skim");
  SparsityConfig none = dejavu_sample(true);
  none.dejavu.mlp_mode = DejaVuMlp::kNone;
  none.dejavu.mlp.clear();
  none.dejavu.mlp_recall.clear();
  none.dejavu.rank = 0;
  SparsityConfig cats = none;
  cats.dejavu.mlp_mode = DejaVuMlp::kCats;
  for (size_t l = 0; l < 3; ++l) cats.thresholds[l][3] = 0.1f * static_cast<float>(l + 1);
  SparsityConfig hybrid = dejavu_sample(false);
  hybrid.dejavu.mlp_mode = DejaVuMlp::kHybrid;
  hybrid.thresholds = cats.thresholds;
  for (const SparsityConfig* c : {&none, &cats, &hybrid}) {
    ASSERT_TRUE(save_sidecar(*c, p).ok());
    auto r = load_sidecar(p, std::string(64, 'c'), kDims);
    ASSERT_TRUE(r.ok()) << dejavu_mlp_name(c->dejavu.mlp_mode) << ": " << r.error().message;
    EXPECT_EQ(r->dejavu.mlp_mode, c->dejavu.mlp_mode);
    EXPECT_EQ(r->dejavu.mlp.size(), c->dejavu.mlp.size());
    EXPECT_EQ(r->dejavu.heads.size(), c->dejavu.heads.size());
    EXPECT_EQ(r->thresholds, c->thresholds);
    EXPECT_EQ(r->cats_mlp(), c->dejavu.mlp_mode == DejaVuMlp::kCats);
    EXPECT_EQ(r->dejavu_heads(), !c->dejavu.heads.empty());
  }
  fs::remove(p);
}

TEST(DejaVuSidecar, RefusesInconsistentModes) {
  const std::string p = tmp("incons.skim");
  auto refused = [&](const SparsityConfig& c, const std::string& what) {
    if (!save_sidecar(c, p).ok()) return;  // refused at save time: fine too
    auto r = load_sidecar(p, "", kDims);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
  };
  SparsityConfig c = dejavu_sample(false);  // predictor mode ...
  c.thresholds[1][3] = 0.2f;                // ... with a CATS threshold
  refused(c, "has a CATS threshold in layer 1");
  c = dejavu_sample(true);
  c.thresholds[0][0] = 0.2f;  // a TEAL threshold
  refused(c, "TEAL threshold");
  c = dejavu_sample(false);  // heads + CATS without heads
  c.dejavu.mlp_mode = DejaVuMlp::kCats;
  c.dejavu.mlp.clear();
  c.dejavu.rank = 0;
  c.thresholds[0][3] = 0.1f;
  refused(c, "without head predictors");
  c = dejavu_sample(true);  // heads + CATS without thresholds
  c.dejavu.mlp_mode = DejaVuMlp::kCats;
  c.dejavu.mlp.clear();
  c.dejavu.rank = 0;
  refused(c, "needs CATS thresholds");
  // MLP predictors in a mode without them: the writer refuses.
  c = dejavu_sample(true);
  c.dejavu.mlp_mode = DejaVuMlp::kNone;
  EXPECT_FALSE(save_sidecar(c, p).ok());
  fs::remove(p);
}

TEST(DejaVuSidecar, PolicyRefusesMissingPredictors) {
  SparsityConfig c = dejavu_sample(false);
  c.dejavu.mlp.pop_back();
  std::vector<LayerMatrices> layers(3);
  auto p = SparsityPolicy::build(c, layers);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("MLP predictor"), std::string::npos) << p.error().message;
}

}  // namespace
}  // namespace skim
