// simd_util.h — small AVX2 helpers shared by the cpu/avx2 translation units.
// Include only from files compiled with -mavx2 -mfma -mf16c. Everything here has internal
// linkage (anonymous namespace), so no AVX2 code can leak into baseline code through the
// linker's choice among duplicate inline definitions.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace skim::kernels::avx2 {
namespace {

inline float hsum_ps(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
  return _mm_cvtsi128_si32(s);
}

inline uint32_t load_u32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline float fp16(uint16_t h) { return _cvtsh_ss(h); }

// 32 unsigned 4-bit values of a 16-byte block: low nibbles -> bytes 0..15, high -> 16..31.
// (Broadcast-load both halves, shift the upper half's qwords by 4: no shuffle-port uop.)
inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m256i q = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
  return _mm256_and_si256(_mm256_srlv_epi64(q, _mm256_setr_epi64x(0, 0, 4, 4)), _mm256_set1_epi8(0x0F));
}

// Byte i = 0xFF if bit i of the 32-bit little-endian mask is set, else 0.
inline __m256i bits_to_bytes(uint32_t bits) {
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int>(bits)),
      _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202,
                         0x0303030303030303));
  const __m256i sel = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ULL));
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, sel), sel);
}

// Eight int32 sums of products of signed bytes a*b (pairs of 4 per lane).
inline __m256i dot_i8(__m256i a, __m256i b) {
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

// Eight int32 sums of products of unsigned a (<= 127 pairwise-safe) and signed b.
inline __m256i dot_u8i8(__m256i a, __m256i b) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1));
}

}  // namespace
}  // namespace skim::kernels::avx2
