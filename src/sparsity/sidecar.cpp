// sidecar.cpp — sparsity sidecars as GGUF: write, and load with full validation (model hash, shapes).
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
    case SparsityMethod::kDejaVu: return "dejavu";
  }
  return "?";
}

const char* dejavu_mlp_name(DejaVuMlp m) {
  switch (m) {
    case DejaVuMlp::kNone: return "none";
    case DejaVuMlp::kPredictor: return "predictor";
    case DejaVuMlp::kCats: return "cats";
    case DejaVuMlp::kHybrid: return "hybrid";
  }
  return "?";
}

Result<DejaVuMlp> parse_dejavu_mlp(std::string_view s) {
  for (DejaVuMlp m : {DejaVuMlp::kNone, DejaVuMlp::kPredictor, DejaVuMlp::kCats, DejaVuMlp::kHybrid}) {
    if (s == dejavu_mlp_name(m)) return m;
  }
  return make_error(fmt::format("unknown dejavu MLP mode '{}' (none, predictor, cats, hybrid)", s));
}

namespace {
constexpr const char* kThresholdTensor = "skim.sparsity.thresholds";

std::span<const uint8_t> f32_bytes(const std::vector<float>& v) {
  return {reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(float)};
}

// kind: "mlp" or "head".
void add_predictor(gguf::Writer& w, const char* kind, int32_t layer, const LowRankPredictor& p) {
  const std::string base = fmt::format("dejavu.{}.{}.", kind, layer);
  w.add_tensor(base + "a", gguf::GgmlType::kF32, {p.rank, p.n_in}, f32_bytes(p.a));
  w.add_tensor(base + "bt", gguf::GgmlType::kF32, {p.rank, p.n_out}, f32_bytes(p.bt));
  w.add_tensor(base + "bias", gguf::GgmlType::kF32, {p.n_out}, f32_bytes(p.bias));
}

// Reads one predictor; its shapes are checked for self-consistency here and against the
// model in validate_dejavu.
Result<LowRankPredictor> read_predictor(const gguf::File& f, const char* kind, int32_t layer) {
  const std::string base = fmt::format("dejavu.{}.{}.", kind, layer);
  const gguf::TensorInfo* a = f.find_tensor(base + "a");
  const gguf::TensorInfo* bt = f.find_tensor(base + "bt");
  const gguf::TensorInfo* bias = f.find_tensor(base + "bias");
  if (!a || !bt || !bias) return make_error(fmt::format("missing tensor {}a/bt/bias", base));
  for (const gguf::TensorInfo* t : {a, bt, bias}) {
    if (t->type != static_cast<int32_t>(gguf::GgmlType::kF32)) return make_error(fmt::format("{} is not F32", t->name));
  }
  if (a->shape.size() != 2 || bt->shape.size() != 2 || bias->shape.size() != 1 || a->shape[0] != bt->shape[0] ||
      bt->shape[1] != bias->shape[0] || a->shape[0] <= 0 || a->shape[1] <= 0 || bt->shape[1] <= 0) {
    return make_error(fmt::format("{}: inconsistent predictor shapes", base));
  }
  LowRankPredictor p;
  p.rank = static_cast<int32_t>(a->shape[0]);
  p.n_in = static_cast<int32_t>(a->shape[1]);
  p.n_out = static_cast<int32_t>(bt->shape[1]);
  auto copy = [](const gguf::TensorInfo* t, std::vector<float>& v) {
    v.resize(static_cast<size_t>(t->n_elements()));
    std::memcpy(v.data(), t->data, v.size() * sizeof(float));
  };
  copy(a, p.a);
  copy(bt, p.bt);
  copy(bias, p.bias);
  return p;
}

Status check_predictor(const LowRankPredictor& p, int32_t n_in, int32_t n_out, const std::string& what) {
  if (p.n_in != n_in || p.n_out != n_out || p.rank <= 0) {
    return make_error(fmt::format("{} predictor is [{} -> {} -> {}], expected inputs {} and outputs {} for this model",
                                  what, p.n_in, p.rank, p.n_out, n_in, n_out));
  }
  if (p.a.size() != static_cast<size_t>(p.rank) * static_cast<size_t>(p.n_in) ||
      p.bt.size() != static_cast<size_t>(p.rank) * static_cast<size_t>(p.n_out) ||
      p.bias.size() != static_cast<size_t>(p.n_out)) {
    return make_error(fmt::format("{} predictor buffers do not match its shape", what));
  }
  for (const auto* v : {&p.a, &p.bt, &p.bias}) {
    for (float x : *v) {
      if (!std::isfinite(x)) return make_error(fmt::format("{} predictor has a non-finite weight", what));
    }
  }
  return {};
}
}  // namespace

