// dispatch.cpp — builds the immutable KernelTable for an ISA from the scalar reference and
// the per-ISA entry points. Compiled without ISA flags: it only stores function pointers.
// Each level starts from the level below and overrides what it implements, so a dtype
// without a SIMD kernel silently uses the best lower one (ultimately ref/).
#include "core/check.h"
#include "kernels/cpu/avx2/avx2_kernels.h"
#include "kernels/cpu/avx2/avx2_sparse.h"
#include "kernels/cpu/avx512/avx512_kernels.h"
#include "kernels/cpu/avx512/avx512_sparse.h"
#include "kernels/kernels.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/ref/sparse_ref.h"
#include "kernels/vec_dot_cols.h"

namespace skim::kernels {

namespace {

DTypeKernels& slot(KernelTable& t, DType d) { return t.by_type[static_cast<size_t>(d)]; }

// vec_dot and vec_dot_cols of type d, with the generic gemm over them.
template <VecDotFn Dot, VecDotColsFn Cols>
void set_dot(KernelTable& t, DType d) {
  slot(t, d).vec_dot = Dot;
  slot(t, d).vec_dot_cols = Cols;
  slot(t, d).gemm = gemm_generic<Dot, Cols>;
}

// The activation quantizer of every weight type whose vec_dot_type is Q8_0 / Q8_1
// (SIMD versions are bitwise the reference ones set in scalar_table()).
void set_quantizers(KernelTable& t, QuantizeActFn q8_0, QuantizeActFn q8_1) {
  for (const DTypeTraits& tr : kDTypeTraits) {
    if (tr.vec_dot_type == DType::kQ8_0) slot(t, tr.type).quantize_act = q8_0;
    if (tr.vec_dot_type == DType::kQ8_1) slot(t, tr.type).quantize_act = q8_1;
  }
}

KernelTable scalar_table() {
  KernelTable t;
  t.isa = Isa::kScalar;
  t.dot_f32 = ref::dot_f32;
  t.axpy_f32 = ref::axpy_f32;

  // Activation quantizer of each weight type = the quantizer of its vec_dot_type. Q8_0 and
  // Q8_1 activations are quantized as llama.cpp's x86 build does (scale 127/amax, round
  // half to even; ggml's generic reference rounds half away from zero with 1/d), so the
  // dense path reproduces llama.cpp's logits bit for bit on every ISA.
  for (const DTypeTraits& tr : kDTypeTraits) {
    QuantizeActFn q = nullptr;
    switch (tr.vec_dot_type) {
      case DType::kQ8_0: q = ref::quantize_q8_0_x86; break;
      case DType::kQ8_1: q = ref::quantize_q8_1_x86; break;
      case DType::kQ8_K: q = ref::quantize_q8_k; break;
      case DType::kF32: q = ref::copy_f32; break;
      default: SKIM_CHECK(false && "vec_dot_type without a quantizer");
    }
    slot(t, tr.type).quantize_act = q;
  }

  slot(t, DType::kF32).dequantize_row = ref::dequantize_f32;
  slot(t, DType::kF16).dequantize_row = ref::dequantize_f16;
  slot(t, DType::kBF16).dequantize_row = ref::dequantize_bf16;
  slot(t, DType::kQ4_0).dequantize_row = ref::dequantize_q4_0;
  slot(t, DType::kQ4_1).dequantize_row = ref::dequantize_q4_1;
  slot(t, DType::kQ5_0).dequantize_row = ref::dequantize_q5_0;
  slot(t, DType::kQ5_1).dequantize_row = ref::dequantize_q5_1;
  slot(t, DType::kQ8_0).dequantize_row = ref::dequantize_q8_0;
  slot(t, DType::kQ8_1).dequantize_row = ref::dequantize_q8_1;
  slot(t, DType::kQ4_K).dequantize_row = ref::dequantize_q4_k;
  slot(t, DType::kQ5_K).dequantize_row = ref::dequantize_q5_k;
  slot(t, DType::kQ6_K).dequantize_row = ref::dequantize_q6_k;
  slot(t, DType::kQ8_K).dequantize_row = ref::dequantize_q8_k;

  set_dot<ref::vec_dot_f32, vec_dot_cols_generic<ref::vec_dot_f32>>(t, DType::kF32);
  set_dot<ref::vec_dot_f16, vec_dot_cols_generic<ref::vec_dot_f16>>(t, DType::kF16);
  set_dot<ref::vec_dot_bf16, vec_dot_cols_generic<ref::vec_dot_bf16>>(t, DType::kBF16);
  set_dot<ref::vec_dot_q4_0, vec_dot_cols_generic<ref::vec_dot_q4_0>>(t, DType::kQ4_0);
  set_dot<ref::vec_dot_q4_1, vec_dot_cols_generic<ref::vec_dot_q4_1>>(t, DType::kQ4_1);
  set_dot<ref::vec_dot_q5_0, vec_dot_cols_generic<ref::vec_dot_q5_0>>(t, DType::kQ5_0);
  set_dot<ref::vec_dot_q5_1, vec_dot_cols_generic<ref::vec_dot_q5_1>>(t, DType::kQ5_1);
  set_dot<ref::vec_dot_q8_0, vec_dot_cols_generic<ref::vec_dot_q8_0>>(t, DType::kQ8_0);
  set_dot<ref::vec_dot_q4_k, vec_dot_cols_generic<ref::vec_dot_q4_k>>(t, DType::kQ4_K);
  set_dot<ref::vec_dot_q5_k, vec_dot_cols_generic<ref::vec_dot_q5_k>>(t, DType::kQ5_K);
  set_dot<ref::vec_dot_q6_k, vec_dot_cols_generic<ref::vec_dot_q6_k>>(t, DType::kQ6_K);

  // Sparsity (kernels/sparse.h): transposed-weight row types and index selection.
  slot(t, DType::kF32).sparse_axpy = ref::sparse_axpy_f32;
  slot(t, DType::kF16).sparse_axpy = ref::sparse_axpy_f16;
  slot(t, DType::kQ8_0).sparse_axpy = ref::sparse_axpy_q8_0;
  slot(t, DType::kQ4_1).sparse_axpy = ref::sparse_axpy_q4_1;
  slot(t, DType::kQ4_1).sparse_panels = ref::sparse_panels_q4_1;
  slot(t, DType::kQ4_1).sparse_tiles = ref::sparse_tiles_q4_1;
  t.select_active = ref::select_active;
  t.count_active = ref::count_active;
  return t;
}

void add_avx2(KernelTable& t) {
  t.isa = Isa::kAvx2;
  t.dot_f32 = avx2::dot_f32;
  t.axpy_f32 = avx2::axpy_f32;
  set_quantizers(t, avx2::quantize_q8_0, avx2::quantize_q8_1);
  set_dot<avx2::vec_dot_f32, avx2::vec_dot_cols_f32>(t, DType::kF32);
  set_dot<avx2::vec_dot_f16, avx2::vec_dot_cols_f16>(t, DType::kF16);
  set_dot<avx2::vec_dot_bf16, avx2::vec_dot_cols_bf16>(t, DType::kBF16);
  set_dot<avx2::vec_dot_q4_0, avx2::vec_dot_cols_q4_0>(t, DType::kQ4_0);
  set_dot<avx2::vec_dot_q4_1, avx2::vec_dot_cols_q4_1>(t, DType::kQ4_1);
  set_dot<avx2::vec_dot_q5_0, avx2::vec_dot_cols_q5_0>(t, DType::kQ5_0);
  set_dot<avx2::vec_dot_q8_0, avx2::vec_dot_cols_q8_0>(t, DType::kQ8_0);
  slot(t, DType::kQ4_1).gemm = avx2::gemm_q4_1;
  slot(t, DType::kQ8_0).gemm = avx2::gemm_q8_0;
  slot(t, DType::kQ4_1).packed_gemm = avx2::packed_gemm_q4_1;
  slot(t, DType::kQ8_0).packed_gemm = avx2::packed_gemm_q8_0;
  set_dot<avx2::vec_dot_q4_k, avx2::vec_dot_cols_q4_k>(t, DType::kQ4_K);
  set_dot<avx2::vec_dot_q6_k, avx2::vec_dot_cols_q6_k>(t, DType::kQ6_K);
  slot(t, DType::kF32).sparse_axpy = avx2::sparse_axpy_f32;
  slot(t, DType::kF16).sparse_axpy = avx2::sparse_axpy_f16;
  slot(t, DType::kQ8_0).sparse_axpy = avx2::sparse_axpy_q8_0;
  slot(t, DType::kQ4_1).sparse_axpy = avx2::sparse_axpy_q4_1;
  slot(t, DType::kQ4_1).sparse_panels = avx2::sparse_panels_q4_1;
  slot(t, DType::kQ4_1).sparse_tiles = avx2::sparse_tiles_q4_1;
  t.select_active = avx2::select_active;
  t.count_active = avx2::count_active;
}

void add_avx512(KernelTable& t) {
  t.isa = Isa::kAvx512;
  set_dot<avx512::vec_dot_q4_1, avx512::vec_dot_cols_q4_1>(t, DType::kQ4_1);
  set_dot<avx512::vec_dot_q8_0, avx512::vec_dot_cols_q8_0>(t, DType::kQ8_0);
  slot(t, DType::kQ4_1).gemm = avx512::gemm_q4_1;
  slot(t, DType::kQ8_0).gemm = avx512::gemm_q8_0;
  slot(t, DType::kQ4_1).packed_gemm = avx512::packed_gemm_q4_1;
  slot(t, DType::kQ8_0).packed_gemm = avx512::packed_gemm_q8_0;
  slot(t, DType::kQ4_1).packed_gemm_fast = avx512::packed_gemm_fast_q4_1;
  slot(t, DType::kQ8_0).packed_gemm_fast = avx512::packed_gemm_fast_q8_0;
  slot(t, DType::kF32).sparse_axpy = avx512::sparse_axpy_f32;
  slot(t, DType::kF16).sparse_axpy = avx512::sparse_axpy_f16;
  slot(t, DType::kQ8_0).sparse_axpy = avx512::sparse_axpy_q8_0;
  slot(t, DType::kQ4_1).sparse_axpy = avx512::sparse_axpy_q4_1;
  slot(t, DType::kQ4_1).sparse_panels = avx512::sparse_panels_q4_1;
  slot(t, DType::kQ4_1).sparse_tiles = avx512::sparse_tiles_q4_1;
  t.select_active = avx512::select_active;
  t.count_active = avx512::count_active;
}

}  // namespace

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "?";
}

