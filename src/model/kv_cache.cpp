// kv_cache.cpp — the fp16 K/V buffers as zero-filled anonymous mappings.
#include "model/kv_cache.h"

#include <sys/mman.h>

#include <new>

namespace skim {

namespace {
uint16_t* map_zeroed(size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return static_cast<uint16_t*>(p);
}
}  // namespace

KvCache::KvCache(int32_t n_layer, int32_t n_ctx, int32_t kv_dim)
    : n_layer_(n_layer),
      n_ctx_(n_ctx),
      kv_dim_(kv_dim),
      bytes_each_(static_cast<size_t>(n_layer) * n_ctx * kv_dim * sizeof(uint16_t)),
      k_(map_zeroed(bytes_each_)),
      v_(map_zeroed(bytes_each_)) {}

KvCache::~KvCache() {
  ::munmap(k_, bytes_each_);
  ::munmap(v_, bytes_each_);
}

}  // namespace skim
