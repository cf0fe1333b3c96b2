// bpe.cpp — see bpe.h. The heap is a std::vector driven by push_heap/pop_heap with the
// comparator of llama.cpp's llm_bigram_bpe (rank, then left index), so the pop order —
// and hence the result on ties — is the same.
#include "tokenizer/bpe.h"

#include <algorithm>

#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/utf8.h"

namespace skim::tok {

namespace {

struct PairAfter {
  template <class P>
  bool operator()(const P& a, const P& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

void BpeSession::encode(std::string_view text, std::vector<int32_t>& out) {
  constexpr size_t kMaxCachedWord = 64;
  const Words words = pre_tokenize(vocab_.pre_tokenizer(), text);
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string_view word = words[i];
    const bool cacheable = word.size() <= kMaxCachedWord;
    if (cacheable) {
      if (auto it = cache_.find(word); it != cache_.end()) {
        const auto [at, n] = it->second;
        out.insert(out.end(), cache_ids_.begin() + at, cache_ids_.begin() + at + n);
        continue;
      }
    }
    encoded_.clear();
    append_byte_encoded(encoded_, word);
    const size_t first = out.size();
    encode_word(encoded_, out);
    if (cacheable) {
      cache_.emplace(std::string(word), std::pair<size_t, size_t>(cache_ids_.size(), out.size() - first));
      cache_ids_.insert(cache_ids_.end(), out.begin() + first, out.end());
    }
  }
}

void BpeSession::push_pair(std::string_view word, int32_t left, int32_t right) {
  if (left < 0 || right < 0) return;
  const Symbol& l = symbols_[left];
  const Symbol& r = symbols_[right];
  const int32_t rank = vocab_.merge_rank(word.substr(l.start, l.n), word.substr(r.start, r.n), key_);
  if (rank < 0) return;
  heap_.push_back(Pair{rank, left, right, l.n, r.n});
  std::push_heap(heap_.begin(), heap_.end(), PairAfter{});
}

void BpeSession::encode_word(std::string_view word, std::vector<int32_t>& out) {
  if (word.empty()) return;
  symbols_.clear();
  heap_.clear();
  for (size_t off = 0; off < word.size();) {
    const size_t len = std::min(word.size() - off, utf8_len(static_cast<uint8_t>(word[off])));
    const auto idx = static_cast<int32_t>(symbols_.size());
    symbols_.push_back(Symbol{off, len, idx - 1,
                              off + len == word.size() ? -1 : idx + 1});
    off += len;
  }
  for (int32_t i = 1; i < static_cast<int32_t>(symbols_.size()); ++i) push_pair(word, i - 1, i);

  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), PairAfter{});
    const Pair p = heap_.back();
    heap_.pop_back();
    Symbol& l = symbols_[p.left];
    Symbol& r = symbols_[p.right];
    // Stale: either side merged away or grown since the pair was pushed. (Equivalent to
    // llama.cpp's text comparison: symbols start at fixed offsets and only grow.)
    if (l.n == 0 || r.n == 0 || l.n != p.left_n || r.n != p.right_n) continue;
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) symbols_[r.next].prev = p.left;
    push_pair(word, l.prev, p.left);
    push_pair(word, p.left, l.next);
  }

  for (const Symbol& s : symbols_) {
    if (s.n == 0) continue;
    const std::string_view piece = word.substr(s.start, s.n);
    const int32_t id = vocab_.find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (char c : piece) {
      const int32_t b = vocab_.find(std::string_view(&c, 1));
      if (b >= 0) out.push_back(b);
    }
  }
}

}  // namespace skim::tok
