// quant_util.h — small helpers shared by the quant block codecs in this folder:
// rounding as ggml's reference quantizers do it, and the 6-bit scale/min packing used by
// the Q4_K and Q5_K super-blocks. Scalar and header-only; SIMD kernels never call these
// (they live in per-ISA translation units and use their own intrinsics).
#pragma once

#include <bit>
#include <cstdint>

namespace skim {

// Elements per K-quant super-block.
inline constexpr int64_t kQK_K = 256;

// Round to nearest, ties to even (valid for |x| <= 2^22). Adding 1.5 * 2^23 moves the
// integer part into the low mantissa bits, where the FPU's default rounding applies.
inline int nearest_int(float x) {
  const float shifted = x + 12582912.0f;
  return static_cast<int>(std::bit_cast<int32_t>(shifted) & 0x007FFFFF) - 0x00400000;
}

// Q4_K / Q5_K: 8 six-bit scales and 8 six-bit mins packed into 12 bytes.
// Bytes 0-3: sc0..3 (low 6 bits) + top 2 bits of sc4..7; bytes 4-7: m0..3 + top 2 bits of
// m4..7; bytes 8-11: low nibbles of sc4..7 (low half) and m4..7 (high half).
inline void unpack_k4_scales(const uint8_t* s, uint8_t* sc, uint8_t* m) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = s[j] & 63;
    m[j] = s[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    sc[j] = static_cast<uint8_t>((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
    m[j] = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

// Inverse of unpack_k4_scales; sc[j] and m[j] must be < 64.
inline void pack_k4_scales(const uint8_t* sc, const uint8_t* m, uint8_t* s) {
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = static_cast<uint8_t>((m[j] & 63) | ((m[j + 4] >> 4) << 6));
  }
  for (int j = 4; j < 8; ++j) s[j + 4] = static_cast<uint8_t>((sc[j] & 0xF) | ((m[j] & 0xF) << 4));
}

}  // namespace skim
