// calibrate.cpp — the calibration driver: calibration text -> dense forward passes with a
// ThresholdCalibrator attached -> thresholds -> sidecar. Chunks of `chunk` tokens are
// drawn from all files, shuffled with the seed, and run until max_tokens.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/progress.h"
#include "core/sha256.h"
#include "runtime/engine_impl.h"
#include "skim/sparsity.h"
#include "sparsity/calibration.h"
#include "sparsity/sidecar.h"

namespace skim {

Result<CalibrateReport> calibrate(const Engine& engine, const CalibrateOptions& opt, const std::string& out_path) {
  auto t0 = std::chrono::steady_clock::now();
  SparsityMethod method;
  if (opt.method == "teal") method = SparsityMethod::kTeal;
  else if (opt.method == "cats") method = SparsityMethod::kCats;
  else return make_error(fmt::format("unknown sparsity method '{}' (teal, cats)", opt.method));
  if (!(opt.sparsity >= 0.0 && opt.sparsity < 1.0)) return make_error(fmt::format("sparsity {} out of [0, 1)", opt.sparsity));
  if (opt.allocation != "uniform") return make_error(fmt::format("allocation '{}' is not implemented yet (uniform)", opt.allocation));
  if (opt.files.empty()) return make_error("no calibration files given");
  if (opt.chunk < 2 || opt.chunk > engine.info().n_ctx) return make_error(fmt::format("chunk {} out of range", opt.chunk));

  // Tokenize every file; cut into chunks.
  std::vector<std::vector<int32_t>> chunks;
  std::vector<std::string> files = opt.files;
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(fmt::format("cannot read calibration file '{}'", path));
    std::ostringstream ss;
    ss << in.rdbuf();
    auto toks = engine.tokenize(ss.str(), false, false);
    for (size_t i = 0; i + static_cast<size_t>(opt.chunk) <= toks.size(); i += static_cast<size_t>(opt.chunk)) {
      chunks.emplace_back(toks.begin() + static_cast<std::ptrdiff_t>(i),
                          toks.begin() + static_cast<std::ptrdiff_t>(i) + opt.chunk);
    }
  }
  if (chunks.empty()) return make_error("calibration text is shorter than one chunk");
  std::mt19937_64 rng(opt.seed);
  std::shuffle(chunks.begin(), chunks.end(), rng);
  const size_t n_use = std::min(chunks.size(), static_cast<size_t>((opt.max_tokens + opt.chunk - 1) / opt.chunk));

  const HParams& hp = EngineAccess::impl(engine).model->hparams();
  ThresholdCalibrator cal(hp.n_layer);
  auto session = engine.new_session(opt.chunk);
  EngineAccess::impl(*session).ws->set_observer(&cal);
  ProgressBar bar(fmt::format("calibrate {} {:.0f}%", opt.method, 100 * opt.sparsity), static_cast<int64_t>(n_use),
                  opt.progress);
  for (size_t c = 0; c < n_use; ++c) {
    SKIM_RETURN_IF_ERROR(session->eval_logits(chunks[c], 0, nullptr));
    bar.update(static_cast<int64_t>(c + 1), fmt::format("{} tokens", cal.tokens_seen()));
  }
  bar.finish(fmt::format("{} tokens", cal.tokens_seen()));
  EngineAccess::impl(*session).ws->set_observer(nullptr);

  SparsityConfig cfg;
  cfg.method = method;
  cfg.target = static_cast<float>(opt.sparsity);
  cfg.allocation = opt.allocation;
  cfg.thresholds = cal.uniform_thresholds(method, opt.sparsity);
  SKIM_TRY(cfg.model_sha256, sha256_file(engine.info().path));
  for (const auto& f : files) cfg.calibration_files.push_back(std::filesystem::path(f).filename().string());
  cfg.calibration_tokens = cal.tokens_seen();
  cfg.seed = opt.seed;
  SKIM_RETURN_IF_ERROR(save_sidecar(cfg, out_path));

  CalibrateReport r;
  r.tokens = cal.tokens_seen();
  r.sidecar_path = out_path;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace skim
