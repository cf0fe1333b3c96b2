// transposed.cpp — building, measuring and (de)serializing repacked Wᵀ matrices (see
// transposed.h). Load-time code: allocates freely, scalar reference codecs only.
#include "kernels/transposed.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/check.h"
#include "kernels/ref/ref_kernels.h"

namespace skim::kernels {
namespace {

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
  uint64_t reserved;
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

}  // namespace

std::span<const DType> transposed_types() { return kTypes; }

bool transposed_type_supported(DType t) {
  return std::find(kTypes.begin(), kTypes.end(), t) != kTypes.end();
}

TransposedMatrix::TransposedMatrix(DType type, int64_t in, int64_t out)
    : type_(type), in_(in), out_(out), row_stride_(row_bytes(type, out)) {
  buf_.resize(kHeaderBytes + row_stride_ * static_cast<size_t>(in));
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
  TransposedMatrix m(type, in, out);
  uint8_t* payload = m.buf_.data() + TransposedMatrix::kHeaderBytes;
  for (int64_t i = 0; i < in; ++i) {
    ref::quantize_row(type, wt.data() + i * out, payload + static_cast<size_t>(i) * m.row_stride_, out);
  }
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.version = kVersion;
  h.type = static_cast<int32_t>(type);
  h.in = in;
  h.out = out;
  h.row_stride = m.row_stride_;
  h.payload_bytes = m.row_stride_ * static_cast<size_t>(in);
  h.checksum = checksum(payload, h.payload_bytes);
  std::memcpy(m.buf_.data(), &h, sizeof(h));
  return m;
}

double transpose_repack_error(const TensorView& w, const TransposedView& wt) {
  SKIM_CHECK(w.rows() == wt.out && w.cols() == wt.in);
  std::vector<float> b(static_cast<size_t>(wt.out));  // one repacked row
  double ref2 = 0.0, diff2 = 0.0;
  std::vector<float> wd(static_cast<size_t>(wt.in * wt.out));  // dq(w): [out, in]
  for (int64_t r = 0; r < wt.out; ++r) {
    ref::dequantize_row(w.type, w.row(r), wd.data() + r * wt.in, wt.in);
  }
  for (int64_t i = 0; i < wt.in; ++i) {
    ref::dequantize_row(wt.type, wt.row(i), b.data(), wt.out);
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
  const std::optional<DType> type = dtype_from_ggml(h.type);
  if (!type || !transposed_type_supported(*type)) {
    return make_error(fmt::format("transposed matrix: unsupported type id {}", h.type));
  }
  const int64_t kMaxDim = int64_t{1} << 31;
  if (h.in <= 0 || h.out <= 0 || h.in >= kMaxDim || h.out >= kMaxDim) {
    return make_error(fmt::format("transposed matrix: bad shape [{}, {}]", h.in, h.out));
  }
  if (h.out % dtype_block_size(*type) != 0) {
    return make_error(fmt::format("transposed matrix: {} outputs is not a multiple of {}'s block size", h.out,
                                  dtype_name(*type)));
  }
  const size_t stride = row_bytes(*type, h.out);
  if (h.row_stride != stride) {
    return make_error(fmt::format("transposed matrix: row stride {} (expected {})", h.row_stride, stride));
  }
  const size_t payload = stride * static_cast<size_t>(h.in);
  if (h.payload_bytes != payload || bytes.size() != sizeof(Header) + payload) {
    return make_error(fmt::format("transposed matrix: {} payload bytes (header says {}, shape needs {})",
                                  bytes.size() - sizeof(Header), h.payload_bytes, payload));
  }
  if (h.reserved != 0) return make_error("transposed matrix: nonzero reserved field");
  const uint8_t* data = bytes.data() + sizeof(Header);
  if (checksum(data, payload) != h.checksum) return make_error("transposed matrix: checksum mismatch (corrupt data)");
  return TransposedView{*type, h.in, h.out, data, stride};
}

Result<TransposedMatrix> TransposedMatrix::from_bytes(std::span<const uint8_t> bytes) {
  SKIM_TRY(const TransposedView v, transposed_view_from_bytes(bytes));
  TransposedMatrix m(v.type, v.in, v.out);
  std::memcpy(m.buf_.data(), bytes.data(), bytes.size());
  return m;
}

}  // namespace skim::kernels
