// calibrate.cpp — the calibration driver: calibration text (calibration_text.cpp: chunks of
// files, or text the model writes itself) -> dense forward passes with a
// ThresholdCalibrator attached (and, for greedy allocation, a GreedyRowSampler in front
// of it) -> thresholds -> sidecars. One pass serves every requested point
// (method x allocation x target): histograms and greedy's error tables are target-free.
// Invariant: only the calibration text given (files, or text the model writes itself:
// CalibrationSource) is read, never evaluation data.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "core/progress.h"
#include "core/sha256.h"
#include "runtime/engine_impl.h"
#include "skim/sparsity.h"
#include "sparsity/calibration.h"
#include "sparsity/greedy.h"
#include "sparsity/greedy_blocks.h"
#include "sparsity/sidecar.h"

namespace skim {

namespace {

Result<SparsityMethod> parse_method(const std::string& m) {
  if (m == "teal") return SparsityMethod::kTeal;
  if (m == "cats") return SparsityMethod::kCats;
  return make_error(fmt::format("unknown sparsity method '{}' (teal, cats)", m));
}

Status check_point(const CalibratePoint& p) {
  SKIM_TRY(SparsityMethod m, parse_method(p.method));
  if (!(p.sparsity >= 0.0 && p.sparsity < 1.0)) return make_error(fmt::format("sparsity {} out of [0, 1)", p.sparsity));
  if (p.allocation != "uniform" && p.allocation != "greedy") {
    return make_error(fmt::format("unknown allocation '{}' (uniform, greedy)", p.allocation));
  }
  if (p.allocation == "greedy" && m != SparsityMethod::kTeal) {
    return make_error("greedy allocation is for --method teal (CATS has one site per layer)");
  }
  if (p.out_path.empty()) return make_error("no output path for a sidecar");
  return {};
}

CalibrationTextOptions text_options(const CalibrateOptions& opt) {
  return {opt.source, opt.files, opt.max_tokens, opt.chunk, opt.seed, opt.progress};
}

// Calibration tokens a run with these options sees when the text is long enough.
int64_t planned_tokens(const CalibrateOptions& opt) {
  if (opt.source == CalibrationSource::kSelf) return opt.max_tokens;
  return (opt.max_tokens + opt.chunk - 1) / opt.chunk * opt.chunk;
}

bool provenance_matches(const SparsityConfig& c, const CalibratePoint& p, const CalibrateOptions& opt) {
  auto m = parse_method(p.method);
  return m.ok() && c.method == *m && std::fabs(c.target - static_cast<float>(p.sparsity)) < 1e-6f &&
         c.allocation == p.allocation && c.calibration_files == calibration_provenance(text_options(opt)) &&
         c.calibration_tokens == planned_tokens(opt) && c.seed == opt.seed;
}

}  // namespace

Result<CalibrateReport> calibrate(const Engine& engine, const CalibrateOptions& opt, const std::string& out_path) {
  CalibratePoint p{opt.method, opt.allocation, opt.sparsity, out_path};
  SKIM_TRY(auto reports, calibrate_many(engine, opt, std::span<const CalibratePoint>(&p, 1)));
  return reports.front();
}

Result<std::vector<CalibrateReport>> calibrate_many(const Engine& engine, const CalibrateOptions& opt,
                                                    std::span<const CalibratePoint> points) {
  auto t0 = std::chrono::steady_clock::now();
  if (points.empty()) return make_error("nothing to calibrate");
  for (const auto& p : points) SKIM_RETURN_IF_ERROR(check_point(p));
  if (opt.source == CalibrationSource::kFiles && opt.files.empty()) return make_error("no calibration files given");
  if (opt.chunk < 2 || opt.chunk > engine.info().n_ctx) return make_error(fmt::format("chunk {} out of range", opt.chunk));
  if (opt.greedy_rows < 1) return make_error("greedy rows must be >= 1");
  if (!(opt.greedy_step > 0.0 && opt.greedy_step <= 0.5)) {
    return make_error(fmt::format("greedy step {} out of (0, 0.5]", opt.greedy_step));
  }

  const HParams& hp = EngineAccess::impl(engine).model->hparams();
  SKIM_TRY(std::string sha, sha256_file(engine.info().path));

  // Sidecars already made with the same provenance are kept.
  std::vector<CalibrateReport> reports(points.size());
  std::vector<size_t> todo;
  for (size_t i = 0; i < points.size(); ++i) {
    const CalibratePoint& p = points[i];
    reports[i].sidecar_path = p.out_path;
    std::error_code ec;
    if (opt.reuse && std::filesystem::exists(p.out_path, ec)) {
      auto c = load_sidecar(p.out_path, sha, hp.n_layer);
      if (c.ok() && provenance_matches(*c, p, opt)) {
        reports[i].reused = true;
        reports[i].tokens = c->calibration_tokens;
        reports[i].allocated_sparsity = p.sparsity;
        continue;
      }
    }
    todo.push_back(i);
  }
  if (todo.empty()) return reports;
  const bool any_greedy =
      std::any_of(todo.begin(), todo.end(), [&](size_t i) { return points[i].allocation == "greedy"; });

  SKIM_TRY(const CalibrationText text, calibration_text(engine, text_options(opt)));

  ThresholdCalibrator cal(hp.n_layer);
  GreedyRowSampler sampler(hp.n_layer, opt.greedy_rows, opt.seed, &cal);
  ActivationObserver* obs = any_greedy ? static_cast<ActivationObserver*>(&sampler) : &cal;
  {
    auto session = engine.new_session(opt.chunk);
    EngineAccess::impl(*session).ws->set_observer(obs);
    const std::string label = todo.size() == 1 ? fmt::format("calibrate {} {:.0f}%", points[todo[0]].method,
                                                             100 * points[todo[0]].sparsity)
                                               : fmt::format("calibrate ({} sidecars)", todo.size());
    ProgressBar bar(label, static_cast<int64_t>(text.sequences.size()), opt.progress);
    for (size_t c = 0; c < text.sequences.size(); ++c) {
      SKIM_RETURN_IF_ERROR(session->eval_logits(text.sequences[c], 0, nullptr));
      bar.update(static_cast<int64_t>(c + 1), fmt::format("{} tokens", cal.tokens_seen()));
    }
    bar.finish(fmt::format("{} tokens", cal.tokens_seen()));
    EngineAccess::impl(*session).ws->set_observer(nullptr);
  }

  // Greedy: block-output error of every (layer, site) at every level, once.
  std::vector<GreedySite> tables;
  GreedyPlan plan;
  GreedyTableOptions gopt;
  gopt.step = opt.greedy_step;
  gopt.max_level = static_cast<int32_t>(std::floor(0.95 / opt.greedy_step + 1e-9));
  if (any_greedy) {
    const Engine::Impl& E = EngineAccess::impl(engine);
    const std::vector<LayerMatrices> mats = E.model->layer_matrices();
    if (static_cast<int32_t>(mats.size()) != hp.n_layer) {
      return make_error("greedy allocation: this architecture does not expose its layer matrices");
    }
    ProgressBar bar("greedy error tables", hp.n_layer, opt.progress);
    SKIM_TRY(tables, greedy_error_tables(E.kt, *E.pool, mats, sampler, cal, gopt,
                                         [&](int32_t done) { bar.update(done, fmt::format("layer {}", done)); }));
    bar.finish();
    // Block-wise greedy paths (TEAL's greedyopt), MLP errors measured jointly.
    ProgressBar pbar("greedy block paths", hp.n_layer, opt.progress);
    SKIM_TRY(plan, greedy_block_plan(E.kt, *E.pool, mats, sampler, cal, tables, gopt,
                                     [&](int32_t done) { pbar.update(done, fmt::format("layer {}", done)); }));
    pbar.finish();
  }

  for (size_t i : todo) {
    const CalibratePoint& p = points[i];
    SKIM_TRY(SparsityMethod method, parse_method(p.method));
    SparsityConfig cfg;
    cfg.method = method;
    cfg.target = static_cast<float>(p.sparsity);
    cfg.allocation = p.allocation;
    CalibrateReport& r = reports[i];
    if (p.allocation == "greedy") {
      const GreedyBlockAllocation a = greedy_block_allocate(plan, p.sparsity);
      cfg.thresholds.assign(static_cast<size_t>(hp.n_layer), {});
      r.site_sparsity.fill(0.0);
      for (int32_t l = 0; l < hp.n_layer; ++l) {
        for (int s = 0; s < kNumSparsitySites; ++s) {
          const double sp = a.sparsity[static_cast<size_t>(l)][static_cast<size_t>(s)];
          const auto hs = teal_histogram_site(static_cast<SparsitySite>(s));
          cfg.thresholds[static_cast<size_t>(l)][static_cast<size_t>(s)] =
              sp > 0.0 ? cal.histogram(l, hs).quantile(sp) : 0.0f;
          r.site_sparsity[static_cast<size_t>(s)] += sp / hp.n_layer;
        }
      }
      r.allocated_sparsity = a.mean_sparsity;
    } else {
      cfg.thresholds = cal.uniform_thresholds(method, p.sparsity);
      r.allocated_sparsity = p.sparsity;
      if (method == SparsityMethod::kTeal) r.site_sparsity.fill(p.sparsity);
      else r.site_sparsity = {0.0, 0.0, 0.0, p.sparsity};
    }
    cfg.model_sha256 = sha;
    cfg.calibration_files = calibration_provenance(text_options(opt));
    cfg.calibration_tokens = cal.tokens_seen();
    cfg.seed = opt.seed;
    SKIM_RETURN_IF_ERROR(save_sidecar(cfg, p.out_path));
    r.tokens = cal.tokens_seen();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (size_t i : todo) reports[i].seconds = secs;
  return reports;
}

}  // namespace skim
