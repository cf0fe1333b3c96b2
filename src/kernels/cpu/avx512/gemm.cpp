// gemm.cpp — AVX-512 VNNI register-tiled GEMM for Q4_1 . Q8_1 and Q8_0 . Q8_0: the tiles
// of kernels/cpu/gemm_tile.h with vpdpbusd on 256-bit registers as the block dot. With 32
// ymm registers a 4 x 4 tile keeps its 16 accumulators, 4 offset sums and 4 activation
// blocks in registers. Bitwise equal to avx512::vec_dot_q4_1 / vec_dot_q8_0 per output.
// (A 512-bit variant — two activation rows per zmm, the weight block broadcast to both
// halves — ran at the same speed on Zen 4, which splits 512-bit ops into two halves.)
#include "kernels/cpu/gemm_tile.h"

#include "kernels/cpu/avx512/avx512_kernels.h"

namespace skim::kernels::avx512 {
namespace {

struct Vnni {
  static constexpr int kRows = 4;
  static __m256i dot_u8i8(__m256i u, __m256i s) { return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s); }
  static float vec_dot_q4_1(int64_t n, const void* w, const void* x) { return avx512::vec_dot_q4_1(n, w, x); }
  static float vec_dot_q8_0(int64_t n, const void* w, const void* x) { return avx512::vec_dot_q8_0(n, w, x); }
  static cpu_tile::TileFn pick(bool q4_1, int r, int c) {
    return q4_1 ? cpu_tile::pick_tile<Vnni, true>(r, c) : cpu_tile::pick_tile<Vnni, false>(r, c);
  }
};

}  // namespace

void gemm_q4_1(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq, size_t x_stride, int nc,
               float* y, size_t ldy) {
  cpu_tile::gemm<Vnni, true>(n, w, w_stride, nr, xq, x_stride, nc, y, ldy);
}
void gemm_q8_0(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq, size_t x_stride, int nc,
               float* y, size_t ldy) {
  cpu_tile::gemm<Vnni, false>(n, w, w_stride, nr, xq, x_stride, nc, y, ldy);
}

}  // namespace skim::kernels::avx512
