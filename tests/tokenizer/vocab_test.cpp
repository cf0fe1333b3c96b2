// Tokenizers on tiny synthetic vocabs written with gguf::Writer: BPE merge order, special
// token partition, byte fallback, SPM scores and byte tokens, and load errors.
#include <gtest/gtest.h>

#include <optional>

#include "format/gguf/gguf_file.h"
#include "format/gguf/gguf_writer.h"
#include "tokenizer/tokenizer.h"

namespace skim::tok {
namespace {

using Ids = std::vector<int32_t>;

struct TinyVocab {
  std::string model = "gpt2";
  std::optional<std::string> pre = "gpt-2";
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  std::vector<float> scores;
  std::optional<std::vector<std::string>> merges;
  std::optional<bool> add_bos;
  std::optional<uint32_t> bos;

  Result<Tokenizer> load() const {
    gguf::Writer w;
    w.add_string("tokenizer.ggml.model", model);
    if (pre) w.add_string("tokenizer.ggml.pre", *pre);
    w.add_string_array("tokenizer.ggml.tokens", tokens);
    if (!types.empty()) w.add_i32_array("tokenizer.ggml.token_type", types);
    if (!scores.empty()) w.add_f32_array("tokenizer.ggml.scores", scores);
    if (merges) w.add_string_array("tokenizer.ggml.merges", *merges);
    if (add_bos) w.add_bool("tokenizer.ggml.add_bos_token", *add_bos);
    if (bos) w.add_u32("tokenizer.ggml.bos_token_id", *bos);
    bytes_ = w.to_bytes();
    auto f = gguf::File::parse(bytes_);
    if (!f.ok()) return f.error();
    return Tokenizer::from_gguf(*f);
  }
  mutable std::vector<uint8_t> bytes_;
};

// "Ġ" is the byte-level form of ' '.
TinyVocab tiny_bpe() {
  TinyVocab v;
  v.tokens = {"<s>", "<ud>", "a", "b", "c", "\xc4\xa0", "ab", "abc", "\xc4\xa0" "ab", "\xc4\xa0" "a", "bc"};
  v.types = {3, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  // Ranks: "a b" < "b c" < "ab c" < "Ġ a" < "Ġ ab".
  v.merges = std::vector<std::string>{"a b", "b c", "ab c", "\xc4\xa0 a", "\xc4\xa0 ab"};
  v.bos = 0;
  return v;
}

TEST(BpeVocab, MergesByRankThenPosition) {
  auto t = tiny_bpe().load();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->encode("abc", false, false), (Ids{7}));      // a b -> ab, then ab c
  EXPECT_EQ(t->encode(" ab", false, false), (Ids{8}));      // a b first, then Ġ ab
  EXPECT_EQ(t->encode("bc", false, false), (Ids{10}));
  EXPECT_EQ(t->encode("abab", false, false), (Ids{6, 6}));  // equal ranks: leftmost first
  EXPECT_EQ(t->encode("abcab c", false, false), (Ids{7, 6, 5, 4}));
  EXPECT_EQ(t->decode(Ids{7, 6, 5, 4}, false), "abcab c");
}

TEST(BpeVocab, MissingSymbolsFallBackToSingleByteTokens) {
  auto t = tiny_bpe().load();
  ASSERT_TRUE(t.ok());
  // 'z' has no token at all and is dropped; "é" has none either (llama.cpp drops it too).
  EXPECT_EQ(t->encode("azb", false, false), (Ids{2, 3}));
  EXPECT_EQ(t->encode("\xc3\xa9", false, false), Ids{});
}

TEST(BpeVocab, SpecialTokens) {
  auto t = tiny_bpe().load();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->encode("a<ud>b", false, false), (Ids{2, 1, 3}));  // USER_DEFINED: always
  EXPECT_EQ(t->encode("a<s>", false, true), (Ids{2, 0}));        // CONTROL: only when parsing
  EXPECT_NE(t->encode("a<s>", false, false), (Ids{2, 0}));
  EXPECT_EQ(t->token_to_piece(0, false), "");
  EXPECT_EQ(t->token_to_piece(0, true), "<s>");
  EXPECT_EQ(t->token_to_piece(1, false), "<ud>");
  EXPECT_FALSE(t->add_bos());
  EXPECT_EQ(t->encode("a", true, false), (Ids{2}));

