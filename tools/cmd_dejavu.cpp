// cmd_dejavu.cpp — `skim dejavu-train` (temporary; to become `skim calibrate --method dejavu`):
// collects activations of the dense model on calibration text, trains Deja Vu predictors
// per layer (MLP neurons; attention heads with --heads on), prints per-layer loss/recall on
// held-apart rows, and writes a sidecar with -o. Measurement flags (--sweep-ranks,
// --sweep-keeps, --compare-lookahead, --sweep-layers) train extra predictors for the report
// only. Table (or --json) on stdout; progress and per-layer lines on stderr.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "sparsity/dejavu/calibrate_dejavu.h"

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

void add_dejavu(CLI::App& root, int& exit_code) {
  auto* app = root.add_subcommand("dejavu-train", "train Deja Vu predictors on calibration text (temporary command)");
  struct Opts {
    ModelOptions m;
    dejavu::DejaVuOptions d;
    std::string heads = "on", lookahead = "off", out;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  add_model_options(app, o->m, /*with_sparsity=*/false);
  auto& d = o->d;
  app->add_option("--rank", d.rank, "MLP predictor rank (sidecar)")->check(CLI::Range(1, 4096));
  app->add_option("--keep", d.keep, "kept fraction of MLP neurons (sidecar)")->check(CLI::Range(0.001, 1.0));
  app->add_option("--heads", o->heads, "train attention-head predictors: on | off")->check(CLI::IsMember({"on", "off"}));
  app->add_option("--head-keep", d.head_keep, "kept fraction of query heads")->check(CLI::Range(0.001, 1.0));
  app->add_option("--head-rank", d.head_rank, "head predictor rank (0: n_head)")->check(CLI::Range(0, 4096));
  app->add_option("--lookahead", o->lookahead, "predict layer l from layer l-1's input: on | off")
      ->check(CLI::IsMember({"on", "off"}));
  app->add_option("--data", d.files, "calibration text files (default: ../shared/data/calibration/*.txt)");
  app->add_option("--tokens", d.max_tokens, "calibration tokens to run")->check(CLI::PositiveNumber);
  app->add_option("--rows", d.rows, "token rows kept per layer (train + 10% held apart)")->check(CLI::Range(16, 1 << 20));
  app->add_option("--seed", d.seed, "seed (chunks, rows, initialisation, batches)");
  app->add_option("--epochs", d.train.epochs, "maximum epochs per predictor")->check(CLI::Range(0, 1000));
  app->add_option("--batch", d.train.batch, "mini-batch rows")->check(CLI::Range(1, 1 << 16));
  app->add_option("--lr", d.train.lr, "Adam learning rate")->check(CLI::PositiveNumber);
  app->add_option("--pos-weight", d.train.pos_weight, "BCE weight of positives (0: max(1, 2(1-keep)/keep))");
  app->add_option("--train-threads", d.threads, "layers trained in parallel")->check(CLI::Range(1, 256));
  app->add_option("--sweep-ranks", d.sweep_ranks, "also train these MLP ranks (report only)");
  app->add_option("--sweep-keeps", d.sweep_keeps, "also train these keep fractions (report only)");
  app->add_option("--sweep-layers", d.sweep_layers, "layers of the report-only runs (default: all)");
  app->add_flag("--compare-lookahead", d.compare_lookahead, "also train with the other input (same-layer vs lookahead)");
  app->add_option("-o,--output", o->out, "sidecar file to write");
  app->add_flag("--json", o->json, "print the report as JSON");
  app->add_flag("--no-progress", [o](int64_t) { o->d.progress = false; }, "no progress bar");
  app->add_flag("-q,--quiet", [o](int64_t) { o->d.verbose = false; }, "no per-layer lines on stderr");
  app->callback([o, &exit_code] {
    dejavu::DejaVuOptions opt = o->d;
    opt.heads = on_off(o->heads);
    opt.lookahead = on_off(o->lookahead);
    if (opt.files.empty()) opt.files = default_calibration_files();
    if (opt.files.empty()) {
      exit_code = fail("no calibration files found; pass --data FILE...");
      return;
    }
    ModelOptions mo = o->m;
    mo.ctx = std::max(mo.ctx, opt.chunk);
    auto engine = load_engine(mo);
    if (!engine) {
      exit_code = fail(engine.error().message);
      return;
    }
    auto r = dejavu::calibrate_dejavu(*engine, opt, o->out);
    if (!r) {
      exit_code = fail(r.error().message);
      return;
    }
    if (o->json) {
      nlohmann::json j = {{"sidecar", r->sidecar_path},           {"tokens", r->tokens},
                          {"rows", r->rows},                      {"collected_bytes", r->collected_bytes},
                          {"collect_seconds", r->collect_seconds}, {"train_seconds", r->train_seconds},
                          {"runs", nlohmann::json::array()}};
      for (const auto& run : r->runs) j["runs"].push_back(run_json(run));
      fmt::print("{}\n", j.dump(2));
      return;
    }
    fmt::print("{:<5} {:>5} {:>5} {:<10} {:>7} {:>7} {:>7} {:>9} {:>9}  {}\n", "kind", "rank", "keep", "input",
               "recall", "static", "mass", "MAC/save", "B/save", "layers");
    for (const auto& run : r->runs) {
      fmt::print("{:<5} {:>5} {:>5.2f} {:<10} {:>7.3f} {:>7.3f} {:>7.3f} {:>8.1f}% {:>8.1f}%  {}{}\n", run.kind, run.rank,
                 run.keep, run.lookahead ? "lookahead" : "same", run.mean_recall, run.mean_base_recall, run.mean_mass,
                 100.0 * static_cast<double>(run.predictor_macs) / static_cast<double>(std::max<int64_t>(1, run.saved_macs)),
                 100.0 * static_cast<double>(run.predictor_bytes) / static_cast<double>(std::max<int64_t>(1, run.saved_bytes)),
                 run.layers.size(), run.in_sidecar ? " (sidecar)" : "");
    }
    if (!r->sidecar_path.empty()) fmt::print("{}\n", r->sidecar_path);
    fmt::print(stderr, "dejavu: {} tokens, {} rows/layer ({:.0f} MiB), collect {:.1f} s, train {:.1f} s\n", r->tokens,
               r->rows, r->collected_bytes / 1048576.0, r->collect_seconds, r->train_seconds);
  });
}

}  // namespace skim::cli
