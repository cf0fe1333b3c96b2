// ops_dispatch.cpp — builds the immutable OpsTable for an ISA from the scalar oracle
// (ref/ops.cpp) and the per-ISA entry points. Compiled without ISA flags: it only stores
// function pointers. Each level starts from the level below and overrides what it has.
#include "kernels/cpu/avx2/ops_avx2.h"
#include "kernels/cpu/avx512/ops_avx512.h"
#include "kernels/ops.h"
#include "kernels/ref/ops_ref.h"

namespace skim::kernels {

namespace {

OpsTable scalar_ops() {
  OpsTable t;
  t.isa = Isa::kScalar;
  t.rms_norm = ref::ops::rms_norm;
  t.rope_norm = ref::ops::rope_norm;
  t.rope_neox = ref::ops::rope_neox;
  t.swiglu = ref::ops::swiglu;
  t.softmax_f16 = ref::ops::softmax_f16;
  t.attn_scores = ref::ops::attn_scores;
  t.attn_mix = ref::ops::attn_mix;
  t.attn_head = ref::ops::attn_head;
  t.f32_to_f16 = ref::ops::f32_to_f16;
  t.round_f16 = ref::ops::round_f16;
  return t;
}

void add_avx2(OpsTable& t) {
  t.isa = Isa::kAvx2;
  t.rms_norm = avx2::ops::rms_norm;
  t.rope_norm = avx2::ops::rope_norm;
  t.rope_neox = avx2::ops::rope_neox;
  t.swiglu = avx2::ops::swiglu;
  t.softmax_f16 = avx2::ops::softmax_f16;
  t.attn_scores = avx2::ops::attn_scores;
  t.attn_mix = avx2::ops::attn_mix;
  t.attn_head = avx2::ops::attn_head;
  t.f32_to_f16 = avx2::ops::f32_to_f16;
  t.round_f16 = avx2::ops::round_f16;
}

void add_avx512(OpsTable& t) {
  t.isa = Isa::kAvx512;
  t.rms_norm = avx512::ops::rms_norm;
  t.rope_norm = avx512::ops::rope_norm;
  t.rope_neox = avx512::ops::rope_neox;
  t.swiglu = avx512::ops::swiglu;
  t.softmax_f16 = avx512::ops::softmax_f16;
  t.attn_scores = avx512::ops::attn_scores;
  t.attn_mix = avx512::ops::attn_mix;
  t.attn_head = avx512::ops::attn_head;
  t.f32_to_f16 = avx512::ops::f32_to_f16;
  t.round_f16 = avx512::ops::round_f16;
}

}  // namespace

size_t attn_scratch_floats(int32_t n_keys, int32_t head_dim) {
  return ref::ops::attn_acc_offset(n_keys, head_dim) +
         static_cast<size_t>(kOpsVecGroups) * kOpsLanes * static_cast<size_t>(head_dim);
}

OpsTable make_ops_table(Isa isa) {
  OpsTable t = scalar_ops();
  if (isa == Isa::kAvx2 || isa == Isa::kAvx512) add_avx2(t);
  if (isa == Isa::kAvx512) add_avx512(t);
  return t;
}

}  // namespace skim::kernels
