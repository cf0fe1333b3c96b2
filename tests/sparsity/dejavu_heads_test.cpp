// dejavu_heads_test.cpp — Deja Vu attention-head skipping: the head-masked attention gives
// zeros for skipped heads and exactly the unmasked result for kept ones; on the real model a
// heads sidecar with head_keep = 1 reproduces dense logits bitwise (decode and prefill),
// skipped heads change the output, and single-token decode (q rows, attention and o columns
// skipped by the sparse kernels) agrees with the masked multi-token pass.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <random>

#include "common/test_paths.h"
#include "core/cpu_features.h"
#include "core/sha256.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/ops.h"
#include "model/layers.h"
#include "skim/engine.h"
#include "sparsity/sidecar.h"

namespace skim {
namespace {

namespace fs = std::filesystem;

TEST(DejaVuHeads, MaskedAttentionSkipsHeadsExactly) {
  const kernels::OpsTable ops = kernels::make_ops_table(kernels::best_isa(CpuFeatures::detect()));
  ThreadPool pool(2);
  const layers::AttentionShape s{6, 2, 16, 0.25f};
  const int32_t T = 3, n_ctx = 8, qd = 6 * 16, kvd = 2 * 16;
  std::mt19937 rng(4);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> q(static_cast<size_t>(T * qd)), kf(static_cast<size_t>(T * kvd)), vf(kf.size());
  for (auto* v : {&q, &kf, &vf}) {
    for (float& x : *v) x = g(rng);
  }
  std::vector<uint16_t> k(static_cast<size_t>(n_ctx * kvd)), v(k.size());
  layers::store_kv_f16(ops, k.data(), kf.data(), T * kvd);
  layers::store_kv_f16(ops, v.data(), vf.data(), T * kvd);
  std::vector<float> scratch(2 * layers::attention_scratch_floats(n_ctx, 16));
  std::vector<float> full(static_cast<size_t>(T * qd)), part(full.size(), 7.0f);
  layers::AttentionRun r{q.data(), k.data(), v.data(), full.data(), T, 0};
  layers::attention_multi(ops, pool, s, {&r, 1}, n_ctx, scratch.data());
  std::vector<uint8_t> mask(static_cast<size_t>(T * 6));
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = (i % 3) != 1;  // a different set per row
  r.out = part.data();
  r.head_mask = mask.data();
  layers::attention_multi(ops, pool, s, {&r, 1}, n_ctx, scratch.data());
  for (int32_t t = 0; t < T; ++t) {
    for (int32_t h = 0; h < 6; ++h) {
      const bool kept = mask[static_cast<size_t>(t * 6 + h)] != 0;
      for (int32_t c = 0; c < 16; ++c) {
        const size_t i = static_cast<size_t>(t * qd + h * 16 + c);
        EXPECT_EQ(part[i], kept ? full[i] : 0.0f) << "row " << t << " head " << h;
      }
    }
  }
}

// The real model with a heads-only Deja Vu sidecar whose predictor is a fixed bias: every
// token keeps the same heads (bias ranks them 0 > 1 > ... ), so the expected set is known.
class DejaVuHeadsModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(testing::have_default_model()) << "missing " << testing::default_model_path();
    auto sha = sha256_file(testing::default_model_path());
    ASSERT_TRUE(sha.ok());
    sha_ = new std::string(*sha);
    dense_ = load("").release();
  }
  static void TearDownTestSuite() {
    delete dense_;
    delete sha_;
  }

  static std::unique_ptr<Engine> load(const std::string& sidecar) {
    EngineOptions o;
    o.model_path = testing::default_model_path();
    o.n_ctx = 256;
    o.n_threads = 2;
    o.sparsity_path = sidecar;
    auto r = Engine::load(o);
    if (!r) {
      ADD_FAILURE() << r.error().message;
      return nullptr;
    }
    return std::make_unique<Engine>(std::move(*r));
  }

