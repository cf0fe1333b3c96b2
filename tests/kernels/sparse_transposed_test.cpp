// sparse_transposed_test.cpp — transpose_repack and the serialized form of TransposedMatrix:
//  - an F32 repack is exactly dq(w)ᵀ (error 0); F16 / Q8_0 / Q4_1 repacks of Q4_1 weights
//    stay under per-type bounds of relative Frobenius error (printed for the record);
//  - transpose_exact (Q4_1 panels) holds exactly dq(w)ᵀ in as many bytes as w;
//  - bad targets (unsupported type, output not a multiple of the block) are refused;
//  - bytes() -> from_bytes / transposed_view_from_bytes round-trips exactly, and every kind
//    of damage (truncation, extra bytes, magic, version, type, shape, stride, payload size,
//    reserved field, a flipped payload bit) is refused with a message.
#include <gtest/gtest.h>

#include <cstring>

#include "kernels/sparse.h"
#include "kernels/test_util.h"

namespace skim {
namespace {

using kernels::TransposedMatrix;

test::Matrix q4_1_weights(int64_t out, int64_t in, uint32_t seed) {
  return test::make_matrix(DType::kQ4_1, out, in, test::random_vector(out * in, seed, 0.05f));
}

TEST(TransposeRepack, F32IsExactTranspose) {
  const test::Matrix w = q4_1_weights(96, 160, 1);
  auto r = kernels::transpose_repack(w.view(), DType::kF32);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const TransposedMatrix& wt = *r;
  EXPECT_EQ(wt.type(), DType::kF32);
  EXPECT_EQ(wt.in(), 160);
  EXPECT_EQ(wt.out(), 96);
  EXPECT_EQ(wt.row_stride(), 96 * sizeof(float));
  for (int64_t i = 0; i < 160; ++i) {
    const auto* row = static_cast<const float*>(wt.row(i));
    for (int64_t j = 0; j < 96; ++j) ASSERT_EQ(row[j], w.deq[j * 160 + i]) << i << "," << j;
  }
  EXPECT_EQ(kernels::transpose_repack_error(w.view(), wt.view()), 0.0);
}

TEST(TransposeRepack, RequantizationErrorPerType) {
  const test::Matrix w = q4_1_weights(576, 1536, 2);  // the down projection's shape
  struct Bound {
    DType type;
    double max_error;
  };
  for (const Bound& b : {Bound{DType::kF16, 1e-3}, Bound{DType::kQ8_0, 0.02}, Bound{DType::kQ4_1, 0.2}}) {
    auto r = kernels::transpose_repack(w.view(), b.type);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const double e = kernels::transpose_repack_error(w.view(), r->view());
    std::printf("  repack Q4_1 [576, 1536] -> %s: relative Frobenius error %.4g\n",
                std::string(dtype_name(b.type)).c_str(), e);
    EXPECT_GT(e, 0.0);
    EXPECT_LT(e, b.max_error) << dtype_name(b.type);
  }
}

TEST(TransposeExact, PanelsHoldExactlyTheQ4_1Values) {
  for (auto [out, in] : std::vector<std::pair<int64_t, int64_t>>{{576, 1536}, {192, 576}, {32, 32}, {96, 64}}) {
    const test::Matrix w = q4_1_weights(out, in, static_cast<uint32_t>(out + in));
    auto r = kernels::transpose_exact(w.view());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->layout(), kernels::TransposedLayout::kPanels);
    EXPECT_EQ(r->type(), DType::kQ4_1);
    EXPECT_EQ(r->bytes().size(), TransposedMatrix::kHeaderBytes + w.bytes.size());  // same bytes as Q4_1
    std::vector<float> row(static_cast<size_t>(out));
    for (int64_t i = 0; i < in; ++i) {
      kernels::dequantize_transposed_row(r->view(), i, row.data());
      for (int64_t j = 0; j < out; ++j) ASSERT_EQ(row[j], w.deq[j * in + i]) << out << "x" << in << " " << i << "," << j;
    }
    EXPECT_EQ(kernels::transpose_repack_error(w.view(), r->view()), 0.0);
  }
}

TEST(TransposeExact, RefusesOtherTypesAndShapes) {
  const test::Matrix q8 = test::make_matrix(DType::kQ8_0, 64, 64, test::random_vector(64 * 64, 6));
  auto a = kernels::transpose_exact(q8.view());
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("q4_1"), std::string::npos);
  EXPECT_FALSE(kernels::transpose_exact(q4_1_weights(48, 64, 7).view()).ok());  // out = 48
  EXPECT_FALSE(kernels::transpose_exact(TensorView{}).ok());
}

