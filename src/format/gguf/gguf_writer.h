// gguf_writer.h — builds GGUF files: sparsity sidecars, test fixtures (tiny models,
// vocab-only files, deliberately corrupt files). Values and tensors are written in the
// order they are added; tensor data is padded to the alignment (32).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "format/gguf/gguf_types.h"

namespace skim::gguf {

class Writer {
 public:
  void add_u32(std::string_view key, uint32_t v);
  void add_i32(std::string_view key, int32_t v);
  void add_u64(std::string_view key, uint64_t v);
  void add_f32(std::string_view key, float v);
  void add_bool(std::string_view key, bool v);
  void add_string(std::string_view key, std::string_view v);
  void add_string_array(std::string_view key, std::span<const std::string> v);
  void add_f32_array(std::string_view key, std::span<const float> v);
  void add_i32_array(std::string_view key, std::span<const int32_t> v);

  // shape in PyTorch order ([rows, cols]); `data` holds the encoded blocks of `type`.
  void add_tensor(std::string_view name, GgmlType type, std::vector<int64_t> shape, std::span<const uint8_t> data);

  std::vector<uint8_t> to_bytes() const;
  Status write(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;
  };
  void key(std::string_view k, ValueType t);
  template <class T>
  void put(const T& v) {
    const size_t at = kv_.size();
    kv_.resize(at + sizeof(T));
    std::memcpy(kv_.data() + at, &v, sizeof(T));
  }
  void put_string(std::string_view s);

  std::vector<uint8_t> kv_;  // encoded metadata pairs
  int64_t n_kv_ = 0;
  std::vector<Tensor> tensors_;
};

}  // namespace skim::gguf
