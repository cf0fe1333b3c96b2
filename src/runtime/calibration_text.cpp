// calibration_text.cpp — the calibration text of include/skim/sparsity.h as token
// sequences: chunks of text files (shuffled with the seed), or text the model writes itself
// (runtime/self_text.h). Both calibration drivers (thresholds, Deja Vu) read it here.
#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "runtime/self_text.h"
#include "skim/sparsity.h"

namespace skim {

namespace {

Result<CalibrationText> file_chunks(const Engine& engine, const CalibrationTextOptions& opt) {
  if (opt.files.empty()) return make_error("no calibration files given");
  std::vector<std::string> files = opt.files;
  std::sort(files.begin(), files.end());
  std::vector<std::vector<int32_t>> chunks;
  const auto n = static_cast<size_t>(opt.chunk);
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(fmt::format("cannot read calibration file '{}'", path));
    std::ostringstream ss;
    ss << in.rdbuf();
    const auto toks = engine.tokenize(ss.str(), false, false);
    for (size_t i = 0; i + n <= toks.size(); i += n) {
      chunks.emplace_back(toks.begin() + static_cast<std::ptrdiff_t>(i), toks.begin() + static_cast<std::ptrdiff_t>(i + n));
    }
  }
  if (chunks.empty()) return make_error("calibration text is shorter than one chunk");
  std::mt19937_64 rng(opt.seed);
  std::shuffle(chunks.begin(), chunks.end(), rng);
  chunks.resize(std::min(chunks.size(), static_cast<size_t>((opt.max_tokens + opt.chunk - 1) / opt.chunk)));
  CalibrationText t;
  t.tokens = static_cast<int64_t>(chunks.size()) * opt.chunk;
  t.sequences = std::move(chunks);
  return t;
}

}  // namespace

Result<CalibrationText> calibration_text(const Engine& engine, const CalibrationTextOptions& opt) {
  if (opt.chunk < 2 || opt.chunk > engine.info().n_ctx) return make_error(fmt::format("chunk {} out of range", opt.chunk));
  if (opt.max_tokens < 1) return make_error("calibration tokens must be >= 1");
  switch (opt.source) {
    case CalibrationSource::kFiles: return file_chunks(engine, opt);
    case CalibrationSource::kSelf: {
      SKIM_TRY(auto seqs, generate_self_text(engine, SelfTextOptions{opt.max_tokens, opt.chunk, opt.seed, opt.progress}));
      CalibrationText t;
      for (const auto& s : seqs) t.tokens += static_cast<int64_t>(s.size());
      t.sequences = std::move(seqs);
      return t;
    }
  }
  return make_error("unknown calibration source");
}

std::vector<std::string> calibration_provenance(const CalibrationTextOptions& opt) {
  if (opt.source == CalibrationSource::kSelf) return {"self"};
  std::vector<std::string> files = opt.files;
  std::sort(files.begin(), files.end());  // the order file_chunks reads them in
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(std::filesystem::path(f).filename().string());
  return names;
}

}  // namespace skim
