// unicode.h — the few Unicode character classes the pre-tokenizers need, with the exact
// membership llama.cpp uses (its tables are generated from Unicode 15.1):
//   letter     = general category L*        (\p{L})
//   number     = general category N*        (\p{N}: Nd, Nl and No)
//   whitespace = the White_Space property   (llama.cpp's `\s`: 9..13, 0x20, 0x85, 0xA0,
//                0x1680, 0x2000..0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000; NOT the
//                0x1C..0x1F separators that Python's str.isspace accepts)
// Every other codepoint (punctuation, symbols, marks, controls, unassigned) is "other".
//
// The table is built once per process from PCRE2's Unicode database (\p{L}, \p{N}),
// topped up with the L/N codepoints assigned in Unicode 15.0/15.1 for PCRE2 builds that
// ship older data (Debian 12's PCRE2 10.42 has Unicode 14).
#pragma once

#include <cstdint>
#include <string>

namespace skim::tok {

enum CpClass : uint8_t {
  kCpOther = 0,
  kCpLetter = 1,
  kCpNumber = 2,
  kCpWhitespace = 4,
};

// Class bits of a codepoint (any value, including > U+10FFFF, which is "other").
uint8_t cp_class(uint32_t cp);

inline bool is_letter(uint32_t cp) { return cp_class(cp) & kCpLetter; }
inline bool is_number(uint32_t cp) { return cp_class(cp) & kCpNumber; }
inline bool is_whitespace(uint32_t cp) { return cp_class(cp) & kCpWhitespace; }

// Unicode version of the PCRE2 library the table was built from (e.g. "14.0.0").
std::string pcre2_unicode_version();

}  // namespace skim::tok
