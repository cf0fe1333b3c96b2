// gguf_file.h — a validated, zero-copy view of a GGUF file.
//
// File::open maps the file and parses header, metadata and tensor infos; every length,
// count, offset and type id is checked against the file's size before it is used, so a
// truncated, corrupt or hostile file yields a one-line Error, never a crash or a huge
// allocation. Strings and tensor data point into the mapping (valid while File lives).
// Tensor shapes are converted once here from GGUF's ne[] (innermost first) to PyTorch
// order: shape = {ne[n-1], ..., ne[0]}, so a linear layer is [out, in].
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/mmap_file.h"
#include "core/result.h"
#include "format/gguf/gguf_types.h"

namespace skim::gguf {

struct Value;

// An array value: homogeneous elements of one scalar or string type (no nesting).
struct Array {
  ValueType elem_type = ValueType::kUint8;
  std::vector<Value> items;
};

// One metadata value. Integers keep their signedness; strings view the mapping.
struct Value {
  ValueType type = ValueType::kUint8;
  std::variant<uint64_t, int64_t, double, bool, std::string_view, std::shared_ptr<Array>> v;

  std::optional<int64_t> as_int() const;      // any integer type whose value fits int64
  std::optional<double> as_float() const;     // float types, or any integer
  std::optional<bool> as_bool() const;
  std::optional<std::string_view> as_string() const;
  const Array* as_array() const;
  // Human-readable rendering (arrays abbreviated after `max_items`).
  std::string to_string(size_t max_items = 8) const;
};

struct TensorInfo {
  std::string name;
  int32_t type = 0;             // ggml type id (GgmlType); validated known
  std::vector<int64_t> shape;   // PyTorch order: [..., rows, cols]; cols = ne[0]
  uint64_t offset = 0;          // relative to the data section
  uint64_t nbytes = 0;
  const uint8_t* data = nullptr;  // into the mapping

  int64_t n_elements() const;
  int64_t cols() const { return shape.back(); }                       // ne[0]
  int64_t rows() const { return n_elements() / shape.back(); }         // product of the rest
  std::string_view type_name() const;
};

class File {
 public:
  // Map and parse a file from disk.
  static Result<File> open(const std::string& path);
  // Parse bytes that the caller keeps alive (fuzzing, tests).
  static Result<File> parse(std::span<const uint8_t> bytes);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  size_t file_size() const { return bytes_.size(); }
  const std::string& path() const { return mapping_ ? mapping_->path() : empty_; }

  const std::vector<std::pair<std::string, Value>>& metadata() const { return kv_; }
  const Value* find(std::string_view key) const;

  // Typed getters: missing key or wrong type -> Error naming the key.
  Result<int64_t> get_int(std::string_view key) const;
  Result<double> get_float(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<std::string_view> get_string(std::string_view key) const;
  Result<const Array*> get_array(std::string_view key, ValueType elem_type) const;
  // Defaults when the key is absent (still an Error when present with a wrong type).
  Result<int64_t> get_int_or(std::string_view key, int64_t dflt) const;
  Result<double> get_float_or(std::string_view key, double dflt) const;
  Result<bool> get_bool_or(std::string_view key, bool dflt) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;

 private:
  std::shared_ptr<MappedFile> mapping_;
  std::span<const uint8_t> bytes_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, Value>> kv_;
  std::map<std::string, size_t, std::less<>> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
  static inline const std::string empty_;

  friend class Parser;
};

}  // namespace skim::gguf
