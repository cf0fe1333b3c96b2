// engine_impl.h — what an Engine and a Session hold (the pimpl structs of
// include/skim/engine.h). Only runtime/ sees these.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "format/gguf/gguf_file.h"
#include "kernels/kernels.h"
#include "kernels/ops.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "runtime/packed_weights.h"
#include "skim/engine.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace skim {

struct Engine::Impl {
  gguf::File file;
  std::unique_ptr<Model> model;
  std::unique_ptr<tok::Tokenizer> tokenizer;
  kernels::KernelTable kt;
  kernels::OpsTable ops;  // same Isa as kt
  std::unique_ptr<ThreadPool> pool;
  ModelInfo info;
  PackedWeights packed;                      // row-interleaved matrices the model's views point at
  std::unique_ptr<SparsityPolicy> sparsity;  // null: dense
  int32_t n_batch = 512;
  // Engine::decode_step's batch, created on first use and grown as needed (guarded).
  mutable std::mutex decode_mu;
  mutable std::unique_ptr<Batch> decode_batch;
  ExecContext exec() const { return ExecContext{kt, ops, *pool, sparsity.get()}; }
};

struct Session::Impl {
  const Engine::Impl* engine;
  KvCache kv;
  std::unique_ptr<Workspace> ws;
  std::vector<float> logits;  // [n_vocab] after the last eval
  int32_t n_past = 0;

  Impl(const Engine::Impl* e, int32_t n_ctx);
  ExecContext exec() const { return engine->exec(); }
};

struct Batch::Impl {
  const Engine::Impl* engine;
  std::unique_ptr<Workspace> ws;  // max_tokens rows, n_ctx positions
  int32_t max_seqs;
  std::vector<SeqRun> runs;       // [max_seqs] the model's view of the current step
  std::vector<Batch::Run> decode_runs;  // [max_seqs] Batch::decode's run list
  std::vector<float> logits;      // [max_seqs, n_vocab] packed logits of one pass

  Impl(const Engine::Impl* e, int32_t max_tokens, int32_t max_seqs, int32_t n_ctx);
};

// Access to the pimpl structs for runtime code outside engine.cpp/session.cpp
// (calibration, benchmarks) without widening the public API.
struct EngineAccess {
  static const Engine::Impl& impl(const Engine& e) { return *e.impl_; }
  static Session::Impl& impl(Session& s) { return *s.impl_; }
};

}  // namespace skim
