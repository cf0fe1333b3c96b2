// pretokenizer.h — splits raw text into words before byte-level BPE, reproducing
// llama.cpp's unicode_regex_split for the supported `tokenizer.ggml.pre` types.
//
// Supported kinds (one hand-written matcher each; no regex engine at run time):
//   kGpt2   — the GPT-2 regex  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
//             as llama.cpp's unicode_regex_split_custom_gpt2 runs it: contractions are
//             case-sensitive; the optional leading char is only U+0020; a run of k > 1
//             whitespace chars followed by more text gives k-1 chars as one word and the
//             last one starts the next word; at the end of a piece the whole run is a word.
//   kDigitsThenGpt2 — first every \p{N} codepoint becomes its own piece, then kGpt2 runs
//             inside each remaining piece (smollm, starcoder, refact, command-r, ...).
//
// Invariant: the words, concatenated, equal the input re-encoded codepoint by codepoint
// (identical to the input for valid UTF-8; malformed bytes become U+FFFD).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skim::tok {

enum class PreTokenizer {
  kGpt2,
  kDigitsThenGpt2,
};

struct PreTokenizerInfo {
  PreTokenizer kind;
  bool clean_spaces;  // llama.cpp's clean_up_tokenization_spaces for this pre-type
};

// The matcher and flags for a `tokenizer.ggml.pre` value, or nullopt if unsupported.
std::optional<PreTokenizerInfo> find_pre_tokenizer(std::string_view pre);

// Result of a split: `text` is the re-encoded input; each word is [offset, offset+len).
struct Words {
  std::string text;
  std::vector<std::pair<size_t, size_t>> spans;  // (byte offset, byte length)

  size_t size() const { return spans.size(); }
  std::string_view operator[](size_t i) const { return std::string_view(text).substr(spans[i].first, spans[i].second); }
};

Words pre_tokenize(PreTokenizer kind, std::string_view text);

// Convenience for tests: the words as strings.
std::vector<std::string> pre_tokenize_to_strings(PreTokenizer kind, std::string_view text);

}  // namespace skim::tok
