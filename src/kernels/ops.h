// ops.h — the model's element-wise and attention ops (RMSNorm, RoPE, SwiGLU, softmax,
// attention, fp16 rounding) as a dispatch table, like KernelTable for the matmuls.
//
// Invariant: every entry of every ISA gives results BITWISE identical to the scalar oracle
// in ref/ops.cpp, which reproduces llama.cpp's CPU arithmetic (AVX-512 build) operation for
// operation: RMSNorm sums float squares in double, RoPE rotates with one fma per output,
// softmax and SiLU use ggml's AVX-512 exp polynomial, attention sums exact f16 products in
// the lane orders of ggml's f16 matmuls (see AttnJob). SIMD versions only change how
// the same operations are scheduled, never which roundings happen (no reassociation, no
// contraction of separately rounded products). Inputs are assumed finite (NaN payloads
// are not specified). MXCSR must be at its default (round to nearest, no FTZ/DAZ).
//
// A table is built once per engine (make_ops_table) and is immutable; SIMD code lives
// only under cpu/<isa>/, the oracle under ref/.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace skim::kernels {

// Lanes of the reference summation orders (one AVX-512 register of floats) and the number
// of accumulators of ggml_vec_dot_f16 (GGML_F16_ARR).
inline constexpr int kOpsLanes = 16;
inline constexpr int kOpsVecGroups = 4;
// Largest head_dim the attention and RoPE ops accept (models are checked at load).
inline constexpr int32_t kOpsMaxHeadDim = 1024;

// Which of llama.cpp's f16 matmul orders an attention product follows.
enum class F16DotOrder : uint8_t {
  kTinyBlas,   // llamafile sgemm (batches >= 2 rows): one 16-lane accumulator, n % 16 == 0
  kVecDotF16,  // ggml_vec_dot_f16 (single rows): four 16-lane accumulators over steps of
               // 64, combined (0+2)+(1+3), reduced; the n % 64 remainder added in double
};

// One (query token, query head) of causal attention:
//   out[d] = sum_j p[j] * v_j[d],  p = softmax(scale * (q' . k_j)) rounded to f16,
//   q' = q rounded to f16, j = 0 .. n_keys-1.
// k_j = k + j * kv_stride (f16 values), v_j likewise. The Q.K dot of each key follows
// kq_order over head_dim; P.V sums over the keys in kqv_order, key j going to lane j % 16
// of accumulator (j / 16) % 4 (one accumulator for kTinyBlas). The softmax is
// ggml_vec_soft_max_f32: exp per 16-key chunk (the last chunk zero-padded), each chunk
// summed as _mm512_reduce_add_ps, the chunk sums added in double.
struct AttnJob {
  const float* q;         // [head_dim]
  const uint16_t* k;      // [n_keys][kv_stride] fp16, the first element of this KV head
  const uint16_t* v;      // [n_keys][kv_stride] fp16
  size_t kv_stride;       // elements between consecutive positions
  int32_t head_dim;       // <= kOpsMaxHeadDim; % 16 == 0 for kq_order == kTinyBlas
  int32_t n_keys;         // >= 1
  float scale;            // usually 1/sqrt(head_dim)
  F16DotOrder kq_order;
  F16DotOrder kqv_order;
  float* out;             // [head_dim]
  float* scratch;         // attn_scratch_floats(n_keys, head_dim) floats (any alignment)
};

// Floats of scratch one AttnJob with up to n_keys keys needs (any ISA).
size_t attn_scratch_floats(int32_t n_keys, int32_t head_dim);

// x, out: [rows][n]; out[r][i] = x[r][i] * scale_r * w[i] with
// scale_r = 1 / sqrt(float(sum_i double(x[r][i]^2) / n) + eps), the sum sequential in i.
// out may alias x.
using RmsNormFn = void (*)(const float* x, const float* w, float* out, int32_t n, int32_t rows, float eps);
// Rotary embedding of x [n_heads][head_dim] at position pos (first n_rot dims of each head).
// Angles theta_i = freq_scale * (pos * base^(-2/n_rot))^i, the power advanced in float;
// x0' = fma(x0, cos, -(x1 sin)), x1' = fma(x0, sin, x1 cos). NORM pairs (2i, 2i+1),
// NEOX pairs (i, i + n_rot/2). n_rot even, n_rot <= head_dim <= kOpsMaxHeadDim.
using RopeFn = void (*)(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
                        float freq_scale);
// gate[n] = gate / (1 + exp(-gate)) * up, exp = ggml's polynomial.
using SwigluFn = void (*)(float* gate, const float* up, int64_t n);
// Attention's softmax in place: x[n] scores -> probabilities rounded to fp16 values
// (as float): exp(x - max) by 16-lane chunks, chunk sums in double, times float(1/sum).
using SoftmaxF16Fn = void (*)(float* x, int32_t n);
// out[j] = scale * (k_j . q) for j < n_keys, k_j as in AttnJob, q [head_dim] fp16 values.
using AttnScoresFn = void (*)(const float* q, const uint16_t* k, size_t kv_stride, int32_t head_dim,
                              int32_t n_keys, float scale, F16DotOrder order, float* out);
// out[d] = sum_j p[j] * v_j[d] in the lane order of `order` (see AttnJob); p [n_keys] fp16
// values; scratch: [64][head_dim] floats (the lane accumulators; SIMD versions keep them
// in registers and ignore it).
using AttnMixFn = void (*)(const float* p, const uint16_t* v, size_t kv_stride, int32_t head_dim, int32_t n_keys,
                           F16DotOrder order, float* out, float* scratch);
// The whole (token, head) job.
using AttnHeadFn = void (*)(const AttnJob& job);
// dst[n] = fp16(src[n]), round to nearest even (the K/V cache store).
using F32ToF16Fn = void (*)(const float* src, uint16_t* dst, int64_t n);
// dst[n] = float(fp16(src[n])): the same rounding, kept in float (dst may alias src).
using RoundF16Fn = void (*)(const float* src, float* dst, int64_t n);

struct OpsTable {
  Isa isa = Isa::kScalar;
  RmsNormFn rms_norm = nullptr;
  RopeFn rope_norm = nullptr;
  RopeFn rope_neox = nullptr;
  SwigluFn swiglu = nullptr;
  SoftmaxF16Fn softmax_f16 = nullptr;
  AttnScoresFn attn_scores = nullptr;
  AttnMixFn attn_mix = nullptr;
  AttnHeadFn attn_head = nullptr;
  F32ToF16Fn f32_to_f16 = nullptr;
  RoundF16Fn round_f16 = nullptr;
};

// The table for one ISA (the caller checks isa_supported() first). Entries without a SIMD
// version use the scalar oracle.
OpsTable make_ops_table(Isa isa);

}  // namespace skim::kernels