TEST(TransposeRepack, RefusesBadTargets) {
  const test::Matrix w = q4_1_weights(48, 64, 3);
  auto bad_type = kernels::transpose_repack(w.view(), DType::kQ4_K);
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.error().message.find("unsupported"), std::string::npos);
  auto bad_block = kernels::transpose_repack(w.view(), DType::kQ8_0);  // out = 48
  ASSERT_FALSE(bad_block.ok());
  EXPECT_NE(bad_block.error().message.find("multiple"), std::string::npos);
  EXPECT_TRUE(kernels::transpose_repack(w.view(), DType::kF16).ok());  // float types: any out
  EXPECT_FALSE(kernels::transpose_repack(TensorView{}, DType::kF16).ok());
}

TEST(TransposedSerialization, RoundTrips) {
  const test::Matrix w = q4_1_weights(192, 576, 4);
  std::vector<kernels::TransposedMatrix> all;
  for (DType t : kernels::transposed_types()) {
    auto r = kernels::transpose_repack(w.view(), t);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->bytes().size(), TransposedMatrix::kHeaderBytes + row_bytes(t, 192) * 576);
    all.push_back(std::move(r).value());
  }
  all.push_back(*kernels::transpose_exact(w.view()));
  for (const kernels::TransposedMatrix& m : all) {
    const kernels::TransposedMatrix* r = &m;
    const auto bytes = r->bytes();
    auto back = TransposedMatrix::from_bytes(bytes);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->type(), r->type());
    EXPECT_EQ(back->layout(), r->layout());
    EXPECT_EQ(back->in(), 576);
    EXPECT_EQ(back->out(), 192);
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), back->bytes().begin(), back->bytes().end()));
    auto view = kernels::transposed_view_from_bytes(bytes);
    ASSERT_TRUE(view.ok()) << view.error().message;
    EXPECT_EQ(view->data, bytes.data() + TransposedMatrix::kHeaderBytes);  // no copy
    EXPECT_EQ(view->row_stride, r->row_stride());
    // A copy is independent of the original.
    TransposedMatrix copy = *r;
    EXPECT_NE(copy.view().data, r->view().data);
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), copy.bytes().begin(), copy.bytes().end()));
  }
}

TEST(TransposedSerialization, RefusesDamage) {
  const test::Matrix w = q4_1_weights(64, 96, 5);
  auto r = kernels::transpose_repack(w.view(), DType::kQ8_0);
  ASSERT_TRUE(r.ok());
  const std::vector<uint8_t> good(r->bytes().begin(), r->bytes().end());
  auto expect_refused = [](const std::vector<uint8_t>& b, const char* what) {
    auto m = TransposedMatrix::from_bytes(b);
    ASSERT_FALSE(m.ok()) << what;
    EXPECT_FALSE(m.error().message.empty());
    EXPECT_FALSE(kernels::transposed_view_from_bytes(b).ok()) << what;
  };
  auto patched = [&](size_t off, const void* v, size_t n) {
    std::vector<uint8_t> b = good;
    std::memcpy(b.data() + off, v, n);
    return b;
  };
  expect_refused({}, "empty");
  expect_refused(std::vector<uint8_t>(good.begin(), good.begin() + 40), "short header");
  expect_refused(std::vector<uint8_t>(good.begin(), good.end() - 1), "truncated payload");
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  expect_refused(longer, "extra byte");
  expect_refused(patched(0, "SKIMWT02", 8), "magic");
  const uint32_t version = 2;
  expect_refused(patched(8, &version, 4), "version");
  for (int32_t type : {4, 12, 99, -1}) expect_refused(patched(12, &type, 4), "type");
  const int32_t f16 = 1;  // a valid type whose stride does not match
  expect_refused(patched(12, &f16, 4), "type/stride mismatch");
  for (int64_t in : {int64_t{0}, int64_t{-5}, int64_t{95}, int64_t{1} << 40}) expect_refused(patched(16, &in, 8), "in");
  for (int64_t out : {int64_t{0}, int64_t{48}, int64_t{96}}) expect_refused(patched(24, &out, 8), "out");
  const uint64_t stride = 99;
  expect_refused(patched(32, &stride, 8), "stride");
  const uint64_t payload = 12;
  expect_refused(patched(40, &payload, 8), "payload size");
  const uint32_t panels = 1, bad_layout = 2, reserved = 1;
  expect_refused(patched(56, &panels, 4), "layout/stride mismatch");
  expect_refused(patched(56, &bad_layout, 4), "layout");
  expect_refused(patched(60, &reserved, 4), "reserved");
  std::vector<uint8_t> flipped = good;
  flipped[TransposedMatrix::kHeaderBytes + 1000] ^= 0x10;
  auto m = TransposedMatrix::from_bytes(flipped);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("checksum"), std::string::npos);
}

}  // namespace
}  // namespace skim
