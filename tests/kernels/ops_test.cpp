// ops_test.cpp — the model ops (kernels/ops.h) of every ISA this CPU runs against the scalar
// oracle (ref/ops.cpp), BITWISE: random inputs with odd lengths, many positions, both f16
// matmul orders of attention (T = 1 and T > 1), n_keys from 1 to 600, exp arguments that
// under- and overflow, fp16 halfway and subnormal cases; the threaded attention layer; and,
// when the default model is present, whole forward passes with each ISA's ops table.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/test_paths.h"
#include "core/fp16.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"
#include "kernels/test_util.h"
#include "model/kv_cache.h"
#include "model/layers.h"
#include "model/registry.h"

namespace skim {
namespace {

using kernels::F16DotOrder;
using kernels::Isa;
using kernels::OpsTable;

std::string hex(float x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a (0x%08x)", static_cast<double>(x), std::bit_cast<uint32_t>(x));
  return buf;
}

::testing::AssertionResult same_bits(const float* got, const float* want, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (std::bit_cast<uint32_t>(got[i]) != std::bit_cast<uint32_t>(want[i])) {
      return ::testing::AssertionFailure() << "index " << i << " of " << n << ": got " << hex(got[i]) << ", want "
                                           << hex(want[i]);
    }
  }
  return ::testing::AssertionSuccess();
}
::testing::AssertionResult same_bits(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "sizes differ";
  return same_bits(got.data(), want.data(), got.size());
}

std::vector<uint16_t> to_f16(const std::vector<float>& x) {
  std::vector<uint16_t> h(x.size());
  for (size_t i = 0; i < x.size(); ++i) h[i] = fp32_to_fp16(x[i]);
  return h;
}

// Values around every fp16 rounding boundary kind: halfway points, subnormals, overflow.
std::vector<float> f16_edge_values() {
  std::vector<float> v = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65519.99f, 65520.0f, -65520.0f, 1e6f, -1e30f,
                          6.1035156e-05f, 5.9604645e-08f, 2.9802322e-08f, 2.9802326e-08f, 1e-10f, -3e-8f};
  std::mt19937 rng(5);
  for (int e = -26; e <= 16; ++e) {
    for (int k = 0; k < 40; ++k) {
      const uint16_t h = static_cast<uint16_t>(rng() & 0x7FFF);
      const float a = fp16_to_fp32(h);
      const float b = fp16_to_fp32(static_cast<uint16_t>(h + 1));
      if (!std::isfinite(a) || !std::isfinite(b)) continue;
      v.push_back((a + b) / 2);  // exact halfway (ties to even)
      v.push_back(std::nextafter((a + b) / 2, 0.0f));
      v.push_back(-std::nextafter((a + b) / 2, 1e9f));
      v.push_back(std::ldexp(std::uniform_real_distribution<float>(1.0f, 2.0f)(rng), e));
    }
  }
  return v;
}

class Ops : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!test::cpu_has(GetParam())) GTEST_SKIP() << "CPU lacks " << kernels::isa_name(GetParam());
    ops_ = kernels::make_ops_table(GetParam());
    ref_ = kernels::make_ops_table(Isa::kScalar);
  }
  OpsTable ops_, ref_;
};

TEST_P(Ops, TableIsForItsIsa) {
  EXPECT_EQ(ops_.isa, GetParam());
  for (auto f : {reinterpret_cast<const void*>(ops_.rms_norm), reinterpret_cast<const void*>(ops_.rope_norm),
                 reinterpret_cast<const void*>(ops_.rope_neox), reinterpret_cast<const void*>(ops_.swiglu),
                 reinterpret_cast<const void*>(ops_.softmax_f16), reinterpret_cast<const void*>(ops_.attn_scores),
                 reinterpret_cast<const void*>(ops_.attn_mix), reinterpret_cast<const void*>(ops_.attn_head),
                 reinterpret_cast<const void*>(ops_.f32_to_f16), reinterpret_cast<const void*>(ops_.round_f16)}) {
    EXPECT_NE(f, nullptr);
  }
}

