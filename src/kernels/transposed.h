// transposed.h — Wᵀ repacked for input-channel skipping (TEAL on any projection; CATS / Deja
// Vu down projection over active neurons).
//
// A linear layer's weight w is [rows = out, cols = in] with quant blocks along `in`, so a
// zero input channel removes one element from every block and saves nothing. A transposed
// matrix stores the weights input channel i feeds contiguously, so y = Σ_{i active} x_i ·
// Wᵀ[i] reads only what active channels need (matvec_sparse_input, sparse.h). Three layouts:
//
//  - kRows (transpose_repack): Wᵀ as [in][out] rows of a chosen type (F32, F16, Q8_0, Q4_1)
//    quantized along the output dimension. Requantizing already-quantized weights adds
//    error (transpose_repack_error measures it); `out` must be a multiple of the type's
//    block size; row i starts at data + i * row_stride, row_stride == row_bytes(type, out).
//  - kPanels (transpose_exact): the source Q4_1 blocks regrouped without requantization,
//    panels of 32 input channels (kernels/q4_1_panels.h): the values are exactly w's and
//    the bytes as few (20 per 32 weights). Q4_1 sources only; row_stride is then the bytes
//    per panel (20 * out); in and out multiples of 32.
//  - kTiles (transpose_tiles): the same Q4_1 bytes regrouped for the int8 kernels
//    (kernels/q4_1_tiles.h): tiles of 128 (and one of 64) outputs, each holding every
//    panel's d/m planes and 32 channel rows, interleavable into vpdpbusd operands. Exact
//    values; the kernel quantizes x per panel to int8 as the dense Q8_1 path does. Q4_1
//    only; row_stride is 20 * out (bytes per panel, summed over tiles); in a multiple of
//    32, out of 64.
//
// Serialized form (bytes(), for an on-disk cache keyed by the model's sha256): a 64-byte
// little-endian header — magic "SKIMWT01", u32 version (1), i32 ggml type id, i64 in,
// i64 out, u64 row_stride, u64 payload bytes, u64 FNV-1a checksum of the payload, u32
// layout, 4 zero bytes — followed by the payload. from_bytes / view_from_bytes validate
// every field, the exact size and the checksum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "tensor/dtype.h"
#include "tensor/tensor_view.h"

namespace skim::kernels {

enum class TransposedLayout : uint32_t {
  kRows = 0,    // [in][out] rows of `type`, requantized along the output dimension
  kPanels = 1,  // exact panels of 32 input channels of the source type (Q4_1)
  kTiles = 2,   // exact Q4_1 bytes in output tiles for the int8 kernels (q4_1_tiles.h)
};

// A non-owning view of a repacked Wᵀ (e.g. of a TransposedMatrix, or of validated bytes in
// an mmapped cache file).
struct TransposedView {
  DType type = DType::kF32;
  int64_t in = 0;                 // input channels
  int64_t out = 0;                // output features
  const uint8_t* data = nullptr;  // kRows: [in] rows of row_stride bytes; kPanels: [in/32] panels; kTiles: tiles
  size_t row_stride = 0;          // kRows: row_bytes(type, out); kPanels, kTiles: bytes per panel
  TransposedLayout layout = TransposedLayout::kRows;

  // Start of row i (kRows only).
  const void* row(int64_t i) const { return data + static_cast<size_t>(i) * row_stride; }
};

// out: [wt.out] = Wᵀ[i] as f32 (any layout; scalar reference code).
void dequantize_transposed_row(const TransposedView& wt, int64_t i, float* out);

// An owning repacked Wᵀ. Its storage is the serialized form itself (header + rows), so
// bytes() costs nothing; the payload is 64-byte aligned. Copyable (copies the bytes);
// moves are cheap.
class TransposedMatrix {
 public:
  static constexpr size_t kHeaderBytes = 64;

  TransposedMatrix() = default;
  TransposedMatrix(const TransposedMatrix& o) { *this = o; }
  TransposedMatrix& operator=(const TransposedMatrix& o);
  TransposedMatrix(TransposedMatrix&& o) noexcept { *this = std::move(o); }
  TransposedMatrix& operator=(TransposedMatrix&& o) noexcept;

  DType type() const { return type_; }
  TransposedLayout layout() const { return layout_; }
  int64_t in() const { return in_; }
  int64_t out() const { return out_; }
  size_t row_stride() const { return row_stride_; }
  const void* row(int64_t i) const { return view().row(i); }  // kRows only
  TransposedView view() const { return {type_, in_, out_, raw() + kHeaderBytes, row_stride_, layout_}; }

  // The serialized form: header + payload (empty for a default-constructed matrix).
  std::span<const uint8_t> bytes() const { return {raw(), size_}; }
  // Validates and copies serialized bytes.
  static Result<TransposedMatrix> from_bytes(std::span<const uint8_t> bytes);

 private:
  friend Result<TransposedMatrix> transpose_repack(const TensorView& w, DType type);
  friend Result<TransposedMatrix> transpose_exact(const TensorView& w);
  friend Result<TransposedMatrix> transpose_tiles(const TensorView& w);
  // Allocates header + payload; the header is written by finish().
  TransposedMatrix(DType type, TransposedLayout layout, int64_t in, int64_t out, size_t row_stride);
  void finish();

  DType type_ = DType::kF32;
  TransposedLayout layout_ = TransposedLayout::kRows;
  int64_t in_ = 0, out_ = 0;
  size_t row_stride_ = 0;
  // Allocates `size` zero bytes whose payload (after the header) is 64-byte aligned, so
  // that the kernels' rows fill whole cache lines.
  void allocate(size_t size);
  void copy_shape(const TransposedMatrix& o);  // type, layout, dims and stride of o (not its bytes)
  uint8_t* raw() { return buf_.data() + off_; }
  const uint8_t* raw() const { return buf_.data() + off_; }
  std::vector<uint8_t> buf_;  // the serialized form at off_, size_ bytes
  size_t off_ = 0, size_ = 0;
};

// The types a TransposedMatrix can hold: F32, F16, Q8_0, Q4_1.
std::span<const DType> transposed_types();
bool transposed_type_supported(DType t);

// Wᵀ of w: [out, in] (any DType the reference codec reads), repacked as `type`: every row
// of w is dequantized with the reference codec, the matrix is transposed, and each row of
// `out` values is quantized with the reference quantizer of `type`. Fails (with a message)
// for an unsupported type, an empty matrix, `out` not a multiple of the type's block size,
// or in >= 2^31. Allocates; meant for load time.
Result<TransposedMatrix> transpose_repack(const TensorView& w, DType type);

// Wᵀ of a Q4_1 w: [out, in] in the exact panel layout (no requantization). Fails for other
// source types, an empty matrix or out not a multiple of 32. Allocates; for load time.
Result<TransposedMatrix> transpose_exact(const TensorView& w);

// Wᵀ of a Q4_1 w: [out, in] in the int8 tile layout (no requantization). Fails for other
// source types, an empty matrix, in not a multiple of 32 or out not a multiple of 64.
// Allocates; for load time.
Result<TransposedMatrix> transpose_tiles(const TensorView& w);

// Relative Frobenius error of the repacked values against w's: ||dq(wt)ᵀ - dq(w)||_F /
// ||dq(w)||_F (0 when nothing was lost). Checks that the shapes match. Allocates.
double transpose_repack_error(const TensorView& w, const TransposedView& wt);

// Validates serialized bytes (as TransposedMatrix::from_bytes) and returns a view into them,
// without copying: the bytes must outlive the view.
Result<TransposedView> transposed_view_from_bytes(std::span<const uint8_t> bytes);

}  // namespace skim::kernels
