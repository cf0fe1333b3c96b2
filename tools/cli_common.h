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

#include "skim/engine.h"
#include "skim/model_store.h"

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

// ../shared/data next to the repository that holds this binary (build/skim), else the
// working directory's ../shared/data or shared/data; "../shared/data" if none exists.
inline std::string shared_data_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (fs::path p : {exe.parent_path() / "../../shared/data", fs::path("../shared/data"), fs::path("shared/data")}) {
    if (fs::is_directory(p, ec)) return fs::weakly_canonical(p, ec).string();
  }
  return "../shared/data";
}

// The *.txt files of a directory, canonical paths, sorted (empty if none or unreadable).
inline std::vector<std::string> text_files(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".txt") files.push_back(fs::weakly_canonical(e.path(), ec).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Default calibration text: every file in <shared data>/calibration (never evaluation data).
inline std::vector<std::string> default_calibration_files() {
  return text_files(std::filesystem::path(shared_data_dir()) / "calibration");
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