TEST_P(Ops, RmsNorm) {
  uint32_t seed = 1;
  for (int32_t n : {1, 2, 7, 15, 16, 17, 33, 64, 576, 1001, 2048}) {
    for (int32_t rows : {1, 2, 3, 4, 5, 9}) {
      for (float sd : {1e-3f, 1.0f, 30.0f}) {
        const auto x = test::random_vector(static_cast<size_t>(n) * rows, ++seed, sd);
        const auto w = test::random_vector(static_cast<size_t>(n), ++seed, 0.5f);
        std::vector<float> got(x.size()), want(x.size());
        ops_.rms_norm(x.data(), w.data(), got.data(), n, rows, 1e-5f);
        ref_.rms_norm(x.data(), w.data(), want.data(), n, rows, 1e-5f);
        ASSERT_TRUE(same_bits(got, want)) << "n " << n << " rows " << rows << " sd " << sd;
        std::vector<float> inplace = x;  // out aliases x
        ops_.rms_norm(inplace.data(), w.data(), inplace.data(), n, rows, 1e-6f);
        ref_.rms_norm(x.data(), w.data(), want.data(), n, rows, 1e-6f);
        ASSERT_TRUE(same_bits(inplace, want)) << "in place, n " << n << " rows " << rows;
      }
    }
  }
}

TEST_P(Ops, Rope) {
  uint32_t seed = 100;
  struct Shape {
    int32_t head_dim, n_rot;
  };
  for (Shape sh : {Shape{2, 2}, Shape{6, 6}, Shape{16, 16}, Shape{34, 30}, Shape{64, 64}, Shape{64, 32},
                   Shape{80, 80}, Shape{128, 128}, Shape{130, 126}, Shape{256, 256}}) {
    for (int32_t n_heads : {1, 3, 9}) {
      for (int32_t pos : {0, 1, 2, 7, 100, 511, 1000, 8191, 32767, 131071}) {
        for (float base : {10000.0f, 100000.0f, 500000.0f}) {
          for (float fs : {1.0f, 0.25f}) {
            const auto x = test::random_vector(static_cast<size_t>(n_heads) * sh.head_dim, ++seed, 2.0f);
            for (bool neox : {false, true}) {
              std::vector<float> got = x, want = x;
              (neox ? ops_.rope_neox : ops_.rope_norm)(got.data(), n_heads, sh.head_dim, sh.n_rot, pos, base, fs);
              (neox ? ref_.rope_neox : ref_.rope_norm)(want.data(), n_heads, sh.head_dim, sh.n_rot, pos, base, fs);
              ASSERT_TRUE(same_bits(got, want)) << (neox ? "neox" : "norm") << " hd " << sh.head_dim << " n_rot "
                                                << sh.n_rot << " heads " << n_heads << " pos " << pos;
            }
          }
        }
      }
    }
  }
}

TEST_P(Ops, Swiglu) {
  uint32_t seed = 200;
  for (int64_t n : {1, 3, 7, 8, 9, 15, 16, 17, 31, 100, 1536, 4099}) {
    for (float sd : {0.5f, 4.0f, 40.0f}) {
      auto g = test::random_vector(static_cast<size_t>(n), ++seed, sd);
      const auto u = test::random_vector(static_cast<size_t>(n), ++seed, 1.0f);
      std::vector<float> got = g, want = g;
      ops_.swiglu(got.data(), u.data(), n);
      ref_.swiglu(want.data(), u.data(), n);
      ASSERT_TRUE(same_bits(got, want)) << "n " << n << " sd " << sd;
    }
  }
  // exp(-g) under- and overflowing, subnormal results, |n| around 126/127/192, signed zeros
  std::vector<float> g = {0.0f, -0.0f, 1e-30f, -1e-30f, 87.0f, -87.0f, 87.3f, -88.7f, -88.8f, 89.0f, -89.0f,
                          100.0f, -100.0f, 103.0f, -103.9f, -104.0f, 120.0f, -120.0f, 132.0f, -133.0f, 133.3f,
                          -140.0f, 150.0f, -170.0f, 200.0f, -200.0f, 1e6f, -1e6f, 1e30f, -1e30f};
  for (float x = -140.0f; x <= 140.0f; x += 0.37f) g.push_back(x);
  for (float x = 85.0f; x <= 105.0f; x += 0.0137f) {  // exp(-g) near overflow / subnormal / zero
    g.push_back(x);
    g.push_back(-x);
  }
  const std::vector<float> u(g.size(), 1.5f);
  std::vector<float> got = g, want = g;
  ops_.swiglu(got.data(), u.data(), static_cast<int64_t>(g.size()));
  ref_.swiglu(want.data(), u.data(), static_cast<int64_t>(g.size()));
  ASSERT_TRUE(same_bits(got, want)) << "edge values";
}

