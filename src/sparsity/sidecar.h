// sidecar.h — sparsity sidecar files: a SparsityConfig stored as GGUF (keys under
// `skim.sparsity.*`, thresholds as an F32 tensor [n_layer, 4]). Loading validates
// everything and refuses a sidecar made for another model (sha256) or another shape.
#pragma once

#include <string>

#include "core/result.h"
#include "sparsity/config.h"

namespace skim {

Status save_sidecar(const SparsityConfig& cfg, const std::string& path);

// expected_sha256 / expected_layers: the model it will be used with.
Result<SparsityConfig> load_sidecar(const std::string& path, const std::string& expected_sha256,
                                    int32_t expected_layers);

}  // namespace skim
