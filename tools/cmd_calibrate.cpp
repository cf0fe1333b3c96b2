// cmd_calibrate.cpp — `skim calibrate --method teal --sparsity 0.4 -o FILE`: thresholds
// from calibration text -> sidecar. The text: `--data FILE...`, `--data self` (text the
// model writes itself), else the corpus of the data lookup (<data>/calibration/*.txt, see
// skim/data.h), else self-generated text (said on stderr).
// `--allocation greedy` (TEAL) spreads the target over layers and sites by TEAL's greedy
// search on block-output error; the sidecar path goes to stdout (or --json), logs to stderr.
// `--method dejavu` trains Deja Vu predictors (options in cmd_dejavu.h); `--method
// dejavu-cats` is Deja Vu heads + CATS neurons at --sparsity (the combined method).
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "cmd_dejavu.h"
#include "skim/sparsity.h"

namespace skim::cli {

void add_calibrate(CLI::App& root, int& exit_code) {
  auto* app = root.add_subcommand("calibrate", "calibrate contextual sparsity on calibration text; writes a sidecar");
  struct Opts {
    ModelOptions m;
    CalibrateOptions c;
    DejaVuCliOptions dv;
    std::string out;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  add_model_options(app, o->m, /*with_sparsity=*/false);
  app->add_option("--method", o->c.method,
                  "teal | cats | dejavu (learned predictors) | dejavu-cats (Deja Vu heads + CATS neurons)")
      ->check(CLI::IsMember({"teal", "cats", "dejavu", "dejavu-cats"}));
  app->add_option("--sparsity", o->c.sparsity, "target sparsity in [0, 1) (dejavu: the CATS target of --mlp cats/hybrid)")
      ->check(CLI::Range(0.0, 0.99));
  app->add_option("--allocation", o->c.allocation,
                  "uniform (every layer and site at the target) | greedy (TEAL: per (layer, site) by block-output error)")
      ->check(CLI::IsMember({"uniform", "greedy"}));
  app->add_option("--greedy-rows", o->c.greedy_rows, "greedy: calibration rows per (layer, site) for the error")
      ->check(CLI::Range(1, 4096));
  app->add_option("--greedy-step", o->c.greedy_step, "greedy: sparsity increment per step")->check(CLI::Range(0.005, 0.5));
  app->add_option("--data", o->c.files,
                  "calibration text: files, or `self` (text the model generates itself); default: "
                  "calibration/*.txt of the data folder ($SKIM_DATA, else the project's shared/data), else self");
  auto* tokens = app->add_option("--tokens", o->c.max_tokens,
                                 "calibration tokens to run (default 32768; dejavu 16384); with self, tokens generated")
                     ->check(CLI::PositiveNumber);
  app->add_option("--chunk-tokens", o->c.chunk, "tokens per forward pass over the calibration text (default 512)")
      ->check(CLI::Range(16, 8192));
  app->add_option("--seed", o->c.seed, "seed for the choice of calibration chunks (dejavu: and rows, init, batches)");
  app->add_option("-o,--output", o->out, "sidecar file to write (dejavu: optional, without it a report only)");
  app->add_flag("--json", o->json, "print the sidecar path and the allocation as JSON");
  app->add_flag("--no-progress", [o](int64_t) { o->c.progress = false; }, "no progress bar");
  add_dejavu_options(app, o->dv);
  app->callback([o, tokens, &exit_code] {
    const bool dejavu = o->c.method == "dejavu" || o->c.method == "dejavu-cats";
    if (dejavu && o->c.allocation != "uniform") {
      exit_code = fail("--allocation greedy is for --method teal");
      return;
    }
    if (!dejavu && o->out.empty()) {
      exit_code = fail("--output is required for --method " + o->c.method);
      return;
    }
    if (o->c.allocation == "greedy" && o->c.method != "teal") {
      exit_code = fail("greedy allocation is for --method teal (CATS has one site per layer)");
      return;
    }
    if (auto st = resolve_calibration_data(o->c.files, o->c.source); !st.ok()) {
      exit_code = fail(st.error().message);
      return;
    }
    if (tokens->count() > 0 && o->c.max_tokens < 8192) {
      fmt::print(stderr, "calibrate: {} tokens is little text: thresholds from 8,192 tokens still move by 2-4% between "
                 "seeds, from 32,768 (the default) by 0.3-1.2%\n", o->c.max_tokens);
    }
    if (dejavu) {
      exit_code = run_calibrate_dejavu(o->m, o->dv, o->c, tokens->count() > 0, o->out, o->json);
      return;
    }
    ModelOptions mo = o->m;
    mo.ctx = std::max(mo.ctx, o->c.chunk);
    auto engine = load_engine(mo);
    if (!engine) {
      exit_code = fail(engine.error().message);
      return;
    }
    auto r = calibrate(*engine, o->c, o->out);
    if (!r) {
      exit_code = fail(r.error().message);
      return;
    }
    if (o->json) {
      nlohmann::json j = {{"sidecar", r->sidecar_path},       {"method", o->c.method},
                          {"allocation", o->c.allocation},    {"target", o->c.sparsity},
                          {"allocated_sparsity", r->allocated_sparsity},
                          {"site_sparsity", {{"qkv_in", r->site_sparsity[0]}, {"o_in", r->site_sparsity[1]},
                                             {"gate_up_in", r->site_sparsity[2]}, {"down_in", r->site_sparsity[3]}}},
                          {"tokens", r->tokens},              {"seconds", r->seconds},
                          {"calibration", o->c.source == CalibrationSource::kSelf ? "self" : "files"}};
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print("{}\n", r->sidecar_path);
    }
    fmt::print(stderr, "calibrated {} {} {:.0f}% on {} tokens of {} in {:.1f} s\n", o->c.method, o->c.allocation,
               100 * o->c.sparsity, r->tokens,
               o->c.source == CalibrationSource::kSelf ? "self-generated text" : "calibration files", r->seconds);
    if (o->c.allocation == "greedy") {
      fmt::print(stderr,
                 "allocated {:.1f}% (parameter-weighted); mean over layers: q/k/v in {:.1f}%, o in {:.1f}%, "
                 "gate/up in {:.1f}%, down in {:.1f}%\n",
                 100 * r->allocated_sparsity, 100 * r->site_sparsity[0], 100 * r->site_sparsity[1],
                 100 * r->site_sparsity[2], 100 * r->site_sparsity[3]);
    }
  });
}

}  // namespace skim::cli
