// quant_test.cpp — the block codecs of tensor/quant/: known answers from hand-built blocks,
// round-trip error bounds for every type, and the exact rules of the activation
// quantizers (roundf vs nearest_int ties, the Q8_1 s field, Q8_K bsums).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "format/gguf/gguf_types.h"
#include "kernels/test_util.h"
#include "tensor/dtype.h"
#include "tensor/quant/q4_0.h"
#include "tensor/quant/q4_1.h"
#include "tensor/quant/q4_k.h"
#include "tensor/quant/q5_0.h"
#include "tensor/quant/q5_1.h"
#include "tensor/quant/q5_k.h"
#include "tensor/quant/q6_k.h"
#include "tensor/quant/q8_0.h"
#include "tensor/quant/q8_1.h"
#include "tensor/quant/q8_k.h"

namespace skim {
namespace {

TEST(DType, TraitsMatchGgufGeometry) {
  for (const DTypeTraits& tr : kDTypeTraits) {
    const auto info = gguf::ggml_type_info(static_cast<int32_t>(tr.type));
    ASSERT_TRUE(info.has_value()) << tr.name;
    EXPECT_EQ(info->block_size, tr.block_size) << tr.name;
    EXPECT_EQ(info->type_size, tr.type_size) << tr.name;
    EXPECT_EQ(dtype_from_ggml(static_cast<int32_t>(tr.type)), tr.type);
  }
  EXPECT_FALSE(dtype_from_ggml(4).has_value());
  EXPECT_FALSE(dtype_from_ggml(20).has_value());  // IQ4_NL: not supported
  EXPECT_EQ(vec_dot_type(DType::kQ4_1), DType::kQ8_1);
  EXPECT_EQ(vec_dot_type(DType::kQ5_0), DType::kQ8_0);
  EXPECT_EQ(vec_dot_type(DType::kQ6_K), DType::kQ8_K);
  EXPECT_EQ(vec_dot_type(DType::kF16), DType::kF32);
  EXPECT_EQ(row_bytes(DType::kQ4_K, 1024), 4u * 144u);
  EXPECT_EQ(row_bytes(DType::kBF16, 10), 20u);
}

TEST(TensorView, MatrixGeometry) {
  std::vector<uint8_t> buf(row_bytes(DType::kQ4_1, 64) * 3);
  const TensorView v = TensorView::matrix(DType::kQ4_1, 3, 64, buf.data());
  EXPECT_EQ(v.rows(), 3);
  EXPECT_EQ(v.cols(), 64);
  EXPECT_EQ(v.row_bytes(), 40u);
  EXPECT_EQ(static_cast<const uint8_t*>(v.row(2)) - buf.data(), 80);
}

// ---- known answers ------------------------------------------------------------------------

TEST(KnownAnswer, Q4_1) {
  BlockQ4_1 b{};
  b.d = fp32_to_fp16(0.5f);
  b.m = fp32_to_fp16(-1.0f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y[32];
  dequantize_row_ref(&b, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.5f * static_cast<float>(j) - 1.0f) << j;
    EXPECT_EQ(y[j + 16], 0.5f * static_cast<float>(15 - j) - 1.0f) << j;
  }
}

TEST(KnownAnswer, Q4_0) {
  BlockQ4_0 b{};
  b.d = fp32_to_fp16(2.0f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | (j << 4));
  float y[32];
  dequantize_row_ref(&b, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 2.0f * static_cast<float>(j - 8));
    EXPECT_EQ(y[j + 16], 2.0f * static_cast<float>(j - 8));
  }
}

TEST(KnownAnswer, Q5_0AndQ5_1) {
  BlockQ5_0 b0{};
  BlockQ5_1 b1{};
  b0.d = b1.d = fp32_to_fp16(1.0f);
  b1.m = fp32_to_fp16(0.25f);
  const uint32_t h = 0xA5A5F00Fu;  // fifth bits
  std::memcpy(b0.qh, &h, 4);
  std::memcpy(b1.qh, &h, 4);
  for (int j = 0; j < 16; ++j) b0.qs[j] = b1.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y0[32], y1[32];
  dequantize_row_ref(&b0, y0, 32);
  dequantize_row_ref(&b1, y1, 32);
  for (int k = 0; k < 32; ++k) {
    const int nib = k < 16 ? k : 15 - (k - 16);
    const int q = nib + 16 * static_cast<int>((h >> k) & 1);
    EXPECT_EQ(y0[k], static_cast<float>(q - 16)) << k;
    EXPECT_EQ(y1[k], static_cast<float>(q) + 0.25f) << k;
  }
}

TEST(KnownAnswer, Q8_0) {
  BlockQ8_0 b{};
  b.d = fp32_to_fp16(0.25f);
  for (int j = 0; j < 32; ++j) b.qs[j] = static_cast<int8_t>(j - 16);
  float y[32];
  dequantize_row_ref(&b, y, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.25f * static_cast<float>(j - 16));
}

TEST(KnownAnswer, Q4_KAndQ5_K) {
  uint8_t sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = static_cast<uint8_t>(7 * j + 13);  // up to 62: exercises the 6-bit high parts
    m[j] = static_cast<uint8_t>(63 - 5 * j);
  }
  BlockQ4_K b{};
  b.d = fp32_to_fp16(0.5f);
  b.dmin = fp32_to_fp16(0.125f);
  pack_k4_scales(sc, m, b.scales);
  uint8_t sc2[8], m2[8];
  unpack_k4_scales(b.scales, sc2, m2);
  for (int j = 0; j < 8; ++j) {
    ASSERT_EQ(sc2[j], sc[j]);
    ASSERT_EQ(m2[j], m[j]);
  }
  for (int l = 0; l < 128; ++l) b.qs[l] = static_cast<uint8_t>((l % 16) | (((l / 3) % 16) << 4));
  BlockQ5_K b5{};
  b5.d = b.d;
  b5.dmin = b.dmin;
  std::memcpy(b5.scales, b.scales, 12);
  std::memcpy(b5.qs, b.qs, 128);
  for (int l = 0; l < 32; ++l) b5.qh[l] = static_cast<uint8_t>(l * 37 + 11);
  float y[256], y5[256];
  dequantize_row_ref(&b, y, 256);
  dequantize_row_ref(&b5, y5, 256);
  for (int e = 0; e < 256; ++e) {
    const int c = e / 64, l = e % 32, j = e / 32;
    const bool high = (e % 64) >= 32;
    const int q = high ? ((l + 32 * c) / 3) % 16 : (l + 32 * c) % 16;
    const float want = 0.5f * sc[j] * static_cast<float>(q) - 0.125f * m[j];
    EXPECT_FLOAT_EQ(y[e], want) << e;
    const int bit = (b5.qh[l] >> (2 * c + (high ? 1 : 0))) & 1;
    EXPECT_FLOAT_EQ(y5[e], 0.5f * sc[j] * static_cast<float>(q + 16 * bit) - 0.125f * m[j]) << e;
  }
}

