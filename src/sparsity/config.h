// config.h — what a sparsity method needs at inference time, as calibrated: the method,
// the target, per-layer thresholds, and the provenance that ties it to one model.
//
// Threshold sites (one float each per layer; a value <= 0 means "dense at this site"):
//   kQkvIn     TEAL: |x| of the attention block's normed input (shared by q, k, v)
//   kOIn       TEAL: |x| of the attention output (input of o)
//   kGateUpIn  TEAL: |x| of the MLP block's normed input (shared by gate, up)
//   kDownIn    TEAL: |x| of silu(gate)*up (input of down);
//              CATS: |silu(gate)| (a neuron is computed when above it)
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace skim {

enum class SparsityMethod { kDense = 0, kTeal = 1, kCats = 2 };

enum class SparsitySite { kQkvIn = 0, kOIn = 1, kGateUpIn = 2, kDownIn = 3 };
inline constexpr int kNumSparsitySites = 4;

const char* method_name(SparsityMethod m);

struct SparsityConfig {
  SparsityMethod method = SparsityMethod::kDense;
  float target = 0.0f;  // requested sparsity in [0, 1)
  std::string allocation = "uniform";  // "uniform" or "greedy" (per-layer allocation)
  // [n_layer][kNumSparsitySites]
  std::vector<std::array<float, kNumSparsitySites>> thresholds;

  // Provenance: the model it was calibrated for and how.
  std::string model_sha256;
  std::vector<std::string> calibration_files;
  int64_t calibration_tokens = 0;
  uint64_t seed = 0;

  int32_t n_layer() const { return static_cast<int32_t>(thresholds.size()); }
  float threshold(int32_t layer, SparsitySite s) const {
    return thresholds[static_cast<size_t>(layer)][static_cast<size_t>(s)];
  }
};

}  // namespace skim
