// q4_1_panels.h — the exact transposed layout of a Q4_1 weight matrix
// (TransposedLayout::kPanels of DType::kQ4_1, see transposed.h).
//
// W: [out, in] in Q4_1 has blocks of 32 along `in`: W[j][32B + r] = d_jB · q + m_jB. The
// panel layout regroups those bytes, without requantizing, so that the weights one input
// channel feeds are contiguous. Panel B (input channels 32B .. 32B+31) starts at
// data + B * panel_bytes(out) and holds
//   d plane   out fp16 values at +0              d_jB for j = 0 .. out-1
//   m plane   out fp16 values at +2·out          m_jB
//   32 rows   out/2 bytes each at +4·out + r·out/2, row r = channel 32B + r; byte 16c + t of
//             a row holds output 32c + t in its low nibble and output 32c + 16 + t in its high
//             nibble (Q4_1's own element order within a 32-output chunk).
// Same bytes as the Q4_1 matrix (20 per 32 weights). `out` must be a multiple of 32.
// Everything here has internal linkage, so ISA-flagged translation units can include it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace skim::kernels::q4_1_panels {
namespace {

constexpr int64_t kChannels = 32;  // input channels per panel (the Q4_1 block)
constexpr int64_t kChunk = 32;     // outputs per nibble chunk (16 bytes)

constexpr size_t panel_bytes(int64_t out) { return static_cast<size_t>(20 * out); }
// Byte offsets within a panel, for output j (a multiple of kChunk for the row offsets).
constexpr size_t d_offset(int64_t j) { return static_cast<size_t>(2 * j); }
constexpr size_t m_offset(int64_t out, int64_t j) { return static_cast<size_t>(2 * out + 2 * j); }
constexpr size_t row_offset(int64_t out, int64_t r, int64_t j) {
  return static_cast<size_t>(4 * out + r * (out / 2) + j / 2);
}

}  // namespace
}  // namespace skim::kernels::q4_1_panels
