// vocab.cpp — see vocab.h. The order of the text-based detection passes, and iterating
// token_to_id_ (an unordered_map filled in id order, like llama.cpp's) where llama.cpp
// does, keep "first match wins" decisions identical to llama.cpp on libstdc++.
#include "tokenizer/vocab.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "format/gguf/gguf_file.h"

namespace skim::tok {

namespace {

uint32_t attr_from_type(int32_t type) {
  switch (static_cast<TokenType>(type)) {
    case TokenType::kUnknown: return kAttrUnknown;
    case TokenType::kUnused: return kAttrUnused;
    case TokenType::kNormal: return kAttrNormal;
    case TokenType::kControl: return kAttrControl;
    case TokenType::kUserDefined: return kAttrUserDefined;
    case TokenType::kByte: return kAttrByte;
    default: return kAttrUndefined;
  }
}

template <size_t N>
bool is_one_of(std::string_view s, const std::array<std::string_view, N>& list) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// Texts llama.cpp recognises (llama-vocab.cpp, "auto-detect special tokens by text").
constexpr std::array<std::string_view, 11> kEotTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>", "<end_of_utterance>"};
constexpr std::array<std::string_view, 1> kEomTexts = {"<|eom_id|>"};
constexpr std::array<std::string_view, 8> kFimPreTexts = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>",
    "<PRE>", "\xe2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>"};
constexpr std::array<std::string_view, 8> kFimSufTexts = {
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81hole\xef\xbd\x9c>",
    "<SUF>", "\xe2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>"};
constexpr std::array<std::string_view, 8> kFimMidTexts = {
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>",
    "<MID>", "\xe2\x96\x81<MID>", "<|code_middle|>", "<|middle|>"};
constexpr std::array<std::string_view, 5> kFimPadTexts = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
constexpr std::array<std::string_view, 5> kFimRepTexts = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
                                                          "<reponame>"};
constexpr std::array<std::string_view, 1> kFimSepTexts = {"<|file_sep|>"};
constexpr std::array<std::string_view, 22> kEogTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
    "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
    "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>", "[e~["};

std::optional<int64_t> int_key(const gguf::File& f, std::string_view key) {
  const gguf::Value* v = f.find(key);
  return v ? v->as_int() : std::nullopt;
}

std::optional<bool> bool_key(const gguf::File& f, std::string_view key) {
  const gguf::Value* v = f.find(key);
  return v ? v->as_bool() : std::nullopt;
}

Result<std::vector<std::string>> string_array(const gguf::File& f, std::string_view key) {
  SKIM_TRY(const gguf::Array* a, f.get_array(key, gguf::ValueType::kString));
  std::vector<std::string> out;
  out.reserve(a->items.size());
  for (const auto& item : a->items) out.emplace_back(item.as_string().value_or(""));
  return out;
}

}  // namespace

Result<Vocab> Vocab::from_gguf(const gguf::File& f) {
  VocabData d;
  SKIM_TRY(std::string_view model, f.get_string("tokenizer.ggml.model"));
  d.model = model;
  if (const gguf::Value* v = f.find("tokenizer.ggml.pre")) {
    auto s = v->as_string();
    if (!s) return make_error("metadata key 'tokenizer.ggml.pre' is not a string");
    d.pre = *s;
  }
  SKIM_TRY(d.tokens, string_array(f, "tokenizer.ggml.tokens"));
  if (const gguf::Value* v = f.find("tokenizer.ggml.scores")) {
    const gguf::Array* a = v->as_array();
    if (!a || (a->elem_type != gguf::ValueType::kFloat32 && a->elem_type != gguf::ValueType::kInt32)) {
      return make_error("metadata key 'tokenizer.ggml.scores' must be a float32 or int32 array");
    }
    d.scores.reserve(a->items.size());
    for (const auto& item : a->items) d.scores.push_back(static_cast<float>(item.as_float().value_or(0.0)));
  }
  if (f.find("tokenizer.ggml.token_type")) {
    SKIM_TRY(const gguf::Array* a, f.get_array("tokenizer.ggml.token_type", gguf::ValueType::kInt32));
    d.types.reserve(a->items.size());
    for (const auto& item : a->items) d.types.push_back(static_cast<int32_t>(item.as_int().value_or(0)));
  }
  if (d.model == "gpt2") {
    if (!f.find("tokenizer.ggml.merges")) return make_error("BPE vocab without 'tokenizer.ggml.merges'");
    SKIM_TRY(d.merges, string_array(f, "tokenizer.ggml.merges"));
  }
  d.bos = int_key(f, "tokenizer.ggml.bos_token_id");
  d.eos = int_key(f, "tokenizer.ggml.eos_token_id");
  d.eot = int_key(f, "tokenizer.ggml.eot_token_id");
  d.eom = int_key(f, "tokenizer.ggml.eom_token_id");
  d.unk = int_key(f, "tokenizer.ggml.unknown_token_id");
  d.sep = int_key(f, "tokenizer.ggml.seperator_token_id");
  d.pad = int_key(f, "tokenizer.ggml.padding_token_id");
  d.mask = int_key(f, "tokenizer.ggml.mask_token_id");
  d.fim_pre = int_key(f, "tokenizer.ggml.fim_pre_token_id");
  d.fim_suf = int_key(f, "tokenizer.ggml.fim_suf_token_id");
  d.fim_mid = int_key(f, "tokenizer.ggml.fim_mid_token_id");
  d.fim_pad = int_key(f, "tokenizer.ggml.fim_pad_token_id");
  d.fim_rep = int_key(f, "tokenizer.ggml.fim_rep_token_id");
  d.fim_sep = int_key(f, "tokenizer.ggml.fim_sep_token_id");
  // Deprecated spellings, read after the new ones as llama.cpp does (they win if present).
  if (auto v = int_key(f, "tokenizer.ggml.prefix_token_id")) d.fim_pre = v;
  if (auto v = int_key(f, "tokenizer.ggml.suffix_token_id")) d.fim_suf = v;
  if (auto v = int_key(f, "tokenizer.ggml.middle_token_id")) d.fim_mid = v;
  d.add_bos = bool_key(f, "tokenizer.ggml.add_bos_token");
  d.add_eos = bool_key(f, "tokenizer.ggml.add_eos_token");
  d.add_space_prefix = bool_key(f, "tokenizer.ggml.add_space_prefix");
  return build(std::move(d));
}

