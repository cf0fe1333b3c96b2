// calibrate_dejavu.cpp — collect, train, report, write the sidecar (see calibrate_dejavu.h).
#include "sparsity/dejavu/calibrate_dejavu.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include <unistd.h>

#include "core/progress.h"
#include "core/sha256.h"
#include "runtime/engine_impl.h"
#include "skim/sparsity.h"
#include "sparsity/dejavu/collect.h"
#include "sparsity/dejavu/predictor.h"
#include "sparsity/sidecar.h"

namespace skim::dejavu {

namespace {

using Clock = std::chrono::steady_clock;

CalibrationTextOptions text_options(const DejaVuOptions& opt) {
  return {opt.source, opt.files, opt.max_tokens, opt.chunk, opt.seed, opt.progress};
}

uint64_t task_seed(uint64_t seed, const DejaVuRun& run, int32_t layer) {
  uint64_t h = seed * 0x9E3779B97F4A7C15ull;
  for (uint64_t v : {static_cast<uint64_t>(layer), static_cast<uint64_t>(run.rank),
                     static_cast<uint64_t>(run.keep * 1000.0f), static_cast<uint64_t>(run.lookahead),
                     static_cast<uint64_t>(run.kind == "head")}) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  }
  return h;
}

struct Cost {
  int64_t n_embd, n_ff, n_head, head_dim;
  size_t mlp_bytes;  // gate + up + down weight bytes of one layer
  size_t qo_bytes;   // q + o weight bytes of one layer
};

void fill_cost(DejaVuRun& run, const Cost& c) {
  const int32_t n_out = static_cast<int32_t>(run.kind == "mlp" ? c.n_ff : c.n_head);
  run.predictor_macs = static_cast<int64_t>(run.rank) * (c.n_embd + n_out);
  run.predictor_bytes = predictor_bytes(static_cast<int32_t>(c.n_embd), run.rank, n_out);
  const int32_t k = keep_count(run.keep, n_out);
  const double skipped = static_cast<double>(n_out - k) / n_out;
  if (run.kind == "mlp") {
    run.saved_macs = static_cast<int64_t>(skipped * 3.0 * static_cast<double>(c.n_embd * c.n_ff));
    run.saved_bytes = static_cast<int64_t>(skipped * static_cast<double>(c.mlp_bytes));
  } else {
    run.saved_macs = static_cast<int64_t>(skipped * 2.0 * static_cast<double>(c.n_head * c.head_dim * c.n_embd));
    run.saved_bytes = static_cast<int64_t>(skipped * static_cast<double>(c.qo_bytes));
  }
}

}  // namespace

