// cmd_dejavu.cpp — the Deja Vu part of `skim calibrate` (see cmd_dejavu.h): collects
// activations of the dense model on calibration text, trains Deja Vu predictors per layer
// (MLP neurons; attention heads with --heads on), prints per-layer loss/recall on
// held-apart rows (stderr, and the progress bar), and writes a sidecar with -o. MLP modes:
// predictor, none (heads only), cats (heads + CATS thresholds: the combined method),
// hybrid (predictor top-k, then the CATS threshold). Measurement flags (--sweep-ranks,
// --sweep-keeps, --compare-lookahead, --sweep-layers) train extra predictors for the
// report only; without -o only the report is made. Table on stderr (results: the sidecar
// path on stdout), or everything as --json on stdout.
#include "cmd_dejavu.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sparsity/sidecar.h"

namespace skim::cli {

namespace {
bool on_off(const std::string& s) { return s == "on"; }

nlohmann::json run_json(const dejavu::DejaVuRun& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const auto& t = r.reports[i];
    layers.push_back({{"layer", r.layers[i]},
                      {"loss_start", t.first.loss},
                      {"loss", t.best.loss},
                      {"recall", t.best.recall},
                      {"precision", t.best.recall},
                      {"static_recall", t.first.base_recall},
                      {"mass", t.best.mass},
                      {"best_epoch", t.best_epoch},
                      {"epochs_run", t.train_loss.size()}});
  }
  return {{"kind", r.kind},
          {"rank", r.rank},
          {"keep", r.keep},
          {"input", r.lookahead ? "lookahead" : "same-layer"},
          {"in_sidecar", r.in_sidecar},
          {"mean_recall", r.mean_recall},
          {"mean_static_recall", r.mean_base_recall},
          {"mean_mass", r.mean_mass},
          {"predictor_macs", r.predictor_macs},
          {"saved_macs", r.saved_macs},
          {"macs_share_of_saved", static_cast<double>(r.predictor_macs) / static_cast<double>(std::max<int64_t>(1, r.saved_macs))},
          {"predictor_bytes", r.predictor_bytes},
          {"saved_bytes", r.saved_bytes},
          {"bytes_share_of_saved", static_cast<double>(r.predictor_bytes) / static_cast<double>(std::max<int64_t>(1, r.saved_bytes))},
          {"layers", layers}};
}
}  // namespace

void add_dejavu_options(CLI::App* app, DejaVuCliOptions& o) {
  const std::string g = "Deja Vu (--method dejavu | dejavu-cats)";
  auto& d = o.d;
  app->add_option("--mlp", o.mlp,
                  "dejavu MLP mode: predictor (top-k of the MLP predictor) | none (heads only) | cats (CATS "
                  "thresholds at --sparsity: heads + CATS) | hybrid (predictor top-k, then CATS threshold)")
      ->check(CLI::IsMember({"none", "predictor", "cats", "hybrid"}))
      ->group(g);
  app->add_option("--rank", d.rank, "MLP predictor rank")->check(CLI::Range(1, 4096))->group(g);
  app->add_option("--keep", d.keep, "kept fraction of MLP neurons (predictor, hybrid)")
      ->check(CLI::Range(0.001, 1.0))
      ->group(g);
  app->add_option("--heads", o.heads, "train and apply attention-head predictors: on | off")
      ->check(CLI::IsMember({"on", "off"}))
      ->group(g);
  app->add_option("--head-keep", d.head_keep, "kept fraction of query heads")->check(CLI::Range(0.001, 1.0))->group(g);
  app->add_option("--head-rank", d.head_rank, "head predictor rank (0: n_head)")->check(CLI::Range(0, 4096))->group(g);
  app->add_option("--lookahead", o.lookahead, "predict layer l from layer l-1's input: on | off")
      ->check(CLI::IsMember({"on", "off"}))
      ->group(g);
  app->add_option("--cats-sidecar", d.cats_sidecar, "cats / hybrid: CATS thresholds from this sidecar (else calibrated)")
      ->check(CLI::ExistingFile)
      ->group(g);
  app->add_option("--mlp-from", d.mlp_from,
                  "predictor / hybrid: reuse the MLP predictors of this Deja Vu sidecar instead of training them")
      ->check(CLI::ExistingFile)
      ->group(g);
  app->add_option("--rows", d.rows, "token rows kept per layer (train + 10% held apart)")
      ->check(CLI::Range(16, 1 << 20))
      ->group(g);
  app->add_option("--epochs", d.train.epochs, "maximum epochs per predictor")->check(CLI::Range(0, 1000))->group(g);
  app->add_option("--batch", d.train.batch, "mini-batch rows")->check(CLI::Range(1, 1 << 16))->group(g);
  app->add_option("--lr", d.train.lr, "Adam learning rate")->check(CLI::PositiveNumber)->group(g);
  app->add_option("--pos-weight", d.train.pos_weight, "BCE weight of positives (0: max(1, 2(1-keep)/keep))")->group(g);
  app->add_option("--train-threads", d.threads, "layers trained in parallel")->check(CLI::Range(1, 256))->group(g);
  app->add_option("--sweep-ranks", d.sweep_ranks, "also train these MLP ranks (report only)")->group(g);
  app->add_option("--sweep-keeps", d.sweep_keeps, "also train these keep fractions (report only)")->group(g);
  app->add_option("--sweep-layers", d.sweep_layers, "layers of the report-only runs (default: all)")->group(g);
  app->add_flag("--compare-lookahead", d.compare_lookahead, "also train with the other input (same-layer vs lookahead)")
      ->group(g);
  app->add_flag("-q,--quiet", [&o](int64_t) { o.d.verbose = false; }, "no per-layer lines on stderr")->group(g);
}

