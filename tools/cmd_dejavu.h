// cmd_dejavu.h — the Deja Vu part of `skim calibrate` (`--method dejavu`, `--method
// dejavu-cats`): its options, and the run that trains the predictors, prints the per-run
// report (table on stderr, or JSON on stdout) and writes the sidecar.
#pragma once

#include <string>

#include "cli_common.h"
#include "sparsity/dejavu/calibrate_dejavu.h"

namespace skim::cli {

struct DejaVuCliOptions {
  dejavu::DejaVuOptions d;
  std::string mlp = "predictor";  // none | predictor | cats | hybrid
  std::string heads = "on", lookahead = "off";
};

// Registers the Deja Vu options (grouped under "Deja Vu") on `calibrate`.
void add_dejavu_options(CLI::App* app, DejaVuCliOptions& o);

// method: "dejavu" or "dejavu-cats" (= dejavu with --mlp cats). cats_sparsity: CATS target
// for the cats / hybrid MLP modes. out: sidecar path (empty: report only). Returns the exit code.
int run_calibrate_dejavu(const ModelOptions& m, const DejaVuCliOptions& o, const std::string& method,
                         double cats_sparsity, const std::vector<std::string>& files, int64_t tokens, int32_t chunk, uint64_t seed,
                         bool progress, const std::string& out, bool json);

}  // namespace skim::cli
