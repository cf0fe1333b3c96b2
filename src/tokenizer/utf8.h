// utf8.h — UTF-8 decoding/encoding with llama.cpp's exact error semantics, and a
// streaming re-assembler for detokenized output.
//
// Decoding follows llama.cpp (unicode_cpts_from_utf8): a lead byte announces the length,
// continuation bytes are checked for the 10xxxxxx pattern only (overlong forms and
// surrogates are accepted as decoded), and any malformed sequence yields U+FFFD while
// consuming exactly one byte. Decoding never fails and never reads past the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace skim::tok {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Length announced by a lead byte (1 for ASCII and for stray continuation bytes).
inline size_t utf8_len(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

// Decode one codepoint at `pos`, advancing `pos` (by 1 on malformed input, returning
// U+FFFD). Precondition: pos < s.size().
uint32_t decode_utf8(std::string_view s, size_t& pos);

// Decode a whole string (see header comment for the error semantics).
std::vector<uint32_t> decode_utf8(std::string_view s);

// Append the UTF-8 encoding of `cp`; codepoints above U+10FFFF are written as U+FFFD.
void append_utf8(std::string& out, uint32_t cp);
std::string encode_utf8(uint32_t cp);

// Number of bytes at the end of `s` that form an incomplete (but so far valid-looking)
// UTF-8 sequence, i.e. bytes that may be completed by the next piece. 0..3.
size_t incomplete_utf8_tail(std::string_view s);

// Streaming detokenization: token pieces may split a character across tokens; push()
// returns only text up to the last complete character and keeps the rest for later.
// Bytes that can never become a valid character are passed through as they are.
class Utf8Stream {
 public:
  std::string push(std::string_view bytes);
  // Everything still held back (an unfinished sequence at the end of the stream).
  std::string flush();

 private:
  std::string pending_;
};

}  // namespace skim::tok