int run_calibrate_dejavu(const ModelOptions& m, const DejaVuCliOptions& o, const CalibrateOptions& c, bool tokens_given,
                         const std::string& out, bool json) {
  const std::string& method = c.method;
  const double cats_sparsity = c.sparsity;
  dejavu::DejaVuOptions opt = o.d;
  opt.heads = on_off(o.heads);
  opt.lookahead = on_off(o.lookahead);
  auto mode = parse_dejavu_mlp(method == "dejavu-cats" ? "cats" : o.mlp);
  if (!mode) return fail(mode.error().message);
  if (method == "dejavu-cats" && o.mlp != "predictor" && o.mlp != "cats") {
    return fail("--method dejavu-cats is --method dejavu --mlp cats; drop --mlp " + o.mlp);
  }
  opt.mlp = *mode;
  opt.cats_sparsity = cats_sparsity;
  opt.source = c.source;
  opt.files = c.files;
  if (tokens_given) opt.max_tokens = c.max_tokens;
  opt.chunk = c.chunk;
  opt.seed = c.seed;
  opt.progress = c.progress;
  ModelOptions mo = m;
  mo.ctx = std::max(mo.ctx, opt.chunk);
  auto engine = load_engine(mo);
  if (!engine) return fail(engine.error().message);
  auto r = dejavu::calibrate_dejavu(*engine, opt, out);
  if (!r) return fail(r.error().message);
  if (json) {
    nlohmann::json j = {{"sidecar", r->sidecar_path},
                        {"method", "dejavu"},
                        {"mlp", dejavu_mlp_name(opt.mlp)},
                        {"cats_sparsity", opt.mlp == DejaVuMlp::kCats || opt.mlp == DejaVuMlp::kHybrid ? cats_sparsity : 0.0},
                        {"tokens", r->tokens},
                        {"rows", r->rows},
                        {"collected_bytes", r->collected_bytes},
                        {"collect_seconds", r->collect_seconds},
                        {"train_seconds", r->train_seconds},
                        {"runs", nlohmann::json::array()}};
    for (const auto& run : r->runs) j["runs"].push_back(run_json(run));
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print(stderr, "{:<5} {:>5} {:>5} {:<10} {:>7} {:>7} {:>7} {:>9} {:>9}  {}\n", "kind", "rank", "keep", "input",
               "recall", "static", "mass", "MAC/save", "B/save", "layers");
    for (const auto& run : r->runs) {
      fmt::print(stderr, "{:<5} {:>5} {:>5.2f} {:<10} {:>7.3f} {:>7.3f} {:>7.3f} {:>8.1f}% {:>8.1f}%  {}{}\n", run.kind,
                 run.rank, run.keep, run.lookahead ? "lookahead" : "same", run.mean_recall, run.mean_base_recall,
                 run.mean_mass,
                 100.0 * static_cast<double>(run.predictor_macs) / static_cast<double>(std::max<int64_t>(1, run.saved_macs)),
                 100.0 * static_cast<double>(run.predictor_bytes) / static_cast<double>(std::max<int64_t>(1, run.saved_bytes)),
                 run.layers.size(), run.in_sidecar ? " (sidecar)" : "");
    }
    if (!r->sidecar_path.empty()) fmt::print("{}\n", r->sidecar_path);
  }
  fmt::print(stderr, "dejavu ({} MLP): {} tokens, {} rows/layer ({:.0f} MiB), collect {:.1f} s, train {:.1f} s{}\n",
             dejavu_mlp_name(opt.mlp), r->tokens, r->rows, r->collected_bytes / 1048576.0, r->collect_seconds,
             r->train_seconds, r->cats_tokens > 0 ? fmt::format("; CATS thresholds on {} tokens", r->cats_tokens) : "");
  return 0;
}

}  // namespace skim::cli
