// engine.cpp — loading: GGUF file -> validated model + tokenizer + kernels + thread pool.
#include <fmt/core.h>

#include <algorithm>

#include "core/log.h"
#include "core/sha256.h"
#include "model/registry.h"
#include "sparsity/sidecar.h"
#include "runtime/engine_impl.h"

namespace skim {

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

Result<Engine> Engine::load(const EngineOptions& opt) {
  if (opt.n_threads < 0 || opt.n_threads > 1024) return make_error(fmt::format("invalid thread count {}", opt.n_threads));
  if (opt.n_ctx < 0) return make_error(fmt::format("invalid context size {}", opt.n_ctx));
  if (opt.n_batch < 1 || opt.n_batch > 8192) return make_error(fmt::format("invalid batch size {}", opt.n_batch));
  auto impl = std::make_unique<Impl>();
  SKIM_TRY(impl->file, gguf::File::open(opt.model_path));
  auto model = load_model(impl->file);
  if (!model) return make_error(opt.model_path + ": " + model.error().message);
  impl->model = std::move(*model);
  auto tk = tok::Tokenizer::from_gguf(impl->file);
  if (!tk) return make_error(opt.model_path + ": " + tk.error().message);
  impl->tokenizer = std::make_unique<tok::Tokenizer>(std::move(*tk));
  const HParams& hp = impl->model->hparams();
  if (impl->tokenizer->n_vocab() != hp.n_vocab) {
    return make_error(fmt::format("{}: tokenizer has {} tokens but the embedding has {} rows", opt.model_path,
                                  impl->tokenizer->n_vocab(), hp.n_vocab));
  }

  const CpuFeatures cpu = CpuFeatures::detect();
  const kernels::Isa isa = kernels::best_isa(cpu);
  impl->kt = kernels::make_kernel_table(isa);
  if (opt.numerics == Numerics::kFast && !kernels::use_fast_numerics(impl->kt)) {
    log_warn("no fast-numerics kernels for {}: the dense products keep ggml's order", kernels::isa_name(isa));
  }
  impl->ops = kernels::make_ops_table(isa);
  impl->packed = pack_model_weights(*impl->model, impl->kt);
  const int32_t n_threads = opt.n_threads > 0 ? opt.n_threads : std::max(1, cpu.physical_cores);
  impl->pool = std::make_unique<ThreadPool>(n_threads);
  impl->n_batch = opt.n_batch;

  ModelInfo& mi = impl->info;
  mi.path = opt.model_path;
  mi.arch = hp.arch;
  mi.name = hp.name;
  mi.file_bytes = static_cast<int64_t>(impl->file.file_size());
  mi.n_vocab = hp.n_vocab;
  mi.n_ctx_train = hp.n_ctx_train;
  mi.n_embd = hp.n_embd;
  mi.n_layer = hp.n_layer;
  mi.n_head = hp.n_head;
  mi.n_head_kv = hp.n_head_kv;
  mi.n_ff = hp.n_ff;
  mi.n_ctx = opt.n_ctx > 0 ? std::min(opt.n_ctx, hp.n_ctx_train) : hp.n_ctx_train;
  mi.n_threads = n_threads;
  mi.isa = std::string(kernels::isa_name(isa));
  mi.numerics = impl->kt.fast_numerics ? "fast" : "exact";
  mi.packed_bytes = static_cast<int64_t>(impl->packed.bytes);
  if (!opt.sparsity_path.empty()) {
    SKIM_TRY(std::string sha, sha256_file(opt.model_path));
    SKIM_TRY(SparsityConfig cfg, load_sidecar(opt.sparsity_path, sha, SidecarModelDims{hp.n_layer, hp.n_embd, hp.n_ff, hp.n_head}));
    mi.sparsity = fmt::format("{} {:.0f}%", method_name(cfg.method), 100.0 * cfg.target);
    auto mats = impl->model->layer_matrices();
    if (mats.empty()) return make_error(fmt::format("architecture '{}' has no sparse decode path", hp.arch));
    SKIM_TRY(impl->sparsity, SparsityPolicy::build(std::move(cfg), mats));
    mi.sparsity_repacked_bytes = static_cast<int64_t>(impl->sparsity->repacked_bytes());
  }
  for (const auto& t : impl->file.tensors()) {
    if (t.shape.size() == 2) mi.weight_bytes_per_token += static_cast<int64_t>(t.nbytes);
  }
  return Engine(std::move(impl));
}

const ModelInfo& Engine::info() const { return impl_->info; }

std::vector<int32_t> Engine::tokenize(std::string_view text, bool add_special, bool parse_special) const {
  return impl_->tokenizer->encode(text, add_special, parse_special);
}

std::string Engine::detokenize(std::span<const int32_t> ids, bool special) const {
  return impl_->tokenizer->decode(ids, special);
}

std::string Engine::token_piece(int32_t id, bool special) const { return impl_->tokenizer->token_to_piece(id, special); }
bool Engine::is_eog(int32_t id) const { return impl_->tokenizer->is_eog(id); }
int32_t Engine::bos() const { return impl_->tokenizer->bos(); }
bool Engine::add_bos() const { return impl_->tokenizer->add_bos(); }

Result<std::string> Engine::apply_chat_template(std::span<const ChatMessage> messages, bool add_generation_prompt) const {
  auto tmpl = impl_->file.get_string("tokenizer.chat_template");
  if (!tmpl) return make_error("this model has no chat template (tokenizer.chat_template)");
  std::vector<tok::ChatMessage> msgs;
  for (const auto& m : messages) msgs.push_back({m.role, m.content});
  std::string bos_text;
  if (bos() >= 0) bos_text = impl_->tokenizer->token_to_piece(bos(), true);
  return tok::apply_chat_template(*tmpl, msgs, add_generation_prompt, bos_text);
}

std::unique_ptr<Session> Engine::new_session(int32_t n_ctx) const {
  const int32_t n = n_ctx > 0 ? std::min(n_ctx, impl_->info.n_ctx) : impl_->info.n_ctx;
  return std::make_unique<Session>(std::make_unique<Session::Impl>(impl_.get(), n));
}

}  // namespace skim
