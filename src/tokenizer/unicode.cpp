// unicode.cpp — builds the codepoint class table (see unicode.h) once, lazily, from PCRE2.
//
// Method: all codepoints 0..kTableEnd-1 (surrogates excluded) are written into one UTF-8
// subject string and scanned with the JIT-compiled patterns \p{L}+ and \p{N}+; every
// codepoint inside a match gets the class bit. This takes a few milliseconds, much less
// than testing codepoints one at a time. Codepoints at or above kTableEnd (planes 4..16:
// unassigned, tags, variation selectors, private use) hold no letters or numbers.
#include "tokenizer/unicode.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/check.h"
#include "tokenizer/utf8.h"

namespace skim::tok {

namespace {

constexpr uint32_t kTableEnd = 0x40000;

// White_Space (PropList.txt); identical to llama.cpp's unicode_set_whitespace.
constexpr std::array<uint32_t, 25> kWhitespace = {
    0x0009, 0x000A, 0x000B, 0x000C, 0x000D, 0x0020, 0x0085, 0x00A0, 0x1680,
    0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
    0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
};

struct Range {
  uint32_t first, last;
  uint8_t cls;
};

// Letters and numbers assigned in Unicode 15.0 and 15.1 (DerivedAge.txt, general
// category L* / N*): Kawi, Nag Mundari, Kaktovik numerals, Egyptian hieroglyph format
// additions, Cyrillic modifier letters, Kana additions, CJK Ext. H and I, and a few
// single ideographs. Harmless where PCRE2 already knows them.
constexpr Range kUnicode15Additions[] = {
    {0x1123F, 0x11240, kCpLetter}, {0x11F02, 0x11F02, kCpLetter}, {0x11F04, 0x11F10, kCpLetter},
    {0x11F12, 0x11F33, kCpLetter}, {0x11F50, 0x11F59, kCpNumber}, {0x1342F, 0x1342F, kCpLetter},
    {0x13441, 0x13446, kCpLetter}, {0x1B132, 0x1B132, kCpLetter}, {0x1B155, 0x1B155, kCpLetter},
    {0x1D2C0, 0x1D2D3, kCpNumber}, {0x1DF25, 0x1DF2A, kCpLetter}, {0x1E030, 0x1E06D, kCpLetter},
    {0x1E4D0, 0x1E4EB, kCpLetter}, {0x1E4F0, 0x1E4F9, kCpNumber}, {0x2B739, 0x2B739, kCpLetter},
    {0x2EBF0, 0x2EE5D, kCpLetter}, {0x31350, 0x323AF, kCpLetter},
};

struct Pcre2Code {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct Pcre2MatchData {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};

void mark_matches(const std::string& subject, const char* pattern, uint8_t bit, std::vector<uint8_t>& table) {
  int err = 0;
  PCRE2_SIZE err_off = 0;
  std::unique_ptr<pcre2_code, Pcre2Code> re(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern), PCRE2_ZERO_TERMINATED,
                                                          PCRE2_UTF | PCRE2_UCP, &err, &err_off, nullptr));
  SKIM_CHECK(re != nullptr);
  pcre2_jit_compile(re.get(), PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is absent
  std::unique_ptr<pcre2_match_data, Pcre2MatchData> md(pcre2_match_data_create_from_pattern(re.get(), nullptr));
  const auto* subj = reinterpret_cast<PCRE2_SPTR>(subject.data());
  PCRE2_SIZE offset = 0;
  while (offset < subject.size()) {
    const int rc = pcre2_match(re.get(), subj, subject.size(), offset, PCRE2_NO_UTF_CHECK, md.get(), nullptr);
    if (rc <= 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    size_t pos = ov[0];
    while (pos < ov[1]) table[decode_utf8(subject, pos)] |= bit;
    offset = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
  }
}

std::vector<uint8_t> build_table() {
  std::vector<uint8_t> table(kTableEnd, kCpOther);
  std::string all;
  all.reserve(kTableEnd * 4);
  for (uint32_t cp = 0; cp < kTableEnd; ++cp) {
    if (cp >= 0xD800 && cp < 0xE000) continue;
    append_utf8(all, cp);
  }
  mark_matches(all, "\\p{L}+", kCpLetter, table);
  mark_matches(all, "\\p{N}+", kCpNumber, table);
  for (const Range& r : kUnicode15Additions) {
    for (uint32_t cp = r.first; cp <= r.last; ++cp) table[cp] = r.cls;
  }
  for (uint32_t cp : kWhitespace) table[cp] |= kCpWhitespace;
  return table;
}

const std::vector<uint8_t>& class_table() {
  static const std::vector<uint8_t> table = build_table();
  return table;
}

}  // namespace

uint8_t cp_class(uint32_t cp) {
  const auto& t = class_table();
  return cp < t.size() ? t[cp] : uint8_t{kCpOther};
}

std::string pcre2_unicode_version() {
  char buf[64] = {};
  pcre2_config(PCRE2_CONFIG_UNICODE_VERSION, buf);
  return buf;
}

}  // namespace skim::tok
