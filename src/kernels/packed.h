// packed.h — row-interleaved ("x8") copies of Q4_1 and Q8_0 weight matrices, made once at
// load, so that one vpdpbusd computes a 4-element partial dot for 8 weight rows at once
// (the activation's 4 bytes broadcast to every lane) instead of 8 lanes of one row.
//
// Layout: rows are taken in groups of 8 (rows % 8 == 0); a group is stored block by block
// (32 input elements), each group-block contiguous:
//   Q4_1x8 (160 bytes = 8 x 20):  d[8] fp16, m[8] fp16, q[4][32] where q[i][4r + k] is the
//       original byte qs[4i + k] of row r: its low nibble is element 4i + k, its high
//       nibble element 16 + 4i + k.
//   Q8_0x8 (272 bytes = 8 x 34):  d[8] fp16, q[8][32] where q[j][4r + k] = row r's element
//       4j + k (int8).
// Same bytes as the GGUF blocks, only reordered (no requantization), so a packed copy
// replaces the mapped tensor in memory (the engine drops the mapped pages it read).
//
// Numerics: the packed kernels (KernelTable::packed_gemm) keep, per output, the exact
// float operation sequence of the same table's vec_dot (ggml's): group j's integer dot
// (elements 4j..4j+3 for Q8_0; for Q4_1 lane j < 4: elements 4j.., lane 4 + i: 16 + 4i..)
// is the lane j of ggml's 8-lane accumulator, kept in register j with rows across lanes.
// So a packed matrix gives bitwise the same products as the mapped one (tests check it).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"
#include "tensor/tensor_view.h"

namespace skim::kernels {

inline constexpr int64_t kPackRows = 8;

struct Q4_1x8Block {
  uint16_t d[8];
  uint16_t m[8];
  uint8_t q[4][32];
};
static_assert(sizeof(Q4_1x8Block) == 160);

struct Q8_0x8Block {
  uint16_t d[8];
  int8_t q[8][32];
};
static_assert(sizeof(Q8_0x8Block) == 272);

// Whether w has a packed layout: a 2-D Q4_1 or Q8_0 matrix with rows % 8 == 0.
bool packable(const TensorView& w);

// Bytes of w's packed copy (packable(w) required).
size_t packed_bytes(const TensorView& w);

// Writes w's packed copy to out (packed_bytes(w) bytes; packable(w) required).
void pack_matrix(const TensorView& w, void* out);

// Blocks [b0, b1) of row r of a packed matrix (w.packed set) back in the type's standard
// block layout: out gets (b1 - b0) blocks, identical to the mapped row's.
void unpack_blocks(const TensorView& w, int64_t r, int64_t b0, int64_t b1, void* out);

}  // namespace skim::kernels