  // A heads-only sidecar (30 layers, 9 heads of 576 inputs) keeping head_keep of the heads.
  static std::string heads_sidecar(float head_keep, const std::string& name) {
    SparsityConfig c;
    c.method = SparsityMethod::kDejaVu;
    c.target = 1.0f - head_keep;
    c.model_sha256 = *sha_;
    c.thresholds.assign(30, {0, 0, 0, 0});
    c.dejavu.mlp_mode = DejaVuMlp::kNone;
    c.dejavu.head_rank = 1;
    c.dejavu.head_keep = head_keep;
    for (int l = 0; l < 30; ++l) {
      LowRankPredictor p;
      p.n_in = 576;
      p.rank = 1;
      p.n_out = 9;
      p.a.assign(576, 0.0f);
      p.bt.assign(9, 0.0f);
      for (int h = 0; h < 9; ++h) p.bias.push_back(static_cast<float>(9 - h));
      c.dejavu.heads.push_back(p);
    }
    const std::string path = (fs::temp_directory_path() / (std::to_string(::getpid()) + "_dvh_" + name)).string();
    EXPECT_TRUE(save_sidecar(c, path).ok());
    return path;
  }

  static std::vector<float> prefill_logits(const Engine& e, const std::vector<int32_t>& toks) {
    std::vector<float> out(static_cast<size_t>(e.info().n_vocab));
    auto s = e.new_session();
    EXPECT_TRUE(s->eval_logits(toks, 1, out.data()).ok());
    return out;
  }
  // Token by token (single-token decode path), logits after the last.
  static std::vector<float> decode_logits(const Engine& e, const std::vector<int32_t>& toks) {
    std::vector<float> out(static_cast<size_t>(e.info().n_vocab));
    auto s = e.new_session();
    for (size_t i = 0; i < toks.size(); ++i) {
      EXPECT_TRUE(s->append_logits({&toks[i], 1}, 1, out.data()).ok());
    }
    return out;
  }

  static inline std::string* sha_ = nullptr;
  static inline Engine* dense_ = nullptr;
};

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float m = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

TEST_F(DejaVuHeadsModel, KeepAllHeadsEqualsDense) {
  const std::string path = heads_sidecar(1.0f, "all.skim");
  auto e = load(path);
  ASSERT_TRUE(e);
  const auto toks = dense_->tokenize("The capital of France is Paris, and the capital of Italy is", true, false);
  EXPECT_EQ(prefill_logits(*e, toks), prefill_logits(*dense_, toks));
  EXPECT_EQ(decode_logits(*e, toks), decode_logits(*dense_, toks));
  fs::remove(path);
}

TEST_F(DejaVuHeadsModel, SkippedHeadsDecodeMatchesMaskedPass) {
  const std::string path = heads_sidecar(0.67f, "six.skim");  // 6 of 9 heads: 0..5
  auto e = load(path);
  ASSERT_TRUE(e);
  const auto toks = dense_->tokenize("The capital of France is Paris, and the capital of Italy is", true, false);
  const auto dense = prefill_logits(*dense_, toks);
  const auto masked = prefill_logits(*e, toks);
  const auto decoded = decode_logits(*e, toks);
  float scale = 0.0f;
  for (float x : dense) scale = std::max(scale, std::fabs(x));
  // Skipping three heads per layer changes the output ...
  EXPECT_GT(max_abs_diff(masked, dense), 0.05f * scale);
  // ... and the sparse decode kernels (q rows, attention, o columns of heads 0..5 only)
  // compute the same function as the masked pass, up to rounding: dense decode and dense
  // prefill differ by about 2% of the logit scale on their own (f16 attention order,
  // quantized vs f32 activations), skipping three heads moves the logits by about 100%.
  const float dd = max_abs_diff(decode_logits(*dense_, toks), dense);
  const float dm = max_abs_diff(decoded, masked);
  EXPECT_LT(dm, 0.05f * scale) << "scale " << scale << ", dense decode vs prefill " << dd;
  EXPECT_LT(dm, 0.1f * max_abs_diff(masked, dense));
  auto argmax = [](const std::vector<float>& v) { return std::max_element(v.begin(), v.end()) - v.begin(); };
  EXPECT_EQ(argmax(decoded), argmax(masked));
  // Measured sparsity: 3 of 9 heads' q channels skipped in every layer.
  auto s = e->new_session();
  s->reset_sparsity_stats();
  ASSERT_TRUE(s->eval({&toks[0], 1}).ok());
  EXPECT_NEAR(s->measured_sparsity(), 3.0 / 9.0, 1e-9);
  fs::remove(path);
}

}  // namespace
}  // namespace skim
