// gguf_reader_test.cpp — the GGUF reader: round trips through the writer, every value
// type, and hostile inputs (truncation at every byte, bit flips, absurd counts, bad
// offsets, unknown types) that must give one-line errors, never crashes.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "common/test_paths.h"
#include "format/gguf/gguf_file.h"
#include "format/gguf/gguf_writer.h"

namespace skim::gguf {
namespace {

std::vector<uint8_t> small_file() {
  Writer w;
  w.add_string("general.architecture", "llama");
  w.add_u32("llama.block_count", 2);
  w.add_i32("some.i32", -7);
  w.add_u64("some.u64", 1ull << 40);
  w.add_f32("some.f32", 0.5f);
  w.add_bool("some.bool", true);
  std::vector<std::string> toks = {"a", "bc", ""};
  w.add_string_array("tokenizer.ggml.tokens", toks);
  std::vector<float> scores = {1.0f, -2.0f};
  w.add_f32_array("tokenizer.ggml.scores", scores);
  std::vector<float> t0(4 * 8);
  for (size_t i = 0; i < t0.size(); ++i) t0[i] = static_cast<float>(i);
  w.add_tensor("t0", GgmlType::kF32, {4, 8},
               {reinterpret_cast<const uint8_t*>(t0.data()), t0.size() * sizeof(float)});
  std::vector<uint8_t> q(20 * 3, 7);  // 3 Q4_1 blocks: [1, 96]
  w.add_tensor("t1", GgmlType::kQ4_1, {1, 96}, q);
  return w.to_bytes();
}

TEST(GgufReader, RoundTripsEveryValueType) {
  auto bytes = small_file();
  auto f = File::parse(bytes);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(*f->get_string("general.architecture"), "llama");
  EXPECT_EQ(*f->get_int("llama.block_count"), 2);
  EXPECT_EQ(*f->get_int("some.i32"), -7);
  EXPECT_EQ(*f->get_int("some.u64"), 1ll << 40);
  EXPECT_FLOAT_EQ(static_cast<float>(*f->get_float("some.f32")), 0.5f);
  EXPECT_TRUE(*f->get_bool("some.bool"));
  auto toks = f->get_array("tokenizer.ggml.tokens", ValueType::kString);
  ASSERT_TRUE(toks.ok());
  ASSERT_EQ((*toks)->items.size(), 3u);
  EXPECT_EQ(*(*toks)->items[1].as_string(), "bc");
  EXPECT_EQ(*(*toks)->items[2].as_string(), "");
  EXPECT_FALSE(f->get_array("tokenizer.ggml.tokens", ValueType::kFloat32).ok());
  EXPECT_EQ(*f->get_int_or("missing", 42), 42);
  EXPECT_FALSE(f->get_int("missing").ok());
  EXPECT_FALSE(f->get_int("general.architecture").ok());  // wrong type is an error

  ASSERT_EQ(f->tensors().size(), 2u);
  const TensorInfo* t0 = f->find_tensor("t0");
  ASSERT_NE(t0, nullptr);
  EXPECT_EQ(t0->shape, (std::vector<int64_t>{4, 8}));
  EXPECT_EQ(t0->nbytes, 4u * 8 * 4);
  float v;
  std::memcpy(&v, t0->data + 4 * 9, 4);
  EXPECT_EQ(v, 9.0f);
  const TensorInfo* t1 = f->find_tensor("t1");
  ASSERT_NE(t1, nullptr);
  EXPECT_EQ(t1->type_name(), "Q4_1");
  EXPECT_EQ(t1->nbytes, 60u);
  EXPECT_EQ(t1->offset % 32, 0u);
}

TEST(GgufReader, EveryTruncationIsAnError) {
  auto bytes = small_file();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto f = File::parse({bytes.data(), n});
    // The only prefixes allowed to parse are none: the last tensor's data ends the file
    // except for alignment padding after it.
    if (f.ok()) {
      EXPECT_GE(n + 32, bytes.size()) << "prefix of " << n << " bytes parsed";
    } else {
      EXPECT_FALSE(f.error().message.empty());
      EXPECT_EQ(f.error().message.find('\n'), std::string::npos);
    }
  }
}

TEST(GgufReader, RandomCorruptionNeverCrashes) {
  auto bytes = small_file();
  std::mt19937 rng(1234);
  int errors = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    auto b = bytes;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    auto f = File::parse(b);
    if (!f.ok()) ++errors;
  }
  EXPECT_GT(errors, 0);
  for (int iter = 0; iter < 2000; ++iter) {  // pure noise, with and without the magic
    std::vector<uint8_t> b(rng() % 512);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    if (b.size() >= 8 && iter % 2) std::memcpy(b.data(), "GGUF\x03\0\0\0", 8);
    auto f = File::parse(b);
    (void)f;
  }
}

