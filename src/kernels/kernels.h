// kernels.h — the CPU op table and the matmul built on it.
//
// A KernelTable holds, per weight DType, the functions a matrix-vector product needs:
//   quantize_act   f32 activations -> the type's vec_dot_type (Q8_0 / Q8_1 / Q8_K; a plain
//                  copy for float weights, whose vec_dot_type is F32),
//   vec_dot        one weight row . one prepared activation row,
//   vec_dot_cols   one weight row . up to kMaxDotCols activation rows (weights unpacked once),
//   gemm           a block of weight rows x up to kGemmCols activation rows, bitwise vec_dot
//                  per output (register-tiled for Q4_1 and Q8_0; other types loop over
//                  vec_dot / vec_dot_cols, see vec_dot_cols.h); matmul runs on it,
//   dequantize_row one weight row -> f32,
// plus the f32 helpers the model needs (dot_f32, axpy_f32) and the sparsity entries
// (sparse_axpy per transposed-weight type, select_active / count_active; see sparse.h).
// A table is built once per engine from CpuFeatures (kernels_for) and is immutable; there
// are no global tables.
// make_kernel_table(Isa) builds any variant explicitly so tests can compare them: every
// SIMD entry must agree with the scalar oracle in ref/ (the ggml scalar formulas) up to
// float summation order. SIMD code lives only under cpu/<isa>/; entries without a SIMD
// version fall back to the next lower ISA, ending at the scalar reference.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "kernels/sparse_acts.h"
#include "tensor/dtype.h"
#include "tensor/tensor_view.h"