TEST_P(Ops, SoftmaxF16) {
  uint32_t seed = 300;
  // The outputs are rounded to fp16, which hides most errors in the sum: many trials.
  for (int32_t n = 1; n <= 600; ++n) {
    for (float sd : {0.3f, 1.0f, 3.0f, 40.0f}) {
      const auto x = test::random_vector(static_cast<size_t>(n), ++seed, sd);
      std::vector<float> got = x, want = x;
      ops_.softmax_f16(got.data(), n);
      ref_.softmax_f16(want.data(), n);
      ASSERT_TRUE(same_bits(got, want)) << "n " << n << " sd " << sd;
    }
  }
  // exp arguments down to -200: subnormal and zero weights
  std::vector<float> x;
  for (float s = 0.0f; s >= -200.0f; s -= 0.731f) x.push_back(s);
  std::vector<float> got = x, want = x;
  ops_.softmax_f16(got.data(), static_cast<int32_t>(x.size()));
  ref_.softmax_f16(want.data(), static_cast<int32_t>(x.size()));
  ASSERT_TRUE(same_bits(got, want)) << "wide range";
}

TEST_P(Ops, F16Conversions) {
  auto x = f16_edge_values();
  const auto r = test::random_vector(1003, 400, 3.0f);
  x.insert(x.end(), r.begin(), r.end());
  for (size_t n : {x.size(), size_t{1}, size_t{5}, size_t{8}, size_t{13}, size_t{16}, size_t{31}}) {
    std::vector<uint16_t> h(n), h_ref(n);
    ops_.f32_to_f16(x.data(), h.data(), static_cast<int64_t>(n));
    ref_.f32_to_f16(x.data(), h_ref.data(), static_cast<int64_t>(n));
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(h[i], h_ref[i]) << "f32_to_f16 " << hex(x[i]);
      ASSERT_EQ(h[i], fp32_to_fp16(x[i])) << hex(x[i]);
    }
    std::vector<float> f(n), f_ref(n);
    ops_.round_f16(x.data(), f.data(), static_cast<int64_t>(n));
    ref_.round_f16(x.data(), f_ref.data(), static_cast<int64_t>(n));
    ASSERT_TRUE(same_bits(f.data(), f_ref.data(), n)) << "round_f16 n " << n;
  }
}

// A random f16 K or V cache of n_keys positions, kv_stride elements each.
std::vector<uint16_t> random_cache(int32_t n_keys, size_t kv_stride, uint32_t seed, float sd) {
  return to_f16(test::random_vector(static_cast<size_t>(n_keys) * kv_stride, seed, sd));
}

std::vector<int32_t> key_counts() {
  std::vector<int32_t> v;
  for (int32_t n = 1; n <= 70; ++n) v.push_back(n);
  for (int32_t n : {127, 128, 129, 191, 192, 193, 255, 256, 257, 300, 511, 512, 513, 600}) v.push_back(n);
  return v;
}

