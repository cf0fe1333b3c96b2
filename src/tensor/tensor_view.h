// tensor_view.h — a non-owning view of a tensor's bytes (usually mmapped GGUF data).
//
// Shapes are in PyTorch order: shape[0..ndim) with the last dimension contiguous, so a
// linear layer's weight is [rows = out_features, cols = in_features] and y[r] = dot(row r, x).
// (GGUF's ne[] is the reverse; the loader converts once.) Unused trailing shape slots are 1.
// Invariants: cols() is a multiple of the type's block size; row r starts at
// data + r * row_stride_bytes, and row_stride_bytes >= row_bytes(type, cols()).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"

namespace skim {

struct TensorView {
  DType type = DType::kF32;
  std::array<int64_t, 4> shape{1, 1, 1, 1};  // PyTorch order; 2-D: {rows, cols, 1, 1}
  int32_t ndim = 2;
  const void* data = nullptr;   // rows() rows of row_bytes(type, cols()) bytes, strided
  size_t row_stride_bytes = 0;  // bytes from one row to the next
  // A row-interleaved copy of the same matrix (kernels/packed.h) that matrix products use
  // instead of `data` when the kernel table has a packed kernel for the type; null: none.
  const void* packed = nullptr;

  // A contiguous 2-D [rows, cols] matrix.
  static TensorView matrix(DType type, int64_t rows, int64_t cols, const void* data) {
    TensorView v;
    v.type = type;
    v.shape = {rows, cols, 1, 1};
    v.ndim = 2;
    v.data = data;
    v.row_stride_bytes = skim::row_bytes(type, cols);
    return v;
  }

  // Elements per row: the innermost (last) dimension.
  int64_t cols() const { return shape[static_cast<size_t>(ndim - 1)]; }
  // Number of rows: the product of all dimensions but the last.
  int64_t rows() const {
    int64_t r = 1;
    for (int32_t i = 0; i + 1 < ndim; ++i) r *= shape[static_cast<size_t>(i)];
    return r;
  }
  int64_t numel() const { return rows() * cols(); }
  // Bytes of one row's payload (without any stride padding).
  size_t row_bytes() const { return skim::row_bytes(type, cols()); }
  // Start of row r (rows counted over all leading dimensions).
  const void* row(int64_t r) const {
    return static_cast<const uint8_t*>(data) + static_cast<size_t>(r) * row_stride_bytes;
  }
};

}  // namespace skim
