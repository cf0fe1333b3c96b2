// dtype.h — the element types a tensor can have, and their block geometry.
//
// DType values are the ggml type ids, so a GGUF tensor info's type converts with a range
// check (dtype_from_ggml). Quantized types store `block_size` elements in `type_size`
// bytes; a row of n elements (n a multiple of block_size) takes row_bytes(type, n) bytes.
//
// `vec_dot_type` is the type the activations are converted to before a dot product with a
// row of this type (as in llama.cpp's type_traits_cpu): Q4_0/Q5_0/Q8_0 -> Q8_0,
// Q4_1/Q5_1 -> Q8_1, K-quants -> Q8_K. Float weights (F32/F16/BF16) take F32 activations.
// The table is constexpr: one row per type, no run-time registration.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace skim {

enum class DType : int32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kBF16 = 30,
};

// One past the largest DType id: tables indexed by id have this many slots.
inline constexpr int kDTypeIdLimit = 31;

struct DTypeTraits {
  DType type;
  std::string_view name;  // ggml's spelling: "q4_1", "f32", ...
  int64_t block_size;     // elements per block (1 for float types)
  int64_t type_size;      // bytes per block
  DType vec_dot_type;     // activation type used by this type's dot product
  bool quantized;
};

inline constexpr std::array<DTypeTraits, 13> kDTypeTraits = {{
    {DType::kF32, "f32", 1, 4, DType::kF32, false},
    {DType::kF16, "f16", 1, 2, DType::kF32, false},
    {DType::kBF16, "bf16", 1, 2, DType::kF32, false},
    {DType::kQ4_0, "q4_0", 32, 18, DType::kQ8_0, true},
    {DType::kQ4_1, "q4_1", 32, 20, DType::kQ8_1, true},
    {DType::kQ5_0, "q5_0", 32, 22, DType::kQ8_0, true},
    {DType::kQ5_1, "q5_1", 32, 24, DType::kQ8_1, true},
    {DType::kQ8_0, "q8_0", 32, 34, DType::kQ8_0, true},
    {DType::kQ8_1, "q8_1", 32, 36, DType::kQ8_1, true},
    {DType::kQ4_K, "q4_K", 256, 144, DType::kQ8_K, true},
    {DType::kQ5_K, "q5_K", 256, 176, DType::kQ8_K, true},
    {DType::kQ6_K, "q6_K", 256, 210, DType::kQ8_K, true},
    {DType::kQ8_K, "q8_K", 256, 292, DType::kQ8_K, true},
}};

// Index into kDTypeTraits, or -1 for an id that is not a DType.
constexpr int dtype_traits_index(int32_t id) {
  for (int i = 0; i < static_cast<int>(kDTypeTraits.size()); ++i) {
    if (static_cast<int32_t>(kDTypeTraits[i].type) == id) return i;
  }
  return -1;
}

// Traits of a DType (every enumerator has a row). A value cast from an unknown id aborts:
// convert file ids with dtype_from_ggml instead.
constexpr const DTypeTraits& dtype_traits(DType t) {
  const int i = dtype_traits_index(static_cast<int32_t>(t));
  if (i < 0) std::abort();
  return kDTypeTraits[static_cast<size_t>(i)];
}

constexpr std::string_view dtype_name(DType t) { return dtype_traits(t).name; }
constexpr int64_t dtype_block_size(DType t) { return dtype_traits(t).block_size; }
constexpr DType vec_dot_type(DType t) { return dtype_traits(t).vec_dot_type; }

// Bytes taken by a row of n elements; n must be a multiple of the block size.
constexpr size_t row_bytes(DType t, int64_t n) {
  const DTypeTraits& tr = dtype_traits(t);
  return static_cast<size_t>(n / tr.block_size * tr.type_size);
}

// The DType for a ggml type id read from a file, or nullopt if skim cannot compute with it.
constexpr std::optional<DType> dtype_from_ggml(int32_t id) {
  if (dtype_traits_index(id) < 0) return std::nullopt;
  return static_cast<DType>(id);
}

static_assert(dtype_traits(DType::kQ4_1).type_size == 20);
static_assert(dtype_traits(DType::kBF16).type == DType::kBF16);
static_assert(row_bytes(DType::kQ8_0, 576) == 18 * 34);
static_assert(!dtype_from_ggml(4).has_value() && dtype_from_ggml(14) == DType::kQ6_K);

}  // namespace skim
