// greedy.cpp — greedy allocation of TEAL sparsity over (layer, site) and the block-output
// error tables it runs on (see greedy.h). Everything here is deterministic for a given
// seed and calibration text: reservoirs use their own seeded generators, the kernels'
// row dots do not depend on the thread count, and errors are summed serially in double.
#include "sparsity/greedy.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace skim {

// ---- the allocator --------------------------------------------------------------------

GreedyAllocation greedy_allocate(std::span<const GreedySite> sites, double step, double target) {
  GreedyAllocation a;
  a.level.assign(sites.size(), 0);
  double total_w = 0.0;
  for (const auto& s : sites) total_w += s.weight;
  if (sites.empty() || !(total_w > 0.0) || !(step > 0.0)) return a;
  double weighted = 0.0;  // Σ weight · sparsity
  // Stop a hair below the target so that k·step arithmetic does not take one extra step.
  const double goal = target * total_w - 1e-9 * total_w;
  while (weighted < goal) {
    size_t best = sites.size();
    double best_cost = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < sites.size(); ++i) {
      const auto& s = sites[i];
      const size_t k = static_cast<size_t>(a.level[i]);
      if (k + 1 >= s.error.size() || !(s.weight > 0.0)) continue;
      // Error added per unit of parameter-weighted sparsity gained.
      const double cost = (s.error[k + 1] - s.error[k]) / s.weight;
      if (cost < best_cost) {
        best_cost = cost;
        best = i;
      }
    }
    if (best == sites.size()) break;  // every site is at its last level
    ++a.level[best];
    weighted += sites[best].weight * step;
    ++a.steps;
  }
  a.sparsity = weighted / total_w;
  return a;
}

// ---- row sampling -----------------------------------------------------------------------

namespace {
// The TEAL site an observed activation belongs to (-1: none; kGate is CATS-only).
int teal_site_of(ActivationSite s) {
  switch (s) {
    case ActivationSite::kAttnIn: return static_cast<int>(SparsitySite::kQkvIn);
    case ActivationSite::kOIn: return static_cast<int>(SparsitySite::kOIn);
    case ActivationSite::kMlpIn: return static_cast<int>(SparsitySite::kGateUpIn);
    case ActivationSite::kDownIn: return static_cast<int>(SparsitySite::kDownIn);
    default: return -1;
  }
}
}  // namespace

ActivationSite teal_histogram_site(SparsitySite s) {
  switch (s) {
    case SparsitySite::kQkvIn: return ActivationSite::kAttnIn;
    case SparsitySite::kOIn: return ActivationSite::kOIn;
    case SparsitySite::kGateUpIn: return ActivationSite::kMlpIn;
    case SparsitySite::kDownIn: return ActivationSite::kDownIn;
  }
  return ActivationSite::kAttnIn;
}

GreedyRowSampler::GreedyRowSampler(int32_t n_layer, int32_t rows, uint64_t seed, ActivationObserver* next,
                                   int32_t skip_first)
    : rows_(std::max(1, rows)), skip_first_(std::max(0, skip_first)), next_(next), res_(static_cast<size_t>(n_layer)) {
  for (int32_t l = 0; l < n_layer; ++l) {
    for (int s = 0; s < kNumSparsitySites; ++s) {
      res_[static_cast<size_t>(l)][static_cast<size_t>(s)].rng.seed(seed * 1000003ULL +
                                                                    static_cast<uint64_t>(l * kNumSparsitySites + s));
    }
  }
}