TEST_P(Ops, AttnScoresAndMix) {
  uint32_t seed = 500;
  for (F16DotOrder order : {F16DotOrder::kTinyBlas, F16DotOrder::kVecDotF16}) {
    const std::vector<int32_t> dims = order == F16DotOrder::kTinyBlas
                                          ? std::vector<int32_t>{16, 32, 48, 64, 80, 128, 256}
                                          : std::vector<int32_t>{2, 6, 16, 50, 64, 80, 96, 128, 130, 192, 256};
    for (int32_t hd : dims) {
      const size_t stride = static_cast<size_t>(hd) * 3;  // GQA layout: 3 KV heads, reading head 1
      for (int32_t n_keys : {1, 2, 5, 15, 16, 17, 33, 63, 64, 65, 100, 129, 257, 600}) {
        const auto k = random_cache(n_keys, stride, ++seed, 2.0f);
        const auto v = random_cache(n_keys, stride, ++seed, 1.0f);
        std::vector<float> q = test::random_vector(static_cast<size_t>(hd), ++seed, 1.5f);
        ref_.round_f16(q.data(), q.data(), hd);
        const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
        std::vector<float> got(static_cast<size_t>(n_keys)), want(static_cast<size_t>(n_keys));
        ops_.attn_scores(q.data(), k.data() + hd, stride, hd, n_keys, scale, order, got.data());
        ref_.attn_scores(q.data(), k.data() + hd, stride, hd, n_keys, scale, order, want.data());
        ASSERT_TRUE(same_bits(got, want)) << "scores hd " << hd << " n_keys " << n_keys << " order "
                                          << static_cast<int>(order);
        ref_.softmax_f16(want.data(), n_keys);  // fp16-valued weights for the mix
        std::vector<float> scratch(kernels::attn_scratch_floats(n_keys, hd));
        std::vector<float> out(static_cast<size_t>(hd)), out_ref(static_cast<size_t>(hd));
        ops_.attn_mix(want.data(), v.data() + hd, stride, hd, n_keys, order, out.data(), scratch.data());
        ref_.attn_mix(want.data(), v.data() + hd, stride, hd, n_keys, order, out_ref.data(), scratch.data());
        ASSERT_TRUE(same_bits(out, out_ref)) << "mix hd " << hd << " n_keys " << n_keys << " order "
                                             << static_cast<int>(order);
      }
    }
  }
}

TEST_P(Ops, AttnHead) {
  uint32_t seed = 600;
  struct Case {
    int32_t hd;
    F16DotOrder kq, kqv;
  };
  const F16DotOrder tb = F16DotOrder::kTinyBlas, vec = F16DotOrder::kVecDotF16;
  for (Case c : {Case{64, tb, tb}, Case{64, vec, vec}, Case{128, tb, tb}, Case{128, vec, vec}, Case{80, tb, tb},
                 Case{96, vec, vec}, Case{36, vec, tb}, Case{6, vec, vec}}) {
    const int32_t n_max = 600;
    const size_t stride = static_cast<size_t>(c.hd) * 2;
    const auto k = random_cache(n_max, stride, ++seed, 2.5f);
    const auto v = random_cache(n_max, stride, ++seed, 1.0f);
    std::vector<float> scratch(kernels::attn_scratch_floats(n_max, c.hd) + 64);
    for (int32_t n_keys : key_counts()) {
      const auto q = test::random_vector(static_cast<size_t>(c.hd), ++seed, 1.5f);
      std::vector<float> got(static_cast<size_t>(c.hd), -1.0f), want(static_cast<size_t>(c.hd), -2.0f);
      kernels::AttnJob job{q.data(), k.data(), v.data(), stride, c.hd, n_keys, 1.0f / std::sqrt(static_cast<float>(c.hd)),
                           c.kq, c.kqv, got.data(), scratch.data() + 3};  // also unaligned scratch
      ops_.attn_head(job);
      job.out = want.data();
      job.scratch = scratch.data();
      ref_.attn_head(job);
      ASSERT_TRUE(same_bits(got, want)) << "hd " << c.hd << " n_keys " << n_keys << " kq " << static_cast<int>(c.kq)
                                        << " kqv " << static_cast<int>(c.kqv);
    }
  }
}

