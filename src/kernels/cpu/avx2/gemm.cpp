// gemm.cpp — AVX2 register-tiled GEMM for Q4_1 . Q8_1 and Q8_0 . Q8_0 (the tiles of
// kernels/cpu/gemm_tile.h with maddubs + madd as the block dot). With 16 ymm registers
// the tile is 2 weight rows x up to 4 activation rows. Bitwise equal to
// avx2::vec_dot_q4_1 / vec_dot_q8_0.
#include "kernels/cpu/gemm_tile.h"

#include "kernels/cpu/avx2/avx2_kernels.h"

namespace skim::kernels::avx2 {
namespace {

struct Avx2 {
  static constexpr int kRows = 2;
  static __m256i dot_u8i8(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
  }
  static float vec_dot_q4_1(int64_t n, const void* w, const void* x) { return avx2::vec_dot_q4_1(n, w, x); }
  static float vec_dot_q8_0(int64_t n, const void* w, const void* x) { return avx2::vec_dot_q8_0(n, w, x); }
  static cpu_tile::TileFn pick(bool q4_1, int r, int c) {
    return q4_1 ? cpu_tile::pick_tile<Avx2, true>(r, c) : cpu_tile::pick_tile<Avx2, false>(r, c);
  }
};

}  // namespace

void gemm_q4_1(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq, size_t x_stride, int nc,
               float* y, size_t ldy) {
  cpu_tile::gemm<Avx2, true>(n, w, w_stride, nr, xq, x_stride, nc, y, ldy);
}
void gemm_q8_0(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq, size_t x_stride, int nc,
               float* y, size_t ldy) {
  cpu_tile::gemm<Avx2, false>(n, w, w_stride, nr, xq, x_stride, nc, y, ldy);
}

}  // namespace skim::kernels::avx2
