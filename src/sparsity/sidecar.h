// sidecar.h — sparsity sidecar files: a SparsityConfig stored as GGUF (keys under
// `skim.sparsity.*`, thresholds as an F32 tensor [n_layer, 4]). Loading validates
// everything and refuses a sidecar made for another model (sha256) or another shape.
// Deja Vu sidecars add keys `skim.sparsity.dejavu.*` and F32 predictor tensors per layer:
//   dejavu.mlp.<l>.a [rank, n_embd], dejavu.mlp.<l>.bt [rank, n_ff], dejavu.mlp.<l>.bias [n_ff]
//   dejavu.head.<l>.a / .bt / .bias likewise with n_head outputs (when head predictors exist)
// `skim.sparsity.dejavu.mlp` names the MLP mode (none | predictor | cats | hybrid; absent:
// predictor); cats and hybrid read the CATS threshold (kDownIn) of the thresholds tensor.
// Inconsistent files (MLP predictors in a mode without them, thresholds a mode does not
// read, a heads-only or CATS-MLP sidecar without head predictors) are refused.
#pragma once

#include <string>

#include "core/result.h"
#include "sparsity/config.h"

namespace skim {

Status save_sidecar(const SparsityConfig& cfg, const std::string& path);

// expected_sha256 / expected_layers: the model it will be used with.
Result<SparsityConfig> load_sidecar(const std::string& path, const std::string& expected_sha256,
                                    int32_t expected_layers);

// The model sizes a Deja Vu sidecar's predictors must match.
struct SidecarModelDims {
  int32_t n_layer = 0, n_embd = 0, n_ff = 0, n_head = 0;
};

// As above, and for Deja Vu also checks every predictor's shape against the model.
Result<SparsityConfig> load_sidecar(const std::string& path, const std::string& expected_sha256,
                                    const SidecarModelDims& dims);

// Checks a Deja Vu config against the model sizes (shapes, finiteness, ranges) and its MLP
// mode against the predictors and thresholds it carries.
Status validate_dejavu(const SparsityConfig& cfg, const SidecarModelDims& dims);

Result<DejaVuMlp> parse_dejavu_mlp(std::string_view s);

}  // namespace skim
