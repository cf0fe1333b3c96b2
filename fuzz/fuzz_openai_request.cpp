// fuzz_openai_request.cpp — libFuzzer target for the server's request parser
// (src/server/openai_request.cpp): any byte string, as the body of /v1/chat/completions and
// of /v1/completions, must give a validated Request or a 400 ApiError with a message —
// never a crash, an exception, a hang or unbounded recursion (deep nesting is refused
// before the recursive JSON parser runs). Parsed values are walked and errors rendered so
// that dangling views or bad conversions surface under ASan/UBSan.
// Needs: src/server/openai_request.cpp, fmt, nlohmann_json (header-only).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/openai_request.h"

namespace {

size_t walk(const skim::server::ApiResult<skim::server::Request>& r) {
  if (!r.ok()) {
    const auto& e = r.error();
    if (e.status != 400 || e.message.empty()) __builtin_trap();  // parse errors are always 400s with a message
    return e.to_json().dump().size();
  }
  const auto& q = r.value();
  size_t sink = q.model.size() + q.prompt.size() + q.prompt_tokens.size();
  for (const auto& m : q.messages) sink += m.role.size() + m.content.size();
  for (const auto& s : q.gen.params.stop) {
    if (s.empty()) __builtin_trap();  // empty stop strings are dropped
    sink += s.size();
  }
  const auto& p = q.gen.params;
  if (p.max_tokens == 0 || p.sampling.temperature < 0 || p.sampling.temperature > 2) __builtin_trap();
  if (q.gen.top_logprobs < 0 || q.gen.top_logprobs > 20) __builtin_trap();
  if (q.prompt_is_tokens ? q.prompt_tokens.empty() : (q.endpoint == skim::server::Endpoint::kCompletion && q.prompt.empty())) {
    __builtin_trap();  // empty prompts are refused
  }
  return sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  size_t sink = walk(skim::server::parse_request(skim::server::Endpoint::kChat, body));
  sink += walk(skim::server::parse_request(skim::server::Endpoint::kCompletion, body));
  sink += static_cast<size_t>(skim::server::json_depth(body, skim::server::kMaxJsonDepth));
  return sink == 0xFFFFFFFF ? 1 : 0;
}
