// byte_level.h — GPT-2's reversible byte <-> unicode map used by byte-level BPE vocabs.
//
// Bytes 0x21..0x7E, 0xA1..0xAC and 0xAE..0xFF stand for themselves; the remaining 68
// bytes map, in increasing byte order, to U+0100, U+0101, ... (so ' ' is 'Ġ' U+0120 and
// '\n' is 'Ċ' U+010A). Every vocab token and merge of a byte-level BPE model is written
// in this alphabet; encoding raw text into it is a bijection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace skim::tok {

// The codepoint that stands for `byte`.
uint32_t byte_to_unicode(uint8_t byte);
// The byte a codepoint stands for, or -1 if it is not in the alphabet.
int unicode_to_byte(uint32_t cp);

// Append the byte-level encoding of raw bytes (each byte becomes one codepoint).
void append_byte_encoded(std::string& out, std::string_view raw);
std::string byte_encode(std::string_view raw);

// Decode a byte-level token text back to raw bytes, as llama.cpp's llama_decode_text:
// a codepoint outside the alphabet is replaced by "[UNK_BYTE_0x<hex of its UTF-8>" +
// the whole token text + "]".
std::string byte_decode(std::string_view text);

}  // namespace skim::tok
