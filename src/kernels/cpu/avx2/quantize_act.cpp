// quantize_act.cpp — AVX2 activation quantizers f32 -> Q8_0 / Q8_1 with llama.cpp's x86
// semantics (ggml-cpu/arch/x86/quants.c), bitwise equal to ref::quantize_q8_0_x86 /
// quantize_q8_1_x86: per 32-value block amax = max |x|, d = amax / 127, id = 127 / amax
// (0 for an all-zero block), q = round-half-to-even(x * id), fp16 d (and s = fp16(d * sum q))
// rounded to nearest even. Every step is exact or one IEEE operation in the reference order.
#include <immintrin.h>

#include "kernels/cpu/avx2/avx2_kernels.h"
#include "tensor/quant/q8_0.h"
#include "tensor/quant/q8_1.h"

namespace skim::kernels::avx2 {
namespace {

struct Block32 {
  __m256i q[4];  // q of elements 8k..8k+7 as int32
  uint16_t d;    // fp16 amax / 127
  float df;      // amax / 127 as f32
};

inline Block32 quantize_block(const float* x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 v[4];
  for (int k = 0; k < 4; ++k) v[k] = _mm256_loadu_ps(x + 8 * k);
  const __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v[0]), _mm256_andnot_ps(sign, v[1])),
                                 _mm256_max_ps(_mm256_andnot_ps(sign, v[2]), _mm256_andnot_ps(sign, v[3])));
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_movehdup_ps(h));
  const float amax = _mm_cvtss_f32(h);
  const float d = amax / 127.f;
  const __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.f / amax : 0.0f);
  Block32 b;
  for (int k = 0; k < 4; ++k) {
    b.q[k] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[k], id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  b.d = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
  b.df = d;
  return b;
}

// int32 x 32 -> int8 x 32 in element order (|q| <= 127, so the saturating packs are exact).
inline void store_qs(const Block32& b, int8_t* qs) {
  const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(b.q[0], b.q[1]), _mm256_packs_epi32(b.q[2], b.q[3]));
  // The packs interleave 128-bit lanes: dwords 0 4 1 5 2 6 3 7 hold elements 0..31 in order.
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs), _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

}  // namespace

void quantize_q8_0(const float* x, void* xq, int64_t n) {
  auto* y = static_cast<BlockQ8_0*>(xq);
  for (int64_t i = 0; i < n / 32; ++i, x += 32) {
    const Block32 b = quantize_block(x);
    y[i].d = b.d;
    store_qs(b, y[i].qs);
  }
}

void quantize_q8_1(const float* x, void* xq, int64_t n) {
  auto* y = static_cast<BlockQ8_1*>(xq);
  for (int64_t i = 0; i < n / 32; ++i, x += 32) {
    const Block32 b = quantize_block(x);
    y[i].d = b.d;
    store_qs(b, y[i].qs);
    __m256i s = _mm256_add_epi32(_mm256_add_epi32(b.q[0], b.q[1]), _mm256_add_epi32(b.q[2], b.q[3]));
    __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    h = _mm_add_epi32(h, _mm_unpackhi_epi64(h, h));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 1));
    y[i].s = _cvtss_sh(b.df * static_cast<float>(_mm_cvtsi128_si32(h)), _MM_FROUND_TO_NEAREST_INT);
  }
}

}  // namespace skim::kernels::avx2