Result<DejaVuReport> calibrate_dejavu(const Engine& engine, const DejaVuOptions& opt, const std::string& out_path) {
  if (opt.source == CalibrationSource::kFiles && opt.files.empty()) return make_error("no calibration files given");
  if (opt.chunk < 2 || opt.chunk > engine.info().n_ctx) return make_error(fmt::format("chunk {} out of range", opt.chunk));
  if (opt.rows < 16) return make_error("dejavu: at least 16 rows per layer");
  if (!(opt.keep > 0.0f && opt.keep <= 1.0f) || !(opt.head_keep > 0.0f && opt.head_keep <= 1.0f)) {
    return make_error("dejavu: keep fractions must lie in (0, 1]");
  }
  if (opt.rank < 1 || opt.head_rank < 0) return make_error("dejavu: rank must be >= 1");
  const bool mlp_pred = opt.mlp == DejaVuMlp::kPredictor || opt.mlp == DejaVuMlp::kHybrid;
  const bool mlp_cats = opt.mlp == DejaVuMlp::kCats || opt.mlp == DejaVuMlp::kHybrid;
  if (!opt.heads && (opt.mlp == DejaVuMlp::kNone || opt.mlp == DejaVuMlp::kCats)) {
    return make_error(fmt::format("dejavu: MLP mode '{}' needs --heads on (else Deja Vu predicts nothing)",
                                  dejavu_mlp_name(opt.mlp)));
  }
  if (mlp_cats && !(opt.cats_sparsity > 0.0 && opt.cats_sparsity < 1.0)) {
    return make_error(fmt::format("dejavu: CATS sparsity {} out of (0, 1)", opt.cats_sparsity));
  }
  const Engine::Impl& E = EngineAccess::impl(engine);
  const HParams& hp = E.model->hparams();
  const std::vector<LayerMatrices> mats = E.model->layer_matrices();
  if (static_cast<int32_t>(mats.size()) != hp.n_layer) {
    return make_error("dejavu: this architecture does not expose its layer matrices");
  }
  for (int32_t l : opt.sweep_layers) {
    if (l < 0 || l >= hp.n_layer) return make_error(fmt::format("dejavu: layer {} out of range", l));
  }
  const CollectDims dims{hp.n_layer, hp.n_embd, hp.n_ff, hp.n_head, hp.head_dim};
  DejaVuReport rep;

  // --- CATS thresholds (cats / hybrid): skim::calibrate's CATS path, or a given sidecar ----
  std::vector<std::array<float, kNumSparsitySites>> cats_thresholds;
  if (mlp_cats && !out_path.empty()) {
    SKIM_TRY(std::string sha, sha256_file(engine.info().path));
    std::string cats_path = opt.cats_sidecar;
    const bool own = cats_path.empty();
    if (own) {
      CalibrateOptions co;
      co.method = "cats";
      co.sparsity = opt.cats_sparsity;
      co.source = opt.source;
      co.files = opt.files;
      co.max_tokens = opt.max_tokens;
      co.chunk = opt.chunk;
      co.seed = opt.seed;
      co.progress = opt.progress;
      cats_path = out_path + ".cats.part";
      auto cr = calibrate(engine, co, cats_path);
      if (!cr) return cr.error();
    }
    auto cats = load_sidecar(cats_path, sha, hp.n_layer);
    if (own) std::filesystem::remove(cats_path);
    if (!cats) return cats.error();
    if (cats->method != SparsityMethod::kCats) {
      return make_error(fmt::format("dejavu: {} is a {} sidecar, not CATS", cats_path, method_name(cats->method)));
    }
    cats_thresholds = cats->thresholds;
    rep.cats_tokens = cats->calibration_tokens;
  }
  // --- reused MLP predictors (predictor / hybrid with mlp_from) ---------------------------
  SparsityConfig reused;
  const bool reuse_mlp = mlp_pred && !opt.mlp_from.empty();
  if (reuse_mlp) {
    SKIM_TRY(std::string sha, sha256_file(engine.info().path));
    SKIM_TRY(reused, load_sidecar(opt.mlp_from, sha, SidecarModelDims{hp.n_layer, hp.n_embd, hp.n_ff, hp.n_head}));
    if (reused.method != SparsityMethod::kDejaVu || !reused.dejavu.mlp_predicted()) {
      return make_error(fmt::format("dejavu: {} has no Deja Vu MLP predictors", opt.mlp_from));
    }
    if (reused.dejavu.lookahead != opt.lookahead) {
      return make_error(fmt::format("dejavu: the MLP predictors of {} read {} input; pass --lookahead {}", opt.mlp_from,
                                    reused.dejavu.lookahead ? "the previous layer's" : "their own layer's",
                                    reused.dejavu.lookahead ? "on" : "off"));
    }
  }
  const bool measuring = !opt.sweep_ranks.empty() || !opt.sweep_keeps.empty() || opt.compare_lookahead;
  const bool train_mlp = mlp_pred && !reuse_mlp;
  const bool need_rows = opt.heads || train_mlp || measuring;

  // --- collect ---------------------------------------------------------------------------
  const auto t0 = Clock::now();
  SKIM_TRY(const CalibrationText text, calibration_text(engine, text_options(opt)));
  const std::vector<std::vector<int32_t>>& chunks = text.sequences;
  const size_t n_use = chunks.size();
  const int32_t per_chunk = static_cast<int32_t>((static_cast<size_t>(opt.rows) + n_use - 1) / n_use);
  Collector col(dims, need_rows ? opt.rows : 0, per_chunk, opt.seed);
  if (need_rows) {
    auto session = engine.new_session(opt.chunk);
    EngineAccess::impl(*session).ws->set_observer(&col);
    ProgressBar bar("dejavu collect", static_cast<int64_t>(n_use), opt.progress);
    for (size_t c = 0; c < n_use; ++c) {
      col.begin_chunk(static_cast<int32_t>(chunks[c].size()));
      auto st = session->eval_logits(chunks[c], 0, nullptr);
      col.end_chunk();
      if (!st) {
        EngineAccess::impl(*session).ws->set_observer(nullptr);
        return st.error();
      }
      rep.tokens += static_cast<int64_t>(chunks[c].size());
      bar.update(static_cast<int64_t>(c + 1), fmt::format("{} rows", col.rows()));
    }
    bar.finish(fmt::format("{} rows, {:.0f} MiB", col.rows(), col.bytes() / 1048576.0));
    EngineAccess::impl(*session).ws->set_observer(nullptr);
  }
  if (!col.error().empty()) return make_error(col.error());
  if (need_rows && col.rows() < 16) return make_error(fmt::format("dejavu: only {} rows collected", col.rows()));
  rep.rows = col.rows();
  rep.collected_bytes = col.bytes();
  rep.collect_seconds = std::chrono::duration<double>(Clock::now() - t0).count();

  // --- the runs ----------------------------------------------------------------------------
  std::vector<int32_t> all_layers(static_cast<size_t>(hp.n_layer));
  for (int32_t l = 0; l < hp.n_layer; ++l) all_layers[static_cast<size_t>(l)] = l;
  const int32_t head_rank = opt.head_rank > 0 ? opt.head_rank : hp.n_head;
  auto add_run = [&](const std::string& kind, int32_t rank, float keep, bool look, bool sidecar) {
    for (const auto& r : rep.runs) {
      if (r.kind == kind && r.rank == rank && r.keep == keep && r.lookahead == look) return;
    }
    DejaVuRun r;
    r.kind = kind;
    r.rank = rank;
    r.keep = keep;
    r.lookahead = look;
    r.in_sidecar = sidecar && !out_path.empty();
    // Without an output file the sidecar's configuration is just another measured run.
    r.layers = (sidecar && !out_path.empty()) || opt.sweep_layers.empty() ? all_layers : opt.sweep_layers;
    rep.runs.push_back(std::move(r));
  };
  if (train_mlp) add_run("mlp", opt.rank, opt.keep, opt.lookahead, true);
  if (opt.heads) add_run("head", head_rank, opt.head_keep, opt.lookahead, true);
  // Measurement runs (deduplicated against the sidecar's): --sweep-keeps applies to both
  // kinds; without it each kind keeps its own fraction.
  const std::vector<float> keeps = opt.sweep_keeps.empty() ? std::vector<float>{opt.keep} : opt.sweep_keeps;
  const std::vector<float> head_keeps = opt.sweep_keeps.empty() ? std::vector<float>{opt.head_keep} : opt.sweep_keeps;
  const std::vector<int32_t> ranks = opt.sweep_ranks.empty() ? std::vector<int32_t>{opt.rank} : opt.sweep_ranks;
  std::vector<bool> looks{opt.lookahead};
  if (opt.compare_lookahead) looks.push_back(!opt.lookahead);
  for (bool look : looks) {
    if (train_mlp || measuring) {
      for (float keep : keeps) {
        for (int32_t rank : ranks) add_run("mlp", rank, keep, look, false);
      }
    }
    if (opt.heads) {
      for (float keep : head_keeps) add_run("head", head_rank, keep, look, false);
    }
  }
  Cost cost{hp.n_embd, hp.n_ff, hp.n_head, hp.head_dim, 0, 0};
  {
    const LayerMatrices& m = mats.front();
    for (const TensorView* w : {&m.w_gate, &m.w_up, &m.w_down}) cost.mlp_bytes += row_bytes(w->type, w->cols()) * static_cast<size_t>(w->rows());
    for (const TensorView* w : {&m.wq, &m.wo}) cost.qo_bytes += row_bytes(w->type, w->cols()) * static_cast<size_t>(w->rows());
  }
  for (auto& r : rep.runs) {
    fill_cost(r, cost);
    r.reports.resize(r.layers.size());
    if (r.in_sidecar) r.predictors.resize(r.layers.size());
  }

  // --- train: (run, layer) tasks over `threads` workers ------------------------------------
  struct Task {
    size_t run, slot;
  };
  std::vector<Task> tasks;
  for (size_t ri = 0; ri < rep.runs.size(); ++ri) {
    for (size_t s = 0; s < rep.runs[ri].layers.size(); ++s) tasks.push_back({ri, s});
  }
  const auto t1 = Clock::now();
  std::mutex mu;  // guards the bar, stderr, and the first error
  std::string first_error;
  const bool tty = isatty(2) != 0;
  std::atomic<size_t> next{0};
  int64_t done = 0;
  ProgressBar bar("dejavu train", static_cast<int64_t>(tasks.size()), opt.progress);
  auto worker = [&] {
    std::vector<float> x, target;  // [rows, n_embd], [rows, n_out] of one task
    for (size_t ti = next++; ti < tasks.size(); ti = next++) {
      DejaVuRun& run = rep.runs[tasks[ti].run];
      const int32_t layer = run.layers[tasks[ti].slot];
      const bool mlp = run.kind == "mlp";
      const int32_t src_layer = run.lookahead && layer > 0 ? layer - 1 : layer;
      col.layer_f32(src_layer, mlp ? CollectedSite::kMlpIn : CollectedSite::kAttnIn, x);
      col.layer_f32(layer, mlp ? CollectedSite::kNeuron : CollectedSite::kHeadNorm, target);
      TrainOptions to = opt.train;
      to.rank = run.rank;
      to.keep = run.keep;
      to.seed = task_seed(opt.seed, run, layer);
      TrainReport tr;
      auto p = train_predictor(E.kt, x.data(), target.data(), col.rows(), hp.n_embd, mlp ? hp.n_ff : hp.n_head, to, &tr);
      std::lock_guard<std::mutex> lock(mu);
      if (!p) {
        if (first_error.empty()) first_error = fmt::format("layer {}: {}", layer, p.error().message);
        continue;
      }
      run.reports[tasks[ti].slot] = tr;
      if (run.in_sidecar) run.predictors[tasks[ti].slot] = std::move(*p);
      ++done;
      const std::string line =
          fmt::format("{} r{} keep {:.2f}{} L{:<2} loss {:.3f} -> {:.3f} recall {:.3f} (static {:.3f}) mass {:.3f} ep {}",
                      run.kind, run.rank, run.keep, run.lookahead ? " look" : " same", layer, tr.first.loss,
                      tr.best.loss, tr.best.recall, tr.first.base_recall, tr.best.mass, tr.best_epoch);
      if (opt.verbose && run.in_sidecar) fmt::print(stderr, "{}{}\n", tty ? "\r\033[K" : "", line);
      bar.update(done, line.substr(0, 60));
    }
  };
  {
    std::vector<std::thread> pool;
    const int32_t nt = std::max(1, std::min<int32_t>(opt.threads, static_cast<int32_t>(tasks.size())));
    for (int32_t i = 1; i < nt; ++i) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
  }
  bar.finish();
  if (!first_error.empty()) return make_error("dejavu train " + first_error);
  rep.train_seconds = std::chrono::duration<double>(Clock::now() - t1).count();
  for (auto& r : rep.runs) {
    const double n = static_cast<double>(r.reports.size());
    for (const auto& tr : r.reports) {
      r.mean_recall += tr.best.recall / n;
      r.mean_mass += tr.best.mass / n;
      r.mean_base_recall += tr.first.base_recall / n;
      r.mean_loss_first += tr.first.loss / n;
      r.mean_loss += tr.best.loss / n;
    }
  }

  // --- sidecar -----------------------------------------------------------------------------
  if (!out_path.empty()) {
    SparsityConfig cfg;
    cfg.method = SparsityMethod::kDejaVu;
    // Target: the requested share of MLP neurons skipped (heads only: of query heads).
    switch (opt.mlp) {
      case DejaVuMlp::kNone: cfg.target = 1.0f - opt.head_keep; break;
      case DejaVuMlp::kPredictor: cfg.target = 1.0f - opt.keep; break;
      case DejaVuMlp::kCats: cfg.target = static_cast<float>(opt.cats_sparsity); break;
      case DejaVuMlp::kHybrid: cfg.target = 1.0f - opt.keep * static_cast<float>(1.0 - opt.cats_sparsity); break;
    }
    cfg.target = std::clamp(cfg.target, 0.0f, 0.99f);
    cfg.allocation = "uniform";
    cfg.thresholds.assign(static_cast<size_t>(hp.n_layer), {0.0f, 0.0f, 0.0f, 0.0f});
    for (size_t l = 0; l < cats_thresholds.size(); ++l) {
      cfg.thresholds[l][static_cast<size_t>(SparsitySite::kDownIn)] =
          cats_thresholds[l][static_cast<size_t>(SparsitySite::kDownIn)];
    }
    SKIM_TRY(cfg.model_sha256, sha256_file(engine.info().path));
    cfg.calibration_files = calibration_provenance(text_options(opt));
    cfg.calibration_tokens = rep.tokens;
    cfg.seed = opt.seed;
    DejaVuConfig& dv = cfg.dejavu;
    dv.mlp_mode = opt.mlp;
    dv.rank = mlp_pred ? opt.rank : 0;
    if (reuse_mlp) {
      dv.rank = reused.dejavu.rank;
      dv.mlp = std::move(reused.dejavu.mlp);
      dv.mlp_recall = std::move(reused.dejavu.mlp_recall);
    }
    dv.keep = mlp_pred ? opt.keep : 1.0f;
    dv.lookahead = opt.lookahead;
    for (auto& r : rep.runs) {
      if (!r.in_sidecar) continue;
      std::vector<float> recall;
      for (const auto& tr : r.reports) recall.push_back(static_cast<float>(tr.best.recall));
      if (r.kind == "mlp") {
        dv.mlp = r.predictors;
        dv.mlp_recall = recall;
      } else {
        dv.heads = r.predictors;
        dv.head_rank = r.rank;
        dv.head_keep = r.keep;
        dv.head_recall = recall;
      }
      r.predictors.clear();
      r.predictors.shrink_to_fit();
    }
    SKIM_RETURN_IF_ERROR(validate_dejavu(cfg, SidecarModelDims{hp.n_layer, hp.n_embd, hp.n_ff, hp.n_head}));
    SKIM_RETURN_IF_ERROR(save_sidecar(cfg, out_path));
    rep.sidecar_path = out_path;
  }
  return rep;
}

}  // namespace skim::dejavu
