// gguf_types.h — the GGUF file format's enumerations: metadata value types and the ggml
// tensor type ids with their block geometry (elements per block, bytes per block).
// The format layer needs the geometry to validate tensor sizes; the math of each type
// lives in tensor/quant/.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace skim::gguf {

enum class ValueType : int32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

std::string_view value_type_name(ValueType t);
// Size in bytes of a fixed-width scalar type; 0 for string/array/unknown.
int value_type_size(ValueType t);

// ggml tensor type ids as stored in GGUF tensor infos.
enum class GgmlType : int32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

struct GgmlTypeInfo {
  std::string_view name;
  int64_t block_size;  // elements per block
  int64_t type_size;   // bytes per block
};

// Geometry of a known ggml type id, or nullopt for ids that no GGUF file may contain.
std::optional<GgmlTypeInfo> ggml_type_info(int32_t type_id);

}  // namespace skim::gguf
