// sparse_acts.cpp — building SparseActs (sparse_acts.h): active channels bucketed into
// per-panel bit masks, then each non-empty panel quantized as llama.cpp's x86 Q8_1
// quantizer would quantize x masked to the active channels, in groups of 4 channels.
#include "kernels/sparse_acts.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "core/check.h"
#include "core/fp16.h"

namespace skim::kernels {

SparseActs::SparseActs(int64_t capacity)
    : panels_(static_cast<size_t>((capacity + 31) / 32)),
      groups_(static_cast<size_t>((capacity + 31) / 32 * 8)),
      masks_(static_cast<size_t>((capacity + 31) / 32)) {}

void SparseActs::build(const float* x, int64_t n, std::span<const int32_t> active) {
  SKIM_CHECK(n % 32 == 0 && n / 32 <= static_cast<int64_t>(masks_.size()));
  x_ = x;
  n_ = n;
  active_ = active;
  const int64_t np = n / 32;
  std::memset(masks_.data(), 0, static_cast<size_t>(np) * sizeof(uint32_t));
  for (const int32_t i : active) {
    SKIM_CHECK(i >= 0 && i < n);
    masks_[static_cast<size_t>(i / 32)] |= uint32_t{1} << (i % 32);
  }
  int32_t np_out = 0, ng = 0;
  for (int64_t p = 0; p < np; ++p) {
    uint32_t m = masks_[static_cast<size_t>(p)];
    if (m == 0) continue;
    const float* xb = x + 32 * p;
    float amax = 0.0f;
    for (uint32_t t = m; t != 0; t &= t - 1) amax = std::max(amax, std::fabs(xb[std::countr_zero(t)]));
    const float d = amax / 127.f;
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    SparsePanel& P = panels_[static_cast<size_t>(np_out++)];
    P.panel = static_cast<int32_t>(p);
    P.mask = m;
    P.g0 = ng;
    int sum = 0;
    while (m != 0) {
      SparseGroup& g = groups_[static_cast<size_t>(ng++)];
      uint32_t packed = 0;
      int first = -1;
      for (int j = 0; j < 4; ++j) {
        if (m == 0) {
          g.row[j] = static_cast<uint8_t>(first);  // padding: a row already read, value 0
          continue;
        }
        const int r = std::countr_zero(m);
        m &= m - 1;
        if (first < 0) first = r;
        // nearbyint (round half to even, |v| <= 127) without a libm call: adding and
        // subtracting 1.5·2^23 rounds in the default rounding mode.
        const float v = xb[r] * id;
        constexpr float kMagic = 12582912.0f;  // IEEE arithmetic: (v + m) - m is not folded
        const int q = static_cast<int>((v + kMagic) - kMagic);
        sum += q;
        g.row[j] = static_cast<uint8_t>(r);
        packed |= static_cast<uint32_t>(static_cast<uint8_t>(static_cast<int8_t>(q))) << (8 * j);
      }
      g.xq = static_cast<int32_t>(packed);
    }
    P.g1 = ng;
    P.d = fp16_to_fp32(fp32_to_fp16(d));
    P.s = fp16_to_fp32(fp32_to_fp16(d * static_cast<float>(sum)));
  }
  n_panels_ = np_out;
}

}  // namespace skim::kernels
