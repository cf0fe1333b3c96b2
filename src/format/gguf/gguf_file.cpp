// gguf_file.cpp — the GGUF parser. A cursor reads little-endian fields from a byte span;
// every read is bounds-checked, counts are checked against the bytes that remain before
// anything is reserved, and tensor geometry is checked against the data section.
#include "format/gguf/gguf_file.h"

#include <fmt/core.h>

#include <bit>
#include <cstring>
#include <limits>
#include <set>

namespace skim::gguf {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr uint64_t kMaxNameLen = 63;     // GGML_MAX_NAME - 1
constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kMaxStringLen = 1ull << 30;
// Arrays larger than this are refused (real vocabularies have < 1M entries); bounds the
// memory a hostile file can make us allocate.
constexpr uint64_t kMaxArrayLen = 1ull << 22;

}  // namespace

// Parser is a friend of File: it fills the private fields.
class Parser {
 public:
  explicit Parser(std::span<const uint8_t> b) : b_(b) {}

  Result<File> parse(std::shared_ptr<MappedFile> mapping);

 private:
  template <class T>
  Result<T> read(const char* what) {
    if (b_.size() - pos_ < sizeof(T)) {
      return make_error(fmt::format("truncated file: {} at offset {} needs {} bytes, file has {}", what, pos_,
                                    sizeof(T), b_.size()));
    }
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  Result<std::string_view> read_string(const char* what) {
    SKIM_TRY(uint64_t len, read<uint64_t>(what));
    if (len > kMaxStringLen || len > b_.size() - pos_) {
      return make_error(fmt::format("truncated or corrupt file: {} at offset {} claims {} bytes", what, pos_ - 8, len));
    }
    std::string_view s(reinterpret_cast<const char*>(b_.data() + pos_), len);
    pos_ += len;
    return s;
  }

  Result<Value> read_scalar(ValueType t, const std::string& key);
  Result<Value> read_value(ValueType t, const std::string& key);

  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

Result<Value> Parser::read_scalar(ValueType t, const std::string& key) {
  Value v;
  v.type = t;
  const char* what = "metadata value";
  switch (t) {
    case ValueType::kUint8: { SKIM_TRY(auto x, read<uint8_t>(what)); v.v = uint64_t{x}; break; }
    case ValueType::kInt8: { SKIM_TRY(auto x, read<int8_t>(what)); v.v = int64_t{x}; break; }
    case ValueType::kUint16: { SKIM_TRY(auto x, read<uint16_t>(what)); v.v = uint64_t{x}; break; }
    case ValueType::kInt16: { SKIM_TRY(auto x, read<int16_t>(what)); v.v = int64_t{x}; break; }
    case ValueType::kUint32: { SKIM_TRY(auto x, read<uint32_t>(what)); v.v = uint64_t{x}; break; }
    case ValueType::kInt32: { SKIM_TRY(auto x, read<int32_t>(what)); v.v = int64_t{x}; break; }
    case ValueType::kUint64: { SKIM_TRY(auto x, read<uint64_t>(what)); v.v = uint64_t{x}; break; }
    case ValueType::kInt64: { SKIM_TRY(auto x, read<int64_t>(what)); v.v = int64_t{x}; break; }
    case ValueType::kFloat32: { SKIM_TRY(auto x, read<float>(what)); v.v = double{x}; break; }
    case ValueType::kFloat64: { SKIM_TRY(auto x, read<double>(what)); v.v = double{x}; break; }
    case ValueType::kBool: { SKIM_TRY(auto x, read<uint8_t>(what)); v.v = bool{x != 0}; break; }
    case ValueType::kString: { SKIM_TRY(auto s, read_string("metadata string")); v.v = s; break; }
    default:
      return make_error(fmt::format("corrupt file: metadata key '{}' has invalid value type {}", key,
                                    static_cast<int32_t>(t)));
  }
  return v;
}

Result<Value> Parser::read_value(ValueType t, const std::string& key) {
  if (t != ValueType::kArray) return read_scalar(t, key);
  SKIM_TRY(int32_t et, read<int32_t>("array element type"));
  auto elem = static_cast<ValueType>(et);
  if (et < 0 || et > 12 || elem == ValueType::kArray) {
    return make_error(fmt::format("corrupt file: metadata key '{}' has invalid array element type {}", key, et));
  }
  SKIM_TRY(uint64_t count, read<uint64_t>("array length"));
  // Each element needs at least 1 byte (8 for a string length): reject counts that the
  // remaining bytes cannot hold before reserving anything.
  const uint64_t min_elem = elem == ValueType::kString ? 8 : static_cast<uint64_t>(value_type_size(elem));
  if (count > kMaxArrayLen) {
    return make_error(fmt::format("corrupt file: metadata array '{}' has {} elements (limit {})", key, count, kMaxArrayLen));
  }
  if (count > (b_.size() - pos_) / min_elem) {
    return make_error(fmt::format("truncated or corrupt file: metadata array '{}' claims {} elements", key, count));
  }
  auto arr = std::make_shared<Array>();
  arr->elem_type = elem;
  arr->items.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    SKIM_TRY(Value item, read_scalar(elem, key));
    arr->items.push_back(std::move(item));
  }
  Value v;
  v.type = ValueType::kArray;
  v.v = std::move(arr);
  return v;
}

Result<File> Parser::parse(std::shared_ptr<MappedFile> mapping) {
  File f;
  f.mapping_ = std::move(mapping);
  f.bytes_ = b_;

  SKIM_TRY(uint32_t magic, read<uint32_t>("magic"));
  if (magic != kMagic) return make_error("not a GGUF file (bad magic)");
  SKIM_TRY(f.version_, read<uint32_t>("version"));
  if (f.version_ < 2 || f.version_ > 3) {
    return make_error(fmt::format("unsupported GGUF version {} (supported: 2, 3)", f.version_));
  }
  SKIM_TRY(int64_t n_tensors, read<int64_t>("tensor count"));
  SKIM_TRY(int64_t n_kv, read<int64_t>("metadata count"));
  // A KV pair takes at least 8 (key len) + 4 (type) + 1 bytes; a tensor info at least 8+4+8+4+8.
  if (n_kv < 0 || static_cast<uint64_t>(n_kv) > (b_.size() - pos_) / 13) {
    return make_error(fmt::format("truncated or corrupt file: metadata count {} is impossible for a {}-byte file", n_kv, b_.size()));
  }
  if (n_tensors < 0 || static_cast<uint64_t>(n_tensors) > (b_.size() - pos_) / 32) {
    return make_error(fmt::format("truncated or corrupt file: tensor count {} is impossible for a {}-byte file", n_tensors, b_.size()));
  }

  f.kv_.reserve(static_cast<size_t>(n_kv));
  for (int64_t i = 0; i < n_kv; ++i) {
    SKIM_TRY(std::string_view key, read_string("metadata key"));
    SKIM_TRY(int32_t t, read<int32_t>("metadata value type"));
    std::string k(key);
    if (t < 0 || t > 12) {
      return make_error(fmt::format("corrupt file: metadata key '{}' has invalid value type {}", k, t));
    }
    SKIM_TRY(Value v, read_value(static_cast<ValueType>(t), k));
    if (f.kv_index_.count(k)) return make_error(fmt::format("corrupt file: duplicate metadata key '{}'", k));
    f.kv_index_.emplace(k, f.kv_.size());
    f.kv_.emplace_back(std::move(k), std::move(v));
  }

  if (const Value* a = f.find("general.alignment")) {
    if (a->type != ValueType::kUint32) return make_error("corrupt file: general.alignment must be u32");
    uint64_t al = std::get<uint64_t>(a->v);
    if (al == 0 || !std::has_single_bit(al)) {
      return make_error(fmt::format("corrupt file: general.alignment {} is not a power of two", al));
    }
    f.alignment_ = al;
  }

  f.tensors_.reserve(static_cast<size_t>(n_tensors));
  for (int64_t i = 0; i < n_tensors; ++i) {
    TensorInfo ti;
    SKIM_TRY(std::string_view name, read_string("tensor name"));
    if (name.size() > kMaxNameLen) {
      return make_error(fmt::format("corrupt file: tensor name of {} bytes exceeds {}", name.size(), kMaxNameLen));
    }
    ti.name = std::string(name);
    SKIM_TRY(uint32_t n_dims, read<uint32_t>("tensor dims"));
    if (n_dims == 0 || n_dims > kMaxDims) {
      return make_error(fmt::format("corrupt file: tensor '{}' has {} dimensions (1..4 allowed)", ti.name, n_dims));
    }
    int64_t ne[kMaxDims] = {1, 1, 1, 1};
    for (uint32_t d = 0; d < n_dims; ++d) {
      SKIM_TRY(ne[d], read<int64_t>("tensor dimension"));
      if (ne[d] < 0) return make_error(fmt::format("corrupt file: tensor '{}' has negative dimension", ti.name));
    }
    SKIM_TRY(ti.type, read<int32_t>("tensor type"));
    SKIM_TRY(ti.offset, read<uint64_t>("tensor offset"));
    auto info = ggml_type_info(ti.type);
    if (!info) {
      return make_error(fmt::format("tensor '{}' has unknown ggml type id {}", ti.name, ti.type));
    }
    // Element count without overflow.
    int64_t n = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      if (ne[d] != 0 && n > std::numeric_limits<int64_t>::max() / ne[d]) {
        return make_error(fmt::format("corrupt file: tensor '{}' element count overflows", ti.name));
      }
      n *= ne[d];
    }
    if (ne[0] % info->block_size != 0) {
      return make_error(fmt::format("corrupt file: tensor '{}' row length {} is not a multiple of the {} block size {}",
                                    ti.name, ne[0], info->name, info->block_size));
    }
    const uint64_t nblocks = static_cast<uint64_t>(n / info->block_size);
    if (nblocks > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(info->type_size)) {
      return make_error(fmt::format("corrupt file: tensor '{}' byte size overflows", ti.name));
    }
    ti.nbytes = nblocks * static_cast<uint64_t>(info->type_size);
    for (uint32_t d = 0; d < n_dims; ++d) ti.shape.push_back(ne[n_dims - 1 - d]);
    if (f.tensor_index_.count(ti.name)) {
      return make_error(fmt::format("corrupt file: duplicate tensor name '{}'", ti.name));
    }
    f.tensor_index_.emplace(ti.name, f.tensors_.size());
    f.tensors_.push_back(std::move(ti));
  }

