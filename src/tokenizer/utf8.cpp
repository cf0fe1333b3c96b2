// utf8.cpp — see utf8.h. The decoder mirrors llama.cpp's unicode_cpt_from_utf8 bit by
// bit (including accepting overlong forms and 5..7-byte-looking leads F0..F7 producing
// codepoints up to 0x1FFFFF), because tokenization must see the same codepoints.
#include "tokenizer/utf8.h"

namespace skim::tok {

namespace {

inline bool is_cont(uint8_t b) { return (b & 0xC0) == 0x80; }

}  // namespace

uint32_t decode_utf8(std::string_view s, size_t& pos) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  const uint8_t b0 = p[pos];
  if (!(b0 & 0x80)) {
    pos += 1;
    return b0;
  }
  if (!(b0 & 0x40)) {  // stray continuation byte
    pos += 1;
    return kReplacementChar;
  }
  if (!(b0 & 0x20)) {
    if (pos + 1 >= n || !is_cont(p[pos + 1])) {
      pos += 1;
      return kReplacementChar;
    }
    const uint32_t cp = (uint32_t(b0 & 0x1F) << 6) | (p[pos + 1] & 0x3F);
    pos += 2;
    return cp;
  }
  if (!(b0 & 0x10)) {
    if (pos + 2 >= n || !is_cont(p[pos + 1]) || !is_cont(p[pos + 2])) {
      pos += 1;
      return kReplacementChar;
    }
    const uint32_t cp = (uint32_t(b0 & 0x0F) << 12) | (uint32_t(p[pos + 1] & 0x3F) << 6) | (p[pos + 2] & 0x3F);
    pos += 3;
    return cp;
  }
  if (!(b0 & 0x08)) {
    if (pos + 3 >= n || !is_cont(p[pos + 1]) || !is_cont(p[pos + 2]) || !is_cont(p[pos + 3])) {
      pos += 1;
      return kReplacementChar;
    }
    const uint32_t cp = (uint32_t(b0 & 0x07) << 18) | (uint32_t(p[pos + 1] & 0x3F) << 12) |
                        (uint32_t(p[pos + 2] & 0x3F) << 6) | (p[pos + 3] & 0x3F);
    pos += 4;
    return cp;
  }
  pos += 1;
  return kReplacementChar;
}

std::vector<uint32_t> decode_utf8(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) out.push_back(decode_utf8(s, pos));
  return out;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp > 0x10FFFF) cp = kReplacementChar;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode_utf8(uint32_t cp) {
  std::string s;
  append_utf8(s, cp);
  return s;
}

size_t incomplete_utf8_tail(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  // Walk back over at most 3 continuation bytes to the lead byte of the last sequence.
  size_t k = 0;
  while (k < 3 && k < n && is_cont(p[n - 1 - k])) ++k;
  if (k == n) return 0;  // only continuation bytes (or empty): nothing can complete them
  const uint8_t lead = p[n - 1 - k];
  if (lead < 0xC0 || lead >= 0xF8) return 0;  // ASCII or invalid lead: nothing pending
  const size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
  return (k + 1 < need) ? k + 1 : 0;
}

std::string Utf8Stream::push(std::string_view bytes) {
  pending_.append(bytes);
  const size_t keep = incomplete_utf8_tail(pending_);
  std::string out = pending_.substr(0, pending_.size() - keep);
  pending_.erase(0, pending_.size() - keep);
  return out;
}

std::string Utf8Stream::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace skim::tok
