// sparsity.h — calibrating contextual sparsity (public API). `calibrate` runs the dense
// model over calibration text, collects activation statistics and writes a sidecar file
// (GGUF) that `EngineOptions::sparsity_path` / `--sparsity FILE` loads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "skim/engine.h"
#include "skim/result.h"

namespace skim {

struct CalibrateOptions {
  std::string method = "teal";     // teal | cats
  double sparsity = 0.4;           // target fraction of skipped channels/neurons
  std::string allocation = "uniform";  // uniform | greedy (TEAL)
  std::vector<std::string> files;  // calibration text (never evaluation data)
  int64_t max_tokens = 32768;      // tokens of calibration text to run
  int32_t chunk = 512;             // tokens per forward pass
  uint64_t seed = 1;               // chooses which chunks are used, deterministically
  bool progress = true;
};

struct CalibrateReport {
  int64_t tokens = 0;
  double seconds = 0.0;
  std::string sidecar_path;
};

Result<CalibrateReport> calibrate(const Engine& engine, const CalibrateOptions& opt, const std::string& out_path);

}  // namespace skim