bool isa_supported(Isa isa, const CpuFeatures& f) {
  const bool avx2 = f.avx2 && f.fma && f.f16c;
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2: return avx2;
    case Isa::kAvx512: return avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni;
  }
  return false;
}

Isa best_isa(const CpuFeatures& f) {
  if (isa_supported(Isa::kAvx512, f)) return Isa::kAvx512;
  if (isa_supported(Isa::kAvx2, f)) return Isa::kAvx2;
  return Isa::kScalar;
}

KernelTable make_kernel_table(Isa isa) {
  KernelTable t = scalar_table();
  if (isa == Isa::kAvx2 || isa == Isa::kAvx512) add_avx2(t);
  if (isa == Isa::kAvx512) add_avx512(t);
  return t;
}

KernelTable kernels_for(const CpuFeatures& f) { return make_kernel_table(best_isa(f)); }

bool use_fast_numerics(KernelTable& t) {
  bool any = false;
  for (DTypeKernels& k : t.by_type) any = any || k.packed_gemm_fast != nullptr;
  if (!any) return false;
  for (DTypeKernels& k : t.by_type) {
    if (k.packed_gemm_fast != nullptr) k.packed_gemm = k.packed_gemm_fast;
  }
  t.fast_numerics = true;
  return true;
}

}  // namespace skim::kernels