TEST(KnownAnswer, Q6_K) {
  // Build from chosen 6-bit values with the documented bit layout, then compare.
  uint8_t L[256];
  for (int e = 0; e < 256; ++e) L[e] = static_cast<uint8_t>((e * 7 + 3) % 64);
  BlockQ6_K b{};
  b.d = fp32_to_fp16(0.5f);
  for (int g = 0; g < 16; ++g) b.scales[g] = static_cast<int8_t>(g * 9 - 70);
  for (int h = 0; h < 2; ++h) {
    for (int l = 0; l < 32; ++l) {
      const uint8_t* q = L + 128 * h;
      b.ql[64 * h + l] = static_cast<uint8_t>((q[l] & 15) | ((q[l + 64] & 15) << 4));
      b.ql[64 * h + l + 32] = static_cast<uint8_t>((q[l + 32] & 15) | ((q[l + 96] & 15) << 4));
      b.qh[32 * h + l] = static_cast<uint8_t>((q[l] >> 4) | ((q[l + 32] >> 4) << 2) |
                                              ((q[l + 64] >> 4) << 4) | ((q[l + 96] >> 4) << 6));
    }
  }
  float y[256];
  dequantize_row_ref(&b, y, 256);
  for (int e = 0; e < 256; ++e) {
    EXPECT_EQ(y[e], 0.5f * static_cast<float>(b.scales[e / 16]) * static_cast<float>(L[e] - 32)) << e;
  }
}

