// smollm.h — the SmolLM2-135M-Instruct tokenizer, loaded once per test binary from the
// default model path (tests/common/test_paths.h). nullptr with `error` set when the model
// is missing or fails to load; tests then fail with that message.
#pragma once

#include <memory>
#include <string>

#include "common/test_paths.h"
#include "format/gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"

namespace skim::tok::testing {

inline const Tokenizer* smollm_tokenizer(std::string* error = nullptr) {
  static std::string load_error;
  static const std::unique_ptr<Tokenizer> tok = []() -> std::unique_ptr<Tokenizer> {
    const std::string path = skim::testing::default_model_path();
    auto f = gguf::File::open(path);
    if (!f.ok()) {
      load_error = f.error().message + " (run `skim pull` to fetch the default model)";
      return nullptr;
    }
    auto t = Tokenizer::from_gguf(*f);
    if (!t.ok()) {
      load_error = t.error().message;
      return nullptr;
    }
    return std::make_unique<Tokenizer>(std::move(*t));
  }();
  if (error) *error = load_error;
  return tok.get();
}

}  // namespace skim::tok::testing