  // Data section starts at the next multiple of the alignment.
  const uint64_t al = f.alignment_;
  f.data_offset_ = (pos_ + al - 1) / al * al;
  if (f.data_offset_ > b_.size() && !f.tensors_.empty()) {
    return make_error(fmt::format("truncated file: data section at offset {} lies beyond the end ({} bytes)",
                                  f.data_offset_, b_.size()));
  }
  const uint64_t data_size = f.data_offset_ <= b_.size() ? b_.size() - f.data_offset_ : 0;
  uint64_t expected = 0;
  for (auto& ti : f.tensors_) {
    if (ti.offset % al != 0) {
      return make_error(fmt::format("corrupt file: tensor '{}' offset {} is not aligned to {}", ti.name, ti.offset, al));
    }
    if (ti.offset != expected) {
      return make_error(fmt::format("corrupt file: tensor '{}' offset {} does not follow the previous tensor (expected {})",
                                    ti.name, ti.offset, expected));
    }
    if (ti.offset > data_size || ti.nbytes > data_size - ti.offset) {
      return make_error(fmt::format("truncated file: tensor '{}' needs bytes [{}, {}) of the data section, which has {}",
                                    ti.name, ti.offset, ti.offset + ti.nbytes, data_size));
    }
    ti.data = b_.data() + f.data_offset_ + ti.offset;
    expected = ti.offset + (ti.nbytes + al - 1) / al * al;
  }
  return f;
}

