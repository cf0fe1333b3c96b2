// engine_impl.h — what an Engine and a Session hold (the pimpl structs of
// include/skim/engine.h). Only runtime/ sees these.
#pragma once

#include <memory>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "format/gguf/gguf_file.h"
#include "kernels/kernels.h"
#include "kernels/ops.h"
#include "model/kv_cache.h"
#include "model/model.h"
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
  std::unique_ptr<SparsityPolicy> sparsity;  // null: dense
  int32_t n_batch = 512;
};

struct Session::Impl {
  const Engine::Impl* engine;
  KvCache kv;
  std::unique_ptr<Workspace> ws;
  std::vector<float> logits;  // [n_vocab] after the last eval
  int32_t n_past = 0;

  Impl(const Engine::Impl* e, int32_t n_ctx);
  ExecContext exec() const { return ExecContext{engine->kt, engine->ops, *engine->pool, engine->sparsity.get()}; }
};

// Access to the pimpl structs for runtime code outside engine.cpp/session.cpp
// (calibration, benchmarks) without widening the public API.
struct EngineAccess {
  static const Engine::Impl& impl(const Engine& e) { return *e.impl_; }
  static Session::Impl& impl(Session& s) { return *s.impl_; }
};

}  // namespace skim
