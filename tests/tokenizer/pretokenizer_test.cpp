// Pre-tokenizer splits (llama.cpp's GPT-2 matcher and the smollm digit split), the GPT-2
// byte map, and the Unicode classes behind them.
#include "tokenizer/pretokenizer.h"

#include <gtest/gtest.h>

#include "tokenizer/byte_level.h"
#include "tokenizer/unicode.h"

namespace skim::tok {
namespace {

using V = std::vector<std::string>;

V smol(std::string_view s) { return pre_tokenize_to_strings(PreTokenizer::kDigitsThenGpt2, s); }
V gpt2(std::string_view s) { return pre_tokenize_to_strings(PreTokenizer::kGpt2, s); }

TEST(PreTokenizer, WordsAndLeadingSpace) {
  EXPECT_EQ(smol("Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(smol("Hello, world!"), (V{"Hello", ",", " world", "!"}));
  EXPECT_EQ(smol("Hello!!! ?"), (V{"Hello", "!!!", " ?"}));
  EXPECT_EQ(smol(""), V{});
}

TEST(PreTokenizer, DigitsAreSplitOneByOne) {
  EXPECT_EQ(smol(" 123"), (V{" ", "1", "2", "3"}));
  EXPECT_EQ(smol("abc123def"), (V{"abc", "1", "2", "3", "def"}));
  EXPECT_EQ(smol("1 2"), (V{"1", " ", "2"}));
  EXPECT_EQ(smol("a  1"), (V{"a", "  ", "1"}));  // the run ends the piece before the digit
  // Without the digit stage, numbers group and take the leading space.
  EXPECT_EQ(gpt2(" 123"), (V{" 123"}));
  EXPECT_EQ(gpt2("abc123"), (V{"abc", "123"}));
}

TEST(PreTokenizer, WhitespaceRuns) {
  EXPECT_EQ(smol("a  b"), (V{"a", " ", " b"}));
  EXPECT_EQ(smol("a    b"), (V{"a", "   ", " b"}));
  EXPECT_EQ(smol("a   "), (V{"a", "   "}));  // at the end the whole run is one word
  EXPECT_EQ(smol("  hello"), (V{" ", " hello"}));
  EXPECT_EQ(smol("a\n\nb"), (V{"a", "\n", "\n", "b"}));
  EXPECT_EQ(smol("a\nb"), (V{"a", "\n", "b"}));  // a single \n before a letter stands alone
  EXPECT_EQ(smol("\t\tfoo"), (V{"\t", "\t", "foo"}));
  EXPECT_EQ(smol("x \n y"), (V{"x", " \n", " y"}));
  // U+00A0 is whitespace but only U+0020 can lead a word.
  EXPECT_EQ(smol(" \xc2\xa0x"), (V{" ", "\xc2\xa0", "x"}));
  // U+001C..U+001F are not White_Space for llama.cpp: punctuation-like.
  EXPECT_EQ(smol("a \x1c b"), (V{"a", " \x1c", " b"}));
}

TEST(PreTokenizer, ContractionsAreCaseSensitive) {
  EXPECT_EQ(smol("don't"), (V{"don", "'t"}));
  EXPECT_EQ(smol("we'll they're I've I'm he'd it's"),
            (V{"we", "'ll", " they", "'re", " I", "'ve", " I", "'m", " he", "'d", " it", "'s"}));
  EXPECT_EQ(smol("DON'T"), (V{"DON", "'", "T"}));
  EXPECT_EQ(smol("'x"), (V{"'", "x"}));
  EXPECT_EQ(smol("''s"), (V{"''", "s"}));  // the punctuation run swallows the second quote
}

TEST(PreTokenizer, UnicodeCategories) {
  EXPECT_EQ(smol("\xc2\xbfQu\xc3\xa9?"), (V{"\xc2\xbf", "Qu\xc3\xa9", "?"}));      // ¿Qué?
  EXPECT_EQ(smol("x\xc2\xb2"), (V{"x", "\xc2\xb2"}));                               // x² (No)
  EXPECT_EQ(smol("\xd9\xa3\xd9\xa4"), (V{"\xd9\xa3", "\xd9\xa4"}));                 // ٣٤ (Nd)
  EXPECT_EQ(smol("\xe6\x97\xa5\xe6\x9c\xac \xe8\xaa\x9e"), (V{"\xe6\x97\xa5\xe6\x9c\xac", " \xe8\xaa\x9e"}));
  EXPECT_EQ(smol("hi \xf0\x9f\x91\x8b!"), (V{"hi", " \xf0\x9f\x91\x8b!"}));       // emoji is "other"
  EXPECT_EQ(smol("na\xc3\xafve caf\xc3\xa9"), (V{"na\xc3\xafve", " caf\xc3\xa9"}));
  // Combining marks (M) are not letters: they split a word.
  EXPECT_EQ(smol("e\xcc\x81t\xc3\xa9"), (V{"e", "\xcc\x81", "t\xc3\xa9"}));
}

TEST(PreTokenizer, InvalidUtf8BecomesReplacementChar) {
  EXPECT_EQ(smol("a\xff" "b"), (V{"a", "\xef\xbf\xbd", "b"}));
  EXPECT_EQ(smol("\xe2\x82"), (V{"\xef\xbf\xbd\xef\xbf\xbd"}));  // truncated: one U+FFFD per byte
  EXPECT_EQ(smol("\xc0\x80"), (V{std::string(1, '\0')}));        // overlong NUL decodes to U+0000
}

TEST(PreTokenizer, WordsConcatenateToInput) {
  const std::string s = "The 2 quick\tbrown  foxes' jump-over: 3.14159 \xe2\x82\xac!\n\n  end ";
  std::string joined;
  for (const auto& w : smol(s)) joined += w;
  EXPECT_EQ(joined, s);
}

TEST(PreTokenizer, KnownNames) {
  ASSERT_TRUE(find_pre_tokenizer("smollm"));
  EXPECT_EQ(find_pre_tokenizer("smollm")->kind, PreTokenizer::kDigitsThenGpt2);
  EXPECT_FALSE(find_pre_tokenizer("smollm")->clean_spaces);
  EXPECT_EQ(find_pre_tokenizer("gpt-2")->kind, PreTokenizer::kGpt2);
  EXPECT_FALSE(find_pre_tokenizer("llama3"));
  EXPECT_FALSE(find_pre_tokenizer(""));
}

TEST(Unicode, Classes) {
  EXPECT_TRUE(is_letter('a'));
  EXPECT_TRUE(is_letter(0x00E9));
  EXPECT_TRUE(is_letter(0x4E2D));
  EXPECT_TRUE(is_letter(0x31350));  // CJK Ext. H (Unicode 15.0)
  EXPECT_TRUE(is_letter(0x2EBF0));  // CJK Ext. I (Unicode 15.1)
  EXPECT_TRUE(is_number('7'));
  EXPECT_TRUE(is_number(0x00B2));
  EXPECT_TRUE(is_number(0x2167));   // Roman numeral eight (Nl)
  EXPECT_TRUE(is_number(0x11F50));  // Kawi digit zero (Unicode 15.0)
  EXPECT_FALSE(is_letter(0x0301));  // combining acute
  EXPECT_FALSE(is_letter('!'));
  EXPECT_FALSE(is_number(0x1F600));
  for (uint32_t ws : {0x09u, 0x0Au, 0x0Bu, 0x0Cu, 0x0Du, 0x20u, 0x85u, 0xA0u, 0x1680u, 0x2000u, 0x200Au, 0x2028u,
                      0x2029u, 0x202Fu, 0x205Fu, 0x3000u}) {
    EXPECT_TRUE(is_whitespace(ws)) << ws;
  }
  for (uint32_t not_ws : {0x1Cu, 0x1Fu, 0x200Bu, 0x180Eu, 0xFEFFu}) EXPECT_FALSE(is_whitespace(not_ws)) << not_ws;
  EXPECT_EQ(cp_class(0x110000), kCpOther);
  EXPECT_FALSE(pcre2_unicode_version().empty());
}

TEST(ByteLevel, MapAndRoundTrip) {
  EXPECT_EQ(byte_to_unicode(' '), 0x120u);
  EXPECT_EQ(byte_to_unicode('\n'), 0x10Au);
  EXPECT_EQ(byte_to_unicode('A'), uint32_t{'A'});
  EXPECT_EQ(byte_to_unicode(0xAD), 0x143u);
  EXPECT_EQ(byte_to_unicode(0x00), 0x100u);
  EXPECT_EQ(unicode_to_byte(0x120), ' ');
  EXPECT_EQ(unicode_to_byte(0x4E2D), -1);
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string enc = byte_encode(all);
  EXPECT_EQ(byte_decode(enc), all);
  EXPECT_EQ(byte_encode(" hi\n"), "\xc4\xa0hi\xc4\x8a");
  // A codepoint outside the alphabet decodes like llama.cpp's llama_decode_text.
  EXPECT_EQ(byte_decode("a\xe4\xb8\xad"), "a[UNK_BYTE_0xe4b8ada\xe4\xb8\xad]");
}

}  // namespace
}  // namespace skim::tok
