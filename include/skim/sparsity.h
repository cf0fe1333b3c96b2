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

// Where calibration text comes from. Never evaluation data.
enum class CalibrationSource {
  kFiles,  // text files: a corpus such as shared/data/calibration (`--data FILE...`)
  kSelf,   // text the model writes itself (`--data self`): seeded sampling after its chat
           // template with generic user turns, and after BOS alone (runtime/self_text.h)
};

struct CalibrationTextOptions {
  CalibrationSource source = CalibrationSource::kFiles;
  std::vector<std::string> files;  // kFiles
  int64_t max_tokens = 32768;      // kFiles: rounded up to whole chunks; kSelf: exactly
  int32_t chunk = 512;             // tokens per sequence (kFiles: exactly; kSelf: at most)
  uint64_t seed = 1;               // kFiles: which chunks; kSelf: the sampling
  bool progress = true;
};

struct CalibrationText {
  // Each sequence runs as one forward pass from position 0: [n_seq][<= chunk tokens].
  std::vector<std::vector<int32_t>> sequences;
  int64_t tokens = 0;              // sum of the sequences' lengths
};

// The calibration text as token sequences: kFiles tokenizes every file, cuts chunks of
// `chunk` tokens, shuffles them with the seed and keeps ceil(max_tokens / chunk) of them;
// kSelf generates max_tokens tokens with the engine (a progress bar with ETA on stderr).
Result<CalibrationText> calibration_text(const Engine& engine, const CalibrationTextOptions& opt);

// What a sidecar records as its calibration text: the files' names, sorted, or {"self"}.
std::vector<std::string> calibration_provenance(const CalibrationTextOptions& opt);

struct CalibrateOptions {
  std::string method = "teal";     // teal | cats
  double sparsity = 0.4;           // target fraction of skipped channels/neurons
  std::string allocation = "uniform";  // uniform | greedy (TEAL)
  CalibrationSource source = CalibrationSource::kFiles;
  std::vector<std::string> files;  // calibration text (kFiles; never evaluation data)
  int64_t max_tokens = 32768;      // tokens of calibration text to run
  int32_t chunk = 512;             // tokens per forward pass
  uint64_t seed = 1;               // which chunks (kSelf: the sampling) and greedy's sample rows, deterministically
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
