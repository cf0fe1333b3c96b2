// sweep.cpp — the sparsity sweep (see include/skim/sweep.h): one calibration pass makes
// every sidecar, then each (method, level) row loads a sparse engine next to the dense one
// and measures sparsity, perplexity, task accuracy and interleaved decode speed.
// Invariants: calibration reads only opt.calibration_files (or text the dense model
// writes itself, for the kSelf source); the dense engine is loaded
// once and benched back to back with every sparse engine; rows keep the order of
// opt.calibrations x opt.methods x opt.levels after the dense row.
#include "skim/sweep.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/progress.h"
#include "runtime/engine_impl.h"
#include "skim/bench.h"
#include "skim/engine.h"
#include "skim/eval.h"
#include "skim/sparsity.h"
#include "sparsity/calibration.h"
#include "sparsity/dejavu/predictor.h"
#include "sparsity/sidecar.h"

namespace skim {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A ready-made sidecar's row label (see skim/sweep.h); heads as kept/total, e.g. "heads7/9".
std::string sidecar_label(const SparsityConfig& cfg) {
  if (cfg.method != SparsityMethod::kDejaVu) return method_name(cfg.method);
  const DejaVuConfig& dv = cfg.dejavu;
  const int32_t nh = dv.heads.empty() ? 0 : dv.heads.front().n_out;
  const std::string heads = nh > 0 ? fmt::format("heads{}/{}", dejavu::keep_count(dv.head_keep, nh), nh) : "";
  switch (dv.mlp_mode) {
    case DejaVuMlp::kNone: return "dejavu-" + heads;
    case DejaVuMlp::kPredictor: return nh > 0 ? "dejavu+" + heads : "dejavu";
    case DejaVuMlp::kCats: return "dejavu-" + heads + "+cats";
    case DejaVuMlp::kHybrid: return nh > 0 ? "dejavu-hybrid+" + heads : "dejavu-hybrid";
  }
  return "dejavu";
}

double mean(const std::vector<float>& v) {
  double s = 0.0;
  for (float x : v) s += x;
  return v.empty() ? -1.0 : s / static_cast<double>(v.size());
}


struct Plan {
  std::string method;      // sweep name (row label)
  std::string calib;       // teal | cats; empty: a ready-made sidecar (no calibration)
  CalibrationSource source = CalibrationSource::kFiles;
  std::string allocation;  // uniform | greedy
  double level = 0.0;
  std::string sidecar;
};

std::string level_tag(double level) { return fmt::format("{:g}", std::round(level * 1000.0) / 10.0); }

// Parameters per layer reading each site's input (TEAL), and all layer parameters.
struct SiteWeights {
  std::array<double, kNumSparsitySites> teal{};
  double cats = 0.0;   // up + down, skipped per dropped neuron
  double layer = 0.0;  // every matrix of a layer
};

SiteWeights site_weights(const HParams& hp) {
  const double d = hp.n_embd, qd = hp.q_dim(), kvd = hp.kv_dim(), ff = hp.n_ff;
  SiteWeights w;
  w.teal = {d * (qd + 2 * kvd), qd * d, d * 2 * ff, ff * d};
  w.cats = 2 * d * ff;
  w.layer = w.teal[0] + w.teal[1] + w.teal[2] + w.teal[3];
  return w;
}

// Share of layer weight reads the thresholds skip on the text's (dense) activations.
double param_sparsity(const SparsityConfig& cfg, const ThresholdCalibrator& hist, const SiteWeights& w) {
  double skipped = 0.0, total = 0.0;
  for (int32_t l = 0; l < cfg.n_layer(); ++l) {
    total += w.layer;
    if (cfg.method == SparsityMethod::kTeal) {
      static constexpr ActivationSite kHist[] = {ActivationSite::kAttnIn, ActivationSite::kOIn, ActivationSite::kMlpIn,
                                                 ActivationSite::kDownIn};
      for (int s = 0; s < kNumSparsitySites; ++s) {
        const float t = cfg.threshold(l, static_cast<SparsitySite>(s));
        if (t > 0) skipped += w.teal[static_cast<size_t>(s)] * hist.histogram(l, kHist[s]).fraction_below(t);
      }
    } else if (cfg.method == SparsityMethod::kCats) {
      const float t = cfg.threshold(l, SparsitySite::kDownIn);
      if (t > 0) skipped += w.cats * hist.histogram(l, ActivationSite::kGate).fraction_below(t);
    } else if (cfg.method == SparsityMethod::kDejaVu) {
      const DejaVuConfig& dv = cfg.dejavu;
      // Kept fraction of neurons as the forward pass rounds it (k = keep_count).
      const double keep =
          dv.mlp.empty() ? 1.0 : static_cast<double>(dejavu::keep_count(dv.keep, dv.mlp.front().n_out)) / dv.mlp.front().n_out;
      const float t = cfg.threshold(l, SparsitySite::kDownIn);
      const double below = t > 0 ? hist.histogram(l, ActivationSite::kGate).fraction_below(t) : 0.0;
      switch (dv.mlp_mode) {
        case DejaVuMlp::kNone: break;
        case DejaVuMlp::kPredictor: skipped += 1.5 * w.cats * (1.0 - keep); break;  // gate, up, down
        case DejaVuMlp::kCats: skipped += w.cats * below; break;
        case DejaVuMlp::kHybrid:  // gate of the unpredicted; up/down of all but predicted-and-above
          skipped += 0.5 * w.cats * (1.0 - keep) + w.cats * (1.0 - keep * (1.0 - below));
          break;
      }
      if (!dv.heads.empty()) {  // q rows and o columns of the skipped heads
        const int32_t nh = dv.heads.front().n_out;
        skipped += 2.0 * w.teal[1] * (1.0 - static_cast<double>(dejavu::keep_count(dv.head_keep, nh)) / nh);
      }
    }
  }
  return total > 0 ? skipped / total : 0.0;
}

// Deja Vu predictors' multiply-adds per token over the dense layers' (q, k, v, o, MLP).
double predictor_cost(const SparsityConfig& cfg, const SiteWeights& w) {
  if (cfg.method != SparsityMethod::kDejaVu) return 0.0;
  double macs = 0.0;
  for (const auto* v : {&cfg.dejavu.mlp, &cfg.dejavu.heads}) {
    for (const LowRankPredictor& p : *v) macs += static_cast<double>(p.rank) * (p.n_in + p.n_out);
  }
  return macs / (w.layer * cfg.n_layer());
}

Result<Engine> load(const SweepOptions& opt, const std::string& sidecar, int32_t n_ctx) {
  EngineOptions eo;
  eo.model_path = opt.model_path;
  eo.n_threads = opt.threads;
  eo.n_ctx = n_ctx;
  eo.n_batch = std::max(512, opt.ppl_ctx);
  eo.sparsity_path = sidecar;
  return Engine::load(eo);
}

// Decode speed of one engine, one repetition (llama-bench's tg: warm-up token, random ids).
Result<double> tg_once(const Engine& e, int32_t n_gen, uint64_t seed) {
  BenchOptions b;
  b.n_prompt = 0;
  b.n_gen = n_gen;
  b.repetitions = 1;
  b.seed = seed;
  SKIM_TRY(auto r, bench(e, b));
  return r.front().mean;
}

void mean_sd(const std::vector<double>& v, double& mean, double& sd) {
  mean = 0.0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(std::max<size_t>(1, v.size()));
  double s = 0.0;
  for (double x : v) s += (x - mean) * (x - mean);
  sd = v.size() > 1 ? std::sqrt(s / static_cast<double>(v.size() - 1)) : 0.0;
}

// Engine-counted sparsity of single-token decode over `toks` (the sparse kernels' own view).
Result<double> decode_sparsity(const Engine& e, const std::vector<int32_t>& toks) {
  auto s = e.new_session();
  s->reset_sparsity_stats();
  for (size_t i = 0; i < toks.size() && static_cast<int32_t>(i) < s->n_ctx(); ++i) {
    SKIM_RETURN_IF_ERROR(s->eval({&toks[i], 1}));
  }
  return s->measured_sparsity();
}

// Whether multi-token forward passes apply the thresholds (masked prefill): the model
// counts masked entries in the session's stats, or (at a nonzero level) the last-position
// logits of a short prefill differ from the dense engine's.
Result<bool> prefill_is_masked(const Engine& dense, const Engine& sparse, const std::vector<int32_t>& toks) {
  const size_t n = std::min<size_t>(toks.size(), 64);
  if (n < 2) return false;
  const size_t V = static_cast<size_t>(dense.info().n_vocab);
  std::vector<float> a(V), b(V);
  auto sd = dense.new_session();
  auto ss = sparse.new_session();
  ss->reset_sparsity_stats();
  SKIM_RETURN_IF_ERROR(sd->eval_logits({toks.data(), n}, 1, a.data()));
  SKIM_RETURN_IF_ERROR(ss->eval_logits({toks.data(), n}, 1, b.data()));
  return EngineAccess::impl(*ss).ws->sparsity_stats().total > 0 || a != b;
}

}  // namespace

