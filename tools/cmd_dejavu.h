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

// c: calibrate's options; c.method is "dejavu" or "dejavu-cats" (= dejavu with --mlp cats),
// c.sparsity the CATS target of the cats / hybrid MLP modes, c.max_tokens used only when
// tokens_given (else Deja Vu's default). out: sidecar path (empty: report only). Returns the
// exit code.
int run_calibrate_dejavu(const ModelOptions& m, const DejaVuCliOptions& o, const CalibrateOptions& c, bool tokens_given,
                         const std::string& out, bool json);

}  // namespace skim::cli
