// vec_dot_cols.h — the generic VecDotColsFn: one vec_dot call per activation row.
// Used for types without a dedicated multi-column kernel. Header-only template with the
// row kernel as a template argument, so each ISA's instantiation is a distinct function.
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

}  // namespace skim::kernels
