// hparams.cpp — reads and validates an architecture's hyper-parameters from GGUF metadata.
#include "model/hparams.h"

#include <fmt/core.h>

namespace skim {

Result<HParams> read_hparams(const gguf::File& f) {
  HParams hp;
  SKIM_TRY(std::string_view arch, f.get_string("general.architecture"));
  hp.arch = std::string(arch);
  if (auto* n = f.find("general.name"); n && n->as_string()) hp.name = std::string(*n->as_string());
  auto key = [&](const char* k) { return hp.arch + "." + k; };

  SKIM_TRY(int64_t n_ctx, f.get_int(key("context_length")));
  SKIM_TRY(int64_t n_embd, f.get_int(key("embedding_length")));
  SKIM_TRY(int64_t n_layer, f.get_int(key("block_count")));
  SKIM_TRY(int64_t n_ff, f.get_int(key("feed_forward_length")));
  SKIM_TRY(int64_t n_head, f.get_int(key("attention.head_count")));
  SKIM_TRY(int64_t n_head_kv, f.get_int_or(key("attention.head_count_kv"), n_head));
  SKIM_TRY(double eps, f.get_float_or(key("attention.layer_norm_rms_epsilon"), 1e-5));
  SKIM_TRY(double base, f.get_float_or(key("rope.freq_base"), 10000.0));
  SKIM_TRY(double factor, f.get_float_or(key("rope.scaling.factor"), 1.0));

  auto in_range = [](int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; };
  if (!in_range(n_ctx, 1, 1 << 24) || !in_range(n_embd, 1, 1 << 16) || !in_range(n_layer, 1, 1024) ||
      !in_range(n_ff, 1, 1 << 18) || !in_range(n_head, 1, 1024) || !in_range(n_head_kv, 1, n_head) ||
      n_head % n_head_kv != 0) {
    return make_error(fmt::format(
        "invalid hyper-parameters for '{}': ctx={} embd={} layers={} ff={} heads={} kv_heads={}", hp.arch, n_ctx,
        n_embd, n_layer, n_ff, n_head, n_head_kv));
  }
  SKIM_TRY(int64_t head_dim, f.get_int_or(key("attention.key_length"), n_embd / n_head));
  SKIM_TRY(int64_t n_rot, f.get_int_or(key("rope.dimension_count"), head_dim));
  if (!in_range(head_dim, 2, 1024) || head_dim % 2 != 0 || !in_range(n_rot, 0, head_dim) || n_rot % 2 != 0) {
    return make_error(fmt::format("invalid head_dim {} / rope dims {} for '{}'", head_dim, n_rot, hp.arch));
  }
  if (!(eps > 0 && eps < 1) || !(base > 0) || !(factor > 0)) {
    return make_error(fmt::format("invalid eps/rope values for '{}'", hp.arch));
  }
  hp.n_ctx_train = static_cast<int32_t>(n_ctx);
  hp.n_embd = static_cast<int32_t>(n_embd);
  hp.n_layer = static_cast<int32_t>(n_layer);
  hp.n_ff = static_cast<int32_t>(n_ff);
  hp.n_head = static_cast<int32_t>(n_head);
  hp.n_head_kv = static_cast<int32_t>(n_head_kv);
  hp.head_dim = static_cast<int32_t>(head_dim);
  hp.n_rot = static_cast<int32_t>(n_rot);
  hp.rms_eps = static_cast<float>(eps);
  hp.rope_base = static_cast<float>(base);
  hp.rope_freq_scale = static_cast<float>(1.0 / factor);
  return hp;
}

}  // namespace skim
