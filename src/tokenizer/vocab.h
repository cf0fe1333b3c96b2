// vocab.h — a tokenizer vocabulary: token texts, scores and attributes, BPE merge ranks,
// special token ids and flags, loaded from GGUF with llama.cpp's defaults and fix-ups
// (llama_vocab::impl::load), so that every downstream decision matches llama.cpp:
//   * special ids: per-model-type defaults (BPE: bos = eos = 11; SPM: bos 1, eos 2,
//     unk 0), dropped when out of range, overridden by in-range GGUF keys;
//   * tokens whose text looks like an end-of-turn / FIM marker get the CONTROL
//     attribute and fill the missing eot / fim ids; the end-of-generation set is built
//     from those texts plus eos/eot/eom and the fim pad/rep/sep ids;
//   * the special-token list (CONTROL | USER_DEFINED | UNKNOWN) is ordered longest text
//     first with the same std::sort call llama.cpp uses, so ties break identically.
// A Vocab is immutable after build(); Tokenizer holds one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "tokenizer/pretokenizer.h"

namespace skim::gguf {
class File;
}

namespace skim::tok {

// GGUF token types (tokenizer.ggml.token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// Token attribute bits (llama.cpp's llama_token_attr).
enum TokenAttr : uint32_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1u << 0,
  kAttrUnused = 1u << 1,
  kAttrNormal = 1u << 2,
  kAttrControl = 1u << 3,
  kAttrUserDefined = 1u << 4,
  kAttrByte = 1u << 5,
};

enum class VocabKind {
  kBpe,  // tokenizer.ggml.model = "gpt2": byte-level BPE
  kSpm,  // tokenizer.ggml.model = "llama": SentencePiece BPE with scores
};

// Everything a vocab is built from; absent optionals take llama.cpp's defaults.
struct VocabData {
  std::string model;  // tokenizer.ggml.model
  std::string pre;    // tokenizer.ggml.pre (BPE only)
  std::vector<std::string> tokens;
  std::vector<float> scores;     // empty or one per token
  std::vector<int32_t> types;    // empty or one per token (TokenType values)
  std::vector<std::string> merges;  // "A B", BPE only; rank = index
  std::optional<int64_t> bos, eos, eot, eom, unk, sep, pad, mask;
  std::optional<int64_t> fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep;
  std::optional<bool> add_bos, add_eos, add_space_prefix;
};

// Hash for heterogeneous string lookups (std::string keys, string_view queries).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class Vocab {
 public:
  static Result<Vocab> from_gguf(const gguf::File& f);
  static Result<Vocab> build(VocabData data);

  VocabKind kind() const { return kind_; }
  PreTokenizer pre_tokenizer() const { return pre_; }
  int32_t n_tokens() const { return static_cast<int32_t>(text_.size()); }

  const std::string& text(int32_t id) const { return text_[id]; }
  float score(int32_t id) const { return score_[id]; }
  uint32_t attr(int32_t id) const { return attr_[id]; }
  bool valid(int32_t id) const { return id >= 0 && id < n_tokens(); }

  // Exact-text lookup; -1 when absent.
  int32_t find(std::string_view text) const {
    auto it = token_to_id_.find(text);
    return it == token_to_id_.end() ? -1 : it->second;
  }
  // Rank of the BPE merge (left, right); -1 when there is none. `key` is scratch space.
  int32_t merge_rank(std::string_view left, std::string_view right, std::string& key) const;

  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  int32_t eot() const { return eot_; }
  int32_t unk() const { return unk_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  bool clean_spaces() const { return clean_spaces_; }
  bool is_eog(int32_t id) const;
  const std::vector<int32_t>& eog_ids() const { return eog_; }

  // CONTROL | USER_DEFINED | UNKNOWN tokens, longest text first (llama.cpp's order).
  const std::vector<int32_t>& special_tokens() const { return special_; }

  // SPM: the <0xXX> token of a byte (or the single-byte token); -1 if neither exists.
  int32_t byte_token(uint8_t byte) const { return byte_token_[byte]; }

 private:
  Status init_special_ids(const VocabData& d);
  void detect_special_texts();

  VocabKind kind_ = VocabKind::kBpe;
  PreTokenizer pre_ = PreTokenizer::kGpt2;
  std::vector<std::string> text_;
  std::vector<float> score_;
  std::vector<uint32_t> attr_;
  TokenMap token_to_id_;
  TokenMap merge_rank_;  // key: left + '\0' + right
  int32_t bos_ = -1, eos_ = -1, eot_ = -1, eom_ = -1, unk_ = -1, sep_ = -1, pad_ = -1, mask_ = -1;
  int32_t fim_pre_ = -1, fim_suf_ = -1, fim_mid_ = -1, fim_pad_ = -1, fim_rep_ = -1, fim_sep_ = -1;
  bool add_bos_ = false, add_eos_ = false, add_space_prefix_ = false, clean_spaces_ = false;
  std::vector<int32_t> eog_;  // sorted
  std::vector<int32_t> special_;
  std::vector<int32_t> byte_token_ = std::vector<int32_t>(256, -1);
};

}  // namespace skim::tok
