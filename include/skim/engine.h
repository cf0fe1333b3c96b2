// engine.h — skim's public API: load a GGUF model, tokenize, run sessions, generate.
//
// An Engine owns the model file mapping, the weights (views into it), the tokenizer, the
// kernel dispatch table and the thread pool. A Session is one sequence: its KV cache and
// activation workspace, preallocated for the context, so decoding does not allocate.
// Everything that can fail because of user input returns Result / Status.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "skim/result.h"

namespace skim {

// Numerics of the dense products (kernels.h use_fast_numerics): kExact keeps ggml's order
// (bitwise llama.cpp); kFast feeds one float accumulator per output from exact per-block
// integer dots: fewer float operations, faster compute-bound steps (prompt processing,
// batched decode). kFast's products differ from llama.cpp's in the last bits, and the 8-bit
// re-quantization of activations between layers turns that into logit differences of up
// to about 1 (perplexity unchanged to within 0.1%). Both are batch-invariant.
enum class Numerics { kExact, kFast };

struct EngineOptions {
  std::string model_path;
  int32_t n_threads = 0;  // 0: the number of physical cores
  int32_t n_ctx = 0;      // 0: the model's training context; larger values are capped to it
  int32_t n_batch = 512;  // tokens per forward pass during prompt processing
  std::string sparsity_path;  // a sidecar from `skim calibrate`; empty: dense
  Numerics numerics = Numerics::kExact;  // kFast falls back to kExact where the ISA has no fast kernels
};

struct ModelInfo {
  std::string path;
  std::string arch;
  std::string name;
  int64_t file_bytes = 0;
  int32_t n_vocab = 0, n_ctx_train = 0, n_embd = 0, n_layer = 0, n_head = 0, n_head_kv = 0, n_ff = 0;
  int32_t n_ctx = 0;  // the engine's context size
  int32_t n_threads = 0;
  std::string isa;    // kernels chosen for this CPU
  std::string numerics = "exact";  // "exact" or "fast": what the dense products run (EngineOptions::numerics)
  int64_t packed_bytes = 0;  // row-interleaved weight copies made at load (kernels/packed.h)
  // Bytes of weights a dense decode step reads: every 2-D weight matrix once (the tied
  // embedding counts once, as the output projection; its row lookup is negligible).
  int64_t weight_bytes_per_token = 0;
  std::string sparsity = "dense";  // method of the loaded sidecar, e.g. "teal 40%"
  int64_t sparsity_repacked_bytes = 0;
};

struct SamplingOptions {
  float temperature = 0.8f;  // <= 0: greedy
  int32_t top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  int32_t penalty_last_n = 64;
  uint64_t seed = 0xFFFFFFFF;
};

struct GenerateParams {
  int32_t max_tokens = 256;  // < 0: until end of generation or the context is full
  SamplingOptions sampling;
  std::vector<std::string> stop;  // stop strings (not included in the output)
  bool ignore_eos = false;
};

struct GenerateResult {
  std::vector<int32_t> tokens;      // generated token ids
  std::string text;                 // generated text (stop string excluded)
  std::string finish_reason;        // "stop" (EOG or stop string) or "length"
  int32_t prompt_tokens = 0;
  double prompt_seconds = 0.0;
  double generate_seconds = 0.0;
};

struct ChatMessage {
  std::string role;
  std::string content;
};

class Session;
class Batch;

class Engine {
 public:
  static Result<Engine> load(const EngineOptions& options);
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  ~Engine();

  const ModelInfo& info() const;

  std::vector<int32_t> tokenize(std::string_view text, bool add_special, bool parse_special) const;
  std::string detokenize(std::span<const int32_t> ids, bool special = false) const;
  std::string token_piece(int32_t id, bool special = false) const;
  bool is_eog(int32_t id) const;
  int32_t bos() const;
  bool add_bos() const;
  // The model's chat template applied to messages (with the assistant prompt appended).
  Result<std::string> apply_chat_template(std::span<const ChatMessage> messages, bool add_generation_prompt) const;

  // A new sequence with its own KV cache sized for the engine's context. n_ctx = 0 uses
  // the engine's context size; a smaller value gives a smaller cache (server slots).
  std::unique_ptr<Session> new_session(int32_t n_ctx = 0) const;

  // Scratch for multi-sequence forward passes (continuous batching): up to max_tokens
  // tokens and max_seqs sequences per pass, sessions of up to n_ctx positions (0: the
  // engine's context). Allocated once; see Batch.
  std::unique_ptr<Batch> new_batch(int32_t max_tokens, int32_t max_seqs, int32_t n_ctx = 0) const;

  // One decode step for several sequences at once (continuous batching): appends
  // tokens[i] to sessions[i] in ONE forward pass and leaves each session's logits() for its
  // new last token. The sessions must be distinct and each must have room for one more
  // position. Uses a batch the engine keeps (grown when a call needs more rows; calls are
  // serialized); a scheduler that owns a Batch calls Batch::decode instead.
  Status decode_step(std::span<Session* const> sessions, std::span<const int32_t> tokens) const;

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class Session;
  friend class Batch;
  friend struct EngineAccess;  // runtime internals (runtime/engine_impl.h)
};

// A reusable multi-sequence forward pass: the rows of every run share each matrix
// product (weights are read once per pass for all sequences), while positions, KV caches
// and attention stay per session. Holds the activation workspace and the logits of one
// pass; step() does not allocate. Not thread-safe: one pass at a time. The Engine must
// outlive it; sessions must come from the same Engine.
class Batch {
 public:
  struct Run {
    Session* session = nullptr;
    std::span<const int32_t> tokens;  // appended after the session's positions
    bool want_logits = true;          // leave logits() for the last token (else untouched)
  };
  ~Batch();
  int32_t max_tokens() const;
  int32_t max_seqs() const;

  // One forward pass over all runs (distinct sessions, >= 1 token each, total tokens <=
  // max_tokens, runs <= max_seqs, each fitting its session's context). On success each
  // session holds its new positions; on error no session changes.
  Status step(std::span<const Run> runs);
  // step() with one token per session, logits for all (a decode step).
  Status decode(std::span<Session* const> sessions, std::span<const int32_t> tokens);

  struct Impl;
  explicit Batch(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

class Session {
 public:
  ~Session();
  int32_t n_past() const;
  int32_t n_ctx() const;
  void clear();  // forget all positions
  // Fraction of channels/neurons the sparse decode path skipped since the last reset
  // (0 for a dense engine), and the reset.
  double measured_sparsity() const;
  void reset_sparsity_stats();

  // Append tokens to the sequence (prompt processing in batches of n_batch); afterwards
  // logits() holds the distribution after the last token.
  Status eval(std::span<const int32_t> tokens);
  std::span<const float> logits() const;  // [n_vocab]

  // Run tokens from position 0 (clears first) and write logits for the last n_out
  // positions into out [n_out, n_vocab]. Used by perplexity and scoring.
  Status eval_logits(std::span<const int32_t> tokens, int32_t n_out, float* out);
  // Same, but appended after the positions the session already holds.
  Status append_logits(std::span<const int32_t> tokens, int32_t n_out, float* out);
  // Forget positions >= n (keeps the cached prefix [0, n)).
  void truncate(int32_t n);

  // Sample up to params.max_tokens after `prompt` (appended to what the session holds).
  // on_text receives decoded text as it becomes valid UTF-8; returning false stops early.
  Result<GenerateResult> generate(std::span<const int32_t> prompt, const GenerateParams& params,
                                  const std::function<bool(std::string_view)>& on_text = {});

  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
  friend class Batch;
  friend struct EngineAccess;
};

}  // namespace skim
