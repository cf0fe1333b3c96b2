// spm.h — SentencePiece-style BPE over vocab scores (tokenizer.ggml.model = "llama",
// e.g. Gemma 3), as llama.cpp's llm_tokenizer_spm_session.
//
// The caller has already replaced ' ' with U+2581 and added the optional space prefix.
// Symbols start as UTF-8 characters; repeatedly the adjacent pair whose concatenation is
// a vocab token with the highest score is merged (ties: leftmost first). Each final
// symbol is emitted as its token, or byte by byte through the <0xXX> byte tokens.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace skim::tok {

class SpmSession {
 public:
  explicit SpmSession(const Vocab& vocab) : vocab_(vocab) {}

  void encode(std::string_view text, std::vector<int32_t>& out);

 private:
  struct Symbol {
    size_t start, n;
    int32_t prev, next;
  };
  struct Pair {
    float score;
    int32_t left, right;
    size_t size;
  };
  void push_pair(std::string_view text, int32_t left, int32_t right);

  const Vocab& vocab_;
  std::vector<Symbol> symbols_;
  std::vector<Pair> heap_;
};

}  // namespace skim::tok