const std::vector<std::string>& sweep_methods() {
  static const std::vector<std::string> m = {"teal", "teal-greedy", "cats"};
  return m;
}

Result<SweepReport> sweep(const SweepOptions& opt, const std::function<void(const SweepRow&)>& on_row) {
  const auto t_start = Clock::now();
  namespace fs = std::filesystem;
  if (opt.methods.empty()) return make_error("sweep: no methods");
  for (const auto& m : opt.methods) {
    if (std::find(sweep_methods().begin(), sweep_methods().end(), m) == sweep_methods().end()) {
      return make_error(fmt::format("sweep: unknown method '{}' (teal, teal-greedy, cats)", m));
    }
  }
  if (opt.levels.empty()) return make_error("sweep: no sparsity levels");
  for (double l : opt.levels) {
    if (!(l >= 0.0 && l < 0.96)) return make_error(fmt::format("sweep: level {} out of [0, 0.95]", l));
  }
  if (opt.ppl_chunks < 1) return make_error("sweep: --ppl-chunks must be >= 1");
  if (opt.n_gen < 1 || opt.repetitions < 1) return make_error("sweep: -n and -r must be >= 1");
  if (opt.calibrations.empty()) return make_error("sweep: no calibration source");
  const bool uses_files = std::find(opt.calibrations.begin(), opt.calibrations.end(), CalibrationSource::kFiles) !=
                          opt.calibrations.end();
  if (uses_files && opt.calibration_files.empty()) return make_error("sweep: no calibration files");
  std::ifstream pin(opt.ppl_file, std::ios::binary);
  if (!pin) return make_error(fmt::format("sweep: cannot read perplexity text '{}'", opt.ppl_file));
  std::ostringstream pss;
  pss << pin.rdbuf();
  std::string ppl_text = pss.str();
  if (!ppl_text.empty() && ppl_text.back() == '\n') ppl_text.pop_back();  // as llama-perplexity -f

  std::error_code ec;
  fs::create_directories(fs::path(opt.out_dir) / "sidecars", ec);
  if (ec) return make_error(fmt::format("sweep: cannot create '{}': {}", opt.out_dir, ec.message()));

  // ---- the dense engine and the plan --------------------------------------------------
  const int32_t n_ctx = std::max(opt.ppl_ctx, 2048);
  SKIM_TRY(Engine dense, load(opt, "", n_ctx));
  const HParams& hp = EngineAccess::impl(dense).model->hparams();
  const SiteWeights weights = site_weights(hp);
  std::vector<Plan> plan;
  for (CalibrationSource src : opt.calibrations) {
    const bool self = src == CalibrationSource::kSelf;
    for (const auto& m : opt.methods) {
      for (double l : opt.levels) {
        Plan p;
        p.method = self ? m + "@self" : m;
        p.calib = m == "cats" ? "cats" : "teal";
        p.source = src;
        p.allocation = m == "teal-greedy" ? "greedy" : "uniform";
        p.level = l;
        p.sidecar = (fs::path(opt.out_dir) / "sidecars" / fmt::format("{}-{}{}.skim", m, level_tag(l), self ? ".self" : ""))
                        .string();
        plan.push_back(p);
      }
    }
  }

  for (const auto& path : opt.sidecars) {  // ready-made points: no calibration
    SKIM_TRY(SparsityConfig cfg, load_sidecar(path, "", hp.n_layer));
    Plan p;
    p.method = sidecar_label(cfg);
    p.level = cfg.target;
    p.sidecar = path;
    plan.push_back(p);
  }

  // ---- calibration: one pass per source for every sidecar (existing ones reused) -------
  for (CalibrationSource src : opt.calibrations) {
    CalibrateOptions co;
    co.source = src;
    co.files = opt.calibration_files;
    co.max_tokens = opt.calibration_tokens;
    co.seed = opt.seed;
    co.progress = opt.progress;
    co.reuse = true;
    std::vector<CalibratePoint> pts;
    for (const auto& p : plan) {
      if (!p.calib.empty() && p.source == src) pts.push_back({p.calib, p.allocation, p.level, p.sidecar});
    }
    SKIM_TRY(auto reps, calibrate_many(dense, co, pts));
    size_t reused = 0;
    for (const auto& r : reps) reused += r.reused;
    fmt::print(stderr, "sweep: {} sidecars calibrated on {} in {} ({} reused)\n", reps.size(),
               src == CalibrationSource::kSelf ? "self-generated text" : "calibration files",
               (fs::path(opt.out_dir) / "sidecars").string(), reused);
  }

  // ---- evaluation text: tokens for decode sparsity, histograms for parameter sparsity --
  const std::vector<int32_t> ppl_tokens = dense.tokenize(ppl_text, true, false);
  if (static_cast<int32_t>(ppl_tokens.size()) < opt.ppl_ctx) return make_error("sweep: perplexity text is too short");
  std::vector<int32_t> decode_toks(ppl_tokens.begin(),
                                   ppl_tokens.begin() + std::min<size_t>(ppl_tokens.size(),
                                                                         static_cast<size_t>(std::max(1, opt.sparsity_tokens))));
  ThresholdCalibrator eval_hist(hp.n_layer);
  {
    auto s = dense.new_session();
    EngineAccess::impl(*s).ws->set_observer(&eval_hist);
    const int32_t n_chunks = std::min<int32_t>(2, static_cast<int32_t>(ppl_tokens.size()) / opt.ppl_ctx);
    for (int32_t c = 0; c < n_chunks; ++c) {
      std::vector<int32_t> chunk(ppl_tokens.begin() + c * opt.ppl_ctx, ppl_tokens.begin() + (c + 1) * opt.ppl_ctx);
      SKIM_RETURN_IF_ERROR(s->eval_logits(chunk, 0, nullptr));
    }
    EngineAccess::impl(*s).ws->set_observer(nullptr);
  }

  SweepReport rep;
  rep.model = dense.info().name;
  rep.threads = dense.info().n_threads;
  rep.isa = dense.info().isa;
  rep.ppl_chunks = opt.ppl_chunks;
  rep.ppl_ctx = opt.ppl_ctx;
  rep.task_limit = opt.task_limit;
  rep.n_gen = opt.n_gen;
  rep.repetitions = opt.repetitions;

  // ---- rows -----------------------------------------------------------------------------
  const int64_t stages_per_row = 3 + static_cast<int64_t>(opt.tasks.size());  // sparsity, ppl, tasks..., bench
  ProgressBar bar("sweep", static_cast<int64_t>(plan.size() + 1) * stages_per_row, opt.progress);
  int64_t done = 0;
  auto step = [&](const std::string& what) { bar.update(++done, what); };

  PerplexityOptions po;
  po.n_ctx = opt.ppl_ctx;
  po.max_chunks = opt.ppl_chunks;
  po.progress = false;
  TaskOptions to;
  to.limit = opt.task_limit;
  to.progress = false;

  auto measure_quality = [&](const Engine& e, SweepRow& row, const std::string& name) -> Status {
    SKIM_TRY(PerplexityResult pr, perplexity(e, ppl_text, po));
    row.perplexity = pr.perplexity;
    row.ppl_uncertainty = pr.uncertainty;
    rep.ppl_scored = pr.scored;
    step(name + " ppl");
    for (const auto& t : opt.tasks) {
      SKIM_TRY(TaskResult tr, eval_task(e, t, opt.data_dir, to));
      row.task_names.push_back(t);
      row.task_acc.push_back(tr.metric == "acc_norm" && tr.accuracy_norm >= 0 ? tr.accuracy_norm : tr.accuracy);
      step(name + " " + t);
    }
    return {};
  };

  {  // dense baseline
    auto t0 = Clock::now();
    SweepRow row;
    row.method = "dense";
    step("dense");
    SKIM_RETURN_IF_ERROR(measure_quality(dense, row, "dense"));
    std::vector<double> v;
    for (int32_t r = 0; r < opt.repetitions; ++r) {
      SKIM_TRY(double ts, tg_once(dense, opt.n_gen, opt.seed + static_cast<uint64_t>(r)));
      v.push_back(ts);
    }
    mean_sd(v, row.tok_s, row.tok_s_sd);
    row.dense_tok_s = row.tok_s;
    row.dense_tok_s_sd = row.tok_s_sd;
    row.speedup = 1.0;
    step("dense bench");
    row.seconds = since(t0);
    rep.rows.push_back(row);
    if (on_row) on_row(row);
  }

  for (const auto& p : plan) {
    auto t0 = Clock::now();
    const std::string name = fmt::format("{} {}%", p.method, level_tag(p.level));
    SweepRow row;
    row.method = p.method;
    if (!p.calib.empty()) row.calibration = p.source == CalibrationSource::kSelf ? "self" : "files";
    row.target = p.level;
    row.sidecar = p.sidecar;
    SKIM_TRY(Engine sparse, load(opt, p.sidecar, n_ctx));
    SKIM_TRY(SparsityConfig cfg, load_sidecar(p.sidecar, "", hp.n_layer));
    row.param_sparsity = param_sparsity(cfg, eval_hist, weights);
    if (cfg.method == SparsityMethod::kDejaVu) {
      row.mlp_recall = mean(cfg.dejavu.mlp_recall);
      row.head_recall = mean(cfg.dejavu.head_recall);
      row.predictor_cost = predictor_cost(cfg, weights);
    }
    SKIM_TRY(row.sparsity, decode_sparsity(sparse, decode_toks));
    SKIM_TRY(row.masked_prefill, prefill_is_masked(dense, sparse, decode_toks));
    step(name + " sparsity");
    SKIM_RETURN_IF_ERROR(measure_quality(sparse, row, name));
    // Dense and sparse back to back, the same random tokens per repetition.
    std::vector<double> vd, vs;
    for (int32_t r = 0; r < opt.repetitions; ++r) {
      const uint64_t seed = opt.seed + static_cast<uint64_t>(r);
      SKIM_TRY(double d, tg_once(dense, opt.n_gen, seed));
      SKIM_TRY(double s, tg_once(sparse, opt.n_gen, seed));
      vd.push_back(d);
      vs.push_back(s);
    }
    mean_sd(vd, row.dense_tok_s, row.dense_tok_s_sd);
    mean_sd(vs, row.tok_s, row.tok_s_sd);
    row.speedup = row.dense_tok_s > 0 ? row.tok_s / row.dense_tok_s : 0.0;
    step(name + " bench");
    row.seconds = since(t0);
    rep.rows.push_back(row);
    if (on_row) on_row(row);
  }
  bar.finish();
  rep.seconds = since(t_start);
  return rep;
}

