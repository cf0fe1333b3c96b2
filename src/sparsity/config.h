// config.h — what a sparsity method needs at inference time, as calibrated: the method,
// the target, per-layer thresholds, and the provenance that ties it to one model.
//
// Threshold sites (one float each per layer; a value <= 0 means "dense at this site"):
//   kQkvIn     TEAL: |x| of the attention block's normed input (shared by q, k, v)
//   kOIn       TEAL: |x| of the attention output (input of o)
//   kGateUpIn  TEAL: |x| of the MLP block's normed input (shared by gate, up)
//   kDownIn    TEAL: |x| of silu(gate)*up (input of down);
//              CATS: |silu(gate)| (a neuron is computed when above it)
// Deja Vu keeps a fixed top-k per layer chosen by trained low-rank predictors (DejaVuConfig
// below); its thresholds are zero ("dense at every site") except kDownIn when its MLP mode
// is CATS (the combined method: Deja Vu heads + CATS neurons).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace skim {

enum class SparsityMethod { kDense = 0, kTeal = 1, kCats = 2, kDejaVu = 3 };

enum class SparsitySite { kQkvIn = 0, kOIn = 1, kGateUpIn = 2, kDownIn = 3 };
inline constexpr int kNumSparsitySites = 4;

const char* method_name(SparsityMethod m);

// A low-rank linear scorer: scores = btᵀ·(a·x) + bias, fp32.
//   a    [rank, n_in]   row-major
//   bt   [rank, n_out]  row-major (Bᵀ: scoring is `rank` axpys of length n_out)
//   bias [n_out]
struct LowRankPredictor {
  int32_t n_in = 0, rank = 0, n_out = 0;
  std::vector<float> a, bt, bias;
  bool empty() const { return rank == 0; }
};

// How a Deja Vu sidecar treats the MLP:
//   kNone       dense MLP (heads only)
//   kPredictor  the MLP predictor's top round(keep * n_ff) neurons (Deja Vu proper)
//   kCats       CATS: |silu(gate)| above the layer's kDownIn threshold (combined method)
//   kHybrid     the predictor's top-k picks the gate rows to compute; of those, neurons with
//               |silu(gate)| above the kDownIn threshold get their up row and down column
enum class DejaVuMlp { kNone = 0, kPredictor = 1, kCats = 2, kHybrid = 3 };
const char* dejavu_mlp_name(DejaVuMlp m);

// Deja Vu: per layer, an MLP-neuron predictor (n_in = n_embd, n_out = n_ff) whose top
// round(keep * n_ff) neurons are computed, and optionally an attention-head predictor
// (n_out = n_head) whose top round(head_keep * n_head) query heads are computed (K/V stay
// dense: the cache must hold every KV head for later tokens). With lookahead, layer l's
// predictors read layer l-1's input at the same site (MLP: normed MLP input; heads: normed
// attention input); layer 0 reads its own.
struct DejaVuConfig {
  DejaVuMlp mlp_mode = DejaVuMlp::kPredictor;
  int32_t rank = 0;            // MLP predictor rank (0 when mlp_mode has no predictor)
  int32_t head_rank = 0;       // head predictor rank (0: no head predictors)
  float keep = 0.0f;           // kept fraction of MLP neurons, (0, 1]
  float head_keep = 0.0f;      // kept fraction of query heads, (0, 1]
  bool lookahead = false;
  std::vector<LowRankPredictor> mlp;    // [n_layer] (kPredictor, kHybrid), else empty
  std::vector<LowRankPredictor> heads;  // [n_layer], or empty
  bool mlp_predicted() const { return mlp_mode == DejaVuMlp::kPredictor || mlp_mode == DejaVuMlp::kHybrid; }
  std::vector<float> mlp_recall;        // [n_layer] held-apart recall@k at training time (report only)
  std::vector<float> head_recall;       // [n_layer] or empty
};

struct SparsityConfig {
  SparsityMethod method = SparsityMethod::kDense;
  float target = 0.0f;  // requested sparsity in [0, 1)
  std::string allocation = "uniform";  // "uniform" or "greedy" (per-layer allocation)
  // [n_layer][kNumSparsitySites]
  std::vector<std::array<float, kNumSparsitySites>> thresholds;

  // Provenance: the model it was calibrated for and how.
  std::string model_sha256;
  std::vector<std::string> calibration_files;
  int64_t calibration_tokens = 0;
  uint64_t seed = 0;

  DejaVuConfig dejavu;  // method == kDejaVu only

  int32_t n_layer() const { return static_cast<int32_t>(thresholds.size()); }
  // The MLP takes CATS's path (dense gate, thresholded up/down): CATS, or Deja Vu + CATS.
  bool cats_mlp() const {
    return method == SparsityMethod::kCats || (method == SparsityMethod::kDejaVu && dejavu.mlp_mode == DejaVuMlp::kCats);
  }
  // Deja Vu query-head predictors are applied.
  bool dejavu_heads() const { return method == SparsityMethod::kDejaVu && !dejavu.heads.empty(); }
  float threshold(int32_t layer, SparsitySite s) const {
    return thresholds[static_cast<size_t>(layer)][static_cast<size_t>(s)];
  }
};

}  // namespace skim