// The threaded layer: T = 1 (decode) and T > 1 (prompt) at several pos0, thread counts 1 and 3.
TEST_P(Ops, AttentionLayer) {
  const layers::AttentionShape s{9, 3, 64, 0.125f};
  const int32_t n_ctx = 160, q_dim = s.n_head * s.head_dim, kv_dim = s.n_head_kv * s.head_dim;
  const auto k = random_cache(n_ctx, static_cast<size_t>(kv_dim), 700, 2.0f);
  const auto v = random_cache(n_ctx, static_cast<size_t>(kv_dim), 701, 1.0f);
  ThreadPool pool1(1), pool3(3);
  std::vector<float> scratch(3 * layers::attention_scratch_floats(n_ctx, s.head_dim));
  struct Batch {
    int32_t T, pos0;
  };
  for (Batch b : {Batch{1, 0}, Batch{1, 5}, Batch{1, 100}, Batch{2, 0}, Batch{7, 0}, Batch{13, 40}, Batch{60, 99}}) {
    const auto q = test::random_vector(static_cast<size_t>(b.T) * q_dim, 702 + b.T, 1.5f);
    std::vector<float> got(q.size()), got3(q.size()), want(q.size());
    layers::attention(ops_, pool1, s, q.data(), k.data(), v.data(), got.data(), b.T, b.pos0, n_ctx, scratch.data());
    layers::attention(ops_, pool3, s, q.data(), k.data(), v.data(), got3.data(), b.T, b.pos0, n_ctx, scratch.data());
    layers::attention(ref_, pool1, s, q.data(), k.data(), v.data(), want.data(), b.T, b.pos0, n_ctx, scratch.data());
    ASSERT_TRUE(same_bits(got, want)) << "T " << b.T << " pos0 " << b.pos0;
    ASSERT_TRUE(same_bits(got3, want)) << "3 threads, T " << b.T << " pos0 " << b.pos0;
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, Ops, ::testing::ValuesIn(test::all_isas()),
                         [](const ::testing::TestParamInfo<Isa>& i) { return std::string(kernels::isa_name(i.param)); });

// Whole forward passes of the real model (prompt, then single-token decode steps) with each
// ISA's ops table and the same matmul kernels: the logits must be bitwise identical.
TEST(OpsModel, ForwardIsBitwiseEqualAcrossIsas) {
  if (!testing::have_default_model()) GTEST_SKIP() << "no default model";
  auto file = gguf::File::open(testing::default_model_path());
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto model = load_model(*file);
  ASSERT_TRUE(model.ok()) << model.error().message;
  const Model& m = **model;
  const HParams& hp = m.hparams();
  const kernels::KernelTable kt = kernels::kernels_for(CpuFeatures::detect());
  ThreadPool pool(2);
  const std::vector<int32_t> prompt = {1, 504, 3458, 282, 4649, 314, 253, 1345, 28, 339, 3884, 30, 216, 9238,
                                       17, 2451, 33, 4120, 588, 2733, 45, 91, 1205, 7};
  const std::vector<int32_t> decode = {253, 2106, 30, 1115, 42};
  const int32_t n_ctx = 64;
  auto run = [&](Isa isa) {
    const OpsTable ops = kernels::make_ops_table(isa);
    const ExecContext ctx{kt, ops, pool};
    KvCache kv(hp.n_layer, n_ctx, hp.kv_dim());
    auto ws = m.make_workspace(static_cast<int32_t>(prompt.size()), n_ctx, pool.size());
    std::vector<float> logits(static_cast<size_t>(hp.n_vocab) * (prompt.size() + decode.size()));
    EXPECT_TRUE(m.forward(ctx, *ws, kv, prompt, 0, static_cast<int32_t>(prompt.size()), logits.data()).ok());
    for (size_t i = 0; i < decode.size(); ++i) {
      const int32_t pos = static_cast<int32_t>(prompt.size() + i);
      float* out = logits.data() + static_cast<size_t>(pos) * hp.n_vocab;
      EXPECT_TRUE(m.forward(ctx, *ws, kv, std::span<const int32_t>(&decode[i], 1), pos, 1, out).ok());
    }
    return logits;
  };
  const std::vector<float> want = run(Isa::kScalar);
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (!test::cpu_has(isa)) continue;
    EXPECT_TRUE(same_bits(run(isa), want)) << kernels::isa_name(isa);
  }
}

}  // namespace
}  // namespace skim
