// spm.cpp — see spm.h. The heap comparator is llama.cpp's llm_bigram_spm::comparator,
// so equal scores pop leftmost first. llama.cpp's resegment() also consults the merges it
// recorded, but those only hold texts that are vocab tokens, so a final symbol that is
// not a token always falls through to bytes; this code does that directly.
#include "tokenizer/spm.h"

#include <algorithm>

#include "tokenizer/utf8.h"

namespace skim::tok {

namespace {

struct PairBelow {
  template <class P>
  bool operator()(const P& a, const P& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

void SpmSession::push_pair(std::string_view text, int32_t left, int32_t right) {
  if (left < 0 || right < 0) return;
  const Symbol& l = symbols_[left];
  const Symbol& r = symbols_[right];
  const int32_t id = vocab_.find(text.substr(l.start, l.n + r.n));
  if (id < 0) return;
  heap_.push_back(Pair{vocab_.score(id), left, right, l.n + r.n});
  std::push_heap(heap_.begin(), heap_.end(), PairBelow{});
}

void SpmSession::encode(std::string_view text, std::vector<int32_t>& out) {
  symbols_.clear();
  heap_.clear();
  for (size_t off = 0; off < text.size();) {
    const size_t len = std::min(text.size() - off, utf8_len(static_cast<uint8_t>(text[off])));
    const auto idx = static_cast<int32_t>(symbols_.size());
    symbols_.push_back(Symbol{off, len, idx - 1,
                              off + len == text.size() ? -1 : idx + 1});
    off += len;
  }
  for (int32_t i = 1; i < static_cast<int32_t>(symbols_.size()); ++i) push_pair(text, i - 1, i);

  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), PairBelow{});
    const Pair p = heap_.back();
    heap_.pop_back();
    Symbol& l = symbols_[p.left];
    Symbol& r = symbols_[p.right];
    if (l.n == 0 || r.n == 0 || l.n + r.n != p.size) continue;  // stale
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) symbols_[r.next].prev = p.left;
    push_pair(text, l.prev, p.left);
    push_pair(text, p.left, l.next);
  }

  for (int32_t i = symbols_.empty() ? -1 : 0; i != -1; i = symbols_[i].next) {
    const Symbol& s = symbols_[i];
    const std::string_view piece = text.substr(s.start, s.n);
    const int32_t id = vocab_.find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (char c : piece) {
      const int32_t b = vocab_.byte_token(static_cast<uint8_t>(c));
      if (b >= 0) out.push_back(b);
    }
  }
}

}  // namespace skim::tok