// ---- File -------------------------------------------------------------------------------

Result<File> File::open(const std::string& path) {
  SKIM_TRY(MappedFile m, MappedFile::open(path));
  auto mapping = std::make_shared<MappedFile>(std::move(m));
  Parser p(mapping->bytes());
  auto r = p.parse(mapping);
  if (!r) return make_error(path + ": " + r.error().message);
  return r;
}

Result<File> File::parse(std::span<const uint8_t> bytes) {
  Parser p(bytes);
  return p.parse(nullptr);
}

const Value* File::find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

const TensorInfo* File::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Result<int64_t> File::get_int(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return make_error(fmt::format("missing metadata key '{}'", key));
  auto x = v->as_int();
  if (!x) return make_error(fmt::format("metadata key '{}' is {}, expected an integer", key, value_type_name(v->type)));
  return *x;
}

Result<double> File::get_float(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return make_error(fmt::format("missing metadata key '{}'", key));
  auto x = v->as_float();
  if (!x) return make_error(fmt::format("metadata key '{}' is {}, expected a number", key, value_type_name(v->type)));
  return *x;
}

Result<bool> File::get_bool(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return make_error(fmt::format("missing metadata key '{}'", key));
  auto x = v->as_bool();
  if (!x) return make_error(fmt::format("metadata key '{}' is {}, expected bool", key, value_type_name(v->type)));
  return *x;
}

