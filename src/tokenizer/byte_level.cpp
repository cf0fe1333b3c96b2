// byte_level.cpp — see byte_level.h. Both directions are tables built once; encoding
// uses the precomputed UTF-8 bytes of each byte's codepoint.
#include "tokenizer/byte_level.h"

#include <array>

#include <fmt/format.h>

#include "tokenizer/utf8.h"

namespace skim::tok {

namespace {

bool stands_for_itself(int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

struct ByteTables {
  std::array<uint32_t, 256> to_cp{};
  std::array<std::string, 256> to_utf8{};
  std::array<int16_t, 0x200> from_cp{};  // every mapped codepoint is < U+0144
};

const ByteTables& tables() {
  static const ByteTables t = [] {
    ByteTables t;
    t.from_cp.fill(-1);
    uint32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      t.to_cp[b] = stands_for_itself(b) ? static_cast<uint32_t>(b) : next++;
      t.to_utf8[b] = encode_utf8(t.to_cp[b]);
      t.from_cp[t.to_cp[b]] = static_cast<int16_t>(b);
    }
    return t;
  }();
  return t;
}

}  // namespace

uint32_t byte_to_unicode(uint8_t byte) { return tables().to_cp[byte]; }

int unicode_to_byte(uint32_t cp) {
  const auto& t = tables();
  return cp < t.from_cp.size() ? t.from_cp[cp] : -1;
}

void append_byte_encoded(std::string& out, std::string_view raw) {
  const auto& t = tables();
  for (char c : raw) out += t.to_utf8[static_cast<uint8_t>(c)];
}

std::string byte_encode(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() * 2);
  append_byte_encoded(out, raw);
  return out;
}

std::string byte_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const uint32_t cp = decode_utf8(text, pos);
    const int b = unicode_to_byte(cp);
    if (b >= 0) {
      out.push_back(static_cast<char>(b));
      continue;
    }
    out += "[UNK_BYTE_0x";
    for (char c : encode_utf8(cp)) out += fmt::format("{:02x}", static_cast<uint8_t>(c));
    out.append(text);
    out += "]";
  }
  return out;
}

}  // namespace skim::tok
