#include "sparsity/sidecar.h"

#include <fmt/core.h>

#include <cmath>
#include <cstring>

#include "format/gguf/gguf_file.h"
#include "format/gguf/gguf_writer.h"

namespace skim {

const char* method_name(SparsityMethod m) {
  switch (m) {
    case SparsityMethod::kDense: return "dense";
    case SparsityMethod::kTeal: return "teal";
    case SparsityMethod::kCats: return "cats";
  }
  return "?";
}

namespace {
constexpr const char* kThresholdTensor = "skim.sparsity.thresholds";
}

Status save_sidecar(const SparsityConfig& cfg, const std::string& path) {
  gguf::Writer w;
  w.add_string("general.architecture", "skim-sparsity");
  w.add_string("skim.sparsity.method", method_name(cfg.method));
  w.add_f32("skim.sparsity.target", cfg.target);
  w.add_string("skim.sparsity.allocation", cfg.allocation);
  w.add_string("skim.sparsity.model_sha256", cfg.model_sha256);
  w.add_string_array("skim.sparsity.calibration_files", cfg.calibration_files);
  w.add_u64("skim.sparsity.calibration_tokens", static_cast<uint64_t>(cfg.calibration_tokens));
  w.add_u64("skim.sparsity.seed", cfg.seed);
  std::vector<float> flat;
  for (const auto& row : cfg.thresholds) flat.insert(flat.end(), row.begin(), row.end());
  w.add_tensor(kThresholdTensor, gguf::GgmlType::kF32, {cfg.n_layer(), kNumSparsitySites},
               {reinterpret_cast<const uint8_t*>(flat.data()), flat.size() * sizeof(float)});
  return w.write(path);
}

Result<SparsityConfig> load_sidecar(const std::string& path, const std::string& expected_sha256,
                                    int32_t expected_layers) {
  auto fr = gguf::File::open(path);
  if (!fr) return make_error("sparsity sidecar " + fr.error().message);
  const gguf::File& f = *fr;
  auto fail = [&](const std::string& m) { return make_error(fmt::format("sparsity sidecar {}: {}", path, m)); };
  auto arch = f.get_string("general.architecture");
  if (!arch || *arch != "skim-sparsity") return fail("not a skim sparsity sidecar");
  SparsityConfig cfg;
  SKIM_TRY(std::string_view method, f.get_string("skim.sparsity.method"));
  if (method == "teal") cfg.method = SparsityMethod::kTeal;
  else if (method == "cats") cfg.method = SparsityMethod::kCats;
  else if (method == "dense") cfg.method = SparsityMethod::kDense;
  else return fail(fmt::format("unknown method '{}'", method));
  SKIM_TRY(double target, f.get_float("skim.sparsity.target"));
  if (!(target >= 0.0 && target < 1.0)) return fail(fmt::format("target sparsity {} out of [0, 1)", target));
  cfg.target = static_cast<float>(target);
  SKIM_TRY(std::string_view alloc, f.get_string("skim.sparsity.allocation"));
  cfg.allocation = std::string(alloc);
  SKIM_TRY(std::string_view sha, f.get_string("skim.sparsity.model_sha256"));
  cfg.model_sha256 = std::string(sha);
  if (!expected_sha256.empty() && cfg.model_sha256 != expected_sha256) {
    return fail(fmt::format("made for model sha256 {}, but this model is {}", cfg.model_sha256.substr(0, 16),
                            expected_sha256.substr(0, 16)));
  }
  SKIM_TRY(const gguf::Array* files, f.get_array("skim.sparsity.calibration_files", gguf::ValueType::kString));
  for (const auto& v : files->items) cfg.calibration_files.emplace_back(*v.as_string());
  SKIM_TRY(int64_t ntok, f.get_int("skim.sparsity.calibration_tokens"));
  cfg.calibration_tokens = ntok;
  SKIM_TRY(int64_t seed, f.get_int_or("skim.sparsity.seed", 0));
  cfg.seed = static_cast<uint64_t>(seed);

  const gguf::TensorInfo* t = f.find_tensor(kThresholdTensor);
  if (!t) return fail("missing the thresholds tensor");
  if (t->type != 0 || t->shape != std::vector<int64_t>{expected_layers, kNumSparsitySites}) {
    return fail(fmt::format("thresholds have shape {}x{}, expected {}x{} for this model",
                            t->shape.empty() ? 0 : t->shape[0], t->shape.size() > 1 ? t->shape[1] : 0,
                            expected_layers, kNumSparsitySites));
  }
  cfg.thresholds.resize(static_cast<size_t>(expected_layers));
  for (int32_t l = 0; l < expected_layers; ++l) {
    std::memcpy(cfg.thresholds[static_cast<size_t>(l)].data(), t->data + static_cast<size_t>(l) * 16, 16);
    for (float x : cfg.thresholds[static_cast<size_t>(l)]) {
      if (!std::isfinite(x)) return fail(fmt::format("non-finite threshold in layer {}", l));
    }
  }
  return cfg;
}

}  // namespace skim
