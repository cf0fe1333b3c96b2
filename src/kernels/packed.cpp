// packed.cpp — building the row-interleaved copies of packed.h (portable code: byte moves).
#include "kernels/packed.h"

#include <cstring>

#include "core/check.h"
#include "tensor/quant/q4_1.h"
#include "tensor/quant/q8_0.h"

namespace skim::kernels {

bool packable(const TensorView& w) {
  return w.ndim == 2 && (w.type == DType::kQ4_1 || w.type == DType::kQ8_0) && w.rows() > 0 &&
         w.rows() % kPackRows == 0 && w.cols() % 32 == 0;
}

size_t packed_bytes(const TensorView& w) {
  SKIM_CHECK(packable(w));
  const size_t blocks = static_cast<size_t>(w.rows() / kPackRows) * static_cast<size_t>(w.cols() / 32);
  return blocks * (w.type == DType::kQ4_1 ? sizeof(Q4_1x8Block) : sizeof(Q8_0x8Block));
}

void pack_matrix(const TensorView& w, void* out) {
  SKIM_CHECK(packable(w));
  const int64_t groups = w.rows() / kPackRows, nb = w.cols() / 32;
  if (w.type == DType::kQ4_1) {
    auto* o = static_cast<Q4_1x8Block*>(out);
    for (int64_t g = 0; g < groups; ++g) {
      for (int64_t b = 0; b < nb; ++b, ++o) {
        for (int r = 0; r < kPackRows; ++r) {
          const auto& s = static_cast<const BlockQ4_1*>(w.row(g * kPackRows + r))[b];
          o->d[r] = s.d;
          o->m[r] = s.m;
          for (int i = 0; i < 4; ++i) std::memcpy(&o->q[i][4 * r], &s.qs[4 * i], 4);
        }
      }
    }
    return;
  }
  auto* o = static_cast<Q8_0x8Block*>(out);
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t b = 0; b < nb; ++b, ++o) {
      for (int r = 0; r < kPackRows; ++r) {
        const auto& s = static_cast<const BlockQ8_0*>(w.row(g * kPackRows + r))[b];
        o->d[r] = s.d;
        for (int j = 0; j < 8; ++j) std::memcpy(&o->q[j][4 * r], &s.qs[4 * j], 4);
      }
    }
  }
}

void unpack_blocks(const TensorView& w, int64_t r, int64_t b0, int64_t b1, void* out) {
  const int64_t nb = w.cols() / 32, g = r / kPackRows;
  SKIM_CHECK(w.packed != nullptr && packable(w) && r >= 0 && r < w.rows() && 0 <= b0 && b0 <= b1 && b1 <= nb);
  const auto lane = static_cast<int>(r % kPackRows);
  if (w.type == DType::kQ4_1) {
    const auto* p = static_cast<const Q4_1x8Block*>(w.packed) + g * nb;
    auto* o = static_cast<BlockQ4_1*>(out) - b0;
    for (int64_t b = b0; b < b1; ++b) {
      o[b].d = p[b].d[lane];
      o[b].m = p[b].m[lane];
      for (int i = 0; i < 4; ++i) std::memcpy(&o[b].qs[4 * i], &p[b].q[i][4 * lane], 4);
    }
    return;
  }
  const auto* p = static_cast<const Q8_0x8Block*>(w.packed) + g * nb;
  auto* o = static_cast<BlockQ8_0*>(out) - b0;
  for (int64_t b = b0; b < b1; ++b) {
    o[b].d = p[b].d[lane];
    for (int j = 0; j < 8; ++j) std::memcpy(&o[b].qs[4 * j], &p[b].q[j][4 * lane], 4);
  }
}

}  // namespace skim::kernels
