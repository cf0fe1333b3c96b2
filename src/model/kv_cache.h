// kv_cache.h — the per-sequence key/value cache, preallocated for the whole context.
// Layout: k/v [n_layer][n_ctx][kv_dim] IEEE fp16 (kv_dim = n_head_kv * head_dim), as
// llama.cpp's default f16 cache, so a layer's keys for positions 0..p are contiguous.
// Values are stored rounded to nearest even (kernels::OpsTable::f32_to_f16). The buffers
// come from an anonymous mapping: pages become resident only as positions are written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace skim {

class KvCache {
 public:
  KvCache(int32_t n_layer, int32_t n_ctx, int32_t kv_dim);
  ~KvCache();
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  int32_t n_layer() const { return n_layer_; }
  int32_t n_ctx() const { return n_ctx_; }
  int32_t kv_dim() const { return kv_dim_; }
  // [n_ctx][kv_dim] fp16 for one layer
  uint16_t* k(int32_t layer) { return k_ + static_cast<size_t>(layer) * n_ctx_ * kv_dim_; }
  uint16_t* v(int32_t layer) { return v_ + static_cast<size_t>(layer) * n_ctx_ * kv_dim_; }
  size_t bytes() const { return 2 * bytes_each_; }

 private:
  int32_t n_layer_, n_ctx_, kv_dim_;
  size_t bytes_each_;
  uint16_t* k_;
  uint16_t* v_;
};

}  // namespace skim
