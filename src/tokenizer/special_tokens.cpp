// special_tokens.cpp — see special_tokens.h. A single prefilter pass first finds which
// candidate token texts occur in the input at all (vocabs such as Gemma's have thousands
// of special tokens, nearly all absent); only those run the per-token splitting pass,
// which is what fixes the result.
#include "tokenizer/special_tokens.h"

#include <algorithm>
#include <array>
#include <unordered_set>

namespace skim::tok {

namespace {

// Candidate tokens, in priority order, whose text occurs somewhere in `text`.
std::vector<int32_t> present_candidates(const Vocab& vocab, std::string_view text, bool parse_special) {
  std::vector<int32_t> cands;
  for (int32_t id : vocab.special_tokens()) {
    if (!parse_special && (vocab.attr(id) & (kAttrControl | kAttrUnknown))) continue;
    cands.push_back(id);
  }
  if (cands.empty()) return cands;

  std::unordered_set<std::string_view> texts;
  std::array<std::vector<size_t>, 256> lengths;  // distinct text lengths by first byte
  for (int32_t id : cands) {
    const std::string& t = vocab.text(id);
    texts.insert(t);
    auto& l = lengths[static_cast<uint8_t>(t[0])];
    if (std::find(l.begin(), l.end(), t.size()) == l.end()) l.push_back(t.size());
  }
  std::unordered_set<std::string_view> found;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    const auto& l = lengths[static_cast<uint8_t>(text[pos])];
    for (size_t len : l) {
      if (pos + len > text.size()) continue;
      const std::string_view s = text.substr(pos, len);
      if (texts.count(s)) found.insert(s);
    }
  }
  std::erase_if(cands, [&](int32_t id) { return !found.count(vocab.text(id)); });
  return cands;
}

}  // namespace

std::vector<Fragment> partition_special(const Vocab& vocab, std::string_view text, bool parse_special) {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;
  frags.push_back(Fragment{-1, 0, text.size()});

  std::vector<Fragment> next;
  for (int32_t id : present_candidates(vocab, text, parse_special)) {
    const std::string& tok = vocab.text(id);
    next.clear();
    for (const Fragment& f : frags) {
      if (!f.is_text()) {
        next.push_back(f);
        continue;
      }
      const size_t end = f.offset + f.length;
      const std::string_view scope = text.substr(0, end);
      size_t cur = f.offset;
      while (cur < end) {
        const size_t match = scope.find(tok, cur);
        if (match == std::string_view::npos) break;
        if (match > cur) next.push_back(Fragment{-1, cur, match - cur});
        next.push_back(Fragment{id, 0, 0});
        cur = match + tok.size();
      }
      if (cur < end) next.push_back(Fragment{-1, cur, end - cur});
    }
    frags.swap(next);
  }
  return frags;
}

}  // namespace skim::tok