void GreedyRowSampler::observe(int32_t layer, ActivationSite site, const float* x, int32_t T, int32_t n) {
  if (next_) next_->observe(layer, site, x, T, n);
  const int s = teal_site_of(site);
  if (s < 0 || layer < 0 || layer >= static_cast<int32_t>(res_.size())) return;
  Reservoir& r = res_[static_cast<size_t>(layer)][static_cast<size_t>(s)];
  if (r.width == 0) {
    r.width = n;
    r.data.assign(static_cast<size_t>(rows_) * static_cast<size_t>(n), 0.0f);
  }
  if (r.width != n) return;  // shapes are fixed per site; ignore anything else
  for (int32_t t = skip_first_; t < T; ++t) {
    int64_t slot = -1;
    if (r.seen < rows_) {
      slot = r.seen;
    } else {
      std::uniform_int_distribution<int64_t> d(0, r.seen);
      const int64_t j = d(r.rng);
      if (j < rows_) slot = j;
    }
    ++r.seen;
    if (slot < 0) continue;
    std::copy_n(x + static_cast<size_t>(t) * static_cast<size_t>(n), n,
                r.data.begin() + static_cast<std::ptrdiff_t>(slot * n));
    r.kept = static_cast<int32_t>(std::min<int64_t>(r.seen, rows_));
  }
}

const std::vector<float>& GreedyRowSampler::sample(int32_t layer, SparsitySite site) const {
  return res_[static_cast<size_t>(layer)][static_cast<size_t>(site)].data;
}
int32_t GreedyRowSampler::count(int32_t layer, SparsitySite site) const {
  return res_[static_cast<size_t>(layer)][static_cast<size_t>(site)].kept;
}
int32_t GreedyRowSampler::width(int32_t layer, SparsitySite site) const {
  return res_[static_cast<size_t>(layer)][static_cast<size_t>(site)].width;
}

// ---- error tables -------------------------------------------------------------------------

namespace {

// y [T, Σ rows] = x [T, cols] through each matrix in turn, outputs concatenated per row.
class Projector {
 public:
  Projector(const kernels::KernelTable& kt, ThreadPool& pool) : kt_(kt), pool_(pool) {}

  void run(const TensorView& w, const float* x, int64_t T, std::vector<float>& y) {
    scratch_.resize(std::max<size_t>(scratch_.size(), kernels::matmul_scratch_bytes(w.type, w.cols(), T)));
    y.resize(static_cast<size_t>(T * w.rows()));
    kernels::matmul(kt_, pool_, w, x, y.data(), T, scratch_);
  }

  // The MLP block output for input rows x [T, d]: down(silu(gate x) · up x) -> y [T, d].
  void mlp(const LayerMatrices& L, const float* x, int64_t T, std::vector<float>& y) {
    run(L.w_gate, x, T, g_);
    run(L.w_up, x, T, u_);
    for (size_t i = 0; i < g_.size(); ++i) g_[i] = g_[i] / (1.0f + std::exp(-g_[i])) * u_[i];
    run(L.w_down, g_.data(), T, y);
  }

 private:
  const kernels::KernelTable& kt_;
  ThreadPool& pool_;
  std::vector<uint8_t> scratch_;
  std::vector<float> g_, u_;
};

}  // namespace

