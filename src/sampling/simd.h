// simd.h — 4-wide float vectors for the sampler's full-vocabulary loops (max, exp, sums).
//
// Uses the GCC/Clang vector extension (vector_size(16)): portable across targets (SSE2 on
// any x86-64, NEON on arm64, scalar code elsewhere) and needs no ISA flags, unlike
// src/kernels/. Only plain IEEE operations, so results match the scalar forms exactly.
//
// exp_nonpos is Cephes' expf polynomial (relative error < 3e-7) restricted to x <= 0,
// which is all softmax needs after subtracting the maximum. Being self-contained it also
// makes sampling independent of the platform's libm.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace skim::sampling::simd {

using F4 = float __attribute__((vector_size(16)));
using I4 = int32_t __attribute__((vector_size(16)));

inline F4 splat(float x) { return F4{x, x, x, x}; }
inline F4 load(const float* p) {
  F4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, F4 v) { std::memcpy(p, &v, sizeof v); }
// Lane-wise max that skips NaN in `v` (m stays).
inline F4 max_skip_nan(F4 m, F4 v) { return v > m ? v : m; }

// exp(x) for x <= 0. x > 0 counts as 0 (so inf - FLT_MAX gives 1, matching
// sanitize_logit); x < -87 (including -inf) and NaN give exactly 0. Branch-free.
inline F4 exp_nonpos(F4 x) {
  const I4 live = x >= splat(-87.0f);  // false for NaN
  x = x > splat(0.0f) ? splat(0.0f) : x;
  x = live ? x : splat(0.0f);          // keep the arithmetic finite; masked below
  // n = round(x / ln 2) by the 1.5 * 2^23 trick; r = x - n ln 2 in two parts.
  const F4 t = x * splat(1.44269504088896341f) + splat(12582912.0f);
  const F4 n = t - splat(12582912.0f);
  const I4 ni = std::bit_cast<I4>(t) - 0x4B400000;
  F4 r = x - n * splat(0.693359375f);
  r = r - n * splat(-2.12194440e-4f);
  F4 p = splat(1.9875691500e-4f);
  p = p * r + splat(1.3981999507e-3f);
  p = p * r + splat(8.3334519073e-3f);
  p = p * r + splat(4.1665795894e-2f);
  p = p * r + splat(1.6666665459e-1f);
  p = p * r + splat(5.0000001201e-1f);
  const I4 scale_bits = (ni + 127) << 23;
  const F4 y = (p * r * r + r + splat(1.0f)) * std::bit_cast<F4>(scale_bits);
  return live ? y : splat(0.0f);
}

}  // namespace skim::sampling::simd
