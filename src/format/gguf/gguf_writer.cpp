// gguf_writer.cpp — writes GGUF files (metadata, tensor infos, aligned data) for sidecars and tests.
#include "format/gguf/gguf_writer.h"

#include <cstdio>
#include <cstring>
#include <memory>

namespace skim::gguf {

namespace {
constexpr uint64_t kAlign = 32;

template <class T>
void append(std::vector<uint8_t>& out, const T& v) {
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &v, sizeof(T));
}
void append_string(std::vector<uint8_t>& out, std::string_view s) {
  append(out, static_cast<uint64_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}
}  // namespace

void Writer::key(std::string_view k, ValueType t) {
  put_string(k);
  put(static_cast<int32_t>(t));
  ++n_kv_;
}
void Writer::put_string(std::string_view s) { append_string(kv_, s); }

void Writer::add_u32(std::string_view k, uint32_t v) { key(k, ValueType::kUint32); put(v); }
void Writer::add_i32(std::string_view k, int32_t v) { key(k, ValueType::kInt32); put(v); }
void Writer::add_u64(std::string_view k, uint64_t v) { key(k, ValueType::kUint64); put(v); }
void Writer::add_f32(std::string_view k, float v) { key(k, ValueType::kFloat32); put(v); }
void Writer::add_bool(std::string_view k, bool v) { key(k, ValueType::kBool); put(static_cast<uint8_t>(v)); }
void Writer::add_string(std::string_view k, std::string_view v) { key(k, ValueType::kString); put_string(v); }

void Writer::add_string_array(std::string_view k, std::span<const std::string> v) {
  key(k, ValueType::kArray);
  put(static_cast<int32_t>(ValueType::kString));
  put(static_cast<uint64_t>(v.size()));
  for (const auto& s : v) put_string(s);
}
void Writer::add_f32_array(std::string_view k, std::span<const float> v) {
  key(k, ValueType::kArray);
  put(static_cast<int32_t>(ValueType::kFloat32));
  put(static_cast<uint64_t>(v.size()));
  for (float x : v) put(x);
}
void Writer::add_i32_array(std::string_view k, std::span<const int32_t> v) {
  key(k, ValueType::kArray);
  put(static_cast<int32_t>(ValueType::kInt32));
  put(static_cast<uint64_t>(v.size()));
  for (int32_t x : v) put(x);
}

void Writer::add_tensor(std::string_view name, GgmlType type, std::vector<int64_t> shape,
                        std::span<const uint8_t> data) {
  tensors_.push_back({std::string(name), type, std::move(shape), std::vector<uint8_t>(data.begin(), data.end())});
}

std::vector<uint8_t> Writer::to_bytes() const {
  std::vector<uint8_t> out;
  append(out, uint32_t{0x46554747});
  append(out, uint32_t{3});
  append(out, static_cast<int64_t>(tensors_.size()));
  append(out, n_kv_);
  out.insert(out.end(), kv_.begin(), kv_.end());
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    append_string(out, t.name);
    append(out, static_cast<uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) append(out, static_cast<int64_t>(*it));  // ne[] order
    append(out, static_cast<int32_t>(t.type));
    append(out, offset);
    offset += (t.data.size() + kAlign - 1) / kAlign * kAlign;
  }
  out.resize((out.size() + kAlign - 1) / kAlign * kAlign, 0);
  for (const auto& t : tensors_) {
    out.insert(out.end(), t.data.begin(), t.data.end());
    out.resize((out.size() + kAlign - 1) / kAlign * kAlign, 0);
  }
  return out;
}

Status Writer::write(const std::string& path) const {
  std::vector<uint8_t> bytes = to_bytes();
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) return make_error("cannot write '" + path + "': " + std::strerror(errno));
  if (std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size()) {
    return make_error("short write to '" + path + "'");
  }
  return {};
}

}  // namespace skim::gguf