namespace skim::kernels {

enum class Isa { kScalar, kAvx2, kAvx512 };

std::string_view isa_name(Isa isa);
// Whether this CPU can run the kernels of `isa` (kAvx512 needs F/BW/VL/VNNI + AVX2/FMA/F16C).
bool isa_supported(Isa isa, const CpuFeatures& f);
// The fastest ISA this CPU supports.
Isa best_isa(const CpuFeatures& f);

// Most activation rows one vec_dot_cols call handles.
inline constexpr int kMaxDotCols = 4;

// Most activation rows one gemm call handles (the register tile's width).
inline constexpr int kGemmCols = 4;
static_assert(kGemmCols == kMaxDotCols);

// x: [n] f32 -> xq: one row of the weight type's vec_dot_type (row_bytes(vec_dot_type, n)).
using QuantizeActFn = void (*)(const float* x, void* xq, int64_t n);
// Dot product of one weight row (n elements) with one prepared activation row.
using VecDotFn = float (*)(int64_t n, const void* w_row, const void* xq);
// out[c] = vec_dot(n, w_row, xq + c * xq_stride bytes) for c in [0, nc), 1 <= nc <= kMaxDotCols.
using VecDotColsFn = void (*)(int64_t n, const void* w_row, const void* xq, size_t xq_stride,
                              int nc, float* out);
// y[c * ldy + r] = vec_dot(n, w + r * w_stride bytes, xq + c * xq_stride bytes) for r < nr
// (nr >= 1, any count) and c < nc (1 <= nc <= kGemmCols), bitwise equal to the same table's
// vec_dot for nc == 1 and to its vec_dot_cols otherwise (for Q4_1 and Q8_0, to vec_dot always).
using GemmFn = void (*)(int64_t n, const void* w, size_t w_stride, int64_t nr, const void* xq,
                        size_t xq_stride, int nc, float* y, size_t ldy);
// Rows [8 g0, 8 g1) of a row-interleaved matrix (kernels/packed.h; n columns) times nc >= 1
// prepared activation rows: y[c * ldy + r] for the absolute row r, bitwise the same table's
// vec_dot of the unpacked row (in the fast numerics: ref::vec_dot_fast_* of it).
using PackedGemmFn = void (*)(int64_t n, const void* packed, int64_t g0, int64_t g1, const void* xq,
                              size_t xq_stride, int nc, float* y, size_t ldy);
// One weight row (n elements) -> y: [n] f32.
using DequantizeRowFn = void (*)(const void* w_row, float* y, int64_t n);
// sum a[i] * b[i], a, b: [n].
using DotF32Fn = float (*)(const float* a, const float* b, int64_t n);
// y[i] += a * x[i], x, y: [n].
using AxpyF32Fn = void (*)(float a, const float* x, float* y, int64_t n);

// Sparse-input accumulation over rows of a transposed weight matrix (kernels/sparse.h):
// y: [n] = sum over k < count of x[idx[k]] * row_{idx[k]}[0, n), where row i starts at
// base + idx[k] * row_stride bytes (base points at the slice's first output element, on a
// block boundary). n is a multiple of the type's block size (any n for float types).
// Overwrites y (count == 0 gives zeros); rows are taken in list order, 4 at a time.
using SparseAxpyFn = void (*)(const uint8_t* base, size_t row_stride, int64_t n, const float* x,
                              const int32_t* idx, int32_t count, float* y);
// The same over a transposed matrix in the exact panel layout of this weight type (e.g.
// kernels/q4_1_panels.h): y: [n] = sum_k x[idx[k]] * W[c0 + j][idx[k]] for j < n, where the
// panels start at `panels` and hold `out` outputs; c0 and n are multiples of 32. Overwrites y.
using SparsePanelFn = void (*)(const uint8_t* panels, int64_t out, int64_t c0, int64_t n, const float* x,
                               const int32_t* idx, int32_t count, float* y);
// Tiles [t0, t1) of a transposed matrix in the int8 tile layout of this weight type (e.g.
// kernels/q4_1_tiles.h: `out` outputs, acts.n inputs, payload at `panels`) times activations quantized
// per panel (sparse_acts.h): y: [outputs of the tiles] = those rows of W · (x masked to the
// active channels, Q8_1-quantized), as a dense product of that masked row computes them
// (integer parts exact). Overwrites y.
using SparseTilesFn = void (*)(const uint8_t* panels, int64_t out, int64_t t0, int64_t t1,
                               const SparseActsView& acts, float* y);
// Active-index list: idx (capacity n) <- the i with |x[i]| > threshold, increasing; returns
// the count. Entries of idx past the count are unspecified. x: [n], n < 2^31.
using SelectActiveFn = int32_t (*)(const float* x, int64_t n, float threshold, int32_t* idx);
// The count select_active would return, without writing indices (to measure sparsity).
using CountActiveFn = int64_t (*)(const float* x, int64_t n, float threshold);

struct DTypeKernels {
  QuantizeActFn quantize_act = nullptr;
  VecDotFn vec_dot = nullptr;
  VecDotColsFn vec_dot_cols = nullptr;
  GemmFn gemm = nullptr;
  PackedGemmFn packed_gemm = nullptr;      // only types with a packed layout (Q4_1, Q8_0; AVX2, AVX-512)
  PackedGemmFn packed_gemm_fast = nullptr; // the same in the fast numerics (Q4_1, Q8_0; AVX-512)
  DequantizeRowFn dequantize_row = nullptr;
  SparseAxpyFn sparse_axpy = nullptr;      // only types a TransposedMatrix can hold as rows
  SparsePanelFn sparse_panels = nullptr;   // only types with an exact panel layout (Q4_1)
  SparseTilesFn sparse_tiles = nullptr;    // only types with an int8 tile layout (Q4_1)
};

struct KernelTable {
  Isa isa = Isa::kScalar;
  std::array<DTypeKernels, kDTypeIdLimit> by_type{};  // indexed by the DType id
  DotF32Fn dot_f32 = nullptr;
  AxpyF32Fn axpy_f32 = nullptr;
  SelectActiveFn select_active = nullptr;
  CountActiveFn count_active = nullptr;
  // Whether packed_gemm runs the fast numerics (use_fast_numerics) rather than ggml's order.
  bool fast_numerics = false;

