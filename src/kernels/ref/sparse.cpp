// sparse.cpp — scalar reference of the sparsity kernels: the sparse-input accumulation
// y = sum_k x[idx[k]] * row_{idx[k]} over a slice of a transposed matrix (each row chunk
// dequantized with the reference codec, then y[j] += x_i * w[j] in list order), and the
// |x| > threshold index selection. No allocation: a 32-float stack buffer per chunk.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "kernels/q4_1_panels.h"
#include "kernels/q4_1_tiles.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/ref/sparse_ref.h"
#include "tensor/dtype.h"

namespace skim::kernels::ref {
namespace {

constexpr int64_t kChunk = 32;  // a multiple of every supported block size

template <DType T>
void sparse_axpy(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                 const int32_t* idx, int32_t count, float* y) {
  std::fill(y, y + n, 0.0f);
  float w[kChunk];
  for (int32_t k = 0; k < count; ++k) {
    const int64_t i = idx[k];
    const uint8_t* row = base + static_cast<size_t>(i) * row_stride;
    const float xi = x[i];
    for (int64_t j0 = 0; j0 < n; j0 += kChunk) {
      const int64_t len = std::min(kChunk, n - j0);
      dequantize_row(T, row + row_bytes(T, j0), w, len);
      for (int64_t j = 0; j < len; ++j) y[j0 + j] += xi * w[j];
    }
  }
}

}  // namespace

void sparse_axpy_f32(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                     const int32_t* idx, int32_t count, float* y) {
  sparse_axpy<DType::kF32>(base, row_stride, n, x, idx, count, y);
}
void sparse_axpy_f16(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                     const int32_t* idx, int32_t count, float* y) {
  sparse_axpy<DType::kF16>(base, row_stride, n, x, idx, count, y);
}
void sparse_axpy_q8_0(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                      const int32_t* idx, int32_t count, float* y) {
  sparse_axpy<DType::kQ8_0>(base, row_stride, n, x, idx, count, y);
}
void sparse_axpy_q4_1(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                      const int32_t* idx, int32_t count, float* y) {
  sparse_axpy<DType::kQ4_1>(base, row_stride, n, x, idx, count, y);
}

void sparse_panels_q4_1(const uint8_t* panels, int64_t out, int64_t c0, int64_t n, const float* x,
                        const int32_t* idx, int32_t count, float* y) {
  namespace P = q4_1_panels;
  std::fill(y, y + n, 0.0f);
  for (int32_t k = 0; k < count; ++k) {
    const int64_t i = idx[k];
    const uint8_t* panel = panels + static_cast<size_t>(i / P::kChannels) * P::panel_bytes(out);
    const uint8_t* row = panel + P::row_offset(out, i % P::kChannels, 0);
    const float xi = x[i];
    for (int64_t j = c0; j < c0 + n; ++j) {
      uint16_t d, m;
      std::memcpy(&d, panel + P::d_offset(j), 2);
      std::memcpy(&m, panel + P::m_offset(out, j), 2);
      const int64_t c = j / P::kChunk, t = j % P::kChunk;
      const uint8_t byte = row[16 * c + t % 16];
      const int q = t < 16 ? byte & 15 : byte >> 4;
      y[j - c0] += xi * (fp16_to_fp32(d) * static_cast<float>(q) + fp16_to_fp32(m));
    }
  }
}

void sparse_tiles_q4_1(const uint8_t* panels, int64_t out, int64_t t0, int64_t t1, const SparseActsView& acts,
                       float* y) {
  namespace Tl = q4_1_tiles;
  const int64_t j0 = Tl::tile_first(t0);
  std::fill(y, y + (Tl::tile_end(out, t1 - 1) - j0), 0.0f);
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t width = Tl::tile_width(out, t);
    for (int32_t pi = 0; pi < acts.n_panels; ++pi) {
      const SparsePanel& P = acts.panels[pi];
      const uint8_t* blk = panels + Tl::tile_offset(acts.n, t) + static_cast<size_t>(P.panel) * Tl::block_bytes(width);
      for (int64_t o = 0; o < width; ++o) {
        const Tl::Coord c = Tl::coord(width, o);
        int32_t acc = 0;
        for (int32_t g = P.g0; g < P.g1; ++g) {
          const SparseGroup& G = acts.groups[g];
          for (int j = 0; j < 4; ++j) {
            const uint8_t byte = blk[Tl::row_offset(width, G.row[j]) + static_cast<size_t>(c.byte)];
            const int q = c.high ? byte >> 4 : byte & 15;
            acc += q * static_cast<int8_t>(static_cast<uint32_t>(G.xq) >> (8 * j));
          }
        }
        uint16_t d, m;
        std::memcpy(&d, blk + Tl::d_offset(width) + 2 * c.plane, 2);
        std::memcpy(&m, blk + Tl::m_offset(width) + 2 * c.plane, 2);
        float& yo = y[Tl::tile_first(t) + o - j0];
        yo += fp16_to_fp32(m) * P.s;
        yo += fp16_to_fp32(d) * P.d * static_cast<float>(acc);
      }
    }
  }
}

int32_t select_active(const float* x, int64_t n, float threshold, int32_t* idx) {
  int32_t c = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > threshold) idx[c++] = static_cast<int32_t>(i);
  }
  return c;
}

int64_t count_active(const float* x, int64_t n, float threshold) {
  int64_t c = 0;
  for (int64_t i = 0; i < n; ++i) c += std::fabs(x[i]) > threshold ? 1 : 0;
  return c;
}

}  // namespace skim::kernels::ref