// ---- renderings --------------------------------------------------------------------------

std::string sweep_markdown(const SweepReport& r) {
  std::string out;
  const SweepRow* dense = r.rows.empty() ? nullptr : &r.rows.front();
  out += "| method | target | sparsity | param. sparsity | ppl | Δppl |";
  std::string sep = "|---|---:|---:|---:|---:|---:|";
  if (dense) {
    for (const auto& t : dense->task_names) {
      out += fmt::format(" {} |", t);
      sep += "---:|";
    }
  }
  out += " pred. recall (MLP / heads) | pred. cost | tok/s | dense tok/s | speed-up |\n";
  sep += "---:|---:|---:|---:|---:|\n";
  out += sep;
  for (const auto& row : r.rows) {
    const bool is_dense = row.method == "dense";
    out += fmt::format("| {} | {} | {} | {} | {:.3f} | {} |", row.method,
                       is_dense ? "-" : fmt::format("{:.0f}%", 100 * row.target),
                       is_dense ? "0%" : fmt::format("{:.1f}%", 100 * row.sparsity),
                       is_dense ? "0%" : fmt::format("{:.1f}%", 100 * row.param_sparsity), row.perplexity,
                       is_dense || !dense ? "-" : fmt::format("{:+.3f}", row.perplexity - dense->perplexity));
    for (double a : row.task_acc) out += fmt::format(" {:.3f} |", a);
    auto rc = [](double x) { return x < 0 ? std::string("-") : fmt::format("{:.3f}", x); };
    out += row.mlp_recall < 0 && row.head_recall < 0
               ? std::string(" - | - |")
               : fmt::format(" {} / {} | {:.2f}% |", rc(row.mlp_recall), rc(row.head_recall), 100 * row.predictor_cost);
    out += fmt::format(" {:.1f} ± {:.1f} | {:.1f} ± {:.1f} | {:.2f}× |\n", row.tok_s, row.tok_s_sd, row.dense_tok_s,
                       row.dense_tok_s_sd, row.speedup);
  }
  return out;
}

