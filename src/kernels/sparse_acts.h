// sparse_acts.h — an input vector's active channels, quantized for the int8 tile kernels
// (q4_1_tiles.h, KernelTable::sparse_tiles): per 32-channel panel with at least one active
// channel, the Q8_1 scale d and sum s that a dense product's activation row would hold for
// x masked to the active channels (llama.cpp's x86 quantizer: q = nearbyint(x · 127/amax),
// d = fp16(amax/127), s = fp16(amax/127 · Σq)), and the active channels in groups of 4:
// their in-panel rows and their 4 int8 values packed in one int32 (the vpdpbusd operand).
// A group short of 4 channels repeats its first row with value 0. Built once per input and
// shared by every matrix that reads it (q/k/v, gate/up). Fixed capacity, no allocation
// after construction.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace skim::kernels {

struct SparseGroup {
  uint8_t row[4];  // in-panel channel of byte j of xq
  int32_t xq;      // 4 int8 values, byte j for row[j]
};

struct SparsePanel {
  int32_t panel;   // panel index (channels 32·panel ..)
  int32_t g0, g1;  // its groups [g0, g1)
  float d;         // Q8_1 scale of the masked block (fp16-rounded)
  float s;         // d · Σq (fp16-rounded)
  uint32_t mask;   // bit r: channel 32·panel + r is active
};

// What a kernel reads: the non-empty panels in increasing order and their groups.
struct SparseActsView {
  int64_t n = 0;  // input channels
  const SparsePanel* panels = nullptr;
  int32_t n_panels = 0;
  const SparseGroup* groups = nullptr;
};

class SparseActs {
 public:
  SparseActs() = default;
  // Room for inputs of up to `capacity` channels (a multiple of 32 for build()).
  explicit SparseActs(int64_t capacity);

  // x: [n] f32, active: distinct indices in [0, n), any order. n % 32 == 0, n <= capacity.
  // Keeps x and active (they must outlive this object's use) for kernels that read f32.
  void build(const float* x, int64_t n, std::span<const int32_t> active);

  SparseActsView view() const { return {n_, panels_.data(), n_panels_, groups_.data()}; }
  const float* x() const { return x_; }
  int64_t n() const { return n_; }
  std::span<const int32_t> active() const { return active_; }

 private:
  std::vector<SparsePanel> panels_;   // [capacity / 32]
  std::vector<SparseGroup> groups_;   // [capacity / 4]
  std::vector<uint32_t> masks_;       // [capacity / 32] active-channel bit masks
  int32_t n_panels_ = 0;
  const float* x_ = nullptr;
  int64_t n_ = 0;
  std::span<const int32_t> active_;
};

}  // namespace skim::kernels
