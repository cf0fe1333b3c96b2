// bpe.h — byte-level BPE (llama.cpp's llm_tokenizer_bpe_session): pre-tokenize, byte-
// encode each word, merge adjacent symbols by lowest merge rank, emit token ids.
//
// Merging, per word: one symbol per UTF-8 character of the byte-encoded word; every
// adjacent pair with a merge rank goes into a min-heap keyed by (rank, left index);
// a popped pair whose symbols changed since it was pushed is stale and skipped;
// otherwise the right symbol is merged into the left and the new neighbour pairs are
// pushed. A final symbol missing from the vocab is emitted byte by byte, each single
// byte looked up as a token (bytes with no token are dropped, as in llama.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenizer/vocab.h"

namespace skim::tok {

class BpeSession {
 public:
  explicit BpeSession(const Vocab& vocab) : vocab_(vocab) {}

  // Tokenize one raw-text fragment (no special tokens inside), appending ids.
  void encode(std::string_view text, std::vector<int32_t>& out);

  // Merge one already byte-encoded word, appending ids.
  void encode_word(std::string_view word, std::vector<int32_t>& out);

 private:
  struct Symbol {
    size_t start;  // byte offset in the word
    size_t n;      // byte length; 0 once merged into its left neighbour
    int32_t prev, next;
  };
  struct Pair {
    int32_t rank;
    int32_t left, right;
    size_t left_n, right_n;  // symbol lengths when pushed (staleness check)
  };
  void push_pair(std::string_view word, int32_t left, int32_t right);

  const Vocab& vocab_;
  // Words already merged in this session -> their ids, as [offset, offset+count) of
  // cache_ids_. Text repeats words a lot, so this skips most merging.
  std::unordered_map<std::string, std::pair<size_t, size_t>, StringHash, std::equal_to<>> cache_;
  std::vector<int32_t> cache_ids_;
  std::vector<Symbol> symbols_;
  std::vector<Pair> heap_;
  std::string key_;      // scratch for merge lookups
  std::string encoded_;  // scratch for byte encoding
};

}  // namespace skim::tok