std::string sweep_csv(const SweepReport& r) {
  std::string out = "method,target,sparsity,param_sparsity,perplexity,ppl_uncertainty";
  const std::vector<std::string> tasks = r.rows.empty() ? std::vector<std::string>{} : r.rows.front().task_names;
  for (const auto& t : tasks) out += "," + t + "_acc";
  out += ",tok_s,tok_s_sd,dense_tok_s,dense_tok_s_sd,speedup,masked_prefill,seconds,sidecar,mlp_recall,head_recall,"
         "predictor_cost,calibration\n";
  for (const auto& row : r.rows) {
    out += fmt::format("{},{:.3f},{:.5f},{:.5f},{:.5f},{:.5f}", row.method, row.target, row.sparsity, row.param_sparsity,
                       row.perplexity, row.ppl_uncertainty);
    for (size_t i = 0; i < tasks.size(); ++i) out += fmt::format(",{:.5f}", i < row.task_acc.size() ? row.task_acc[i] : 0.0);
    out += fmt::format(",{:.3f},{:.3f},{:.3f},{:.3f},{:.4f},{},{:.1f},{},{:.4f},{:.4f},{:.5f},{}\n", row.tok_s,
                       row.tok_s_sd, row.dense_tok_s, row.dense_tok_s_sd, row.speedup, row.masked_prefill ? 1 : 0,
                       row.seconds, row.sidecar, row.mlp_recall, row.head_recall, row.predictor_cost, row.calibration);
  }
  return out;
}

