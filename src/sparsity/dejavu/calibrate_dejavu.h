// calibrate_dejavu.h — the Deja Vu driver: calibration text (never evaluation data) ->
// dense forward passes with a dejavu::Collector attached -> per-layer predictors trained
// (MLP neurons; optionally attention heads) -> a sidecar (method "dejavu"), plus a report
// of held-apart recall per layer. Optional measurement runs (rank sweep, keep sweep,
// same-layer vs lookahead input) train extra predictors on the same collected rows; only
// the main configuration (rank, keep, lookahead) goes into the sidecar.
// MLP modes (DejaVuMlp): predictor (Deja Vu proper), none (heads only), cats (Deja Vu heads
// + CATS neurons: the combined method), hybrid (predictor top-k, then the CATS threshold on
// the predicted neurons' gate). cats and hybrid take CATS thresholds from skim::calibrate
// (method cats at cats_sparsity, same text, tokens and seed), or from a given CATS sidecar.
// Layering note: this is calibration glue, so it reaches into runtime/ (EngineAccess) the
// way runtime/calibrate.cpp does; the lead folds it into `skim calibrate --method dejavu`.
// Determinism: the same options give the same predictors, whatever `threads` is (each
// (run, layer) predictor has its own seed and is trained single-threaded).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "skim/engine.h"
#include "skim/sparsity.h"
#include "sparsity/config.h"
#include "sparsity/dejavu/train.h"

namespace skim::dejavu {

struct DejaVuOptions {
  CalibrationSource source = CalibrationSource::kFiles;
  std::vector<std::string> files;  // calibration text (kFiles)
  int64_t max_tokens = 16384;      // tokens of text run through the model
  int32_t chunk = 512;             // tokens per forward pass
  int32_t rows = 8192;             // collected token rows per layer (fp16; see collect.h for memory)
  uint64_t seed = 1;               // chunks, rows, initialisation and batch order
  // The sidecar's configuration.
  DejaVuMlp mlp = DejaVuMlp::kPredictor;
  double cats_sparsity = 0.5;      // cats / hybrid: CATS target sparsity of the thresholds
  std::string cats_sidecar;        // cats / hybrid: take the thresholds from this CATS sidecar instead
  std::string mlp_from;            // predictor / hybrid: reuse this Deja Vu sidecar's MLP predictors (no MLP training)
  int32_t rank = 32;
  float keep = 0.5f;
  bool heads = true;
  int32_t head_rank = 0;           // 0: n_head (a full-rank linear head scorer is tiny)
  float head_keep = 0.5f;
  bool lookahead = false;
  TrainOptions train;              // epochs, batch, lr, ... (rank/keep/seed are set per run)
  int32_t threads = 1;             // layers trained in parallel
  bool progress = true;
  bool verbose = true;             // per-layer lines on stderr
  // Measurement runs (not in the sidecar). Empty: only the sidecar's value.
  std::vector<int32_t> sweep_ranks;
  std::vector<float> sweep_keeps;
  bool compare_lookahead = false;  // also train with the other input (same-layer vs l-1)
  std::vector<int32_t> sweep_layers;  // layers of the measurement runs (empty: all); without an
                                      // output path the sidecar configuration is one of them
};

// One trained configuration over some layers.
struct DejaVuRun {
  std::string kind;  // "mlp" or "head"
  int32_t rank = 0;
  float keep = 0.0f;
  bool lookahead = false;
  bool in_sidecar = false;
  std::vector<int32_t> layers;
  std::vector<TrainReport> reports;            // [layers.size()]
  std::vector<LowRankPredictor> predictors;    // [layers.size()], kept for sidecar runs only
  double mean_recall = 0.0, mean_mass = 0.0, mean_base_recall = 0.0, mean_loss_first = 0.0, mean_loss = 0.0;
  // Predictor cost per token and layer against the work it lets the layer skip
  // (MLP: (1-keep) of gate+up+down; heads: (1-keep) of the q rows and o columns).
  int64_t predictor_macs = 0, saved_macs = 0;
  int64_t predictor_bytes = 0, saved_bytes = 0;  // fp32 predictor vs the model's weight bytes
};

struct DejaVuReport {
  int64_t tokens = 0;
  int64_t cats_tokens = 0;     // tokens CATS thresholds were calibrated on (cats / hybrid)
  int32_t rows = 0;            // collected rows per layer (train + validation)
  size_t collected_bytes = 0;
  double collect_seconds = 0.0, train_seconds = 0.0;
  std::vector<DejaVuRun> runs;  // sidecar runs first
  std::string sidecar_path;
};

Result<DejaVuReport> calibrate_dejavu(const Engine& engine, const DejaVuOptions& opt, const std::string& out_path);

}  // namespace skim::dejavu
