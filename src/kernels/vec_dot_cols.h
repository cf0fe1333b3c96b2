// vec_dot_cols.h — the generic VecDotColsFn (one vec_dot call per activation row) and the
// generic GemmFn (per weight row: vec_dot for one activation row, else vec_dot_cols), for
// types without dedicated multi-column / tiled kernels. Header-only templates with the row
// kernels as template arguments, so each ISA's instantiation is a distinct function.
#pragma once

#include <cstddef>
#include <cstdint>

namespace skim::kernels {

template <float (*VecDot)(int64_t, const void*, const void*)>
void vec_dot_cols_generic(int64_t n, const void* w_row, const void* xq, size_t xq_stride, int nc,
                          float* out) {
  const auto* x = static_cast<const uint8_t*>(xq);
  for (int c = 0; c < nc; ++c) out[c] = VecDot(n, w_row, x + static_cast<size_t>(c) * xq_stride);
}

// y[c * ldy + r] for r < nr, c < nc <= 4 (kernels.h GemmFn).
template <float (*VecDot)(int64_t, const void*, const void*),
          void (*VecDotCols)(int64_t, const void*, const void*, size_t, int, float*)>
void gemm_generic(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq, size_t xq_stride, int nc,
                  float* y, size_t ldy) {
  const auto* wb = static_cast<const uint8_t*>(w);
  for (int64_t r = 0; r < nr; ++r) {
    const void* wr = wb + static_cast<size_t>(r) * w_stride;
    if (nc == 1) {
      y[r] = VecDot(n, wr, xq);
      continue;
    }
    float out[4];
    VecDotCols(n, wr, xq, xq_stride, nc, out);
    for (int c = 0; c < nc; ++c) y[static_cast<size_t>(c) * ldy + r] = out[c];
  }
}

}  // namespace skim::kernels