std::string sweep_json(const SweepReport& r) {
  nlohmann::json j;
  j["model"] = r.model;
  j["threads"] = r.threads;
  j["isa"] = r.isa;
  j["settings"] = {{"ppl_chunks", r.ppl_chunks}, {"ppl_ctx", r.ppl_ctx},   {"ppl_scored_tokens", r.ppl_scored},
                   {"task_limit", r.task_limit}, {"n_gen", r.n_gen},       {"repetitions", r.repetitions}};
  j["seconds"] = r.seconds;
  j["rows"] = nlohmann::json::array();
  for (const auto& row : r.rows) {
    nlohmann::json acc = nlohmann::json::object();
    for (size_t i = 0; i < row.task_names.size(); ++i) acc[row.task_names[i]] = row.task_acc[i];
    j["rows"].push_back({{"method", row.method},
                         {"target", row.target},
                         {"sparsity", row.sparsity},
                         {"param_sparsity", row.param_sparsity},
                         {"perplexity", row.perplexity},
                         {"ppl_uncertainty", row.ppl_uncertainty},
                         {"accuracy", acc},
                         {"tok_s", row.tok_s},
                         {"tok_s_sd", row.tok_s_sd},
                         {"dense_tok_s", row.dense_tok_s},
                         {"dense_tok_s_sd", row.dense_tok_s_sd},
                         {"speedup", row.speedup},
                         {"masked_prefill", row.masked_prefill},
                         {"seconds", row.seconds},
                         {"sidecar", row.sidecar},
                         {"mlp_recall", row.mlp_recall},
                         {"head_recall", row.head_recall},
                         {"predictor_cost", row.predictor_cost},
                         {"calibration", row.calibration}});
  }
  return j.dump(2);
}

Status write_sweep_files(const SweepReport& r, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  for (const auto& [name, text] : {std::pair{"sweep.csv", sweep_csv(r)}, std::pair{"sweep.json", sweep_json(r)}}) {
    const fs::path p = fs::path(dir) / name;
    std::ofstream out(p, std::ios::binary);
    out << text;
    if (!out) return make_error(fmt::format("cannot write '{}'", p.string()));
  }
  return {};
}

}  // namespace skim