  TinyVocab with_bos = tiny_bpe();
  with_bos.add_bos = true;
  auto tb = with_bos.load();
  ASSERT_TRUE(tb.ok());
  EXPECT_EQ(tb->encode("a", true, false), (Ids{0, 2}));
  EXPECT_EQ(tb->encode("a", false, false), (Ids{2}));
}

TEST(BpeVocab, DefaultSpecialIds) {
  TinyVocab v = tiny_bpe();
  v.bos.reset();
  auto t = v.load();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->bos(), 11 < t->n_vocab() ? 11 : -1);  // llama.cpp's BPE default, disabled when out of range
  EXPECT_EQ(t->eos(), -1);
}

TEST(BpeVocab, LoadErrors) {
  TinyVocab v = tiny_bpe();
  v.model = "bert";
  EXPECT_FALSE(v.load().ok());
  v = tiny_bpe();
  v.pre = "llama3";
  auto r = v.load();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("llama3"), std::string::npos);
  v = tiny_bpe();
  v.pre.reset();  // missing pre-type means "default", which is not supported
  EXPECT_FALSE(v.load().ok());
  v = tiny_bpe();
  v.merges.reset();
  EXPECT_FALSE(v.load().ok());
  v = tiny_bpe();
  v.types.pop_back();
  EXPECT_FALSE(v.load().ok());
  v = tiny_bpe();
  v.tokens.push_back("a");  // duplicate text (and one type short)
  EXPECT_FALSE(v.load().ok());
  v = tiny_bpe();
  v.tokens.clear();
  v.types.clear();
  EXPECT_FALSE(v.load().ok());
  v = tiny_bpe();
  v.add_bos = true;
  v.bos.reset();  // default 11 is out of range: add_bos without a BOS token
  EXPECT_FALSE(v.load().ok());
}

// SPM: "▁" is U+2581.
TinyVocab tiny_spm() {
  TinyVocab v;
  v.model = "llama";
  v.pre.reset();
  v.merges.reset();
  v.tokens = {"<unk>", "<s>", "</s>", "\xe2\x96\x81", "a", "b", "ab", "\xe2\x96\x81" "a", "\xe2\x96\x81" "ab", "<0x7A>", "c"};
  v.types = {2, 3, 3, 1, 1, 1, 1, 1, 1, 6, 1};
  v.scores = {0, 0, 0, -3, -3, -3, -1, -2, -0.5f, 0, -3};
  return v;
}

TEST(SpmVocab, MergesByScoreWithSpacePrefix) {
  auto t = tiny_spm().load();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_TRUE(t->add_bos());
  EXPECT_EQ(t->bos(), 1);
  EXPECT_EQ(t->eos(), 2);
  EXPECT_EQ(t->encode("ab ab", true, false), (Ids{1, 8, 8}));
  EXPECT_EQ(t->encode("ab ab", false, false), (Ids{8, 8}));
  EXPECT_EQ(t->decode(Ids{8, 8}, false), "ab ab");  // the prefix space is removed again
  EXPECT_EQ(t->encode("z", false, false), (Ids{3, 9}));  // no "z" token: byte token <0x7A>
  EXPECT_EQ(t->token_to_piece(9, false), "z");
  EXPECT_EQ(t->token_to_piece(8, false), " ab");
  // After a special token the next text fragment gets the space prefix again.
  EXPECT_EQ(t->encode("<s>ab", false, true), (Ids{1, 8}));
  EXPECT_TRUE(t->is_eog(2));
  EXPECT_FALSE(t->is_eog(1));
}

}  // namespace
}  // namespace skim::tok
