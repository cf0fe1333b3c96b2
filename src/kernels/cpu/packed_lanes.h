// packed_lanes.h — helpers shared by the AVX2 and AVX-512 packed kernels
// (cpu/{avx2,avx512}/packed_gemm.cpp, kernels/packed.h): rows across the 8 lanes of a
// 256-bit register. Include only from files compiled with at least -mavx2 -mfma -mf16c;
// internal linkage, so each ISA's translation unit gets its own copy.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace skim::kernels::packed_lanes {
namespace {

// The 4 activation bytes at p in every 32-bit lane.
inline __m256i bcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7)): the one-row kernels' hsum order, per lane (= per
// row), over the 8 registers that hold ggml's 8 accumulator lanes.
inline __m256 reduce8(const __m256* a) {
  const __m256 s0 = _mm256_add_ps(a[0], a[4]), s1 = _mm256_add_ps(a[1], a[5]);
  const __m256 s2 = _mm256_add_ps(a[2], a[6]), s3 = _mm256_add_ps(a[3], a[7]);
  return _mm256_add_ps(_mm256_add_ps(s0, s2), _mm256_add_ps(s1, s3));
}

}  // namespace
}  // namespace skim::kernels::packed_lanes