Result<std::string_view> File::get_string(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return make_error(fmt::format("missing metadata key '{}'", key));
  auto x = v->as_string();
  if (!x) return make_error(fmt::format("metadata key '{}' is {}, expected string", key, value_type_name(v->type)));
  return *x;
}

Result<const Array*> File::get_array(std::string_view key, ValueType elem_type) const {
  const Value* v = find(key);
  if (!v) return make_error(fmt::format("missing metadata key '{}'", key));
  const Array* a = v->as_array();
  if (!a) return make_error(fmt::format("metadata key '{}' is {}, expected array", key, value_type_name(v->type)));
  if (a->elem_type != elem_type) {
    return make_error(fmt::format("metadata array '{}' holds {}, expected {}", key, value_type_name(a->elem_type),
                                  value_type_name(elem_type)));
  }
  return a;
}

Result<int64_t> File::get_int_or(std::string_view key, int64_t dflt) const {
  return find(key) ? get_int(key) : Result<int64_t>(dflt);
}
Result<double> File::get_float_or(std::string_view key, double dflt) const {
  return find(key) ? get_float(key) : Result<double>(dflt);
}
Result<bool> File::get_bool_or(std::string_view key, bool dflt) const {
  return find(key) ? get_bool(key) : Result<bool>(dflt);
}

// ---- Value / TensorInfo -----------------------------------------------------------------

std::optional<int64_t> Value::as_int() const {
  if (auto* u = std::get_if<uint64_t>(&v)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(*u);
  }
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  return std::nullopt;
}

std::optional<double> Value::as_float() const {
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto i = as_int()) return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<bool> Value::as_bool() const {
  if (auto* b = std::get_if<bool>(&v)) return *b;
  return std::nullopt;
}

std::optional<std::string_view> Value::as_string() const {
  if (auto* s = std::get_if<std::string_view>(&v)) return *s;
  return std::nullopt;
}

const Array* Value::as_array() const {
  if (auto* a = std::get_if<std::shared_ptr<Array>>(&v)) return a->get();
  return nullptr;
}

std::string Value::to_string(size_t max_items) const {
  switch (v.index()) {
    case 0: return std::to_string(std::get<uint64_t>(v));
    case 1: return std::to_string(std::get<int64_t>(v));
    case 2: return fmt::format("{}", std::get<double>(v));
    case 3: return std::get<bool>(v) ? "true" : "false";
    case 4: {
      std::string_view s = std::get<std::string_view>(v);
      std::string out = "\"";
      for (char c : s.substr(0, 200)) {
        if (c == '\n') out += "\\n";
        else if (c == '"') out += "\\\"";
        else out += c;
      }
      if (s.size() > 200) out += fmt::format("...({} bytes)", s.size());
      return out + "\"";
    }
    default: {
      const Array* a = as_array();
      std::string out = fmt::format("[{} x {}: ", a->items.size(), value_type_name(a->elem_type));
      for (size_t i = 0; i < a->items.size() && i < max_items; ++i) {
        if (i) out += ", ";
        out += a->items[i].to_string();
      }
      if (a->items.size() > max_items) out += ", ...";
      return out + "]";
    }
  }
}

int64_t TensorInfo::n_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string_view TensorInfo::type_name() const {
  auto info = ggml_type_info(type);
  return info ? info->name : "?";
}

}  // namespace skim::gguf
