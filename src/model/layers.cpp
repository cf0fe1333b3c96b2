// layers.cpp — the model's building blocks on top of kernels/ops.h: which of llama.cpp's
// arithmetic variants applies (e.g. the f16 matmul order of attention, chosen by batch
// size and shapes as ggml does) and the split of attention over the thread pool. The
// arithmetic is in the OpsTable, so this file has no intrinsics and no float formulas (except the
// sparsity masks' SiLU, which matches the single-token CATS path).
#include "model/layers.h"

#include <algorithm>
#include <cmath>

namespace skim::layers {

void rms_norm(const kernels::OpsTable& ops, const float* x, const float* w, float* out, int32_t n, int32_t rows,
              float eps) {
  ops.rms_norm(x, w, out, n, rows, eps);
}

void rope_norm(const kernels::OpsTable& ops, float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot,
               int32_t pos, float base, float freq_scale) {
  ops.rope_norm(x, n_heads, head_dim, n_rot, pos, base, freq_scale);
}

void rope_neox(const kernels::OpsTable& ops, float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot,
               int32_t pos, float base, float freq_scale) {
  ops.rope_neox(x, n_heads, head_dim, n_rot, pos, base, freq_scale);
}

void swiglu(const kernels::OpsTable& ops, float* gate, const float* up, int64_t n) { ops.swiglu(gate, up, n); }

void store_kv_f16(const kernels::OpsTable& ops, uint16_t* dst, const float* src, int32_t n) {
  ops.f32_to_f16(src, dst, n);
}

void add_inplace(float* x, const float* y, int32_t n) {
  for (int32_t i = 0; i < n; ++i) x[i] += y[i];
}

int64_t mask_below(float* x, int64_t n, float threshold) {
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > threshold) {
      ++kept;
    } else {
      x[i] = 0.0f;
    }
  }
  return kept;
}

int64_t mask_neurons_by_gate(const float* gate, float* up, int64_t n, float threshold) {
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float s = silu_scalar(gate[i]);  // as the single-token CATS path
    if (std::fabs(s) > threshold) {
      ++kept;
    } else {
      up[i] = 0.0f;
    }
  }
  return kept;
}

size_t attention_scratch_floats(int32_t n_ctx, int32_t head_dim) {
  // Rounded up to whole cache lines so that threads' slices do not share one.
  return (kernels::attn_scratch_floats(n_ctx, head_dim) + 15) / 16 * 16;
}

void attention(const kernels::OpsTable& ops, ThreadPool& pool, const AttentionShape& s, const float* q,
               const uint16_t* k, const uint16_t* v, float* out, int32_t T, int32_t pos0, int32_t n_ctx,
               float* scratch) {
  const AttentionRun run{q, k, v, out, T, pos0};
  attention_multi(ops, pool, s, std::span<const AttentionRun>(&run, 1), n_ctx, scratch);
}

void attention_multi(const kernels::OpsTable& ops, ThreadPool& pool, const AttentionShape& s,
                     std::span<const AttentionRun> runs, int32_t scratch_ctx, float* scratch) {
  const int32_t hd = s.head_dim;
  const int32_t q_dim = s.n_head * hd;
  const int32_t kv_dim = s.n_head_kv * hd;
  const int32_t group = s.n_head / s.n_head_kv;
  const size_t per_thread = attention_scratch_floats(scratch_ctx, hd);
  int64_t rows = 0;
  for (const AttentionRun& r : runs) rows += r.T;
  // llama.cpp multiplies by f16 K/V with tinyBLAS when the batch has >= 2 rows and the
  // shapes allow it (k % 16 == 0, m % 4 == 0), else with ggml_vec_dot_f16 row by row.
  // The batch here is one run: llama.cpp would have evaluated each sequence alone.
  using kernels::F16DotOrder;
  // Jobs in runs of about kJobsPerSlot, claimed dynamically (a descheduled thread's share
  // is taken over); scratch is per thread.
  constexpr int64_t kJobsPerSlot = 4;
  const int64_t n_jobs = rows * s.n_head;
  const int n_slots = static_cast<int>(std::clamp<int64_t>(n_jobs / kJobsPerSlot, 1, 8 * pool.size()));
  pool.parallel_for_many(n_jobs, n_slots, [&](int64_t begin, int64_t end, int ti) {
    // Jobs are (global row, head) in row order; walk the runs alongside.
    size_t ri = 0;
    int64_t run_start = 0;  // global row of runs[ri]'s first row
    for (int64_t job = begin; job < end; ++job) {
      const int64_t row = job / s.n_head;
      while (row >= run_start + runs[ri].T) run_start += runs[ri++].T;
      const AttentionRun& r = runs[ri];
      const int32_t t = static_cast<int32_t>(row - run_start);
      const int32_t h = static_cast<int32_t>(job % s.n_head);
      const bool tb = s.fast || r.T >= 2;
      const F16DotOrder kq =
          tb && hd % kernels::kOpsLanes == 0 ? F16DotOrder::kTinyBlas : F16DotOrder::kVecDotF16;
      const F16DotOrder kqv = tb && hd % 4 == 0 ? F16DotOrder::kTinyBlas : F16DotOrder::kVecDotF16;
      const size_t kv_off = static_cast<size_t>(h / group) * hd;
      const size_t q_off = static_cast<size_t>(t) * q_dim + static_cast<size_t>(h) * hd;
      if (r.head_mask && !r.head_mask[static_cast<size_t>(t) * s.n_head + static_cast<size_t>(h)]) {
        std::fill_n(r.out + q_off, hd, 0.0f);
        continue;
      }
      const kernels::AttnJob j{
          .q = r.q + q_off,
          .k = r.k + kv_off,
          .v = r.v + kv_off,
          .kv_stride = static_cast<size_t>(kv_dim),
          .head_dim = hd,
          .n_keys = r.pos0 + t + 1,  // causal: keys 0..pos0+t
          .scale = s.scale,
          .kq_order = kq,
          .kqv_order = kqv,
          .out = r.out + q_off,
          .scratch = scratch + static_cast<size_t>(ti) * per_thread,
      };
      ops.attn_head(j);
    }
  });
}

}  // namespace skim::layers