Result<std::vector<GreedySite>> greedy_error_tables(const kernels::KernelTable& kt, ThreadPool& pool,
                                                    std::span<const LayerMatrices> layers,
                                                    const GreedyRowSampler& rows, const ThresholdCalibrator& hist,
                                                    const GreedyTableOptions& opt,
                                                    const std::function<void(int32_t)>& on_layer) {
  if (!(opt.step > 0.0) || opt.max_level < 1 || opt.step * opt.max_level >= 1.0) {
    return make_error(fmt::format("greedy: step {} x {} levels must stay below sparsity 1", opt.step, opt.max_level));
  }
  const int32_t n_layer = static_cast<int32_t>(layers.size());
  const int32_t K = opt.max_level;
  std::vector<GreedySite> sites(static_cast<size_t>(n_layer) * kNumSparsitySites);
  Projector P(kt, pool);
  std::vector<float> xm, y_dense, y_masked, part;

  for (int32_t l = 0; l < n_layer; ++l) {
    const LayerMatrices& L = layers[static_cast<size_t>(l)];
    for (int s = 0; s < kNumSparsitySites; ++s) {
      const auto site = static_cast<SparsitySite>(s);
      const int32_t R = rows.count(l, site);
      const int32_t n = rows.width(l, site);
      if (R == 0) return make_error(fmt::format("greedy: no calibration rows for layer {} site {}", l, s));
      const std::vector<float>& X = rows.sample(l, site);
      const MagnitudeHistogram& H = hist.histogram(l, teal_histogram_site(site));
      // Block output of rows x [T, n] into y [T, out].
      auto block = [&](const float* x, int64_t T, std::vector<float>& y) {
        switch (site) {
          case SparsitySite::kQkvIn: {
            const int64_t nq = L.wq.rows(), nk = L.wk.rows(), nv = L.wv.rows(), w = nq + nk + nv;
            y.assign(static_cast<size_t>(T * w), 0.0f);
            int64_t col = 0;
            for (const TensorView* m : {&L.wq, &L.wk, &L.wv}) {
              P.run(*m, x, T, part);
              for (int64_t t = 0; t < T; ++t) {
                std::copy_n(part.begin() + t * m->rows(), m->rows(), y.begin() + t * w + col);
              }
              col += m->rows();
            }
            break;
          }
          case SparsitySite::kOIn: P.run(L.wo, x, T, y); break;
          case SparsitySite::kGateUpIn: P.mlp(L, x, T, y); break;
          case SparsitySite::kDownIn: P.run(L.w_down, x, T, y); break;
        }
      };
      const size_t rn = static_cast<size_t>(R) * static_cast<size_t>(n);
      block(X.data(), R, y_dense);
      const size_t out = y_dense.size() / static_cast<size_t>(R);
      // All K masked copies in one batch: xm [K * R, n].
      xm.resize(static_cast<size_t>(K) * rn);
      for (int32_t k = 1; k <= K; ++k) {
        const float t = H.quantile(opt.step * k);
        float* dst = xm.data() + static_cast<size_t>(k - 1) * rn;
        for (size_t i = 0; i < rn; ++i) dst[i] = std::fabs(X[i]) > t ? X[i] : 0.0f;
      }
      block(xm.data(), static_cast<int64_t>(K) * R, y_masked);
      GreedySite& g = sites[static_cast<size_t>(l * kNumSparsitySites + s)];
      g.error.assign(static_cast<size_t>(K) + 1, 0.0);
      for (int32_t k = 1; k <= K; ++k) {
        double num = 0.0, den = 0.0;
        const size_t off = static_cast<size_t>(k - 1) * static_cast<size_t>(R) * out;
        for (int32_t r = 0; r < R; ++r) {
          double nr = 0.0, dr = 0.0;
          // y_masked row block k-1, row r vs y_dense row r
          for (size_t i = 0; i < out; ++i) {
            const double d = static_cast<double>(y_masked[off + static_cast<size_t>(r) * out + i]) -
                             static_cast<double>(y_dense[static_cast<size_t>(r) * out + i]);
            nr += d * d;
            const double v = y_dense[static_cast<size_t>(r) * out + i];
            dr += v * v;
          }
          num += nr;
          den += dr;
        }
        g.error[static_cast<size_t>(k)] = den > 0.0 ? num / den : 0.0;
      }
      // Parameters that read this input.
      switch (site) {
        case SparsitySite::kQkvIn: g.weight = static_cast<double>(L.wq.numel() + L.wk.numel() + L.wv.numel()); break;
        case SparsitySite::kOIn: g.weight = static_cast<double>(L.wo.numel()); break;
        case SparsitySite::kGateUpIn: g.weight = static_cast<double>(L.w_gate.numel() + L.w_up.numel()); break;
        case SparsitySite::kDownIn: g.weight = static_cast<double>(L.w_down.numel()); break;
      }
    }
    if (on_layer) on_layer(l + 1);
  }
  return sites;
}

}  // namespace skim