// Build a header by hand to hit specific checks.
struct Raw {
  std::vector<uint8_t> b;
  template <class T>
  Raw& put(T v) {
    size_t at = b.size();
    b.resize(at + sizeof(T));
    std::memcpy(b.data() + at, &v, sizeof(T));
    return *this;
  }
  Raw& str(std::string_view s) {
    put<uint64_t>(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
};

std::string parse_error(const Raw& r) {
  auto f = File::parse(r.b);
  return f.ok() ? std::string("<parsed>") : f.error().message;
}

TEST(GgufReader, PreciseErrors) {
  EXPECT_NE(parse_error(Raw().put<uint32_t>(0x12345678)).find("bad magic"), std::string::npos);
  EXPECT_NE(parse_error(Raw().put<uint32_t>(0x46554747).put<uint32_t>(9)).find("version 9"), std::string::npos);
  // absurd counts
  EXPECT_NE(parse_error(Raw().put<uint32_t>(0x46554747).put<uint32_t>(3).put<int64_t>(0).put<int64_t>(1ll << 60))
                .find("metadata count"),
            std::string::npos);
  EXPECT_NE(parse_error(Raw().put<uint32_t>(0x46554747).put<uint32_t>(3).put<int64_t>(-1).put<int64_t>(0))
                .find("tensor count"),
            std::string::npos);
  // string longer than the file
  Raw r1;
  r1.put<uint32_t>(0x46554747).put<uint32_t>(3).put<int64_t>(0).put<int64_t>(1).put<uint64_t>(1ull << 40);
  r1.b.resize(r1.b.size() + 16, 'x');
  EXPECT_NE(parse_error(r1).find("metadata key"), std::string::npos);
  // invalid value type
  Raw r2;
  r2.put<uint32_t>(0x46554747).put<uint32_t>(3).put<int64_t>(0).put<int64_t>(1).str("k").put<int32_t>(99);
  r2.b.resize(r2.b.size() + 16, 0);
  EXPECT_NE(parse_error(r2).find("invalid value type 99"), std::string::npos);
  // nested array
  Raw r3;
  r3.put<uint32_t>(0x46554747).put<uint32_t>(3).put<int64_t>(0).put<int64_t>(1).str("k").put<int32_t>(9).put<int32_t>(9);
  r3.b.resize(r3.b.size() + 16, 0);
  EXPECT_NE(parse_error(r3).find("array element type"), std::string::npos);
  // array count beyond the file
  Raw r4;
  r4.put<uint32_t>(0x46554747).put<uint32_t>(3).put<int64_t>(0).put<int64_t>(1).str("k").put<int32_t>(9)
      .put<int32_t>(4).put<uint64_t>(1000000);
  r4.b.resize(r4.b.size() + 16, 0);
  EXPECT_NE(parse_error(r4).find("claims 1000000 elements"), std::string::npos);
  // duplicate key
  Raw r5;
  r5.put<uint32_t>(0x46554747).put<uint32_t>(3).put<int64_t>(0).put<int64_t>(2);
  r5.str("k").put<int32_t>(4).put<uint32_t>(1).str("k").put<int32_t>(4).put<uint32_t>(1);
  EXPECT_NE(parse_error(r5).find("duplicate metadata key 'k'"), std::string::npos);
  // bad alignment
  Raw r6;
  r6.put<uint32_t>(0x46554747).put<uint32_t>(3).put<int64_t>(0).put<int64_t>(1);
  r6.str("general.alignment").put<int32_t>(4).put<uint32_t>(3);
  EXPECT_NE(parse_error(r6).find("power of two"), std::string::npos);
}

Raw one_tensor(int32_t type, int64_t ne0, int64_t ne1, uint64_t offset, size_t data_bytes, uint32_t n_dims = 2) {
  Raw r;
  r.put<uint32_t>(0x46554747).put<uint32_t>(3).put<int64_t>(1).put<int64_t>(0);
  r.str("w").put<uint32_t>(n_dims).put<int64_t>(ne0);
  if (n_dims > 1) r.put<int64_t>(ne1);
  for (uint32_t d = 2; d < n_dims; ++d) r.put<int64_t>(1);
  r.put<int32_t>(type).put<uint64_t>(offset);
  r.b.resize((r.b.size() + 31) / 32 * 32, 0);
  r.b.resize(r.b.size() + data_bytes, 0);
  return r;
}

TEST(GgufReader, TensorChecks) {
  EXPECT_EQ(parse_error(one_tensor(0, 8, 2, 0, 64)), "<parsed>");
  EXPECT_NE(parse_error(one_tensor(0, 8, 2, 0, 63)).find("truncated file: tensor 'w'"), std::string::npos);
  EXPECT_NE(parse_error(one_tensor(77, 8, 2, 0, 64)).find("unknown ggml type id 77"), std::string::npos);
  EXPECT_NE(parse_error(one_tensor(3, 33, 1, 0, 64)).find("not a multiple"), std::string::npos);
  EXPECT_NE(parse_error(one_tensor(0, 8, 2, 32, 96)).find("does not follow"), std::string::npos);
  EXPECT_NE(parse_error(one_tensor(0, 8, 2, 3, 96)).find("not aligned"), std::string::npos);
  EXPECT_NE(parse_error(one_tensor(0, 8, 2, 0, 64, 5)).find("dimensions"), std::string::npos);
  EXPECT_NE(parse_error(one_tensor(0, 1ll << 40, 1ll << 40, 0, 64)).find("overflow"), std::string::npos);
  EXPECT_NE(parse_error(one_tensor(0, -8, 2, 0, 64)).find("negative"), std::string::npos);
}

TEST(GgufReader, MissingFileIsAnError) {
  auto f = File::open("/nonexistent/model.gguf");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("cannot open"), std::string::npos);
  auto d = File::open("/tmp");
  ASSERT_FALSE(d.ok());
}

TEST(GgufReader, RealModel) {
  ASSERT_TRUE(testing::have_default_model()) << "run `make model` first: " << testing::default_model_path();
  auto f = File::open(testing::default_model_path());
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(*f->get_string("general.architecture"), "llama");
  EXPECT_EQ(*f->get_int("llama.block_count"), 30);
  EXPECT_EQ(*f->get_int("llama.embedding_length"), 576);
  EXPECT_EQ(*f->get_int("llama.attention.head_count"), 9);
  EXPECT_EQ(*f->get_int("llama.attention.head_count_kv"), 3);
  EXPECT_EQ(*f->get_int("llama.feed_forward_length"), 1536);
  auto toks = f->get_array("tokenizer.ggml.tokens", ValueType::kString);
  ASSERT_TRUE(toks.ok());
  EXPECT_EQ((*toks)->items.size(), 49152u);
  const TensorInfo* emb = f->find_tensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->shape, (std::vector<int64_t>{49152, 576}));
  EXPECT_EQ(emb->type_name(), "Q8_0");
  const TensorInfo* q = f->find_tensor("blk.0.attn_q.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->shape, (std::vector<int64_t>{576, 576}));
  EXPECT_EQ(q->type_name(), "Q4_1");
  EXPECT_EQ(f->find_tensor("output.weight"), nullptr);  // tied embeddings
  EXPECT_EQ(f->tensors().size(), 1u + 1u + 30u * 9u);
}

}  // namespace
}  // namespace skim::gguf
