// train.cpp — mini-batch Adam on weighted BCE for a low-rank predictor (see train.h).
// Per row of a batch (h = a·x, s = btᵀ·h + bias, g = dL/ds):
//   dbt[j] += h_j · g,   dh_j = g · bt[j],   da[j] += dh_j · x,   dbias += g
// all as dot/axpy of the kernel table (long contiguous vectors: n_in or n_out).
#include "sparsity/dejavu/train.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "sparsity/dejavu/predictor.h"

namespace skim::dejavu {

namespace {

// labels: [N, n_out] 0/1, the k most important outputs of each row.
std::vector<uint8_t> make_labels(const float* importance, int32_t N, int32_t n_out, int32_t k) {
  std::vector<uint8_t> y(static_cast<size_t>(N) * static_cast<size_t>(n_out), 0);
  std::vector<float> scratch(static_cast<size_t>(n_out));  // [n_out]
  std::vector<int32_t> idx(static_cast<size_t>(k));        // [k]
  for (int32_t r = 0; r < N; ++r) {
    const size_t off = static_cast<size_t>(r) * static_cast<size_t>(n_out);
    top_k(importance + off, n_out, k, scratch.data(), idx.data());
    for (int32_t i : idx) y[off + static_cast<size_t>(i)] = 1;
  }
  return y;
}

inline float softplus(float s) { return std::max(s, 0.0f) + std::log1p(std::exp(-std::fabs(s))); }

// softplus(s) and sigmoid(s) from one exp.
inline void softplus_sigmoid(float s, float* sp, float* sg) {
  const float e = std::exp(-std::fabs(s));
  *sp = std::max(s, 0.0f) + std::log1p(e);
  *sg = s >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

struct Adam {
  std::vector<float> m, v;  // [n] moments
  explicit Adam(size_t n) : m(n, 0.0f), v(n, 0.0f) {}
  void step(float* w, const float* g, size_t n, float lr, float wd, int64_t t) {
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    const float c1 = 1.0f - std::pow(b1, static_cast<float>(t)), c2 = 1.0f - std::pow(b2, static_cast<float>(t));
    for (size_t i = 0; i < n; ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      w[i] -= lr * ((m[i] / c1) / (std::sqrt(v[i] / c2) + eps) + wd * w[i]);
    }
  }
};

// Metrics over rows [N] from scores produced by score_row(r, scores).
template <class ScoreRow>
EvalStats evaluate_rows(ScoreRow score_row, const float* importance, const uint8_t* labels, int32_t N, int32_t n_out,
                        int32_t k, float pos_weight) {
  EvalStats st;
  if (N <= 0) return st;
  std::vector<float> s(static_cast<size_t>(n_out));                   // [n_out] scores
  std::vector<float> scratch(static_cast<size_t>(n_out));  // [n_out]
  std::vector<int32_t> idx(static_cast<size_t>(k));        // [k]
  const double w_row = static_cast<double>(k) * pos_weight + (n_out - k);
  for (int32_t r = 0; r < N; ++r) {
    const size_t off = static_cast<size_t>(r) * static_cast<size_t>(n_out);
    score_row(r, s.data());
    double loss = 0.0;
    double true_mass = 0.0, got_mass = 0.0;
    for (int32_t i = 0; i < n_out; ++i) {
      const bool y = labels[off + static_cast<size_t>(i)] != 0;
      loss += (y ? pos_weight : 1.0f) * (softplus(s[static_cast<size_t>(i)]) - (y ? s[static_cast<size_t>(i)] : 0.0f));
      if (y) true_mass += importance[off + static_cast<size_t>(i)];
    }
    top_k(s.data(), n_out, k, scratch.data(), idx.data());
    int32_t hit = 0;
    for (int32_t i : idx) {
      hit += labels[off + static_cast<size_t>(i)];
      got_mass += importance[off + static_cast<size_t>(i)];
    }
    st.loss += loss / w_row;
    st.recall += static_cast<double>(hit) / k;
    st.mass += true_mass > 0 ? got_mass / true_mass : 1.0;
  }
  st.loss /= N;
  st.recall /= N;
  st.mass /= N;
  return st;
}

}  // namespace

EvalStats evaluate_predictor(const kernels::KernelTable& kt, const LowRankPredictor& p, const float* x,
                             const float* importance, int32_t N, float keep, float pos_weight) {
  const int32_t k = keep_count(keep, p.n_out);
  const std::vector<uint8_t> labels = make_labels(importance, N, p.n_out, k);
  std::vector<float> hidden(static_cast<size_t>(p.rank));  // [rank]
  auto score = [&](int32_t r, float* s) {
    predict_scores(kt, p, x + static_cast<size_t>(r) * static_cast<size_t>(p.n_in), hidden.data(), s);
  };
  return evaluate_rows(score, importance, labels.data(), N, p.n_out, k, pos_weight);
}

Result<LowRankPredictor> train_predictor(const kernels::KernelTable& kt, const float* x, const float* importance,
                                         int32_t N, int32_t n_in, int32_t n_out, const TrainOptions& opt,
                                         TrainReport* report, const EpochCallback& on_epoch) {
  if (n_in <= 0 || n_out <= 0 || opt.rank <= 0) return make_error("dejavu train: empty shapes");
  if (!(opt.keep > 0.0f && opt.keep <= 1.0f)) return make_error(fmt::format("dejavu train: keep {} out of (0, 1]", opt.keep));
  if (opt.batch <= 0 || opt.epochs < 0 || !(opt.lr > 0.0f)) return make_error("dejavu train: bad optimizer settings");
  if (N < 2) return make_error(fmt::format("dejavu train: {} rows are too few", N));
  const int32_t n_val = std::clamp(static_cast<int32_t>(std::ceil(opt.val_fraction * N)), 1, N - 1);
  const int32_t n_train = N - n_val;
  const int32_t k = keep_count(opt.keep, n_out);
  const float pw = opt.pos_weight > 0.0f ? opt.pos_weight : std::max(1.0f, 2.0f * (1.0f - opt.keep) / opt.keep);
  const int32_t r = opt.rank;
  const size_t ni = static_cast<size_t>(n_in), no = static_cast<size_t>(n_out), nr = static_cast<size_t>(r);

  const std::vector<uint8_t> labels = make_labels(importance, N, n_out, k);  // [N, n_out]
  const float* x_val = x + static_cast<size_t>(n_train) * ni;
  const float* imp_val = importance + static_cast<size_t>(n_train) * no;
  const uint8_t* y_val = labels.data() + static_cast<size_t>(n_train) * no;

  LowRankPredictor p;
  p.n_in = n_in;
  p.rank = r;
  p.n_out = n_out;
  p.a.resize(nr * ni);          // [r, n_in]
  p.bt.assign(nr * no, 0.0f);   // [r, n_out]: zero, so the first scores are the bias alone
  p.bias.resize(no);            // [n_out]
  // Bias: the logit of each output's label frequency on the training rows (a static "hot
  // neuron" ranking, which the first evaluation measures as the baseline).
  {
    std::vector<double> freq(no, 0.0);  // [n_out]
    for (int32_t row = 0; row < n_train; ++row) {
      for (size_t i = 0; i < no; ++i) freq[i] += labels[static_cast<size_t>(row) * no + i];
    }
    for (size_t i = 0; i < no; ++i) {
      const double f = std::clamp(freq[i] / n_train, 1e-3, 1.0 - 1e-3);
      p.bias[i] = static_cast<float>(std::log(f / (1.0 - f)));
    }
  }
  // a: gaussian scaled so that a·x has unit variance on the training rows.
  double msq = 0.0;
  for (size_t i = 0; i < static_cast<size_t>(n_train) * ni; ++i) msq += static_cast<double>(x[i]) * x[i];
  msq = std::max(msq / n_train, 1e-12);
  std::mt19937_64 rng(opt.seed);
  std::normal_distribution<float> gauss(0.0f, static_cast<float>(1.0 / std::sqrt(msq)));
  for (float& v : p.a) v = gauss(rng);

  std::vector<float> hidden(nr);  // [r] evaluation scratch
  auto score_val = [&](int32_t row, float* s) { predict_scores(kt, p, x_val + static_cast<size_t>(row) * ni, hidden.data(), s); };
  TrainReport rep;
  rep.n_train = n_train;
  rep.n_val = n_val;
  rep.first = evaluate_rows(score_val, imp_val, y_val, n_val, n_out, k, pw);
  rep.first.base_recall = rep.first.recall;
  rep.best = rep.first;
  LowRankPredictor best = p;

  std::vector<float> ga(nr * ni), gbt(nr * no), gbias(no);  // gradients: [r, n_in], [r, n_out], [n_out]
  std::vector<float> h(nr), dh(nr), s(no);                   // per row: [r], [r], [n_out]
  Adam adam_a(ga.size()), adam_bt(gbt.size()), adam_bias(gbias.size());
  std::vector<int32_t> order(static_cast<size_t>(n_train));  // [n_train] row order of an epoch
  std::iota(order.begin(), order.end(), 0);
  const double w_row = static_cast<double>(k) * pw + (n_out - k);
  int64_t t = 0;
  int32_t since_best = 0;
  for (int32_t epoch = 1; epoch <= opt.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    double epoch_loss = 0.0;
    for (int32_t b0 = 0; b0 < n_train; b0 += opt.batch) {
      const int32_t bn = std::min(opt.batch, n_train - b0);
      std::fill(ga.begin(), ga.end(), 0.0f);
      std::fill(gbt.begin(), gbt.end(), 0.0f);
      std::fill(gbias.begin(), gbias.end(), 0.0f);
      const float scale = static_cast<float>(1.0 / (w_row * bn));
      for (int32_t bi = 0; bi < bn; ++bi) {
        const size_t row = static_cast<size_t>(order[static_cast<size_t>(b0 + bi)]);
        const float* xr = x + row * ni;
        const uint8_t* yr = labels.data() + row * no;
        for (size_t j = 0; j < nr; ++j) h[j] = kt.dot_f32(p.a.data() + j * ni, xr, n_in);
        std::copy(p.bias.begin(), p.bias.end(), s.begin());
        for (size_t j = 0; j < nr; ++j) kt.axpy_f32(h[j], p.bt.data() + j * no, s.data(), n_out);
        double loss = 0.0;
        for (size_t i = 0; i < no; ++i) {  // s becomes g = dL/ds
          const float w = yr[i] ? pw : 1.0f;
          float sp, sg;
          softplus_sigmoid(s[i], &sp, &sg);
          loss += w * (sp - (yr[i] ? s[i] : 0.0f));
          s[i] = w * (sg - static_cast<float>(yr[i])) * scale;
        }
        epoch_loss += loss / w_row;
        for (size_t i = 0; i < no; ++i) gbias[i] += s[i];
        for (size_t j = 0; j < nr; ++j) {
          dh[j] = kt.dot_f32(s.data(), p.bt.data() + j * no, n_out);
          kt.axpy_f32(h[j], s.data(), gbt.data() + j * no, n_out);
          kt.axpy_f32(dh[j], xr, ga.data() + j * ni, n_in);
        }
      }
      ++t;
      adam_a.step(p.a.data(), ga.data(), ga.size(), opt.lr, opt.weight_decay, t);
      adam_bt.step(p.bt.data(), gbt.data(), gbt.size(), opt.lr, opt.weight_decay, t);
      adam_bias.step(p.bias.data(), gbias.data(), gbias.size(), opt.lr, 0.0f, t);
    }
    epoch_loss /= n_train;
    rep.train_loss.push_back(epoch_loss);
    EvalStats ev = evaluate_rows(score_val, imp_val, y_val, n_val, n_out, k, pw);
    ev.base_recall = rep.first.base_recall;
    if (on_epoch) on_epoch(epoch, epoch_loss, ev);
    if (ev.recall > rep.best.recall) {
      rep.best = ev;
      rep.best_epoch = epoch;
      best = p;
      since_best = 0;
    } else if (++since_best >= opt.patience) {
      break;
    }
  }
  for (float v : best.a) {
    if (!std::isfinite(v)) return make_error("dejavu train: diverged (non-finite weights)");
  }
  if (report) *report = std::move(rep);
  return best;
}

}  // namespace skim::dejavu
