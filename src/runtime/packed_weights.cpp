// packed_weights.cpp — see packed_weights.h.
#include "runtime/packed_weights.h"

#include <cstdlib>
#include <vector>

#include "core/check.h"
#include "core/mmap_file.h"
#include "kernels/packed.h"

namespace skim {

void PackedWeights::Free::operator()(uint8_t* p) const { std::free(p); }

PackedWeights pack_model_weights(Model& model, const kernels::KernelTable& kt) {
  constexpr size_t kAlign = 64;
  auto wanted = [&](const TensorView& v) { return kernels::packable(v) && kt[v.type].packed_gemm != nullptr; };
  size_t total = 0;
  model.for_each_matrix([&](TensorView& v) {
    if (wanted(v)) total += (kernels::packed_bytes(v) + kAlign - 1) / kAlign * kAlign;
  });
  PackedWeights pw;
  if (total == 0) return pw;
  pw.buffer.reset(static_cast<uint8_t*>(std::aligned_alloc(kAlign, total)));
  SKIM_CHECK(pw.buffer != nullptr);
  pw.bytes = total;
  size_t off = 0;
  model.for_each_matrix([&](TensorView& v) {
    if (!wanted(v)) return;
    uint8_t* dst = pw.buffer.get() + off;
    kernels::pack_matrix(v, dst);
    release_mapped_pages(v.data, static_cast<size_t>(v.rows()) * v.row_stride_bytes);
    v.packed = dst;
    off += (kernels::packed_bytes(v) + kAlign - 1) / kAlign * kAlign;
  });
  return pw;
}

}  // namespace skim
