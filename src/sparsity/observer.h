// observer.h — a hook through which the forward pass shows its activations to
// calibration (histograms, predictor training data). The model calls observe() at each
// site when an observer is attached to its workspace; with none attached it costs nothing.
#pragma once

#include <cstdint>

namespace skim {

enum class ActivationSite {
  kAttnIn = 0,   // normed input of the attention block (input of q, k, v)    [T, n_embd]
  kOIn = 1,      // attention output (input of o)                            [T, q_dim]
  kMlpIn = 2,    // normed input of the MLP block (input of gate, up)        [T, n_embd]
  kGate = 3,     // gate projection output, before the activation            [T, n_ff]
  kDownIn = 4,   // silu(gate) * up (input of down)                          [T, n_ff]
};
inline constexpr int kNumActivationSites = 5;

class ActivationObserver {
 public:
  virtual ~ActivationObserver() = default;
  // x: [T, n] row-major, valid only during the call.
  virtual void observe(int32_t layer, ActivationSite site, const float* x, int32_t T, int32_t n) = 0;
};

}  // namespace skim
