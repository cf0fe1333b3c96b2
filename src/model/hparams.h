// hparams.h — the hyper-parameters of a decoder-only transformer, read from GGUF metadata
// (`<arch>.*` keys) with llama.cpp's defaults for absent keys. Shared by every
// architecture; fields an architecture does not use keep their defaults.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "format/gguf/gguf_file.h"

namespace skim {

struct HParams {
  std::string arch;         // general.architecture, e.g. "llama"
  std::string name;         // general.name
  int32_t n_vocab = 0;      // rows of token_embd
  int32_t n_ctx_train = 0;  // <arch>.context_length
  int32_t n_embd = 0;       // d_model
  int32_t n_layer = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;
  int32_t head_dim = 0;     // key_length, else n_embd / n_head
  int32_t n_ff = 0;
  int32_t n_rot = 0;        // rope.dimension_count, else head_dim
  float rms_eps = 1e-5f;
  float rope_base = 10000.0f;
  float rope_freq_scale = 1.0f;

  int32_t q_dim() const { return n_head * head_dim; }      // width of Q (and attention output)
  int32_t kv_dim() const { return n_head_kv * head_dim; }  // width of K and V
};

// Reads and validates the common keys for `arch` (positive sizes, divisibility).
Result<HParams> read_hparams(const gguf::File& f);

}  // namespace skim
