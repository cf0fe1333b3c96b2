// cli_common.h — pieces shared by the subcommands: model/thread/context options, sampling
// flags, engine loading with one-line errors, and the registration signature.
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "skim/data.h"
#include "skim/engine.h"
#include "skim/model_store.h"
#include "skim/sparsity.h"

namespace skim::cli {

// Every subcommand file exposes `void add_<name>(CLI::App& root, int& exit_code)`.
struct ModelOptions {
  std::string model;  // path or known model name; empty = default model (pulled if missing)
  int32_t threads = 0;
  int32_t ctx = 0;
  int32_t batch = 512;
  std::string sparsity;  // sidecar file
  std::string numerics = "exact";  // "exact" | "fast" (EngineOptions::numerics)
};

// Calibration text from `--data`: "self" (text the model writes itself), the files given,
// or, with none given, the corpus the data lookup finds (<data>/calibration/*.txt: see
// skim/data.h); with no corpus anywhere, self-generated text, said on stderr.
inline Status resolve_calibration_data(std::vector<std::string>& data, CalibrationSource& source) {
  const bool self = std::find(data.begin(), data.end(), "self") != data.end();
  if (self && data.size() > 1) return make_error("--data self takes no files beside it");
  source = self ? CalibrationSource::kSelf : CalibrationSource::kFiles;
  if (self) {
    data.clear();
    return {};
  }
  if (!data.empty()) return {};
  data = default_calibration_files();
  if (data.empty()) {
    source = CalibrationSource::kSelf;
    fmt::print(stderr, "calibrate: no calibration text found (no --data; no calibration/*.txt: {}); calibrating on text the "
               "model generates itself (--data self)\n",
               data_lookup_summary());
  }
  return {};
}

// The data folder for files under it (`needed`, relative paths): `--data-dir` when given,
// else the data lookup's (skim/data.h). Errors name the first missing file and how to
// provide it.
inline Result<std::string> data_dir_holding(const std::string& flag_dir, const std::vector<std::string>& needed) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& rel : needed) {
    if (flag_dir.empty()) {
      SKIM_TRY(std::string found, find_data(rel, "pass --data-dir DIR (a folder holding it)"));
      (void)found;
    } else if (!fs::is_regular_file(fs::path(flag_dir) / rel, ec)) {
      return make_error(fmt::format("{} not found in {} (--data-dir)", rel, flag_dir));
    }
  }
  return flag_dir.empty() ? find_data_root().dir : flag_dir;
}

inline void add_model_options(CLI::App* app, ModelOptions& o, bool with_sparsity = true) {
  app->add_option("-m,--model", o.model, "GGUF file or known model name (default: smollm2-135m, pulled if missing)");
  app->add_option("-t,--threads", o.threads, "threads (default: physical cores)")->check(CLI::Range(0, 1024));
  app->add_option("-c,--ctx-size", o.ctx, "context size (default: the model's, capped to it)")->check(CLI::NonNegativeNumber);
  app->add_option("-b,--batch-size", o.batch, "tokens per forward pass during prompt processing")->check(CLI::Range(1, 8192));
  if (with_sparsity) {
    app->add_option("--sparsity", o.sparsity, "sparsity sidecar from `skim calibrate` (decode skips work)");
  }
  app->add_option("--numerics", o.numerics,
                  "dense products: exact = ggml's order, bitwise llama.cpp; fast = one accumulator per output "
                  "(faster prompt processing and batched decode; not llama.cpp's numbers bit for bit)")
      ->check(CLI::IsMember({"exact", "fast"}))
      ->capture_default_str();
}

inline void add_sampling_options(CLI::App* app, SamplingOptions& s) {
  app->add_option("--temp", s.temperature, "temperature (0 = greedy)");
  app->add_option("--top-k", s.top_k, "top-k (0 = off)");
  app->add_option("--top-p", s.top_p, "top-p (1 = off)");
  app->add_option("--min-p", s.min_p, "min-p (0 = off)");
  app->add_option("--repeat-penalty", s.repeat_penalty, "repetition penalty (1 = off)");
  app->add_option("--frequency-penalty", s.frequency_penalty, "frequency penalty");
  app->add_option("--presence-penalty", s.presence_penalty, "presence penalty");
  app->add_option("--repeat-last-n", s.penalty_last_n, "tokens considered by the penalties");
  app->add_option("-s,--seed", s.seed, "random seed");
}

inline int fail(const std::string& message) {
  fmt::print(stderr, "error: {}\n", message);
  return 1;
}

// Resolves the model (pulling the default if needed) and loads it.
inline Result<Engine> load_engine(const ModelOptions& o) {
  SKIM_TRY(std::string path, resolve_model(o.model));
  EngineOptions eo;
  eo.model_path = path;
  eo.n_threads = o.threads;
  eo.n_ctx = o.ctx;
  eo.n_batch = o.batch;
  eo.sparsity_path = o.sparsity;
  eo.numerics = o.numerics == "fast" ? Numerics::kFast : Numerics::kExact;
  return Engine::load(eo);
}

inline Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(fmt::format("cannot read '{}'", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Interprets backslash escapes (\n, \t, \\) in -p prompts, as llama.cpp's CLI does.
inline std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      switch (s[i + 1]) {
        case 'n': out += '\n'; ++i; continue;
        case 't': out += '\t'; ++i; continue;
        case '\\': out += '\\'; ++i; continue;
        case '"': out += '"'; ++i; continue;
        default: break;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace skim::cli