TEST(KnownAnswer, Q4_1DotQ8_1) {
  // w = 0.5 * nibble - 1, x = q * 0.5 (d = 0.5 after quantization of these exact values).
  BlockQ4_1 w{};
  w.d = fp32_to_fp16(0.5f);
  w.m = fp32_to_fp16(-1.0f);
  for (int j = 0; j < 16; ++j) w.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float x[32];
  for (int j = 0; j < 32; ++j) x[j] = 0.5f * static_cast<float>((j % 2 ? 1 : -1) * (j * 4 % 127));
  x[5] = 63.5f;  // amax = 63.5 -> d = 0.5 exactly
  BlockQ8_1 xq{};
  quantize_row_ref(x, &xq, 32);
  ASSERT_EQ(fp16_to_fp32(xq.d), 0.5f);
  float wd[32];
  dequantize_row_ref(&w, wd, 32);
  double want = 0.0;
  for (int j = 0; j < 32; ++j) want += static_cast<double>(wd[j]) * x[j];
  int sumi = 0;
  for (int j = 0; j < 16; ++j) sumi += j * xq.qs[j] + (15 - j) * xq.qs[j + 16];
  const float got = kernels::ref::vec_dot_q4_1(32, &w, &xq);
  // Exactly ggml's formula: (d_w * d_x) * sumi + m_w * s_x, with s_x rounded to fp16 ...
  EXPECT_EQ(got, 0.25f * static_cast<float>(sumi) + (-1.0f) * fp16_to_fp32(xq.s));
  // ... which is the true dot product up to that fp16 rounding of sum(x).
  EXPECT_NEAR(got, want, 0.5);
}

// ---- activation quantizers --------------------------------------------------------------------

TEST(ActQuant, Q8_0RoundsHalfAwayFromZero) {
  float x[32] = {};
  x[0] = 127.0f;  // d = 1
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 0.5f;
  x[4] = -1.5f;
  BlockQ8_0 b{};
  quantize_row_ref(x, &b, 32);
  EXPECT_EQ(fp16_to_fp32(b.d), 1.0f);
  EXPECT_EQ(b.qs[1], 3);
  EXPECT_EQ(b.qs[2], -3);
  EXPECT_EQ(b.qs[3], 1);
  EXPECT_EQ(b.qs[4], -2);
}

TEST(ActQuant, Q8_1SumField) {
  const auto x = test::random_vector(256, 7);
  BlockQ8_1 b[8];
  quantize_row_ref(x.data(), b, 256);
  for (int i = 0; i < 8; ++i) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[32 * i + j]));
    int sum = 0;
    for (int8_t q : b[i].qs) sum += q;
    // s uses the f32 scale amax/127, not the fp16-rounded d (as ggml does).
    EXPECT_EQ(b[i].s, fp32_to_fp16(static_cast<float>(sum) * (amax / 127.0f)));
    EXPECT_EQ(b[i].d, fp32_to_fp16(amax / 127.0f));
  }
}

TEST(ActQuant, NearestIntTiesToEven) {
  EXPECT_EQ(nearest_int(2.5f), 2);
  EXPECT_EQ(nearest_int(3.5f), 4);
  EXPECT_EQ(nearest_int(-2.5f), -2);
  EXPECT_EQ(nearest_int(-3.4f), -3);
  EXPECT_EQ(nearest_int(126.6f), 127);
}

