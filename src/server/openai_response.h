// openai_response.h — OpenAI response bodies and server-sent-event chunks.
//
// Shapes (as OpenAI and llama-server send them):
//  - chat:        {"id":"chatcmpl-…","object":"chat.completion","created","model",
//                  "system_fingerprint","choices":[{"index":0,"message":{"role":"assistant",
//                  "content"},"logprobs","finish_reason"}],"usage","timings"}
//  - chat stream: "chat.completion.chunk" objects: a first delta {"role":"assistant",
//                  "content":""}, content deltas, a final chunk with an empty delta and the
//                  finish_reason, then (stream_options.include_usage) a chunk with empty
//                  choices and the usage, then "data: [DONE]".
//  - completions: "text_completion" with choices[{"text","index","logprobs","finish_reason"}];
//                  the stream sends the same object per chunk, then "data: [DONE]".
//  - logprobs:    chat {"content":[{"token","logprob","bytes","top_logprobs":[…]}]};
//                  completions (legacy) {"tokens","token_logprobs","top_logprobs","text_offset"}.
// Text that is not valid UTF-8 (a token piece cut inside a character) is written with
// U+FFFD replacements, never an exception.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/job.h"
#include "server/openai_request.h"
#include "skim/engine.h"

namespace skim::server {

// JSON text with invalid UTF-8 replaced.
std::string dump_json(const nlohmann::json& j);
// One server-sent event: "data: <json>\n\n".
std::string sse_event(const nlohmann::json& j);
inline constexpr const char* kSseDone = "data: [DONE]\n\n";

nlohmann::json usage_json(const Usage& u);
nlohmann::json timings_json(const Usage& u);

// Builds the responses of one request; holds the per-stream state (first chunk sent,
// text offset for legacy logprobs).
class ResponseBuilder {
 public:
  ResponseBuilder(const Engine& engine, Endpoint endpoint, std::string model, std::string id, int64_t created,
                  std::string fingerprint);

  const std::string& id() const { return id_; }

  // The whole (non-streamed) response.
  nlohmann::json complete(const std::string& text, const std::vector<LogprobEntry>& logprobs,
                          const std::string& finish_reason, const Usage& usage, bool want_logprobs);

  // Stream events for one delta (possibly several SSE events, possibly none).
  std::string stream_events(const Delta& d, bool want_logprobs, bool include_usage);

 private:
  nlohmann::json chunk_base() const;
  nlohmann::json logprobs_json(const std::vector<LogprobEntry>& entries);

  const Engine& engine_;
  Endpoint endpoint_;
  std::string model_, id_, fingerprint_;
  int64_t created_;
  bool role_sent_ = false;
  size_t text_offset_ = 0;  // legacy completions logprobs
};

}  // namespace skim::server
