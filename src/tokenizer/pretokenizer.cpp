// pretokenizer.cpp — see pretokenizer.h. Works on decoded codepoints with a parallel
// array of class bits; word boundaries are codepoint indices, converted to byte spans of
// the re-encoded text at the end.
#include "tokenizer/pretokenizer.h"

#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace skim::tok {

namespace {

// Class bits as llama.cpp's matcher sees them: inside the current piece every codepoint
// has kDefined set (llama.cpp's flags are never all-zero in range); outside it is 0.
constexpr uint8_t kDefined = 8;

class Splitter {
 public:
  Splitter(const std::vector<uint32_t>& cps, const std::vector<uint8_t>& cls, std::vector<size_t>& bounds)
      : cps_(cps), cls_(cls), bounds_(bounds) {}

  // GPT-2 matcher over the piece [begin, end), appending word end indices to bounds_.
  void gpt2(size_t begin, size_t end) {
    end_ = end;
    size_t pos = begin;
    while (pos < end) {
      const uint32_t cp = cps_[pos];
      // 's|'t|'re|'ve|'m|'ll|'d  (case-sensitive)
      if (cp == '\'' && pos + 1 < end) {
        const uint32_t n1 = cps_[pos + 1];
        if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd') {
          pos = emit(pos + 2);
          continue;
        }
        if (pos + 2 < end) {
          const uint32_t n2 = cps_[pos + 2];
          if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l')) {
            pos = emit(pos + 3);
            continue;
          }
        }
      }
      const bool space = cp == ' ';
      const uint8_t f2 = space ? flags(pos + 1) : flags(pos);
      if (f2 & kCpLetter) {  // ' ?\p{L}+'
        pos += space;
        while (flags(pos) & kCpLetter) ++pos;
        pos = emit(pos);
        continue;
      }
      if (f2 & kCpNumber) {  // ' ?\p{N}+'
        pos += space;
        while (flags(pos) & kCpNumber) ++pos;
        pos = emit(pos);
        continue;
      }
      if (f2 == kDefined) {  // ' ?[^\s\p{L}\p{N}]+'
        pos += space;
        while (flags(pos) == kDefined) ++pos;
        pos = emit(pos);
        continue;
      }
      size_t n_ws = 0;
      while (flags(pos + n_ws) & kCpWhitespace) ++n_ws;
      if (n_ws > 1 && pos + n_ws < end) {  // '\s+(?!\S)': leave the last one for the next word
        pos = emit(pos + n_ws - 1);
        continue;
      }
      if (n_ws > 0) {  // '\s+'
        pos = emit(pos + n_ws);
        continue;
      }
      pos = emit(pos + 1);  // no match: a single codepoint
    }
  }

 private:
  uint8_t flags(size_t pos) const { return pos < end_ ? static_cast<uint8_t>(cls_[pos] | kDefined) : 0; }
  size_t emit(size_t end) {
    bounds_.push_back(end);
    return end;
  }

  const std::vector<uint32_t>& cps_;
  const std::vector<uint8_t>& cls_;
  std::vector<size_t>& bounds_;
  size_t end_ = 0;
};

}  // namespace

std::optional<PreTokenizerInfo> find_pre_tokenizer(std::string_view pre) {
  // Names and clean_spaces values as in llama.cpp's llama_vocab::impl::load.
  struct Entry {
    std::string_view name;
    PreTokenizer kind;
    bool clean_spaces;
  };
  static constexpr Entry kEntries[] = {
      {"smollm", PreTokenizer::kDigitsThenGpt2, false},    {"starcoder", PreTokenizer::kDigitsThenGpt2, true},
      {"refact", PreTokenizer::kDigitsThenGpt2, true},     {"command-r", PreTokenizer::kDigitsThenGpt2, false},
      {"codeshell", PreTokenizer::kDigitsThenGpt2, true},  {"exaone", PreTokenizer::kDigitsThenGpt2, true},
      {"minerva-7b", PreTokenizer::kDigitsThenGpt2, true}, {"gpt-2", PreTokenizer::kGpt2, true},
      {"phi-2", PreTokenizer::kGpt2, true},                {"mpt", PreTokenizer::kGpt2, true},
      {"olmo", PreTokenizer::kGpt2, true},                 {"jais", PreTokenizer::kGpt2, true},
  };
  for (const Entry& e : kEntries) {
    if (e.name == pre) return PreTokenizerInfo{e.kind, e.clean_spaces};
  }
  return std::nullopt;
}

Words pre_tokenize(PreTokenizer kind, std::string_view text) {
  const std::vector<uint32_t> cps = decode_utf8(text);
  const size_t n = cps.size();
  std::vector<uint8_t> cls(n);
  for (size_t i = 0; i < n; ++i) cls[i] = cp_class(cps[i]);

  std::vector<size_t> bounds;  // end index (in codepoints) of each word, increasing
  bounds.reserve(n / 3 + 4);
  Splitter split(cps, cls, bounds);
  if (kind == PreTokenizer::kGpt2) {
    split.gpt2(0, n);
  } else {
    // Stage 1: each \p{N} codepoint alone; stage 2: GPT-2 inside the pieces between them.
    size_t start = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!(cls[i] & kCpNumber)) continue;
      if (i > start) split.gpt2(start, i);
      bounds.push_back(i + 1);
      start = i + 1;
    }
    if (start < n) split.gpt2(start, n);
  }

  Words out;
  out.text.reserve(text.size());
  std::vector<size_t> byte_at(n + 1);
  for (size_t i = 0; i < n; ++i) {
    byte_at[i] = out.text.size();
    append_utf8(out.text, cps[i]);
  }
  byte_at[n] = out.text.size();
  out.spans.reserve(bounds.size());
  size_t prev = 0;
  for (size_t b : bounds) {
    out.spans.emplace_back(byte_at[prev], byte_at[b] - byte_at[prev]);
    prev = b;
  }
  return out;
}

std::vector<std::string> pre_tokenize_to_strings(PreTokenizer kind, std::string_view text) {
  Words w = pre_tokenize(kind, text);
  std::vector<std::string> out;
  out.reserve(w.size());
  for (size_t i = 0; i < w.size(); ++i) out.emplace_back(w[i]);
  return out;
}

}  // namespace skim::tok