TEST(ActQuant, Q8_KScaleAndBsums) {
  auto x = test::random_vector(512, 11);
  x[10] = 100.0f;    // block 0: positive signed max -> iscale = -127/max < 0, d < 0
  x[300] = -100.0f;  // block 1: negative signed max -> d > 0
  BlockQ8_K b[2];
  quantize_row_ref(x.data(), b, 512);
  EXPECT_FLOAT_EQ(b[0].d, -100.0f / 127.0f);
  EXPECT_FLOAT_EQ(b[1].d, 100.0f / 127.0f);
  EXPECT_EQ(b[0].qs[10], -127);
  EXPECT_EQ(b[1].qs[300 - 256], -127);
  for (const BlockQ8_K& blk : b) {
    for (int g = 0; g < 16; ++g) {
      int s = 0;
      for (int l = 0; l < 16; ++l) s += blk.qs[16 * g + l];
      EXPECT_EQ(blk.bsums[g], s);
    }
  }
  // All-zero block: d = 0, everything zero.
  std::vector<float> z(256, 0.0f);
  BlockQ8_K bz;
  std::memset(&bz, 0x5A, sizeof bz);
  quantize_row_ref(z.data(), &bz, 256);
  EXPECT_EQ(bz.d, 0.0f);
  for (int g = 0; g < 16; ++g) EXPECT_EQ(bz.bsums[g], 0);
  for (int j = 0; j < 256; ++j) EXPECT_EQ(bz.qs[j], 0);
}

// ---- round trips ------------------------------------------------------------------------------

struct RoundTripCase {
  DType type;
  double max_nmse;
};

class RoundTrip : public testing::TestWithParam<RoundTripCase> {};

TEST_P(RoundTrip, ErrorWithinBound) {
  const RoundTripCase c = GetParam();
  const int64_t n = 4096;
  const auto x = test::random_vector(n, 1234);
  std::vector<uint8_t> q(row_bytes(c.type, n));
  std::vector<float> y(n);
  kernels::ref::quantize_row(c.type, x.data(), q.data(), n);
  kernels::ref::dequantize_row(c.type, q.data(), y.data(), n);
  const double e = test::nmse(y.data(), x.data(), n);
  EXPECT_LT(e, c.max_nmse) << dtype_name(c.type) << " nmse " << e;
  // Constant blocks and zeros survive exactly for the asymmetric / scaled formats.
  std::vector<float> zeros(n, 0.0f);
  kernels::ref::quantize_row(c.type, zeros.data(), q.data(), n);
  kernels::ref::dequantize_row(c.type, q.data(), y.data(), n);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], 0.0f) << dtype_name(c.type) << " at " << i;
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes, RoundTrip,
    // Bounds ~1.3x the measured error on this data (gaussian with 4x outliers); the K-quant
    // weight quantizers are simple min/max fits (see q4_k.h), not ggml's search.
    testing::Values(RoundTripCase{DType::kF32, 1e-30}, RoundTripCase{DType::kF16, 6e-8},
                    RoundTripCase{DType::kBF16, 4e-6}, RoundTripCase{DType::kQ4_0, 1.5e-2},
                    RoundTripCase{DType::kQ4_1, 1e-2}, RoundTripCase{DType::kQ5_0, 3.8e-3},
                    RoundTripCase{DType::kQ5_1, 2.4e-3}, RoundTripCase{DType::kQ8_0, 6e-5},
                    RoundTripCase{DType::kQ8_1, 6e-5}, RoundTripCase{DType::kQ4_K, 1e-2},
                    RoundTripCase{DType::kQ5_K, 2.4e-3}, RoundTripCase{DType::kQ6_K, 6.5e-4},
                    RoundTripCase{DType::kQ8_K, 2.2e-4}),
    [](const testing::TestParamInfo<RoundTripCase>& i) { return std::string(dtype_name(i.param.type)); });

}  // namespace
}  // namespace skim
