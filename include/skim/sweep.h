// sweep.h — the sparsity/quality/speed sweep (public API): for each method and target
// sparsity, calibrate a sidecar (reused when its provenance matches), then measure on the
// evaluation data
//   - measured sparsity: the engine's own counters over sparse single-token decode of the
//     first tokens of the perplexity text (what `skim run` prints), and the
//     parameter-weighted share of layer weights whose reads the thresholds skip on that text;
//   - perplexity over the first `ppl_chunks` chunks of the text (llama.cpp's method);
//   - zero-shot accuracy on the first `task_limit` examples of each task;
//   - decode tok/s, dense and sparse benched back to back (interleaved, same random tokens
//     per repetition), so the speed-up comes from the same run.
// Quality numbers reflect the method only when the model applies the thresholds to
// multi-token forward passes too (masked prefill); each row records which it was.
// Methods: "teal" (uniform), "teal-greedy" (greedy allocation), "cats"; plus any given
// sidecars, labelled by what they do: "dejavu" (MLP predictor; with heads "dejavu+heads7/9",
// kept/total query heads), "dejavu-heads7/9" (heads only), "dejavu-heads7/9+cats" (the
// combined method), "dejavu-hybrid" (predictor + CATS threshold); Deja Vu rows also carry
// predictor recall and cost. A dense baseline row comes first. With several calibration
// sources, each method x level is calibrated on each; rows calibrated on self-generated
// text are labelled "<method>@self" (e.g. "teal@self").
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "skim/result.h"
#include "skim/sparsity.h"

namespace skim {

struct SweepOptions {
  std::string model_path;                     // a GGUF file (already resolved)
  std::vector<std::string> methods = {"teal", "teal-greedy", "cats"};
  // Extra points from ready-made sidecars (e.g. Deja Vu from `skim calibrate --method
  // dejavu`): measured like the others, labelled by what they do (see above).
  std::vector<std::string> sidecars;
  std::vector<double> levels = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7};
  std::string ppl_file;                       // e.g. <data>/wikitext-2-raw/wiki.test.raw (skim/data.h)
  int32_t ppl_chunks = 4;                     // first N chunks of 512 tokens
  int32_t ppl_ctx = 512;
  std::string data_dir;                       // the data folder holding the task folders (skim/data.h)
  std::vector<std::string> tasks = {"lambada", "arc_easy", "winogrande"};
  int32_t task_limit = 30;                    // first N examples per task (< 0: all)
  int32_t sparsity_tokens = 128;              // decode tokens of the text for the measured sparsity
  int32_t n_gen = 64;                         // decode tokens per bench repetition
  int32_t repetitions = 3;
  int32_t threads = 0;                        // 0: physical cores
  std::string out_dir = "build/sweep";        // sidecars, sweep.csv, sweep.json
  // Calibration text of each method x level: the files (a corpus), text the model writes
  // itself, or both (rows for each).
  std::vector<CalibrationSource> calibrations = {CalibrationSource::kFiles};
  std::vector<std::string> calibration_files; // kFiles; never evaluation data
  int64_t calibration_tokens = 16384;
  uint64_t seed = 1;
  bool progress = true;
};

struct SweepRow {
  std::string method;       // dense | teal | teal-greedy | cats (+ "@self" when calibrated on self-generated text)
  std::string calibration;  // "files" | "self"; empty for dense and ready-made sidecars
  double target = 0.0;      // requested sparsity
  std::string sidecar;      // empty for dense
  bool masked_prefill = false;  // quality measured with the thresholds applied (see above)
  double sparsity = 0.0;    // measured by the engine during sparse decode of the text
  double param_sparsity = 0.0;  // parameter-weighted share of weight reads skipped on the text
  double perplexity = 0.0, ppl_uncertainty = 0.0;
  std::vector<std::string> task_names;
  std::vector<double> task_acc;  // the task's headline metric (LAMBADA acc, acc_norm for choices)
  double tok_s = 0.0, tok_s_sd = 0.0;              // this row's decode speed
  double dense_tok_s = 0.0, dense_tok_s_sd = 0.0;  // dense, interleaved with it
  double speedup = 1.0;
  double seconds = 0.0;     // wall time of this row's measurements
  // Deja Vu: mean held-apart recall@k of the predictors at calibration (< 0: none), and the
  // predictors' multiply-adds per token as a share of the dense layers' (q, k, v, o, MLP).
  double mlp_recall = -1.0, head_recall = -1.0;
  double predictor_cost = 0.0;
};

struct SweepReport {
  std::string model;
  int32_t threads = 0;
  std::string isa;
  int32_t ppl_chunks = 0, ppl_ctx = 0;
  int64_t ppl_scored = 0;
  int32_t task_limit = 0;
  int32_t n_gen = 0, repetitions = 0;
  std::vector<SweepRow> rows;  // dense first, then methods x levels in the order given
  double seconds = 0.0;
};

// The known method names.
const std::vector<std::string>& sweep_methods();

// Runs the sweep; writes sidecars under opt.out_dir. on_row is called after each row.
Result<SweepReport> sweep(const SweepOptions& opt, const std::function<void(const SweepRow&)>& on_row = {});

// Renderings: a markdown table, CSV (one line per row, header first) and JSON.
std::string sweep_markdown(const SweepReport& r);
std::string sweep_csv(const SweepReport& r);
std::string sweep_json(const SweepReport& r);

// Writes sweep.csv and sweep.json into dir.
Status write_sweep_files(const SweepReport& r, const std::string& dir);

}  // namespace skim
