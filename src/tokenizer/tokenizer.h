// tokenizer.h — text <-> token ids, reproducing llama.cpp's llama_tokenize /
// llama_token_to_piece / llama_detokenize for the model's vocab.
//
// encode: special-token partition (special_tokens.h), then byte-level BPE (bpe.h) or SPM
// (spm.h) on each raw fragment; add_special prepends BOS if the vocab's add_bos flag is
// set and appends EOS if add_eos is. Never fails: malformed UTF-8 is tokenized as U+FFFD.
// Pieces are precomputed for every token at load; a Tokenizer is immutable and safe to
// share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tokenizer/chat_template.h"  // part of the tokenizer surface: ChatMessage, apply_chat_template
#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"

namespace skim::gguf {
class File;
}

namespace skim::tok {

class Tokenizer {
 public:
  // Errors: unknown tokenizer model or pre-type, missing arrays, size mismatches.
  static Result<Tokenizer> from_gguf(const gguf::File& f);
  static Tokenizer from_vocab(Vocab vocab);

  // add_special: prepend BOS if add_bos() (and append EOS if the vocab's add_eos is set).
  // parse_special: CONTROL/UNKNOWN token texts in `text` become single tokens
  // (USER_DEFINED token texts always do).
  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes of one token (possibly a partial UTF-8 sequence). CONTROL and UNKNOWN
  // tokens give "" unless `special`; out-of-range ids give "".
  std::string token_to_piece(int32_t id, bool special) const;
  // Concatenated pieces, with llama_detokenize's leading-space removal (SPM with
  // add_space_prefix) and clean-up of tokenization spaces where the vocab asks for it.
  std::string decode(std::span<const int32_t> ids, bool special) const;

  int32_t n_vocab() const { return vocab_.n_tokens(); }
  int32_t bos() const { return vocab_.bos(); }  // -1 when absent
  int32_t eos() const { return vocab_.eos(); }  // -1 when absent
  int32_t eot() const { return vocab_.eot(); }  // -1 when absent
  bool add_bos() const { return vocab_.add_bos(); }
  // End of generation: EOS, EOT, EOM, and the end-of-turn texts llama.cpp recognises.
  bool is_eog(int32_t id) const { return vocab_.is_eog(id); }
  std::optional<int32_t> find_token(std::string_view text) const;

  const Vocab& vocab() const { return vocab_; }

 private:
  explicit Tokenizer(Vocab vocab);

  Vocab vocab_;
  std::vector<std::string> pieces_;  // token_to_piece(id, special = true)
};

}  // namespace skim::tok