  const DTypeKernels& operator[](DType t) const { return by_type[static_cast<size_t>(t)]; }
  // Whether weights of type t can be multiplied (activation-only types Q8_1/Q8_K cannot).
  bool supports_matmul(DType t) const { return (*this)[t].vec_dot != nullptr; }
};

// The table for one ISA. The caller must check isa_supported() first (SIMD entries would
// fault on a CPU without the instructions).
KernelTable make_kernel_table(Isa isa);
// The best table for this CPU: make_kernel_table(best_isa(f)).
KernelTable kernels_for(const CpuFeatures& f);

// Numerics of the dense products on packed weights (EngineOptions::numerics):
//  exact — ggml's vec_dot order (8 float lanes per output), bitwise llama.cpp's;
//  fast  — one float accumulator per output fed by exact per-block integer dots
//          (ref::vec_dot_fast_*): 8x fewer float operations, so compute-bound steps
//          (prompt processing, batched decode) run faster; products differ from llama.cpp's
//          in the last bits (and a model's logits by more: activations are re-quantized
//          to 8 bits before each product, and a last-bit change can flip a rounding).
// Both are batch-invariant: an output never depends on which other activation rows share
// the product.
// Switches t's packed products to the fast kernels where the ISA has them (then sets
// t.fast_numerics); returns whether it did (false: t keeps the exact kernels).
bool use_fast_numerics(KernelTable& t);

// ---- matmul -------------------------------------------------------------------------------

// Activations converted once to a weight type's vec_dot_type, ready for any number of
// matrices of that weight type that read the same input (e.g. Q/K/V, or gate/up).
struct PreparedActs {
  DType type = DType::kF32;   // vec_dot_type of the weights they are prepared for
  const uint8_t* data = nullptr;  // [T] rows of row_bytes bytes (points into scratch, or x)
  size_t row_bytes = 0;
  int64_t T = 0;
  int64_t cols = 0;
};

// Scratch bytes that prepare_acts / matmul need for T rows of `cols` activations against
// weights of type w_type (0 for float weights, whose activations are used in place).
size_t matmul_scratch_bytes(DType w_type, int64_t cols, int64_t T);

// x: [T, cols] f32 -> PreparedActs for weights of type w_type, written into scratch
// (at least matmul_scratch_bytes(w_type, cols, T) bytes). No allocation.
PreparedActs prepare_acts(const KernelTable& k, ThreadPool& pool, DType w_type, const float* x,
                          int64_t T, int64_t cols, std::span<uint8_t> scratch);

// y: [T, rows] = x · wᵀ for w: [rows, cols] and prepared x: [T, cols]. Output rows are split
// across the pool's threads; for T > 1 each thread runs the gemm kernel over blocks of its
// rows × up to kGemmCols activation rows, so a weight row is read from memory once per 64
// activation rows; T == 1 is one vec_dot per row. y[t][r] is bitwise the table's vec_dot (vec_dot_cols for types without
// a tiled kernel) of row r and activation row t. No allocation.
void matmul_prepared(const KernelTable& k, ThreadPool& pool, const TensorView& w,
                     const PreparedActs& x, float* y);

// Several products of the same prepared activations (q/k/v, gate/up): y_i: [T, rows_i] =
// x · w_iᵀ. One parallel region for all of them when every matrix has a packed copy (fewer
// synchronizations, and the threads balance across the products), else matmul_prepared
// each. Outputs are those of matmul_prepared.
struct MatmulOut {
  const TensorView* w;
  float* y;
};
void matmul_prepared_many(const KernelTable& k, ThreadPool& pool, std::span<const MatmulOut> outs,
                          const PreparedActs& x);

// y: [T, rows] = x: [T, cols] · wᵀ, w: [rows, cols]: prepare_acts + matmul_prepared.
void matmul(const KernelTable& k, ThreadPool& pool, const TensorView& w, const float* x, float* y,
            int64_t T, std::span<uint8_t> scratch);

// out: [cols] = row `row` of w, dequantized (e.g. a token embedding). Scalar reference code;
// any DType of the traits table.
void get_row(const TensorView& w, int64_t row, float* out);

}  // namespace skim::kernels
