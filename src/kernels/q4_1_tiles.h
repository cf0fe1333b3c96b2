// q4_1_tiles.h — the int8 ("VNNI") transposed layout of a Q4_1 weight matrix
// (TransposedLayout::kTiles of DType::kQ4_1, see transposed.h), read by the sparse_tiles
// kernels (kernels.h) with activations quantized per 32-channel panel (sparse_acts.h).
//
// W: [out, in] in Q4_1 has blocks of 32 along `in`: W[j][32p + r] = d_jp · q + m_jp. The
// tile layout regroups those bytes, without requantizing (20 bytes per 32 weights, as Q4_1),
// so that (a) the weights one input channel feeds within a tile of outputs are contiguous
// (input-channel skipping reads only active channels' bytes) and (b) four channels' rows
// interleave, with two byte unpacks per 128-bit lane, into exactly the operand vpdpbusd
// needs (4 channels x 1 output per int32 lane), with int32 lanes in output order.
//
// Outputs are cut into tiles: out / 128 "wide" tiles of 128 outputs, then, when out % 128
// == 64, one "narrow" tile of 64 (out must be a multiple of 64). Tile-major: tile t's data
// (all panels) is contiguous from tile_offset(in, t); inside it, panel p's block of
// block_bytes(width) = 20·width bytes at + p · 20·width holds
//   d plane   width fp16 at +0            d_jp in accumulator order (below)
//   m plane   width fp16 at +2·width      m_jp in the same order
//   32 rows   width/2 bytes at +4·width + r·width/2, row r = channel 32p + r
// so one thread's tile is one front-to-back stream (what hardware prefetchers follow
// best; a panel-major layout with long rows, read tile by tile, measured 1.6x slower from
// DRAM), and a wide tile's row is one 64-byte cache line (the payload is 64-byte aligned).
// A tile of width 64·NS (NS = 1 narrow, 2 wide: sub-tiles of 64) has 2·NS 128-bit lanes
// of 16 bytes per row. Row byte 16L + 4k + i (lane L = 2s + l, s < NS, l < 2, k < 4,
// i < 4) holds output 64s + 8k + 4l + i in its low nibble and output 64s + 32 + 8k + 4l + i
// in its high nibble. After the unpacks, register k (low nibbles) / 4 + k (high) holds,
// lane by lane of 8 int32: sub-tile s's outputs 8k + e / 32 + 8k + e (e < 8). The d/m
// planes store those 8·NS-output groups in register order: plane position 8·NS·a + 8s + e
// for accumulator a = 4h + k (h: high nibble) and e < 8 holds output 64s + 32h + 8k + e.
// For a narrow tile this is natural order.
// Everything here has internal linkage, so ISA-flagged translation units can include it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace skim::kernels::q4_1_tiles {
namespace {

constexpr int64_t kChannels = 32;  // input channels per panel (the Q4_1 block)
constexpr int64_t kWide = 128;     // outputs of a wide tile
constexpr int64_t kNarrow = 64;    // outputs of the narrow tail tile
constexpr int64_t kUnit = 64;      // out must be a multiple of this

constexpr size_t block_bytes(int64_t width) { return static_cast<size_t>(20 * width); }
constexpr size_t panel_bytes(int64_t out) { return static_cast<size_t>(20 * out); }  // the row_stride
constexpr int64_t wide_tiles(int64_t out) { return out / kWide; }
constexpr bool has_narrow(int64_t out) { return out % kWide != 0; }
constexpr int64_t tiles(int64_t out) { return wide_tiles(out) + (has_narrow(out) ? 1 : 0); }
// Tile t: first output, width, end; byte offset of its data in a matrix of `in` channels.
constexpr int64_t tile_first(int64_t t) { return t * kWide; }
constexpr int64_t tile_width(int64_t out, int64_t t) { return t < wide_tiles(out) ? kWide : kNarrow; }
constexpr int64_t tile_end(int64_t out, int64_t t) { return tile_first(t) + tile_width(out, t); }
constexpr size_t tile_offset(int64_t in, int64_t t) {
  return static_cast<size_t>(in / kChannels) * block_bytes(tile_first(t));
}
// Byte offsets within a panel block of a tile of `width` outputs.
constexpr size_t d_offset(int64_t) { return 0; }
constexpr size_t m_offset(int64_t width) { return static_cast<size_t>(2 * width); }
constexpr size_t row_offset(int64_t width, int64_t r) { return static_cast<size_t>(4 * width + r * (width / 2)); }

// Where output o (< width) of a tile lives: its d/m plane position, its byte in a row and
// whether it is that byte's high nibble.
struct Coord {
  int64_t plane;
  int64_t byte;
  bool high;
};
constexpr Coord coord(int64_t width, int64_t o) {
  const int64_t ns = width / 64, s = o / 64, u = o % 64, h = u / 32, v = u % 32, k = v / 8, w = v % 8;
  const int64_t l = w / 4, i = w % 4;
  return {8 * ns * (4 * h + k) + 8 * s + w, 16 * (2 * s + l) + 4 * k + i, h == 1};
}

}  // namespace
}  // namespace skim::kernels::q4_1_tiles