Result<Vocab> Vocab::build(VocabData d) {
  Vocab v;
  if (d.model == "gpt2") {
    v.kind_ = VocabKind::kBpe;
    auto info = find_pre_tokenizer(d.pre);
    if (!info) {
      return make_error(fmt::format("unsupported BPE pre-tokenizer '{}'", d.pre.empty() ? "default" : d.pre));
    }
    v.pre_ = info->kind;
    v.clean_spaces_ = info->clean_spaces;
    v.add_space_prefix_ = false;
    v.add_bos_ = false;
    v.add_eos_ = false;
  } else if (d.model == "llama") {
    v.kind_ = VocabKind::kSpm;
    v.add_space_prefix_ = true;
    v.clean_spaces_ = false;
    v.add_bos_ = true;
    v.add_eos_ = false;
  } else {
    return make_error(fmt::format("unsupported tokenizer model '{}'", d.model));
  }
  if (d.add_space_prefix) v.add_space_prefix_ = *d.add_space_prefix;

  const size_t n = d.tokens.size();
  if (n == 0) return make_error("vocab has no tokens");
  if (n > static_cast<size_t>(INT32_MAX)) return make_error("vocab too large");
  if (!d.scores.empty() && d.scores.size() < n) {
    return make_error(fmt::format("tokenizer scores has {} entries for {} tokens", d.scores.size(), n));
  }
  if (!d.types.empty() && d.types.size() < n) {
    return make_error(fmt::format("tokenizer token_type has {} entries for {} tokens", d.types.size(), n));
  }

  v.text_ = std::move(d.tokens);
  v.score_.assign(n, 0.0f);
  v.attr_.assign(n, kAttrNormal);
  for (size_t i = 0; i < n; ++i) {
    if (v.text_[i].empty()) v.text_[i] = fmt::format("[EMPTY_{}]", i);
    if (!d.scores.empty()) v.score_[i] = d.scores[i];
    if (!d.types.empty()) v.attr_[i] = attr_from_type(d.types[i]);
    // Plain operator[] in id order, exactly like llama.cpp, so iteration order matches.
    v.token_to_id_[v.text_[i]] = static_cast<int32_t>(i);
  }
  if (v.token_to_id_.size() != n) return make_error("vocab contains duplicate token texts");

  if (v.kind_ == VocabKind::kBpe) {
    v.merge_rank_.reserve(d.merges.size());
    std::string key;
    for (size_t i = 0; i < d.merges.size(); ++i) {
      const std::string& m = d.merges[i];
      const size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
      key.clear();
      if (sp != std::string::npos) {
        key.append(m, 0, sp);
        key.push_back('\0');
        key.append(m, sp + 1);
      } else {
        key.push_back('\0');
      }
      v.merge_rank_.emplace(key, static_cast<int32_t>(i));  // the first (lowest) rank wins
    }
  }

  SKIM_RETURN_IF_ERROR(v.init_special_ids(d));
  if (d.add_bos) v.add_bos_ = *d.add_bos;
  if (d.add_eos) v.add_eos_ = *d.add_eos;
  if (v.add_bos_ && v.bos_ < 0) return make_error("vocab asks to add BOS but has no BOS token");
  if (v.add_eos_ && v.eos_ < 0) return make_error("vocab asks to add EOS but has no EOS token");
  v.detect_special_texts();

  for (int32_t id = 0; id < v.n_tokens(); ++id) {
    if (v.attr_[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) v.special_.push_back(id);
  }
  std::sort(v.special_.begin(), v.special_.end(),
            [&v](int32_t a, int32_t b) { return v.text_[a].size() > v.text_[b].size(); });

  if (v.kind_ == VocabKind::kSpm) {
    for (int b = 0; b < 256; ++b) {
      int32_t id = v.find(fmt::format("<0x{:02X}>", b));
      if (id < 0) id = v.find(std::string(1, static_cast<char>(b)));
      v.byte_token_[b] = id;
    }
  }
  return v;
}

Status Vocab::init_special_ids(const VocabData& d) {
  const int32_t n = n_tokens();
  if (kind_ == VocabKind::kBpe) {
    bos_ = 11;
    eos_ = 11;
  } else {
    bos_ = 1;
    eos_ = 2;
    unk_ = 0;
  }
  struct Slot {
    const std::optional<int64_t>& key;
    int32_t& id;
  };
  const Slot slots[] = {
      {d.bos, bos_},         {d.eos, eos_},         {d.eot, eot_},         {d.eom, eom_},
      {d.unk, unk_},         {d.sep, sep_},         {d.pad, pad_},         {d.mask, mask_},
      {d.fim_pre, fim_pre_}, {d.fim_suf, fim_suf_}, {d.fim_mid, fim_mid_}, {d.fim_pad, fim_pad_},
      {d.fim_rep, fim_rep_}, {d.fim_sep, fim_sep_},
  };
  for (const Slot& s : slots) {
    if (s.id >= n) s.id = -1;  // a default outside the vocab is disabled
    if (s.key && *s.key >= 0 && *s.key < n) s.id = static_cast<int32_t>(*s.key);  // bad ids keep the default
  }
  return {};
}

void Vocab::detect_special_texts() {
  auto claim = [this](int32_t& slot, std::string_view text, int32_t id, auto& list) {
    if (slot == -1 && is_one_of(text, list)) {
      slot = id;
      attr_[id] |= kAttrControl;
    }
  };
  for (const auto& [text, id] : token_to_id_) {
    claim(eot_, text, id, kEotTexts);
    claim(eom_, text, id, kEomTexts);
    claim(fim_pre_, text, id, kFimPreTexts);
    claim(fim_suf_, text, id, kFimSufTexts);
    claim(fim_mid_, text, id, kFimMidTexts);
    claim(fim_pad_, text, id, kFimPadTexts);
    claim(fim_rep_, text, id, kFimRepTexts);
    claim(fim_sep_, text, id, kFimSepTexts);
  }
  // Control tokens mentioning "unused" are unused.
  for (const auto& [text, id] : token_to_id_) {
    if ((attr_[id] & kAttrControl) && text.find("unused") != std::string::npos) attr_[id] |= kAttrUnused;
  }

  std::vector<int32_t> eog;
  for (int32_t id : {fim_pad_, fim_rep_, fim_sep_}) {
    if (id >= 0) eog.push_back(id);
  }
  for (const auto& [text, id] : token_to_id_) {
    if (is_one_of(text, kEogTexts)) {
      eog.push_back(id);
      attr_[id] |= kAttrControl;
    }
  }
  // gpt-oss: these markers are always rendered.
  for (std::string_view t : {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"}) {
    const int32_t id = find(t);
    if (id >= 0) attr_[id] = kAttrUserDefined;
  }
  for (int32_t id : {eos_, eot_, eom_}) {
    if (id >= 0) eog.push_back(id);
  }
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());

  auto has_text = [&](std::string_view t) {
    return std::any_of(eog.begin(), eog.end(), [&](int32_t id) { return text_[id] == t; });
  };
  auto drop_text = [&](std::string_view t, uint32_t new_attr) {
    for (auto it = eog.begin(); it != eog.end(); ++it) {
      if (text_[*it] == t) {
        attr_[*it] = new_attr;
        eog.erase(it);
        return;
      }
    }
  };
  // o200k_harmony / solar-open: "<|end|>" is not end-of-generation there.
  const bool has_call = has_text("<|call|>") || has_text("<|calls|>");
  if (has_text("<|end|>") && ((has_text("<|return|>") && has_call) || (has_call && has_text("<|flush|>")))) {
    drop_text("<|end|>", kAttrUserDefined);
  }
  // gemma4 / plamo: "</s>" is a normal token there.
  if (has_text("</s>") && (has_text("<|tool_response>") || has_text("<|plamo:eos|>"))) {
    drop_text("</s>", kAttrNormal);
  }
  eog_ = std::move(eog);
}

bool Vocab::is_eog(int32_t id) const { return id >= 0 && std::binary_search(eog_.begin(), eog_.end(), id); }

int32_t Vocab::merge_rank(std::string_view left, std::string_view right, std::string& key) const {
  key.assign(left);
  key.push_back('\0');
  key.append(right);
  auto it = merge_rank_.find(std::string_view(key));
  return it == merge_rank_.end() ? -1 : it->second;
}

}  // namespace skim::tok
