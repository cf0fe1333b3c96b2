// special_tokens.h — splits special tokens out of raw text before BPE/SPM, as
// llama.cpp's tokenizer_st_partition does.
//
// Special tokens (CONTROL, USER_DEFINED, UNKNOWN attributes) are taken one at a time in
// Vocab::special_tokens() order (longest text first); each one is cut out of every
// remaining raw-text fragment at all its non-overlapping occurrences, left to right.
// CONTROL and UNKNOWN tokens take part only with parse_special; USER_DEFINED always.
// Raw fragments are never empty; their concatenation with the special tokens' texts,
// in order, is the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace skim::tok {

struct Fragment {
  int32_t token = -1;   // >= 0: a special token; -1: raw text [offset, offset + length)
  size_t offset = 0;
  size_t length = 0;
  bool is_text() const { return token < 0; }
};

std::vector<Fragment> partition_special(const Vocab& vocab, std::string_view text, bool parse_special);

}  // namespace skim::tok
