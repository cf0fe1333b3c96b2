// The tokenizer on the real SmolLM2-135M-Instruct vocab: ids checked against llama.cpp
// (llama-cpp-python 0.3.36, vocab_only), special tokens, pieces and round trips.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "tokenizer/byte_level.h"
#include "tokenizer/smollm.h"

namespace skim::tok {
namespace {

class SmolLm2 : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    tok_ = testing::smollm_tokenizer(&error);
    ASSERT_TRUE(tok_) << error;
  }
  const Tokenizer* tok_ = nullptr;
};

using Ids = std::vector<int32_t>;

TEST_F(SmolLm2, Metadata) {
  EXPECT_EQ(tok_->n_vocab(), 49152);
  EXPECT_EQ(tok_->bos(), 1);
  EXPECT_EQ(tok_->eos(), 2);
  EXPECT_EQ(tok_->eot(), 0);
  EXPECT_FALSE(tok_->add_bos());
  // llama.cpp's EOG set for this vocab: <|endoftext|>, <|im_end|>, <reponame> (FIM repo).
  Ids eog;
  for (int32_t id = 0; id < tok_->n_vocab(); ++id) {
    if (tok_->is_eog(id)) eog.push_back(id);
  }
  EXPECT_EQ(eog, (Ids{0, 2, 4}));
  EXPECT_EQ(tok_->find_token("<|im_start|>"), 1);
  EXPECT_EQ(tok_->find_token("\xc4\xa0the"), 260);
  EXPECT_FALSE(tok_->find_token("no such token"));
}

TEST_F(SmolLm2, MatchesLlamaCpp) {
  EXPECT_EQ(tok_->encode("Hello world 123  foo\n\nbar's", true, false),
            (Ids{19556, 905, 216, 33, 34, 35, 216, 29856, 198, 198, 6299, 506}));
  EXPECT_EQ(tok_->encode("<|im_start|>user\nhi<|im_end|>", true, true), (Ids{1, 4093, 198, 6004, 2}));
  EXPECT_EQ(tok_->encode("<|im_start|>user\nhi<|im_end|>", true, false),
            (Ids{44, 108, 306, 79, 3738, 108, 46, 4093, 198, 6004, 44, 108, 306, 79, 486, 108, 46}));
  EXPECT_TRUE(tok_->encode("", true, true).empty());
}

TEST_F(SmolLm2, SpecialTokensOnlyWithParseSpecial) {
  EXPECT_EQ(tok_->encode("<|im_start|>", false, true), (Ids{1}));
  EXPECT_NE(tok_->encode("<|im_start|>", false, false), (Ids{1}));
  const Ids ids = tok_->encode("a<|im_end|><|im_end|>b", false, true);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 2), 2);
  // Longest first: "<issue_comment>" is not cut into something shorter.
  EXPECT_EQ(tok_->encode("<issue_comment>", false, true), (Ids{9}));
}

TEST_F(SmolLm2, Pieces) {
  EXPECT_EQ(tok_->token_to_piece(1, false), "");
  EXPECT_EQ(tok_->token_to_piece(1, true), "<|im_start|>");
  EXPECT_EQ(tok_->token_to_piece(260, false), " the");
  EXPECT_EQ(tok_->token_to_piece(198, false), "\n");
  EXPECT_EQ(tok_->token_to_piece(-1, true), "");
  EXPECT_EQ(tok_->token_to_piece(tok_->n_vocab(), true), "");
  const Ids ids = tok_->encode("<|im_start|>hi", false, true);
  EXPECT_EQ(tok_->decode(ids, false), "hi");
  EXPECT_EQ(tok_->decode(ids, true), "<|im_start|>hi");
}

TEST_F(SmolLm2, RoundTrip) {
  const std::vector<std::string> texts = {
      "",
      "Hello, world!",
      "  leading and trailing spaces  ",
      "tabs\tand\nnewlines\r\n\r\nmixed \t \n",
      "Numbers: 3.14159, 1,000,000 and 42nd.",
      "Contractions: don't, I'll, we're, they've, she'd, it's, I'm. DON'T SHOUT'S",
      "Unicode: caf\xc3\xa9, na\xc3\xafve, \xc3\xbc" "ber, \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e, "
      "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7",
      "Emoji \xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd and symbols \xe2\x82\xac \xc2\xa9 \xe2\x84\xa2 \xe2\x88\x9e",
      "code: for (int i = 0; i < n; ++i) { x[i] *= 2; }  // comment",
      "<|im_start|> looks special but is text here",
      " = = Section = = \n",
      "combining e\xcc\x81 and zero\xe2\x80\x8bwidth",
      "\xc2\xa0\xe2\x80\x83\xe3\x80\x80 odd spaces",
  };
  for (const std::string& s : texts) {
    const Ids ids = tok_->encode(s, true, false);
    EXPECT_EQ(tok_->decode(ids, false), s) << s;
    std::string by_pieces;
    Utf8Stream stream;
    for (int32_t id : ids) by_pieces += stream.push(tok_->token_to_piece(id, false));
    by_pieces += stream.flush();
    EXPECT_EQ(by_pieces, s) << s;
  }
}

TEST_F(SmolLm2, InvalidUtf8DoesNotCrash) {
  const std::string bad = "ok \xff\xfe\xc3 \xe2\x82 \xf8\x88\x80\x80\x80 \xed\xa0\x80 \xc0\xaf end";
  const Ids ids = tok_->encode(bad, true, true);
  EXPECT_FALSE(ids.empty());
  for (int32_t id : ids) EXPECT_TRUE(id >= 0 && id < tok_->n_vocab());
  // Malformed bytes were tokenized as U+FFFD.
  EXPECT_NE(tok_->decode(ids, false).find("\xef\xbf\xbd"), std::string::npos);
}

TEST_F(SmolLm2, RandomBytesRoundTripToNormalizedText) {
  // Any byte string: ids are valid and decoding gives the input with each malformed byte
  // replaced by U+FFFD (and overlong forms normalized), minus the few control bytes that
  // have no token in this vocab (llama.cpp drops those too).
  std::mt19937 rng(1234);
  const std::string alphabet = std::string("ab ,.'\n\t09") + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x80\xff\xc0<|im_end|>";
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s;
    const int n = static_cast<int>(rng() % 24);
    for (int i = 0; i < n; ++i) {
      s.push_back(rng() % 4 == 0 ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()]);
    }
    std::string normalized;
    bool exact = true;  // false if a random 4-byte sequence has a lead byte without token (F1..F7)
    for (uint32_t cp : decode_utf8(s)) {
      if (cp < 0x80 && !tok_->find_token(byte_encode(std::string(1, static_cast<char>(cp))))) continue;
      exact = exact && cp < 0x40000;
      append_utf8(normalized, cp);
    }
    for (bool parse_special : {false, true}) {
      const Ids ids = tok_->encode(s, false, parse_special);
      for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < tok_->n_vocab());
      if (exact) EXPECT_EQ(tok_->decode(ids, true), normalized) << ::testing::PrintToString(s);
    }
  }
}

}  // namespace
}  // namespace skim::tok