Status validate_dejavu(const SparsityConfig& cfg, const SidecarModelDims& dims) {
  const DejaVuConfig& dv = cfg.dejavu;
  const char* mode = dejavu_mlp_name(dv.mlp_mode);
  if (cfg.n_layer() != dims.n_layer) {
    return make_error(fmt::format("dejavu has thresholds for {} layers, the model has {}", cfg.n_layer(), dims.n_layer));
  }
  // Thresholds: only the CATS site, and only when the MLP mode reads it.
  const bool uses_gate_threshold = dv.mlp_mode == DejaVuMlp::kCats || dv.mlp_mode == DejaVuMlp::kHybrid;
  bool any_gate_threshold = false;
  for (int32_t l = 0; l < cfg.n_layer(); ++l) {
    for (SparsitySite s : {SparsitySite::kQkvIn, SparsitySite::kOIn, SparsitySite::kGateUpIn}) {
      if (cfg.threshold(l, s) != 0.0f) {
        return make_error(fmt::format("dejavu sidecar has a TEAL threshold in layer {} (Deja Vu combines with CATS only)", l));
      }
    }
    const float t = cfg.threshold(l, SparsitySite::kDownIn);
    if (t != 0.0f && !uses_gate_threshold) {
      return make_error(fmt::format("dejavu MLP mode '{}' has a CATS threshold in layer {} (inconsistent sidecar)", mode, l));
    }
    any_gate_threshold = any_gate_threshold || t > 0.0f;
  }
  if (uses_gate_threshold && !any_gate_threshold) {
    return make_error(fmt::format("dejavu MLP mode '{}' needs CATS thresholds, but every layer's is zero", mode));
  }
  if (dv.mlp_predicted()) {
    if (!(dv.keep > 0.0f && dv.keep <= 1.0f)) return make_error(fmt::format("dejavu keep fraction {} out of (0, 1]", dv.keep));
    if (static_cast<int32_t>(dv.mlp.size()) != dims.n_layer) {
      return make_error(fmt::format("dejavu has MLP predictors for {} layers, the model has {}", dv.mlp.size(), dims.n_layer));
    }
    for (int32_t l = 0; l < dims.n_layer; ++l) {
      const LowRankPredictor& p = dv.mlp[static_cast<size_t>(l)];
      SKIM_RETURN_IF_ERROR(check_predictor(p, dims.n_embd, dims.n_ff, fmt::format("layer {} MLP", l)));
      if (p.rank != dv.rank) return make_error(fmt::format("layer {} MLP predictor has rank {}, not {}", l, p.rank, dv.rank));
    }
  } else if (!dv.mlp.empty()) {
    return make_error(fmt::format("dejavu MLP mode '{}' carries MLP predictors (inconsistent sidecar)", mode));
  }
  if (dv.heads.empty()) {
    if (dv.mlp_mode == DejaVuMlp::kNone || dv.mlp_mode == DejaVuMlp::kCats) {
      return make_error(fmt::format("dejavu MLP mode '{}' without head predictors skips nothing Deja Vu predicts", mode));
    }
    return {};
  }
  if (!(dv.head_keep > 0.0f && dv.head_keep <= 1.0f)) {
    return make_error(fmt::format("dejavu head keep fraction {} out of (0, 1]", dv.head_keep));
  }
  if (static_cast<int32_t>(dv.heads.size()) != dims.n_layer) {
    return make_error(fmt::format("dejavu has head predictors for {} layers, the model has {}", dv.heads.size(), dims.n_layer));
  }
  for (int32_t l = 0; l < dims.n_layer; ++l) {
    const LowRankPredictor& p = dv.heads[static_cast<size_t>(l)];
    SKIM_RETURN_IF_ERROR(check_predictor(p, dims.n_embd, dims.n_head, fmt::format("layer {} head", l)));
    if (p.rank != dv.head_rank) {
      return make_error(fmt::format("layer {} head predictor has rank {}, not {}", l, p.rank, dv.head_rank));
    }
  }
  return {};
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
  if (cfg.method == SparsityMethod::kDejaVu) {
    const DejaVuConfig& dv = cfg.dejavu;
    const size_t L = static_cast<size_t>(cfg.n_layer());
    if ((dv.mlp_predicted() ? dv.mlp.size() != L : !dv.mlp.empty()) || (!dv.heads.empty() && dv.heads.size() != L)) {
      return make_error(fmt::format("dejavu sidecar: predictors do not match MLP mode '{}' and {} layers",
                                    dejavu_mlp_name(dv.mlp_mode), L));
    }
    w.add_string("skim.sparsity.dejavu.mlp", dejavu_mlp_name(dv.mlp_mode));
    w.add_u32("skim.sparsity.dejavu.rank", static_cast<uint32_t>(dv.mlp_predicted() ? dv.rank : 0));
    w.add_u32("skim.sparsity.dejavu.head_rank", static_cast<uint32_t>(dv.heads.empty() ? 0 : dv.head_rank));
    w.add_f32("skim.sparsity.dejavu.keep", dv.keep);
    w.add_f32("skim.sparsity.dejavu.head_keep", dv.head_keep);
    w.add_bool("skim.sparsity.dejavu.lookahead", dv.lookahead);
    w.add_f32_array("skim.sparsity.dejavu.mlp_recall", dv.mlp_recall);
    w.add_f32_array("skim.sparsity.dejavu.head_recall", dv.head_recall);
    for (int32_t l = 0; l < cfg.n_layer(); ++l) {
      if (dv.mlp_predicted()) add_predictor(w, "mlp", l, dv.mlp[static_cast<size_t>(l)]);
      if (!dv.heads.empty()) add_predictor(w, "head", l, dv.heads[static_cast<size_t>(l)]);
    }
  }
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
  else if (method == "dejavu") cfg.method = SparsityMethod::kDejaVu;
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
  if (cfg.method == SparsityMethod::kDejaVu) {
    DejaVuConfig& dv = cfg.dejavu;
    // Sidecars from before the MLP modes have no key: the MLP predictor.
    std::string_view mode = "predictor";
    if (f.find("skim.sparsity.dejavu.mlp")) {
      SKIM_TRY(mode, f.get_string("skim.sparsity.dejavu.mlp"));
    }
    auto mm = parse_dejavu_mlp(mode);
    if (!mm) return fail(mm.error().message);
    dv.mlp_mode = *mm;
    SKIM_TRY(int64_t rank, f.get_int("skim.sparsity.dejavu.rank"));
    SKIM_TRY(int64_t head_rank, f.get_int_or("skim.sparsity.dejavu.head_rank", 0));
    SKIM_TRY(double keep, f.get_float("skim.sparsity.dejavu.keep"));
    SKIM_TRY(double head_keep, f.get_float_or("skim.sparsity.dejavu.head_keep", 0.0));
    SKIM_TRY(bool lookahead, f.get_bool_or("skim.sparsity.dejavu.lookahead", false));
    if (expected_layers < 1) return fail("dejavu sidecar for a model without layers");
    if ((dv.mlp_predicted() ? rank <= 0 : rank != 0) || rank > (1 << 16) || head_rank < 0 || head_rank > (1 << 16)) {
      return fail(fmt::format("dejavu rank {} out of range for MLP mode '{}'", rank, mode));
    }
    dv.rank = static_cast<int32_t>(rank);
    dv.head_rank = static_cast<int32_t>(head_rank);
    dv.keep = static_cast<float>(keep);
    dv.head_keep = static_cast<float>(head_keep);
    dv.lookahead = lookahead;
    for (auto [key, out] : {std::pair{"skim.sparsity.dejavu.mlp_recall", &dv.mlp_recall},
                            std::pair{"skim.sparsity.dejavu.head_recall", &dv.head_recall}}) {
      if (!f.find(key)) continue;
      SKIM_TRY(const gguf::Array* arr, f.get_array(key, gguf::ValueType::kFloat32));
      for (const auto& v : arr->items) out->push_back(static_cast<float>(*v.as_float()));
    }
    for (int32_t l = 0; l < expected_layers; ++l) {
      if (dv.mlp_predicted()) {
        auto p = read_predictor(f, "mlp", l);
        if (!p) return fail(p.error().message);
        dv.mlp.push_back(std::move(*p));
      } else if (f.find_tensor(fmt::format("dejavu.mlp.{}.a", l))) {
        return fail(fmt::format("dejavu MLP mode '{}' carries MLP predictor tensors (inconsistent sidecar)", mode));
      }
      if (dv.head_rank > 0) {
        auto h = read_predictor(f, "head", l);
        if (!h) return fail(h.error().message);
        dv.heads.push_back(std::move(*h));
      }
    }
    // Without the model's sizes, check what the file itself implies.
    const LowRankPredictor* any = !dv.mlp.empty() ? &dv.mlp.front() : !dv.heads.empty() ? &dv.heads.front() : nullptr;
    SidecarModelDims self{expected_layers, any ? any->n_in : 0, dv.mlp.empty() ? 0 : dv.mlp.front().n_out,
                          dv.heads.empty() ? 0 : dv.heads.front().n_out};
    if (auto st = validate_dejavu(cfg, self); !st) return fail(st.error().message);
  }
  return cfg;
}

Result<SparsityConfig> load_sidecar(const std::string& path, const std::string& expected_sha256,
                                    const SidecarModelDims& dims) {
  SKIM_TRY(SparsityConfig cfg, load_sidecar(path, expected_sha256, dims.n_layer));
  if (cfg.method == SparsityMethod::kDejaVu) {
    if (auto st = validate_dejavu(cfg, dims); !st) {
      return make_error(fmt::format("sparsity sidecar {}: {}", path, st.error().message));
    }
  }
  return cfg;
}

}  // namespace skim
