// transposed.cpp — building, measuring and (de)serializing transposed weight matrices (see
// transposed.h). Load-time code: allocates freely, scalar reference codecs only.
#include "kernels/transposed.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "core/check.h"
#include "core/fp16.h"
#include "kernels/q4_1_panels.h"
#include "kernels/q4_1_tiles.h"
#include "kernels/ref/ref_kernels.h"
#include "tensor/quant/q4_1.h"

namespace skim::kernels {
namespace {

namespace P = q4_1_panels;
namespace Tl = q4_1_tiles;

constexpr std::array<DType, 4> kTypes = {DType::kF32, DType::kF16, DType::kQ8_0, DType::kQ4_1};
constexpr char kMagic[8] = {'S', 'K', 'I', 'M', 'W', 'T', '0', '1'};
constexpr uint32_t kVersion = 1;

struct Header {  // the on-disk layout, 64 bytes, little-endian (x86 only: no byte swapping)
  char magic[8];
  uint32_t version;
  int32_t type;
  int64_t in;
  int64_t out;
  uint64_t row_stride;
  uint64_t payload_bytes;
  uint64_t checksum;
  uint32_t layout;
  uint32_t reserved;
};
static_assert(sizeof(Header) == TransposedMatrix::kHeaderBytes);

// FNV-1a over 8-byte little-endian words, then the tail bytes.
uint64_t checksum(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * kPrime;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * kPrime;
  return h;
}

size_t payload_bytes(TransposedLayout layout, int64_t in, size_t stride) {
  return layout != TransposedLayout::kRows ? stride * static_cast<size_t>(in / P::kChannels)
                                             : stride * static_cast<size_t>(in);
}

// Expected stride for a layout, type and output count (0 if the combination is invalid).
size_t expected_stride(TransposedLayout layout, DType type, int64_t out) {
  if (layout == TransposedLayout::kPanels) {
    return type == DType::kQ4_1 && out % P::kChunk == 0 ? P::panel_bytes(out) : 0;
  }
  if (layout == TransposedLayout::kTiles) {
    return type == DType::kQ4_1 && out % Tl::kUnit == 0 ? Tl::panel_bytes(out) : 0;
  }
  if (layout != TransposedLayout::kRows || !transposed_type_supported(type) || out % dtype_block_size(type) != 0) return 0;
  return row_bytes(type, out);
}

}  // namespace

std::span<const DType> transposed_types() { return kTypes; }

bool transposed_type_supported(DType t) {
  return std::find(kTypes.begin(), kTypes.end(), t) != kTypes.end();
}

TransposedMatrix::TransposedMatrix(DType type, TransposedLayout layout, int64_t in, int64_t out, size_t row_stride)
    : type_(type), layout_(layout), in_(in), out_(out), row_stride_(row_stride) {
  allocate(kHeaderBytes + payload_bytes(layout, in, row_stride));
}

void TransposedMatrix::allocate(size_t size) {
  buf_.assign(size + 63, 0);
  off_ = (64 - (reinterpret_cast<uintptr_t>(buf_.data()) + kHeaderBytes) % 64) % 64;
  size_ = size;
}

void TransposedMatrix::copy_shape(const TransposedMatrix& o) {
  type_ = o.type_;
  layout_ = o.layout_;
  in_ = o.in_;
  out_ = o.out_;
  row_stride_ = o.row_stride_;
}

TransposedMatrix& TransposedMatrix::operator=(const TransposedMatrix& o) {
  if (this == &o) return *this;
  copy_shape(o);
  allocate(o.size_);
  if (o.size_ > 0) std::memcpy(raw(), o.raw(), o.size_);
  return *this;
}

TransposedMatrix& TransposedMatrix::operator=(TransposedMatrix&& o) noexcept {
  if (this == &o) return *this;
  copy_shape(o);
  buf_ = std::move(o.buf_);  // the heap block moves: the alignment holds
  off_ = std::exchange(o.off_, 0);
  size_ = std::exchange(o.size_, 0);
  o.buf_.clear();
  return *this;
}

void TransposedMatrix::finish() {
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.version = kVersion;
  h.type = static_cast<int32_t>(type_);
  h.in = in_;
  h.out = out_;
  h.row_stride = row_stride_;
  h.payload_bytes = size_ - kHeaderBytes;
  h.checksum = checksum(raw() + kHeaderBytes, h.payload_bytes);
  h.layout = static_cast<uint32_t>(layout_);
  std::memcpy(raw(), &h, sizeof(h));
}

void dequantize_transposed_row(const TransposedView& wt, int64_t i, float* out) {
  SKIM_CHECK(i >= 0 && i < wt.in);
  if (wt.layout == TransposedLayout::kRows) {
    ref::dequantize_row(wt.type, wt.row(i), out, wt.out);
    return;
  }
  SKIM_CHECK(wt.type == DType::kQ4_1);
  if (wt.layout == TransposedLayout::kTiles) {
    const int64_t p = i / Tl::kChannels, r = i % Tl::kChannels;
    for (int64_t t = 0; t < Tl::tiles(wt.out); ++t) {
      const int64_t width = Tl::tile_width(wt.out, t);
      const uint8_t* blk = wt.data + Tl::tile_offset(wt.in, t) + static_cast<size_t>(p) * Tl::block_bytes(width);
      for (int64_t o = 0; o < width; ++o) {
        const Tl::Coord c = Tl::coord(width, o);
        uint16_t d, m;
        std::memcpy(&d, blk + Tl::d_offset(width) + 2 * c.plane, 2);
        std::memcpy(&m, blk + Tl::m_offset(width) + 2 * c.plane, 2);
        const uint8_t byte = blk[Tl::row_offset(width, r) + static_cast<size_t>(c.byte)];
        const int q = c.high ? byte >> 4 : byte & 15;
        out[Tl::tile_first(t) + o] = fp16_to_fp32(d) * static_cast<float>(q) + fp16_to_fp32(m);
      }
    }
    return;
  }
  const uint8_t* panel = wt.data + static_cast<size_t>(i / P::kChannels) * wt.row_stride;
  const uint8_t* row = panel + P::row_offset(wt.out, i % P::kChannels, 0);
  for (int64_t j = 0; j < wt.out; ++j) {
    uint16_t d, m;
    std::memcpy(&d, panel + P::d_offset(j), 2);
    std::memcpy(&m, panel + P::m_offset(wt.out, j), 2);
    const int64_t t = j % P::kChunk;
    const uint8_t byte = row[16 * (j / P::kChunk) + t % 16];
    const int q = t < 16 ? byte & 15 : byte >> 4;
    out[j] = fp16_to_fp32(d) * static_cast<float>(q) + fp16_to_fp32(m);  // as dequantize_row_ref
  }
}

Result<TransposedMatrix> transpose_repack(const TensorView& w, DType type) {
  if (!transposed_type_supported(type)) {
    return make_error(fmt::format("transpose_repack: unsupported target type {} (f32, f16, q8_0 or q4_1)",
                                  dtype_name(type)));
  }
  const int64_t out = w.rows(), in = w.cols();
  if (out <= 0 || in <= 0 || w.data == nullptr) return make_error("transpose_repack: empty matrix");
  if (out % dtype_block_size(type) != 0) {
    return make_error(fmt::format("transpose_repack: output dimension {} is not a multiple of {}'s block size {}",
                                  out, dtype_name(type), dtype_block_size(type)));
  }
  if (in > std::numeric_limits<int32_t>::max()) return make_error("transpose_repack: too many input channels");

  // wt: [in, out] f32 = dq(w)ᵀ.
  std::vector<float> wt(static_cast<size_t>(in * out)), row(static_cast<size_t>(in));
  for (int64_t r = 0; r < out; ++r) {
    ref::dequantize_row(w.type, w.row(r), row.data(), in);
    for (int64_t i = 0; i < in; ++i) wt[static_cast<size_t>(i * out + r)] = row[static_cast<size_t>(i)];
  }
  TransposedMatrix m(type, TransposedLayout::kRows, in, out, row_bytes(type, out));
  uint8_t* payload = m.raw() + TransposedMatrix::kHeaderBytes;
  for (int64_t i = 0; i < in; ++i) {
    ref::quantize_row(type, wt.data() + i * out, payload + static_cast<size_t>(i) * m.row_stride_, out);
  }
  m.finish();
  return m;
}

namespace {

// The checks both exact Q4_1 layouts share: q4_1 weights, non-empty, outputs a multiple of
// `out_multiple`, input channel indices that fit int32.
Status check_exact_q4_1(const TensorView& w, const char* what, const char* layout, int64_t out_multiple) {
  if (w.type != DType::kQ4_1) {
    return make_error(fmt::format("{}: {} weights have no {} (q4_1 only)", what, dtype_name(w.type), layout));
  }
  const int64_t out = w.rows(), in = w.cols();
  if (out <= 0 || in <= 0 || w.data == nullptr) return make_error(fmt::format("{}: empty matrix", what));
  if (out % out_multiple != 0) {
    return make_error(fmt::format("{}: output dimension {} is not a multiple of {}", what, out, out_multiple));
  }
  if (in > std::numeric_limits<int32_t>::max()) return make_error(fmt::format("{}: too many input channels", what));
  return {};
}

// Element r (0..31) of a Q4_1 block: low nibbles hold 0..15, high nibbles 16..31.
inline uint8_t q4_1_nibble(const BlockQ4_1& b, int64_t r) {
  return r < 16 ? b.qs[r] & 15 : b.qs[r - 16] >> 4;
}

}  // namespace

Result<TransposedMatrix> transpose_exact(const TensorView& w) {
  SKIM_RETURN_IF_ERROR(check_exact_q4_1(w, "transpose_exact", "exact transposed layout", P::kChunk));
  const int64_t out = w.rows(), in = w.cols();
  TransposedMatrix m(DType::kQ4_1, TransposedLayout::kPanels, in, out, P::panel_bytes(out));
  uint8_t* payload = m.raw() + TransposedMatrix::kHeaderBytes;
  for (int64_t j = 0; j < out; ++j) {
    const auto* blocks = static_cast<const BlockQ4_1*>(w.row(j));
    for (int64_t b = 0; b < in / P::kChannels; ++b) {
      const BlockQ4_1& blk = blocks[b];
      uint8_t* panel = payload + static_cast<size_t>(b) * m.row_stride_;
      std::memcpy(panel + P::d_offset(j), &blk.d, 2);
      std::memcpy(panel + P::m_offset(out, j), &blk.m, 2);
      const int64_t t = j % P::kChunk;
      for (int64_t r = 0; r < P::kChannels; ++r) {
        const uint8_t q = q4_1_nibble(blk, r);
        uint8_t& byte = panel[P::row_offset(out, r, j - t) + static_cast<size_t>(t % 16)];
        byte = t < 16 ? static_cast<uint8_t>((byte & 0xF0) | q) : static_cast<uint8_t>((byte & 0x0F) | (q << 4));
      }
    }
  }
  m.finish();
  return m;
}

Result<TransposedMatrix> transpose_tiles(const TensorView& w) {
  SKIM_RETURN_IF_ERROR(check_exact_q4_1(w, "transpose_tiles", "int8 tile layout", Tl::kUnit));
  const int64_t out = w.rows(), in = w.cols();
  TransposedMatrix m(DType::kQ4_1, TransposedLayout::kTiles, in, out, Tl::panel_bytes(out));
  uint8_t* payload = m.raw() + TransposedMatrix::kHeaderBytes;
  for (int64_t t = 0; t < Tl::tiles(out); ++t) {
    const int64_t width = Tl::tile_width(out, t);
    for (int64_t o = 0; o < width; ++o) {
      const Tl::Coord c = Tl::coord(width, o);
      const auto* blocks = static_cast<const BlockQ4_1*>(w.row(Tl::tile_first(t) + o));
      for (int64_t p = 0; p < in / Tl::kChannels; ++p) {
        const BlockQ4_1& blk = blocks[p];
        uint8_t* b = payload + Tl::tile_offset(in, t) + static_cast<size_t>(p) * Tl::block_bytes(width);
        std::memcpy(b + Tl::d_offset(width) + 2 * c.plane, &blk.d, 2);
        std::memcpy(b + Tl::m_offset(width) + 2 * c.plane, &blk.m, 2);
        for (int64_t r = 0; r < Tl::kChannels; ++r) {
          const uint8_t q = q4_1_nibble(blk, r);
          uint8_t& byte = b[Tl::row_offset(width, r) + static_cast<size_t>(c.byte)];
          byte = c.high ? static_cast<uint8_t>((byte & 0x0F) | (q << 4)) : static_cast<uint8_t>((byte & 0xF0) | q);
        }
      }
    }
  }
  m.finish();
  return m;
}

double transpose_repack_error(const TensorView& w, const TransposedView& wt) {
  SKIM_CHECK(w.rows() == wt.out && w.cols() == wt.in);
  std::vector<float> b(static_cast<size_t>(wt.out));  // one transposed row
  std::vector<float> wd(static_cast<size_t>(wt.in * wt.out));  // dq(w): [out, in]
  for (int64_t r = 0; r < wt.out; ++r) ref::dequantize_row(w.type, w.row(r), wd.data() + r * wt.in, wt.in);
  double ref2 = 0.0, diff2 = 0.0;
  for (int64_t i = 0; i < wt.in; ++i) {
    dequantize_transposed_row(wt, i, b.data());
    for (int64_t r = 0; r < wt.out; ++r) {
      const double v = wd[static_cast<size_t>(r * wt.in + i)];
      const double d = static_cast<double>(b[static_cast<size_t>(r)]) - v;
      ref2 += v * v;
      diff2 += d * d;
    }
  }
  return ref2 > 0.0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
}

Result<TransposedView> transposed_view_from_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() < sizeof(Header)) {
    return make_error(fmt::format("transposed matrix: {} bytes is shorter than the {}-byte header", bytes.size(),
                                  sizeof(Header)));
  }
  Header h;
  std::memcpy(&h, bytes.data(), sizeof(h));
  if (std::memcmp(h.magic, kMagic, sizeof(kMagic)) != 0) return make_error("transposed matrix: bad magic");
  if (h.version != kVersion) {
    return make_error(fmt::format("transposed matrix: version {} (expected {})", h.version, kVersion));
  }
  if (h.layout > static_cast<uint32_t>(TransposedLayout::kTiles)) {
    return make_error(fmt::format("transposed matrix: unknown layout {}", h.layout));
  }
  const auto layout = static_cast<TransposedLayout>(h.layout);
  const std::optional<DType> type = dtype_from_ggml(h.type);
  if (!type) return make_error(fmt::format("transposed matrix: unknown type id {}", h.type));
  const int64_t kMaxDim = int64_t{1} << 31;
  if (h.in <= 0 || h.out <= 0 || h.in >= kMaxDim || h.out >= kMaxDim ||
      (layout != TransposedLayout::kRows && h.in % P::kChannels != 0)) {
    return make_error(fmt::format("transposed matrix: bad shape [{}, {}]", h.in, h.out));
  }
  const size_t stride = expected_stride(layout, *type, h.out);
  if (stride == 0) {
    return make_error(fmt::format("transposed matrix: type {} with {} outputs is not valid for layout {}",
                                  dtype_name(*type), h.out, h.layout));
  }
  if (h.row_stride != stride) {
    return make_error(fmt::format("transposed matrix: row stride {} (expected {})", h.row_stride, stride));
  }
  const size_t payload = payload_bytes(layout, h.in, stride);
  if (h.payload_bytes != payload || bytes.size() != sizeof(Header) + payload) {
    return make_error(fmt::format("transposed matrix: {} payload bytes (header says {}, shape needs {})",
                                  bytes.size() - sizeof(Header), h.payload_bytes, payload));
  }
  if (h.reserved != 0) return make_error("transposed matrix: nonzero reserved field");
  const uint8_t* data = bytes.data() + sizeof(Header);
  if (checksum(data, payload) != h.checksum) return make_error("transposed matrix: checksum mismatch (corrupt data)");
  return TransposedView{*type, h.in, h.out, data, stride, layout};
}

Result<TransposedMatrix> TransposedMatrix::from_bytes(std::span<const uint8_t> bytes) {
  SKIM_TRY(const TransposedView v, transposed_view_from_bytes(bytes));
  TransposedMatrix m(v.type, v.layout, v.in, v.out, v.row_stride);
  std::memcpy(m.raw(), bytes.data(), bytes.size());
  return m;
}

}  // namespace skim::kernels
