// tokenizer.cpp — see tokenizer.h. Piece rules (llama_vocab::impl::token_to_piece):
// CONTROL/UNKNOWN/USER_DEFINED tokens copy their text; NORMAL tokens are byte-decoded
// (BPE) or have U+2581 turned back into spaces (SPM); BYTE tokens "<0xXX>" give the byte;
// any other attribute gives "".
#include "tokenizer/tokenizer.h"

#include <cstdlib>

#include "format/gguf/gguf_file.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/special_tokens.h"
#include "tokenizer/spm.h"

namespace skim::tok {

namespace {

constexpr std::string_view kSpmSpace = "\xe2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out.append(to);
  }
  out.append(s, pos);
  s.swap(out);
}

std::string byte_token_piece(const std::string& text) {
  // "<0xXX>"; anything else yields the byte llama.cpp's strtol would: 0 on garbage.
  const std::string hex = text.size() >= 5 ? text.substr(3, 2) : std::string();
  return std::string(1, static_cast<char>(std::strtol(hex.c_str(), nullptr, 16)));
}

std::string make_piece(const Vocab& v, int32_t id) {
  const uint32_t attr = v.attr(id);
  const std::string& text = v.text(id);
  if (attr & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return text;
  if (attr & kAttrNormal) {
    if (v.kind() == VocabKind::kBpe) return byte_decode(text);
    std::string s = text;
    replace_all(s, kSpmSpace, " ");
    return s;
  }
  if (attr & kAttrByte) return byte_token_piece(text);
  return {};
}

// llama_detokenize's clean_up_tokenization_spaces passes.
void clean_up_spaces(std::string& t) {
  if (t.empty()) return;
  // " ?", " !", " .", " ," -> drop the space
  std::string a(1, t[0]);
  for (size_t i = 1; i < t.size(); ++i) {
    const char x = t[i];
    if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) a.pop_back();
    a.push_back(x);
  }
  // " ' " -> "'" (the skipped space is zeroed in the source, as llama.cpp does in place,
  // so it cannot serve as the leading space of a following " ' ")
  std::string b(1, a[0]);
  for (size_t i = 1; i < a.size(); ++i) {
    const char x = a[i];
    if (x == '\'' && i + 1 < a.size() && a[i - 1] == ' ' && a[i + 1] == ' ') {
      b.pop_back();
      a[++i] = '\0';
    }
    b.push_back(x);
  }
  // " 's", " 'm", " 're", " 've" -> drop the space
  std::string c(1, b[0]);
  for (size_t i = 1; i < b.size(); ++i) {
    const char x = b[i];
    if (b[i - 1] == ' ' && x == '\'' && i + 1 < b.size()) {
      const char x1 = b[i + 1];
      if (x1 == 's' || x1 == 'm') {
        c.pop_back();
      } else if (i + 2 < b.size() && ((x1 == 'r' && b[i + 2] == 'e') || (x1 == 'v' && b[i + 2] == 'e'))) {
        c.pop_back();
      }
    }
    c.push_back(x);
  }
  t.swap(c);
}

}  // namespace

Tokenizer::Tokenizer(Vocab vocab) : vocab_(std::move(vocab)) {
  pieces_.reserve(vocab_.n_tokens());
  for (int32_t id = 0; id < vocab_.n_tokens(); ++id) pieces_.push_back(make_piece(vocab_, id));
}

Result<Tokenizer> Tokenizer::from_gguf(const gguf::File& f) {
  SKIM_TRY(Vocab v, Vocab::from_gguf(f));
  return Tokenizer(std::move(v));
}

Tokenizer Tokenizer::from_vocab(Vocab vocab) { return Tokenizer(std::move(vocab)); }

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  const std::vector<Fragment> frags = partition_special(vocab_, text, parse_special);
  if (add_special && vocab_.add_bos()) out.push_back(vocab_.bos());

  if (vocab_.kind() == VocabKind::kBpe) {
    BpeSession bpe(vocab_);
    for (const Fragment& f : frags) {
      if (f.is_text()) {
        bpe.encode(text.substr(f.offset, f.length), out);
      } else {
        out.push_back(f.token);
      }
    }
  } else {
    SpmSession spm(vocab_);
    bool prev_special = true;  // the start of the text counts as after a special token
    std::string s;
    for (const Fragment& f : frags) {
      if (!f.is_text()) {
        out.push_back(f.token);
        prev_special = true;
        continue;
      }
      s.clear();
      if (vocab_.add_space_prefix() && prev_special) s.push_back(' ');
      s.append(text.substr(f.offset, f.length));
      replace_all(s, " ", kSpmSpace);
      spm.encode(s, out);
      prev_special = false;
    }
  }

  if (add_special && vocab_.add_eos()) out.push_back(vocab_.eos());
  return out;
}

std::string Tokenizer::token_to_piece(int32_t id, bool special) const {
  if (!vocab_.valid(id)) return {};
  if (!special && (vocab_.attr(id) & (kAttrUnknown | kAttrControl))) return {};
  return pieces_[id];
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool special) const {
  std::string out;
  bool remove_space = vocab_.add_space_prefix();
  for (int32_t id : ids) {
    std::string_view piece;
    if (vocab_.valid(id) && (special || !(vocab_.attr(id) & (kAttrUnknown | kAttrControl)))) piece = pieces_[id];
    if (remove_space && !piece.empty() && piece[0] == ' ') piece.remove_prefix(1);
    remove_space = false;
    out.append(piece);
  }
  if (vocab_.clean_spaces()) clean_up_spaces(out);
  return out;
}

std::optional<int32_t> Tokenizer::find_token(std::string_view text) const {
  const int32_t id = vocab_.find(text);
  if (id < 0) return std::nullopt;
  return id;
}

}  // namespace skim::tok
