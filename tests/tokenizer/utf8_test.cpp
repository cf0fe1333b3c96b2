// UTF-8 decoding with llama.cpp's error semantics, and streaming re-assembly of pieces.
#include "tokenizer/utf8.h"

#include <gtest/gtest.h>

namespace skim::tok {
namespace {

TEST(Utf8, DecodeValid) {
  EXPECT_EQ(decode_utf8("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), (std::vector<uint32_t>{'a', 0xE9, 0x20AC, 0x1F600}));
  EXPECT_TRUE(decode_utf8("").empty());
}

TEST(Utf8, DecodeInvalidConsumesOneByte) {
  EXPECT_EQ(decode_utf8("\xff"), (std::vector<uint32_t>{kReplacementChar}));
  EXPECT_EQ(decode_utf8("\x80" "a"), (std::vector<uint32_t>{kReplacementChar, 'a'}));
  EXPECT_EQ(decode_utf8("\xe2\x82" "a"), (std::vector<uint32_t>{kReplacementChar, kReplacementChar, 'a'}));
  EXPECT_EQ(decode_utf8("\xf0\x9f\x98"), (std::vector<uint32_t>{kReplacementChar, kReplacementChar, kReplacementChar}));
  EXPECT_EQ(decode_utf8("\xc3"), (std::vector<uint32_t>{kReplacementChar}));
  // Overlong and surrogate forms are accepted as decoded (as llama.cpp does).
  EXPECT_EQ(decode_utf8("\xc0\xaf"), (std::vector<uint32_t>{'/'}));
  EXPECT_EQ(decode_utf8("\xed\xa0\x80"), (std::vector<uint32_t>{0xD800}));
}

TEST(Utf8, EncodeRoundTrip) {
  for (uint32_t cp : {0x0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xFFFFu, 0x10000u, 0x10FFFFu}) {
    EXPECT_EQ(decode_utf8(encode_utf8(cp)), (std::vector<uint32_t>{cp})) << cp;
  }
  EXPECT_EQ(encode_utf8(0x110000), "\xef\xbf\xbd");
}

TEST(Utf8, IncompleteTail) {
  EXPECT_EQ(incomplete_utf8_tail(""), 0u);
  EXPECT_EQ(incomplete_utf8_tail("abc"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("a\xc3"), 1u);
  EXPECT_EQ(incomplete_utf8_tail("a\xc3\xa9"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("\xe2\x82"), 2u);
  EXPECT_EQ(incomplete_utf8_tail("\xf0\x9f\x98"), 3u);
  EXPECT_EQ(incomplete_utf8_tail("\xf0\x9f\x98\x80"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("\x80\x80"), 0u);  // orphans never complete
  EXPECT_EQ(incomplete_utf8_tail("\xff"), 0u);
}

TEST(Utf8Stream, JoinsCharactersSplitAcrossPieces) {
  Utf8Stream s;
  EXPECT_EQ(s.push("caf"), "caf");
  EXPECT_EQ(s.push("\xc3"), "");
  EXPECT_EQ(s.push("\xa9 "), "\xc3\xa9 ");
  EXPECT_EQ(s.push("\xe2"), "");
  EXPECT_EQ(s.push("\x82"), "");
  EXPECT_EQ(s.push("\xac!\xf0\x9f"), "\xe2\x82\xac!");
  EXPECT_EQ(s.push("\x98\x80"), "\xf0\x9f\x98\x80");
  EXPECT_EQ(s.flush(), "");
}

TEST(Utf8Stream, FlushReturnsUnfinishedTailAndInvalidBytesPassThrough) {
  Utf8Stream s;
  EXPECT_EQ(s.push("\xff" "a"), "\xff" "a");
  EXPECT_EQ(s.push("x\xe4\xb8"), "x");
  EXPECT_EQ(s.flush(), "\xe4\xb8");
  EXPECT_EQ(s.flush(), "");
  EXPECT_EQ(s.push("\xe4\xb8\xad"), "\xe4\xb8\xad");
}

}  // namespace
}  // namespace skim::tok
