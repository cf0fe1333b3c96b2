// openai_request.h — OpenAI request bodies (/v1/chat/completions, /v1/completions) ->
// a validated Request, or a 400 ApiError naming the offending field.
//
// Policy (documented in README "skim serve"):
//  - Unknown fields are ignored (as llama.cpp and vLLM do), so clients that send vendor
//    extensions keep working; every *known* field is type- and range-checked, and a
//    wrong type is an error, never silently coerced. null means "absent".
//  - Supported: model, messages / prompt, stream, stream_options.include_usage,
//    max_tokens (max_completion_tokens), temperature, top_p, seed, stop, n (= 1),
//    frequency_penalty, presence_penalty, logprobs, top_logprobs, user; llama.cpp
//    extensions top_k, min_p, repeat_penalty, repeat_last_n, ignore_eos.
//  - Refused with 400 "not supported": n > 1, best_of > 1, echo, suffix, non-empty
//    logit_bias or tools, response_format other than text, non-text content parts,
//    tool messages.
//  - Sampling defaults when a field is absent are llama-server's (temperature 0.8,
//    top_k 40, top_p 0.95, min_p 0.05); max_tokens defaults to "until the end of
//    generation or the context is full" for chat and to 16 for completions (OpenAI).
//
// The parser is pure (no engine, no I/O): it is the fuzz target's entry point. JSON
// nesting deeper than kMaxJsonDepth is refused before parsing (the JSON parser is
// recursive), so no input can exhaust the stack.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_error.h"
#include "skim/engine.h"
#include "skim/generation.h"

namespace skim::server {

enum class Endpoint { kChat, kCompletion };

inline constexpr int kMaxJsonDepth = 64;
inline constexpr size_t kMaxStopStrings = 16;
inline constexpr size_t kMaxStopBytes = 1024;
inline constexpr size_t kMaxMessages = 4096;

struct Request {
  Endpoint endpoint = Endpoint::kChat;
  std::string model;                   // as sent; informational only
  std::vector<ChatMessage> messages;   // chat
  std::string prompt;                  // completions, text form
  std::vector<int32_t> prompt_tokens;  // completions, token-id form
  bool prompt_is_tokens = false;
  GenerationOptions gen;
  bool has_seed = false;               // false: the server picks a random seed
  bool stream = false;
  bool include_usage = false;          // stream_options.include_usage
};

// Maximum nesting of arrays/objects in `body` (strings respected); stops counting past
// `limit` so it is O(n) and never overflows.
int json_depth(std::string_view body, int limit);

ApiResult<Request> parse_request(Endpoint endpoint, std::string_view body);

}  // namespace skim::server
