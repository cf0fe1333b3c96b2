// sparsity.h — calibrating contextual sparsity (public API). `calibrate` runs the dense
// model over calibration text, collects activation statistics and writes a sidecar file
// (GGUF) that `EngineOptions::sparsity_path` / `--sparsity FILE` loads. `calibrate_many`
// makes several sidecars (methods x targets x allocations) from one pass over the text:
// the histograms and greedy's error tables do not depend on the target.
#pragma once

#include <array>
#include <cstdint>
#include <span>
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
  uint64_t seed = 1;               // chooses which chunks (and greedy's sample rows) are used, deterministically
  bool progress = true;
  // Greedy allocation (TEAL): rows sampled per (layer, site) for the block-output error,
  // and the sparsity increment per greedy step (a fraction of that site's channels).
  int32_t greedy_rows = 64;
  double greedy_step = 0.05;
  // calibrate_many: keep an existing sidecar whose provenance (model sha256, method,
  // target, allocation, calibration files, tokens, seed) matches instead of recomputing.
  bool reuse = false;
};

struct CalibrateReport {
  int64_t tokens = 0;
  double seconds = 0.0;
  std::string sidecar_path;
  bool reused = false;             // an existing sidecar matched (calibrate_many with reuse)
  // Parameter-weighted mean sparsity allocated (on the calibration histograms), and each
  // site's mean over layers: q/k/v input, o input, gate/up input, down input (CATS: neurons).
  double allocated_sparsity = 0.0;
  std::array<double, 4> site_sparsity{};
};

Result<CalibrateReport> calibrate(const Engine& engine, const CalibrateOptions& opt, const std::string& out_path);

// One sidecar to make: method (teal | cats), allocation (uniform | greedy; greedy is TEAL
// only), target sparsity, output path. CalibrateOptions' own method/sparsity/allocation
// are ignored by calibrate_many.
struct CalibratePoint {
  std::string method = "teal";
  std::string allocation = "uniform";
  double sparsity = 0.4;
  std::string out_path;
};

// Reports in the order of `points`.
Result<std::vector<CalibrateReport>> calibrate_many(const Engine& engine, const CalibrateOptions& opt,
                                                    std::span<const CalibratePoint> points);

}  // namespace skim
